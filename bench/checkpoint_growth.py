"""Figure 2: checkpoint bytes written per step (SQLite), ours vs manuscript-in-state.

Both graphs run the package's nodes with the scripted model from a fresh
opening, one ``ainvoke`` per step (as a person resuming after every pause
would). The baseline is the same graph whose state also keeps the whole
manuscript in a list channel (``operator.add``), as a straightforward port of
the reference code would. Bytes are those of the serialized checkpoints,
metadata and pending writes added to the SQLite tables by each step.
"""

from __future__ import annotations

import operator
import os
import sqlite3
import tempfile
from typing import Annotated, Any

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import StateGraph
from langgraph.runtime import Runtime
from qdrant_client import QdrantClient

from bench.common import StoryScript, bench_context
from recurrentgpt import build_graph
from recurrentgpt.context import Context
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.graphs.cowriter import add_cowriter_nodes
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.nodes.memory_updater import make_memory_updater_node
from recurrentgpt.services import Services
from recurrentgpt.state import InputState, OutputState, State
from tests.fakes import FakeServices


class ManuscriptState(State, total=False):
    """The package's state plus the whole manuscript."""

    manuscript: Annotated[list[str], operator.add]
    """Every paragraph written so far."""


def build_manuscript_graph(services: Services) -> StateGraph[Any, Any, Any, Any]:
    """The package's graph wiring over :class:`ManuscriptState`."""
    update_memories = make_memory_updater_node(services)

    async def update_memories_and_manuscript(
        state: ManuscriptState, runtime: Runtime[Context]
    ) -> dict[str, Any]:
        update: dict[str, Any] = await update_memories(state, runtime)
        return {**update, "manuscript": [update["last_paragraph"]]}

    builder = StateGraph(
        ManuscriptState, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    add_cowriter_nodes(
        builder, services, replacements={"memory_updater": update_memories_and_manuscript}
    )
    return builder


def _stored_bytes(path: str) -> int:
    with sqlite3.connect(path) as connection:
        checkpoints = connection.execute(
            "SELECT COALESCE(SUM(LENGTH(checkpoint) + LENGTH(metadata)), 0) FROM checkpoints"
        ).fetchone()[0]
        writes = connection.execute(
            "SELECT COALESCE(SUM(LENGTH(value)), 0) FROM writes"
        ).fetchone()[0]
    return int(checkpoints + writes)


async def measure(design: str, steps: int, folder: str) -> dict[str, Any]:
    """Bytes written to SQLite by each of steps 2 to ``steps + 1`` of a new novel."""
    services = FakeServices(
        StoryScript().model(), LongTermMemory(QdrantClient(":memory:"), HashingEmbeddings(256))
    )
    builder = build_graph(services) if design == "ours" else build_manuscript_graph(services)
    path = os.path.join(folder, f"{design}.sqlite")
    per_step = []
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = builder.compile(checkpointer=saver)
        config: Any = {"configurable": {"thread_id": design}}
        context = bench_context()
        # The opening and step 1 run together (target 0 would mean "no limit").
        opening = {"premise": "A lighthouse keeper.", "target_steps": 1}
        await graph.ainvoke(opening, config, context=context)
        before = _stored_bytes(path)
        for step in range(2, steps + 2):
            await graph.ainvoke({"target_steps": step}, config, context=context)
            after = _stored_bytes(path)
            per_step.append(after - before)
            before = after
    return {"design": design, "bytes_per_step": per_step, "file_bytes": os.path.getsize(path)}


def flatness(per_step: list[int]) -> float:
    """Mean bytes of the last 10 steps over those of steps 12-21 (retrieval is full by then)."""
    return (sum(per_step[-10:]) / 10) / (sum(per_step[10:20]) / 10)


async def run(quick: bool) -> dict[str, Any]:
    """Both designs, 100 steps (quick) or 300 (full)."""
    steps = 100 if quick else 300
    with tempfile.TemporaryDirectory() as folder:
        ours = await measure("ours", steps, folder)
        baseline = await measure("baseline", steps, folder)
    return {
        "steps": steps,
        "ours": ours,
        "baseline": baseline,
        "ours_ratio": flatness(ours["bytes_per_step"]),
        "baseline_ratio": flatness(baseline["bytes_per_step"]),
    }
