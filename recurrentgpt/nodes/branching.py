"""Time travel in long-term memory: when writing at a position starts a new branch.

Rewinding a novel to an earlier checkpoint and writing from there must not
overwrite, nor later retrieve, what the abandoned timeline wrote. Writes go to
the current branch unless that branch already holds a different future; then a
new branch is opened that inherits everything before the write position.
"""

from __future__ import annotations

import uuid

from recurrentgpt.long_term_memory import LongTermMemory
from recurrentgpt.nodes.common import MAIN_BRANCH
from recurrentgpt.state import BranchSegment, State

_BRANCH_NAMESPACE = uuid.UUID("8d3c6a52-52c3-4d55-b7a1-0e4f2b1c9e77")


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
    novel_id = state["novel_id"]
    branch_id = state.get("branch_id") or MAIN_BRANCH
    segments = list(state.get("inherited_segments") or [])
    if not await memory.has_paragraphs_after(novel_id, branch_id, position):
        existing = await memory.get(novel_id, branch_id, position)
        if existing is None or existing.text == text:
            return branch_id, segments
    inherited = BranchSegment(branch_id=branch_id, last_position=position - 1)
    fork_key = f"{novel_id}/{branch_id}/{position}/{text}"
    return uuid.uuid5(_BRANCH_NAMESPACE, fork_key).hex[:12], [*segments, inherited]
