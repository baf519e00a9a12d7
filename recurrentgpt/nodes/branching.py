"""Time travel in long-term memory: when writing at a position starts a new branch.

Rewinding a novel to an earlier checkpoint and writing from there must not
overwrite, nor later retrieve, what the abandoned timeline wrote. Writes go to
the current branch unless that branch already holds a different future; then a
new branch is opened that inherits everything before the write position. The
opening follows the same rule: a second, different opening of the same novel id
(the opening re-run from an earlier checkpoint, or a second novel on the same
thread) starts a branch of its own instead of overwriting the first.

Choosing the branch and storing the paragraph is one step per novel within a
process (:func:`novel_write_lock`): two threads sharing a novel id (a copied
thread on the server) that write the same position at once would otherwise both
find it free, and the second would overwrite the first's paragraph on the same
branch. Under the lock the second finds the first's paragraph there and forks.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.config import get_config

from recurrentgpt.memory import LongTermMemory, Passage
from recurrentgpt.memory.passage import MAIN_BRANCH
from recurrentgpt.state import BranchSegment, State
from recurrentgpt.users import owned_novel_id

_BRANCH_NAMESPACE = uuid.UUID("8d3c6a52-52c3-4d55-b7a1-0e4f2b1c9e77")

_WRITE_LOCKS = tuple(threading.Lock() for _ in range(64))
"""Striped locks (a novel id picks one): bounded however many novels a server writes."""
LOCK_POLL_SECONDS = 0.005


@asynccontextmanager
async def novel_write_lock(novel_id: str) -> AsyncIterator[None]:
    """Hold ``novel_id``'s write lock in this process: wrap choosing a branch and storing.

    A thread lock, because a server may run graphs on more than one event loop;
    polled rather than waited on in a worker thread, so a cancelled run never
    leaves it taken.
    """
    lock = _WRITE_LOCKS[zlib.crc32(novel_id.encode()) % len(_WRITE_LOCKS)]
    while not lock.acquire(blocking=False):
        await asyncio.sleep(LOCK_POLL_SECONDS)
    try:
        yield
    finally:
        lock.release()


async def branch_for_write(
    memory: LongTermMemory,
    state: State,
    position: int,
    text: str,
) -> tuple[str, list[BranchSegment]]:
    """Return the branch (and its inherited segments) to store ``text`` at ``position`` on.

    Stays on the current branch when nothing is stored past ``position`` and the
    point at ``position`` is empty or identical (a re-run after a crash).
    Otherwise forks, so every earlier checkpoint keeps reading the text it wrote;
    a person's edit of a stored paragraph forks too. The new branch id is derived
    from the fork point and text, so a re-run after a crash picks the same one.
    """
    novel_id = owned_novel_id(state["novel_id"])
    branch_id = state.get("branch_id") or MAIN_BRANCH
    segments = list(state.get("inherited_segments") or [])
    if not await memory.has_paragraphs_after(novel_id, branch_id, position):
        existing = await memory.get(novel_id, branch_id, position)
        if existing is None or existing.text == text:
            return branch_id, segments
    inherited = BranchSegment(branch_id=branch_id, last_position=position - 1)
    fork_key = f"{novel_id}/{branch_id}/{position}/{text}"
    return uuid.uuid5(_BRANCH_NAMESPACE, fork_key).hex[:12], [*segments, inherited]


async def store_on_branch(
    memory: LongTermMemory,
    state: State,
    *,
    position: int,
    step: int,
    text: str,
    summary: str,
) -> tuple[str, list[BranchSegment]]:
    """Store ``text`` at ``position`` on the branch :func:`branch_for_write` picks.

    Choosing the branch and storing hold the novel's write lock together, so two
    threads of one novel (a copied thread) never both take the same position.
    Returns the branch and its inherited segments, for the state.
    """
    novel_id = owned_novel_id(state["novel_id"])
    async with novel_write_lock(novel_id):
        branch_id, segments = await branch_for_write(memory, state, position, text)
        await memory.store(
            novel_id=novel_id,
            branch_id=branch_id,
            position=position,
            step=step,
            chapter=state.get("chapter", 1),
            text=text,
            summary=summary,
        )
    return branch_id, segments


def _running_checkpoint() -> str:
    """The id of the checkpoint the running node started from ('' outside a graph)."""
    try:
        configurable = get_config().get("configurable", {})
    except RuntimeError:
        return ""
    namespace = configurable.get("checkpoint_ns", "")
    return str((configurable.get("checkpoint_map") or {}).get(namespace, ""))


async def _free_for_opening(
    memory: LongTermMemory, novel_id: str, branch_id: str, paragraphs: list[str], origin: str
) -> bool:
    if await memory.has_paragraphs_after(novel_id, branch_id, len(paragraphs) - 1):
        return False
    first = await memory.get(novel_id, branch_id, 0)
    if first is None or (origin and first.origin == origin):
        return True
    stored = [await memory.get(novel_id, branch_id, p) for p in range(len(paragraphs))]
    return all(s is not None and s.text == t for s, t in zip(stored, paragraphs, strict=True))


async def opening_passages(
    memory: LongTermMemory, novel_id: str, paragraphs: list[str]
) -> list[Passage]:
    """The opening ``paragraphs`` as passages at positions 0, 1, ... on the right branch.

    The main branch when it is empty, or holds only an opening written from the
    same checkpoint (a re-run after a crash overwrites it) or this very opening.
    Any other opening of the same novel id (the opening re-run from an earlier
    checkpoint, or a second novel on the same thread) gets a branch of its own
    that inherits nothing, derived from the checkpoint it runs from.
    """
    origin = _running_checkpoint()
    text_key = "\n".join([novel_id, "opening", origin, *paragraphs])
    candidates = [
        MAIN_BRANCH,
        uuid.uuid5(_BRANCH_NAMESPACE, f"{novel_id}/opening/{origin}").hex[:12],
        uuid.uuid5(_BRANCH_NAMESPACE, text_key).hex[:12],
    ]
    branch_id = candidates[-1]
    for candidate in candidates[:-1]:
        if await _free_for_opening(memory, novel_id, candidate, paragraphs, origin):
            branch_id = candidate
            break
    return [
        Passage(
            novel_id=novel_id,
            branch_id=branch_id,
            position=position,
            step=0,
            chapter=1,
            text=text,
            summary="",
            origin=origin,
        )
        for position, text in enumerate(paragraphs)
    ]
