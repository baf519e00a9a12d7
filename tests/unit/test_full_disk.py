"""A checkpoint that cannot be written (a full disk) cuts the step short; resume finishes it.

When a task's writes are saved but its step's checkpoint is not, LangGraph's
state snapshot lists no next node, only the task: the novel used to read as
"finished" and ``resume`` did nothing (found by filling a small tmpfs, see
RELIABILITY.md). The checkpointer here is the real SQLite one that fails on cue,
as a full disk makes it fail.

The embedded engine died with SIGBUS on a full disk; its free-space checks are tested
with a faked ``os.statvfs`` and, as root, on real size-limited tmpfs mounts.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from recurrentgpt import build_graph, novels
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory, MemoryDiskFullError, disk
from recurrentgpt.memory.edge_store import EdgeStore
from tests.fakes import FakeServices, ScriptedChatModel
from tests.invariants import check_timeline
from tests.reliability.kills import NOVEL, SETTINGS, check_data_dir, run_cli
from tests.unit.conftest import make_context

WRITE = [
    "write",
    "--premise",
    "A keeper.",
    "--auto-first",
    "--id",
    NOVEL,
    *SETTINGS,
    "--steps",
    "3",
]


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


def paragraph(position: int) -> dict[str, Any]:
    return {
        "novel_id": "n", "branch_id": "main", "position": position, "step": position,
        "chapter": 1, "text": f"Paragraph {position}.", "summary": "",
    }  # fmt: skip


class FakeStatvfs:
    """What ``os.statvfs`` reports for a disk with ``free`` bytes left."""

    def __init__(self, free: int) -> None:
        self.f_bavail, self.f_frsize = free // 4096, 4096


def test_a_store_is_not_created_on_a_disk_without_room_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "edge"
    folder.mkdir()
    store = EdgeStore(str(folder))
    monkeypatch.setattr(disk.os, "statvfs", lambda path: FakeStatvfs(disk.CREATE_BYTES - disk.MIB))
    with pytest.raises(MemoryDiskFullError) as refused:
        store.ensure_collection(64)
    message = str(refused.value)
    assert "\n" not in message and str(folder) in message
    assert "creating the store needs 16.0 MiB" in message and "has 15.0 MiB free" in message
    assert list(folder.iterdir()) == [] and store.dimensions() is None  # nothing written

    monkeypatch.setattr(disk.os, "statvfs", lambda path: FakeStatvfs(disk.CREATE_BYTES))
    store.ensure_collection(64)  # space was freed
    assert store.dimensions() == 64
    store.close()


async def test_a_paragraph_is_not_stored_on_a_disk_about_to_fill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EdgeStore(str(tmp_path))
    memory = LongTermMemory(store, HashingEmbeddings(64))
    await memory.store(**paragraph(0))
    monkeypatch.setattr(disk.os, "statvfs", lambda path: FakeStatvfs(disk.UPSERT_BYTES))
    with pytest.raises(MemoryDiskFullError, match=r"storing 1 paragraph\(s\) needs 4.0 MiB"):
        await memory.store(**paragraph(1))
    assert await memory.count("n") == 1
    monkeypatch.undo()
    await memory.store(**paragraph(1))
    assert await memory.count("n") == 2
    store.close()


@contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """A size-limited tmpfs at ``folder`` (root only: skips otherwise)."""
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_disk_too_small_for_the_store_is_one_line_not_a_sigbus(tmp_path: Path) -> None:
    """A real 6 MiB tmpfs: the engine used to die with SIGBUS (exit 135) creating its shard."""
    with tmpfs(tmp_path / "disk", "6m") as data_dir:
        code, _, errors = run_cli(data_dir, *WRITE)
        assert code == 1, errors
        lines = errors.strip().splitlines()
        assert len(lines) == 1 and "creating the store needs 16.0 MiB" in lines[0], errors
        assert str(data_dir) in lines[0]

        subprocess.run(["mount", "-o", "remount,size=64m", str(data_dir)], check=True)
        code, _, errors = run_cli(data_dir, "resume", NOVEL)
        assert code == 0, errors
        values = check_data_dir(data_dir, final=True)
        assert values["step"] == 3 and values["paragraphs"] == values["position"] + 1


def test_a_disk_that_fills_between_runs_is_one_line_not_a_sigbus(tmp_path: Path) -> None:
    """A real tmpfs filled between runs: opening the store is refused, nothing is lost.

    Opening used to die with SIGBUS even with 40 MiB free (it fills in 39 MiB of holes).
    (A step's store refused on a disk about to fill: the faked statvfs test above; after
    an open that fits, the open's spare covers the next step.)
    """
    with tmpfs(tmp_path / "disk", "96m") as data_dir:
        code, _, errors = run_cli(data_dir, *WRITE[:-1], "1")
        assert code == 0, errors
        filler = data_dir / "filler"
        filler.write_bytes(bytes(disk.free_bytes(str(data_dir)) - 16 * disk.MIB))
        code, _, errors = run_cli(data_dir, "resume", NOVEL, "--steps", "2")
        assert code == 1 and "opening the store needs" in errors, errors
        assert len(errors.strip().splitlines()) == 1

        filler.unlink()  # (the check below opens the store too)
        assert check_data_dir(data_dir)["step"] == 1
        # The refused run had begun the next step (its memory node opens the store).
        code, _, errors = run_cli(data_dir, "resume", NOVEL)
        assert code == 0, errors
        values = check_data_dir(data_dir, final=True)
        assert values["step"] == 3 and values["paragraphs"] == values["position"] + 1
