"""The memory updater (``memory.txt``): short-term memory, a summary, bible changes and plans."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class BibleChange(BaseModel):
    """Something the new paragraph introduces or changes."""

    # Field descriptions are sent with every call (the tool schema): the prompt
    # explains each field, so they stay a few words long.
    name: str = Field(description="Its name.", min_length=1, max_length=60)
    kind: Literal["character", "place", "object", "thread"] = Field(
        description="A thread is an open question."
    )
    fact: str = Field(description="One short sentence.", min_length=3, max_length=200)


class MemoryUpdate(BaseModel):
    """The reply of the memory updater."""

    rationale: str = Field(
        description="What to drop and what to add.",
        min_length=1,
        max_length=800,
    )
    updated_memory: str = Field(
        description="The new short-term memory.", min_length=20, max_length=3000
    )
    paragraph_summary: str = Field(
        description="The new paragraph in one or two sentences.",
        min_length=10,
        max_length=400,
    )
    bible_changes: list[BibleChange] = Field(
        default_factory=list,
        description="New or changed facts (may be empty).",
        max_length=3,
    )
    next_plans: list[str] = Field(
        default_factory=list,
        description="Three plans for the paragraph after it.",
        max_length=3,
    )


PLANS_TASK = (
    "5. Next plans: three clearly different plans for the paragraph after the new one, which "
    "is {progress}"
)
"""The memory template's ``$plans_task`` when the memory updater proposes the plans
(``Context.plans_by == "memory"``); empty otherwise. ``{progress}`` is the frame's
progress line for the paragraph the plans are for (the frame's own line is about the
new paragraph)."""

EDITED_PARAGRAPH = (
    "(The person rewrote the last paragraph: the new paragraph below replaces it. Update the "
    "memory to match it.)"
)
"""Stands for the last paragraph when the memory is refreshed after a person's edit."""
