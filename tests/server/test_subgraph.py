"""The co-writing graph embedded as a node of a parent pipeline (examples/novel_pipeline.py).

The novel's human pause must surface in the parent and be answered through it,
and the novel's checkpoints must live in the parent's checkpointer: a parent
reopened on the same SQLite file (a restart) sees and resumes the paused novel.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from qdrant_client import QdrantClient

from examples.novel_pipeline import build_pipeline
from recurrentgpt.context import Context
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.persistence import open_checkpointer
from tests.fakes import FakeServices, ScriptedChatModel

BRIEF = "A lighthouse keeper finds a brass key.\nGenre: mystery\nParagraphs: 2"
CONTEXT = Context(mode="interactive", embedder="hash:64", words_per_paragraph=40)


def _services() -> FakeServices:
    memory = LongTermMemory(QdrantClient(location=":memory:"), HashingEmbeddings(64))
    return FakeServices(ScriptedChatModel(), memory)


def _config() -> dict[str, Any]:
    return {"configurable": {"thread_id": f"pipeline-{uuid.uuid4().hex}"}}


async def test_the_novels_pause_surfaces_in_the_parent_and_resumes_through_it() -> None:
    parent = build_pipeline(_services()).compile(checkpointer=InMemorySaver())
    config = _config()

    paused = await parent.ainvoke({"brief": BRIEF}, config, context=CONTEXT)

    pause = paused["__interrupt__"][0].value
    assert pause["kind"] == "choose_plan"
    assert pause["title"] == "The Lighthouse"
    assert len(pause["plans"]) == 3
    state = await parent.aget_state(config, subgraphs=True)
    assert state.next == ("novel",)
    assert [i.value for i in state.interrupts] == [pause]
    novel = state.tasks[0].state
    assert novel is not None and not isinstance(novel, dict)
    assert novel.next == ("human",)
    assert novel.values["premise"] == "A lighthouse keeper finds a brass key."
    assert novel.values["genre"] == "mystery"

    after_one = await parent.ainvoke(Command(resume={"plan_index": 2}), config, context=CONTEXT)
    assert after_one["__interrupt__"][0].value["step"] == 1
    at_target = await parent.ainvoke(Command(resume=1), config, context=CONTEXT)
    assert at_target["__interrupt__"][0].value["kind"] == "review_ending"
    finished = await parent.ainvoke(Command(resume={"stop": True}), config, context=CONTEXT)

    assert "__interrupt__" not in finished
    assert finished["status"] == "finished"
    assert finished["step"] == 2
    assert finished["title"] == "The Lighthouse"
    assert finished["blurb"]
    assert (await parent.aget_state(config)).next == ()


async def test_the_parents_checkpointer_holds_the_novel_across_a_restart(tmp_path: Path) -> None:
    services = _services()
    config = _config()
    location = str(tmp_path / "pipeline.sqlite")
    async with open_checkpointer(location) as checkpointer:
        parent = build_pipeline(services).compile(checkpointer=checkpointer)
        await parent.ainvoke({"brief": BRIEF}, config, context=CONTEXT)
        namespaces = {
            saved.config["configurable"]["checkpoint_ns"]
            async for saved in checkpointer.alist(config)
        }
        assert "" in namespaces
        assert any(namespace.startswith("novel:") for namespace in namespaces)

    async with open_checkpointer(location) as reopened:
        parent = build_pipeline(services).compile(checkpointer=reopened)
        state = await parent.aget_state(config, subgraphs=True)
        novel = state.tasks[0].state
        assert novel is not None and not isinstance(novel, dict)
        assert novel.values["step"] == 0
        stopped = await parent.ainvoke(Command(resume="stop"), config, context=CONTEXT)

    assert stopped["status"] == "stopped"
    assert stopped["blurb"]
