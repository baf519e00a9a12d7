"""The command line's promises under odd conditions (issue 12, bad input).

``resume --steps N`` writes N more; a provider whose replies are lists of content
blocks is read as text; an internal bug is reported as one, with its traceback
kept in the data dir's log (and printed with ``--debug``), while a person's
mistake stays a one-line error.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from qdrant_client import QdrantClient

from recurrentgpt.cli import main
from recurrentgpt.cli.main import ERROR_LOG, INTERNAL_ERROR_EXIT
from recurrentgpt.context import Context
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.services import Role
from tests.fakes import FakeServices, ScriptedChatModel
from tests.unit.test_cli import SMALL, run, write_auto


def _memory() -> LongTermMemory:
    return LongTermMemory(QdrantClient(":memory:"), HashingEmbeddings(64))


@pytest.fixture
def services() -> FakeServices:
    return FakeServices(ScriptedChatModel(), _memory())


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    return str(tmp_path / "data")


def test_resume_steps_counts_from_where_the_novel_stands(
    data_dir: str, services: FakeServices, capsys: Any
) -> None:
    assert write_auto(data_dir, services, "n", 2) == 0
    assert run(data_dir, services, "resume", "n", "--steps", "1") == 0
    assert "3 steps" in capsys.readouterr().out
    # An absolute reading of "--steps 1" would find the novel past its target and write nothing.
    assert run(data_dir, services, "resume", "n", "--steps", "1") == 0
    assert "4 steps" in capsys.readouterr().out
    assert run(data_dir, services, "export", "n") == 0
    exported = Path(data_dir, "exports", "n.md").read_text(encoding="utf-8")
    assert exported.count("Paragraph ") == 4


class BlockReplyModel(ScriptedChatModel):
    """The scripted model, its prose sent as a list of content blocks with reasoning first."""

    def _answer(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None) -> AIMessage:
        answer = super()._answer(messages, tools)
        if answer.tool_calls:
            return answer
        blocks: list[str | dict[str, Any]] = [
            {"type": "reasoning", "reasoning": "Think about the plan first."},
            {"type": "text", "text": str(answer.content)},
        ]
        return AIMessage(content=blocks)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._answer(messages, kwargs.get("tools"))
        if message.tool_calls:
            yield from super()._stream(messages, stop, run_manager, **kwargs)
            return
        for index, block in enumerate(message.content):
            assert isinstance(block, dict)
            chunk = AIMessageChunk(content=[{**block, "index": index}])
            yield ChatGenerationChunk(message=chunk)


def test_replies_made_of_content_blocks_are_read_as_text(data_dir: str, capsys: Any) -> None:
    services = FakeServices(BlockReplyModel(), _memory())
    assert write_auto(data_dir, services, "blocks", 2) == 0
    shown = capsys.readouterr().out
    assert run(data_dir, services, "export", "blocks") == 0
    exported = Path(data_dir, "exports", "blocks.md").read_text(encoding="utf-8")
    assert exported.count("Paragraph ") == 2
    for text in (exported, shown):
        assert "'type'" not in text and "reasoning" not in text and "Think about" not in text


class BrokenServices(FakeServices):
    """Services with a bug: asking for a model fails with an error no person caused."""

    def chat_model(self, role: Role, context: Context) -> BaseChatModel:
        raise KeyError(f"no such role table entry: {role}")


def test_an_internal_bug_is_not_dressed_as_a_user_error(data_dir: str, capsys: Any) -> None:
    broken = BrokenServices(ScriptedChatModel(), _memory())
    args: Sequence[str] = ("write", "--premise", "x", "--auto-first", "--id", "b", *SMALL)

    assert run(data_dir, broken, *args) == INTERNAL_ERROR_EXIT
    err = capsys.readouterr().err
    log = Path(data_dir, ERROR_LOG)
    assert "internal error (a bug, not your input): KeyError" in err
    assert str(log) in err and "Traceback" not in err
    assert "Traceback" in log.read_text() and "no such role table entry" in log.read_text()

    debug = ["--debug", "--data-dir", data_dir, "resume", "b"]
    assert main(debug, services=broken) == INTERNAL_ERROR_EXIT
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_persons_mistake_stays_one_line_and_debug_adds_the_traceback(
    data_dir: str, services: FakeServices, capsys: Any
) -> None:
    assert run(data_dir, services, "resume", "no-such-novel") == 1
    err = capsys.readouterr().err
    assert err.startswith("recurrentgpt: error: ") and err.count("\n") == 1
    assert main(["--debug", "--data-dir", data_dir, "resume", "nope"], services=services) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err
    assert not Path(data_dir).exists()  # an error on a data dir not made yet makes none
