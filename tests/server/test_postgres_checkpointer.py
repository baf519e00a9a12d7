"""The co-writing graph checkpointed in a real PostgreSQL (langgraph-checkpoint-postgres).

Needs POSTGRES_URI (``scripts/start_postgres.sh`` starts a local server and
prints one). A novel written through one connection is resumed through a second
one, as after a restart, and forked from its history without the forked branch
recalling what the abandoned one wrote.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

pytest.importorskip("langgraph.checkpoint.postgres")

from langgraph.types import Command
from qdrant_client import QdrantClient

from recurrentgpt.context import Context
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.graphs.cowriter import build_graph
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.persistence import open_checkpointer
from tests.fakes import FakeServices, ScriptedChatModel

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("POSTGRES_URI"),
        reason="POSTGRES_URI is not set (start one with scripts/start_postgres.sh)",
    ),
]

RECALL_ALL = Context(mode="interactive", embedder="hash:64", words_per_paragraph=40, retrieval_k=50)


@pytest.fixture
def services() -> FakeServices:
    memory = LongTermMemory(QdrantClient(location=":memory:"), HashingEmbeddings(64))
    return FakeServices(ScriptedChatModel(), memory)


@pytest.fixture
def config() -> dict[str, Any]:
    return {"configurable": {"thread_id": f"novel-{uuid.uuid4().hex}"}}


async def test_a_novel_resumes_through_a_new_connection(
    services: FakeServices, config: dict[str, Any]
) -> None:
    uri = os.environ["POSTGRES_URI"]
    async with open_checkpointer(uri) as checkpointer:
        graph = build_graph(services).compile(checkpointer=checkpointer)
        await graph.ainvoke({"premise": "A keeper finds a key."}, config, context=RECALL_ALL)
        written = await graph.ainvoke(Command(resume=2), config, context=RECALL_ALL)
        assert written["step"] == 1

    async with open_checkpointer(uri) as restarted:
        graph = build_graph(services).compile(checkpointer=restarted)
        state = await graph.aget_state(config)
        assert state.next == ("human",)
        assert state.interrupts[0].value["paragraph"] == written["last_paragraph"]
        resumed = await graph.ainvoke(
            Command(resume={"short_term_memory": "Edited after the restart."}),
            config,
            context=RECALL_ALL,
        )

    assert resumed["step"] == 2
    assert "Edited after the restart." in services.model.prompts_for("text")[-1]


async def test_a_fork_from_history_forgets_the_abandoned_branch(
    services: FakeServices, config: dict[str, Any]
) -> None:
    async with open_checkpointer(os.environ["POSTGRES_URI"]) as checkpointer:
        graph = build_graph(services).compile(checkpointer=checkpointer)
        await graph.ainvoke({"premise": "A keeper finds a key."}, config, context=RECALL_ALL)
        for plan in ("Shared first step.", "Abandoned timeline.", "Abandoned timeline."):
            await graph.ainvoke(Command(resume={"plan": plan}), config, context=RECALL_ALL)
        history = [state async for state in graph.aget_state_history(config)]
        pauses = {s.values["step"]: s for s in history if s.next == ("human",)}
        assert sorted(pauses) == [0, 1, 2, 3]
        abandoned = {pauses[step].values["last_paragraph"] for step in (2, 3)}

        fork = await graph.aupdate_state(
            pauses[1].config, {"short_term_memory": "Forked."}, as_node="planner"
        )
        forked = await graph.ainvoke(Command(resume=1), fork, context=RECALL_ALL)
        for _ in range(2):
            await graph.ainvoke(Command(resume=1), config, context=RECALL_ALL)
        values = (await graph.aget_state(config)).values

    assert forked["step"] == 2
    assert values["step"] == 4
    assert values["branch_id"] != "main"
    # Step 4 recalls every visible paragraph before step 3's; the abandoned step 2
    # shares a position with the forked one and must stay invisible.
    recalled = values["retrieved_passages"]
    assert recalled[3:] == [pauses[1].values["last_paragraph"], forked["last_paragraph"]]
    assert not abandoned & set(recalled)


def test_the_cli_writes_resumes_and_exports_with_postgres_checkpoints(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recurrentgpt.cli import main

    monkeypatch.setenv("RECURRENTGPT_CHECKPOINTS", os.environ["POSTGRES_URI"])
    # A hosted model's settings: the bundled one's writer cuts "Paragraph 3:" labels.
    monkeypatch.setenv("RECURRENTGPT_MODEL", "openai:scripted")
    services = FakeServices(
        ScriptedChatModel(), LongTermMemory(QdrantClient(":memory:"), HashingEmbeddings(64))
    )
    novel = f"pg-{uuid.uuid4().hex[:8]}"
    common = ["--data-dir", str(tmp_path)]
    write = ["write", "--premise", "x", "--steps", "2", "--auto-first", "--id", novel]
    assert main([*common, *write, "--words-per-paragraph", "40"], services=services) == 0
    assert main([*common, "resume", novel, "--steps", "1"], services=services) == 0  # one more
    assert main([*common, "export", novel, "--format", "txt"], services=services) == 0
    exported = (tmp_path / "exports" / f"{novel}.txt").read_text(encoding="utf-8")
    assert exported.count("Paragraph ") == 3
    assert not (tmp_path / "checkpoints.sqlite").exists()
