"""Checkpoints: their size stays flat, and a step re-run after a crash duplicates nothing."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from qdrant_client import QdrantClient

from recurrentgpt import build_graph
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.export import read_manuscript
from recurrentgpt.memory import LongTermMemory, Passage
from tests.fakes import FakeServices, ScriptedChatModel
from tests.unit.helpers import PREMISE, all_texts, point_count, snapshot_at

CYCLE_START = ("retriever", "writer", "memory_updater")
"""Next nodes of the checkpoints written before the step counter moves on."""


def bytes_per_step(database: Path, history: list[Any]) -> dict[int, int]:
    """Bytes written to SQLite by each step's cycle: its checkpoints and the writes behind them.

    The cycle of step k writes the checkpoints after human, retriever and writer
    (state step k-1) and after memory_updater and planner (state step k). The
    writes (node outputs) that produced a checkpoint are stored under its parent.
    """
    step_of: dict[str, int] = {}
    produced_by: dict[str, str] = {}
    for snapshot in history:
        if not snapshot.next or snapshot.values.get("step") is None:
            continue
        step = snapshot.values["step"] + (1 if snapshot.next[0] in CYCLE_START else 0)
        if step >= 1:
            checkpoint_id = snapshot.config["configurable"]["checkpoint_id"]
            step_of[checkpoint_id] = step
            if snapshot.parent_config:
                produced_by[snapshot.parent_config["configurable"]["checkpoint_id"]] = checkpoint_id
    sizes: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    with sqlite3.connect(database) as connection:
        checkpoints = connection.execute(
            "SELECT checkpoint_id, length(checkpoint) + length(metadata) FROM checkpoints"
        ).fetchall()
        writes = connection.execute(
            "SELECT checkpoint_id, coalesce(length(value), 0) FROM writes"
        ).fetchall()
    rows = checkpoints + [(produced_by.get(parent), size) for parent, size in writes]
    for checkpoint_id, size in rows:
        if checkpoint_id in step_of:
            sizes[step_of[checkpoint_id]] += size
            counts[step_of[checkpoint_id]] += 1
    assert counts[5] == counts[50] > 5
    return sizes


async def test_checkpoint_bytes_per_step_stay_flat_over_50_steps(
    tmp_path: Path, model: ScriptedChatModel, memory: LongTermMemory, context_factory
) -> None:
    database = tmp_path / "checkpoints.sqlite"
    config = {"configurable": {"thread_id": "long-novel"}}
    async with AsyncSqliteSaver.from_conn_string(str(database)) as saver:
        graph = build_graph(FakeServices(model, memory)).compile(checkpointer=saver)
        await graph.ainvoke(
            {"premise": PREMISE, "target_steps": 50}, config, context=context_factory()
        )
        values = (await graph.aget_state(config)).values
        history = [snapshot async for snapshot in graph.aget_state_history(config)]

    assert values["step"] == 50
    assert len(await read_manuscript(memory, values)) == 53
    sizes = bytes_per_step(database, history)
    print(f"\ncheckpoint bytes written during step 5: {sizes[5]}, during step 50: {sizes[50]}")
    assert sizes[50] <= 1.1 * sizes[5]


class CrashAfterStore(LongTermMemory):
    """Long-term memory whose next write at ``crash_at`` position succeeds, then raises."""

    crash_at: int | None = None

    async def store_many(self, passages: Any) -> None:
        await super().store_many(passages)
        positions = {p.position for p in passages}
        if self.crash_at is not None and self.crash_at in positions:
            self.crash_at = None
            raise ConnectionResetError("simulated crash after the write")


@pytest.mark.parametrize(
    ("crash_at", "node"),
    [(0, "start"), (3, "memory_updater"), (5, "memory_updater")],
    ids=["opening", "first-step", "third-step"],
)
async def test_re_run_after_a_crash_after_the_write_duplicates_nothing(
    model: ScriptedChatModel, context_factory, crash_at: int, node: str
) -> None:
    memory = CrashAfterStore(QdrantClient(":memory:"), HashingEmbeddings(64))
    memory.crash_at = crash_at
    graph = build_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "crashy"}}
    context = context_factory()

    with pytest.raises(ConnectionResetError):
        await graph.ainvoke({"premise": PREMISE, "target_steps": 4}, config, context=context)
    assert (await graph.aget_state(config)).next == (node,)

    await graph.ainvoke(None, config, context=context)

    values = (await graph.aget_state(config)).values
    assert values["status"] == "finished"
    assert values["step"] == 4
    passages = await read_manuscript(memory, values)
    assert [p.position for p in passages] == list(range(7))
    assert point_count(memory, values["novel_id"]) == len(passages) == 7
    assert values["branch_id"] == "main"
    assert not values["inherited_segments"]


async def test_storing_the_same_position_twice_keeps_one_point(memory: LongTermMemory) -> None:
    def passage(text: str) -> Passage:
        return Passage(
            novel_id="n", branch_id="main", position=4, step=2, chapter=1, text=text, summary=""
        )

    await memory.store_many([passage("first version")])
    await memory.store_many([passage("second version")])
    assert point_count(memory, "n") == 1
    stored = await memory.get("n", "main", 4)
    assert stored is not None and stored.text == "second version"


async def test_crash_after_the_first_write_of_a_fork_leaves_no_orphan_copy(
    model: ScriptedChatModel, context_factory
) -> None:
    memory = CrashAfterStore(QdrantClient(":memory:"), HashingEmbeddings(64))
    graph = build_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "fork-crash"}}
    context = context_factory()
    await graph.ainvoke({"premise": PREMISE, "target_steps": 4}, config, context=context)
    old = await snapshot_at(graph, config, 2)
    fork_config = await graph.aupdate_state(old.config, {}, as_node="planner")
    model.overrides["text"] = lambda schema, messages, n: f"FORK {n}: Arlo rowed out to the ship."
    memory.crash_at = 5  # the fork's first paragraph

    with pytest.raises(ConnectionResetError):
        await graph.ainvoke(None, fork_config, context=context)
    await graph.ainvoke(None, config, context=context)

    values = (await graph.aget_state(config)).values
    assert values["status"] == "finished"
    texts = [p.text for p in await read_manuscript(memory, values)]
    assert len(texts) == 7
    stored = all_texts(memory, values["novel_id"])
    # 7 paragraphs on the original timeline, plus the fork's 2 new ones: nothing more.
    assert sum(text == texts[5] for text in stored) == 1
    assert len(stored) == 7 + 2
