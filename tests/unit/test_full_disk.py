"""A checkpoint that cannot be written (a full disk) cuts the step short; resume finishes it.

When a task's writes are saved but its step's checkpoint is not, LangGraph's
state snapshot lists no next node, only the task: the novel used to read as
"finished" and ``resume`` did nothing (found by filling a small tmpfs, see
RELIABILITY.md). The checkpointer here is the real SQLite one that fails on cue,
as a full disk makes it fail.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from recurrentgpt import build_graph, novels
from recurrentgpt.memory import LongTermMemory
from tests.fakes import FakeServices, ScriptedChatModel
from tests.invariants import check_timeline
from tests.unit.conftest import make_context


class FillingSaver(AsyncSqliteSaver):
    """SQLite checkpoints until the disk 'fills': every checkpoint after ``room`` fails."""

    room = 0

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
        if self.room <= 0:
            raise sqlite3.OperationalError("database or disk is full")
        self.room -= 1
        return await super().aput(config, checkpoint, metadata, new_versions)


@pytest.mark.parametrize("room", [9, 14])
async def test_a_step_cut_short_by_a_full_disk_reads_as_running_and_resumes(
    tmp_path: Path, memory: LongTermMemory, room: int
) -> None:
    config: Any = {"configurable": {"thread_id": "full"}}
    context = make_context(mode="auto-first")
    async with FillingSaver.from_conn_string(str(tmp_path / "checkpoints.sqlite")) as saver:
        graph = build_graph(FakeServices(ScriptedChatModel(), memory)).compile(checkpointer=saver)
        saver.room = room
        with pytest.raises(sqlite3.OperationalError, match="disk is full"):
            await graph.ainvoke(
                {"premise": "A keeper.", "target_steps": 4},
                config,
                context=context,
                durability="sync",
            )
        cut = await graph.aget_state(config)
        assert novels.status_of(cut) == "running", (cut.next, cut.tasks)

        saver.room = 1_000  # space was freed
        plan = await novels.prepare_resume(graph, "full")
        assert plan.run_input is None and not plan.nothing_to_do
        await graph.ainvoke(plan.run_input, config, context=context, durability="sync")

        done = await graph.aget_state(config)
        assert novels.status_of(done) == "finished" and done.values["step"] == 4
        await check_timeline(memory, done.values)
