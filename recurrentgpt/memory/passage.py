"""What long-term memory stores and how a search sees it: plain data, no I/O.

A passage is one paragraph of one novel at a place in its timeline (novel,
branch, position). Its point id is derived from that place, so storing a step
twice (a re-run after a crash) overwrites instead of duplicating. A
:class:`Lineage` names the paragraphs a branch can see: its own up to a
position, and what it inherited from the branches it forked from.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # The state module brings pydantic; reading a novel back does not need it.
    from recurrentgpt.state import BranchSegment

MAIN_BRANCH = "main"
"""Branch id of a novel that was never forked."""

_POINT_NAMESPACE = uuid.UUID("5f1e7c1e-3a52-4e0c-9a43-8f1a2b8c9d10")


@dataclass(frozen=True)
class Passage:
    """One stored paragraph."""

    novel_id: str
    branch_id: str
    position: int
    step: int
    chapter: int
    text: str
    summary: str
    score: float = 0.0
    entities: tuple[str, ...] = field(default=())
    """Names of people, places and objects the paragraph mentions (stored for lexical search)."""
    origin: str = ""
    """The checkpoint the opening was written from (tells a re-run after a crash, which
    overwrites, from a second opening of the same novel id, which branches); empty otherwise."""


def point_id(novel_id: str, branch_id: str, position: int) -> str:
    """The deterministic point id of a paragraph."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{novel_id}/{branch_id}/{position}"))


@dataclass(frozen=True)
class Lineage:
    """The paragraphs one branch of a novel can see, up to a position (inclusive)."""

    novel_id: str
    branch_id: str
    segments: Sequence[BranchSegment]
    up_to_position: int
    branch_ends_here: bool = False
    """True when ``branch_id`` holds nothing past ``up_to_position``: then its
    position bound selects nothing less, and filters leave it out (a bound
    costs a range lookup per candidate: half of an indexed dense search at
    100,000 paragraphs, BENCHMARKS.md figure 3)."""

    def visible_ranges(self) -> list[tuple[str, int | None]]:
        """(branch, last visible position) pairs: the inherited stretches, then the branch.

        The branch's last position is None (no bound) when it ends at ``up_to_position``.
        """
        ranges: list[tuple[str, int | None]] = [
            (s["branch_id"], s["last_position"]) for s in self.segments
        ]
        last = None if self.branch_ends_here else self.up_to_position
        return [*ranges, (self.branch_id, last)]


def payload_of(passage: Passage) -> dict[str, Any]:
    """The payload stored with a passage's point."""
    return {
        "novel_id": passage.novel_id,
        "branch_id": passage.branch_id,
        "position": passage.position,
        "step": passage.step,
        "chapter": passage.chapter,
        "text": passage.text,
        "summary": passage.summary,
        "entities": list(passage.entities),
        "origin": passage.origin,
    }


def passage_from(payload: dict[str, Any], score: float = 0.0) -> Passage:
    """The passage a stored payload describes (payloads written before entities existed too)."""
    return Passage(
        novel_id=payload["novel_id"],
        branch_id=payload["branch_id"],
        position=int(payload["position"]),
        step=int(payload["step"]),
        chapter=int(payload.get("chapter", 1)),
        text=payload["text"],
        summary=payload.get("summary", ""),
        score=score,
        entities=tuple(payload.get("entities") or ()),
        origin=str(payload.get("origin", "")),
    )
