"""What must hold of a saved novel whatever happened to it (bad input, a kill, a fault).

Shared by the property-based tests and the kill harness: the current timeline's
paragraphs in long-term memory are contiguous from position 0, each exactly once,
end at the state's last paragraph, and nothing is stored past it on its branch.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from recurrentgpt.export import read_manuscript
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.memory.passage import MAIN_BRANCH, Passage


async def check_timeline(
    memory: LongTermMemory, values: Mapping[str, Any], *, stray_allowed: bool = False
) -> list[Passage]:
    """Assert the invariants of the novel whose state is ``values``; return its paragraphs.

    ``stray_allowed``: right after a kill, the killed step may have stored its
    paragraph past the last checkpoint (its re-run overwrites it), so that one
    check is skipped.
    """
    passages = await read_manuscript(memory, values)
    positions = [p.position for p in passages]
    assert positions == list(range(len(positions))), f"not contiguous or doubled: {positions}"
    assert len(passages) == values.get("position", -1) + 1, (len(passages), values.get("position"))
    if passages:
        assert passages[-1].text == values.get("last_paragraph"), "last paragraph not stored"
    if passages and not stray_allowed:
        branch = values.get("branch_id") or MAIN_BRANCH
        assert not await memory.has_paragraphs_after(
            values["novel_id"], branch, passages[-1].position
        ), "paragraphs stored past the state's last one"
    json.dumps(dict(values), default=str)  # the state stays plain data
    return passages
