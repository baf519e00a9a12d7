"""Real llama_cpp.server tests for the offline default chat model (SmolLM2)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, SecretStr

pytest.importorskip("llama_cpp")
pytest.importorskip("langchain_openai")

import llama_cpp
from langchain_openai import ChatOpenAI

from recurrentgpt import local_llm
from recurrentgpt.local_llm import LocalLLMError, LocalLLMServer, get_local_server

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


class Plans(BaseModel):
    """A novel's title and three alternative plans for its next paragraph."""

    title: str = Field(description="Title of the novel", max_length=100)
    plan_1: str = Field(description="First plan for the next paragraph", max_length=400)
    plan_2: str = Field(description="Second plan for the next paragraph", max_length=400)
    plan_3: str = Field(description="Third plan for the next paragraph", max_length=400)


def _is_alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _wait_until_dead(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _chat(server: LocalLLMServer, max_tokens: int) -> ChatOpenAI:
    # ChatOpenAI sends its max_tokens as max_completion_tokens, which llama_cpp.server
    # ignores: max_tokens must go in the body too.
    return ChatOpenAI(
        base_url=server.base_url,
        api_key=SecretStr("local"),
        model="local",
        max_completion_tokens=max_tokens,
        extra_body={"max_tokens": max_tokens},
    )


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLLMServer]:
    with LocalLLMServer() as running:
        yield running


def test_server_answers_a_chat_completion(server: LocalLLMServer) -> None:
    reply = _chat(server, 48).invoke("Say hello to a reader of fantasy novels.")
    assert isinstance(reply.content, str)
    assert reply.content.strip()


def test_token_cap_is_honoured(server: LocalLLMServer) -> None:
    reply = _chat(server, 32).invoke("Write a very long story about a dragon and a knight.")
    assert reply.usage_metadata is not None
    assert 0 < reply.usage_metadata["output_tokens"] <= 32
    assert reply.response_metadata["finish_reason"] == "length"


def test_streaming_yields_several_chunks(server: LocalLLMServer) -> None:
    chunks = list(_chat(server, 32).stream("Tell me a story about a lighthouse."))
    assert len(chunks) > 1
    text = "".join(str(chunk.content) for chunk in chunks)
    assert text.strip()


def test_structured_output_is_schema_valid(server: LocalLLMServer) -> None:
    structured = _chat(server, 600).with_structured_output(
        Plans, method="function_calling", include_raw=True
    )
    for _ in range(3):
        result = structured.invoke(
            "You are writing a fantasy novel about a lost princess. Give its title and three "
            "different plans for the next paragraph."
        )
        assert result["parsing_error"] is None
        assert isinstance(result["parsed"], Plans)


def _log_since_start(server: LocalLLMServer) -> str:
    with server.log_path.open("rb") as log:
        log.seek(server._log_start)
        return log.read().decode("utf-8", errors="replace")


def test_the_server_samples_lazily_and_follows_the_load_unless_told_otherwise(
    server: LocalLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert local_llm.LAZY_GRAMMAR_LOG_LINE in _log_since_start(server)
    assert local_llm.ADAPTIVE_THREADS_LOG_LINE in _log_since_start(server)

    monkeypatch.setenv(local_llm.EAGER_GRAMMAR_ENV, "1")
    monkeypatch.setenv(local_llm.FIXED_THREADS_ENV, "1")
    with LocalLLMServer() as eager:
        structured = _chat(eager, 600).with_structured_output(
            Plans, method="function_calling", include_raw=True
        )
        result = structured.invoke("Give a fantasy novel's title and three plans.")
        assert result["parsing_error"] is None
        assert isinstance(result["parsed"], Plans)
        assert local_llm.LAZY_GRAMMAR_LOG_LINE not in _log_since_start(eager)
        assert local_llm.ADAPTIVE_THREADS_LOG_LINE not in _log_since_start(eager)


def test_with_the_prompt_cache_a_prompt_reuses_an_earlier_request_with_the_same_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(local_llm.PROMPT_CACHE_ENV, "128")
    # The shared start must outlast the chat template's header to be worth reusing.
    frame = "Premise: " + " ".join(f"the keeper lights lamp number {i}." for i in range(60))
    with LocalLLMServer() as cached:
        chat = _chat(cached, max_tokens=4)
        log_start = cached.log_path.stat().st_size
        chat.invoke([("system", frame), ("user", "Name the keeper.")])
        chat.invoke([("system", "Something else entirely."), ("user", "Say hi.")])
        chat.invoke([("system", frame), ("user", "Name the lamp.")])
        with cached.log_path.open("rb") as log:
            log.seek(log_start)
            text = log.read().decode("utf-8", errors="replace")
    # The third prompt shares nothing with the second, only with the first: the prompt
    # cache restores the first one's state, then only the differing tail is evaluated.
    assert "Llama._create_completion: cache hit" in text
    remaining = [
        int(line.rsplit("remaining ", 1)[1].split()[0])
        for line in text.splitlines()
        if "prefix-match hit, remaining" in line
    ]
    assert remaining and remaining[-1] < 40


def test_stop_ends_the_process() -> None:
    with LocalLLMServer() as running:
        pid = running.pid
        assert running.running
    assert not running.running
    assert not _is_alive(pid)
    running.stop()  # a second stop is harmless


def _python(script: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(script)]


_ENV = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


def test_server_is_stopped_at_interpreter_exit() -> None:
    script = """
        from recurrentgpt.local_llm import LocalLLMServer
        print(LocalLLMServer().pid, flush=True)
    """
    done = subprocess.run(_python(script), capture_output=True, text=True, env=_ENV, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _wait_until_dead(int(done.stdout.strip()), timeout=5)


def test_server_exits_when_its_parent_is_killed() -> None:
    script = """
        import time
        from recurrentgpt.local_llm import LocalLLMServer
        print(LocalLLMServer().pid, flush=True)
        time.sleep(120)
    """
    parent = subprocess.Popen(_python(script), stdout=subprocess.PIPE, text=True, env=_ENV)
    try:
        assert parent.stdout is not None
        server_pid = int(parent.stdout.readline())
        assert _is_alive(server_pid)
    finally:
        parent.kill()
        parent.wait()
    assert _wait_until_dead(server_pid, timeout=10)


def test_singleton_is_shared_and_replaced_when_dead() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        servers = list(pool.map(lambda _: get_local_server(), range(4)))
    first = servers[0]
    try:
        assert all(each is first for each in servers)
        assert first.running
    finally:
        first.stop()
    replacement = get_local_server()
    try:
        assert replacement is not first
        assert replacement.running
    finally:
        replacement.stop()


async def test_a_killed_server_is_restarted_and_the_request_goes_through() -> None:
    # The cached chat model keeps the dead server's URL: the new one must answer there.
    from langchain_core.messages import HumanMessage

    from recurrentgpt.context import Context
    from recurrentgpt.llm import ask_text
    from recurrentgpt.services import build_chat_model

    model = build_chat_model("local:default", context=Context(), max_tokens=40)
    first = get_local_server()
    os.kill(first.pid, 9)
    assert _wait_until_dead(first.pid, timeout=10)
    try:
        reply = await ask_text(
            model, [HumanMessage("Say hello to the lighthouse keeper.")], role="writer", min_words=1
        )
        assert reply.strip()
        revived = get_local_server()
        assert revived is not first and revived.running
        assert revived.port == first.port
    finally:
        get_local_server().stop()


def test_start_failure_reports_the_server_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(local_llm.CACHE_DIR_ENV, str(tmp_path))
    not_a_model = tmp_path / "broken.gguf"
    not_a_model.write_bytes(b"this is not a GGUF file")
    with pytest.raises(LocalLLMError, match="exited with code"):
        LocalLLMServer(not_a_model)


def test_a_cache_with_only_the_shipped_file_serves_its_q8_0_re_encoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cache installed before the re-encoding holds only the wheel's Q4_1 file.
    installed = local_llm.find_default_model().with_name(local_llm.SHIPPED_FILENAME)
    monkeypatch.setenv(local_llm.CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(local_llm.MODEL_PATH_ENV, raising=False)
    (tmp_path / local_llm.SHIPPED_FILENAME).symlink_to(installed)

    served = local_llm.find_default_model()

    assert served == tmp_path / local_llm.MODEL_FILENAME
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [local_llm.SHIPPED_FILENAME, local_llm.MODEL_FILENAME]
    )  # no partial file left behind
    model = llama_cpp.Llama(model_path=str(served), n_ctx=256, n_threads=1, verbose=False)
    assert model.metadata.get("general.file_type") == str(llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0)
    assert model.tokenize(b"lighthouse")
    assert local_llm.install_default_model() == served  # already there: nothing redone


def test_a_failed_re_encoding_names_the_file_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(local_llm.CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(local_llm.MODEL_PATH_ENV, raising=False)
    (tmp_path / local_llm.SHIPPED_FILENAME).write_bytes(b"truncated download")

    with pytest.raises(LocalLLMError, match=r"Could not re-encode .*Q4_1\.gguf as Q8_0"):
        local_llm.find_default_model()
    assert [p.name for p in tmp_path.iterdir()] == [local_llm.SHIPPED_FILENAME]
