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


async def branch_for_write(
    memory: LongTermMemory,
    state: State,
    position: int,
    text: str,
    *,
    replacing: bool = False,
) -> tuple[str, list[BranchSegment]]:
    """Return the branch (and its inherited segments) to store ``text`` at ``position`` on.

    Stays on the current branch when nothing is stored past ``position`` and the
    point at ``position`` is empty, identical (a re-run after a crash) or being
    deliberately replaced (``replacing``: a person edited the latest paragraph).
    Otherwise forks.
    """
    novel_id = state["novel_id"]
    branch_id = state.get("branch_id") or MAIN_BRANCH
    segments = list(state.get("inherited_segments") or [])
    if not await memory.has_paragraphs_after(novel_id, branch_id, position):
        existing = await memory.get(novel_id, branch_id, position)
        if existing is None or replacing or existing.text == text:
            return branch_id, segments
    inherited = BranchSegment(branch_id=branch_id, last_position=position - 1)
    return uuid.uuid4().hex[:12], [*segments, inherited]
