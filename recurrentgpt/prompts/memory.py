"""The memory updater (``memory.txt``): short-term memory, a summary, bible changes and plans."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema


class BibleChange(BaseModel):
    """Something the new paragraph introduces or changes."""

    name: str = Field(description="Its name in the story.", min_length=1, max_length=60)
    kind: Literal["character", "place", "object", "thread"] = Field(
        description="character, place, object or thread (an open question)."
    )
    fact: str = Field(description="The new fact, one short sentence.", min_length=3, max_length=200)


Rationale = Annotated[
    str,
    Field(
        description="What to drop from the memory and what to add, and why.",
        min_length=1,
        max_length=800,
    ),
]
ParagraphSummary = Annotated[
    str,
    Field(
        description="One or two sentences summarising the new paragraph.",
        min_length=10,
        max_length=400,
    ),
]
BibleChanges = Annotated[
    list[BibleChange],
    Field(description="Up to three new or changed story facts (may be empty).", max_length=3),
]
NextPlans = Annotated[
    list[str],
    Field(
        description="Three clearly different plans for the paragraph after the new one.",
        max_length=3,
    ),
]
"""The fields both replies of the memory updater share (a rewrite and edits), defined once."""


class MemoryUpdate(BaseModel):
    """The reply of the memory updater."""

    WIRE_FIELD_DESCRIPTIONS: ClassVar[bool] = False
    """``memory.txt`` names every field: the tool schema goes without the descriptions below."""

    rationale: Rationale
    updated_memory: str = Field(
        description="The rewritten short-term memory.", min_length=20, max_length=3000
    )
    paragraph_summary: ParagraphSummary
    bible_changes: BibleChanges = Field(default_factory=list)
    next_plans: NextPlans = Field(default_factory=list)


class MemoryUpdateWithoutPlans(MemoryUpdate):
    """The reply of the memory updater."""

    WIRE_NAME: ClassVar[str] = "MemoryUpdate"
    """Sent under the same tool name: the same role, asked for one field fewer."""

    next_plans: SkipJsonSchema[list[str]] = Field(default_factory=list, max_length=3)
    """Left out of the tool schema when the memory updater is not asked for plans:
    a model generates every field a schema offers (SmolLM2 filled it with headings)."""


MAX_DROPPED_SENTENCES = 8
"""Most sentences one edit drops (the oldest also go when the memory is over its cap)."""


class MemoryEdits(BaseModel):
    """The reply of a memory updater that edits the memory (``Context.memory_update``)."""

    WIRE_NAME: ClassVar[str] = "MemoryUpdate"
    """Sent under the same tool name: the same role, asked for edits."""
    WIRE_FIELD_DESCRIPTIONS: ClassVar[bool] = False
    """``memory.txt`` names every field: the tool schema goes without the descriptions below."""

    rationale: Rationale
    dropped_sentences: list[int] = Field(
        default_factory=list,
        description="Numbers of the memory's sentences that no longer matter.",
        max_length=MAX_DROPPED_SENTENCES,
    )
    paragraph_summary: ParagraphSummary
    bible_changes: BibleChanges = Field(default_factory=list)
    next_plans: NextPlans = Field(default_factory=list)


class MemoryEditsWithoutPlans(MemoryEdits):
    """The reply of a memory updater that edits the memory, asked for no plans."""

    next_plans: SkipJsonSchema[list[str]] = Field(default_factory=list, max_length=3)
    """Left out of the tool schema, as in :class:`MemoryUpdateWithoutPlans`."""


REWRITE_TASK = "Updated memory: at most {max_words} words."
"""The memory template's ``$memory_task`` when the memory updater rewrites the memory."""

EDITS_TASK = (
    "Dropped sentences: the numbers of the memory's sentences that no longer matter (none if "
    "all still do). The summary below is added to the memory as it stands."
)
"""The memory template's ``$memory_task`` when it edits the memory (the numbers are the
frame's, see :func:`recurrentgpt.story.short_term.numbered`)."""

PLANS_TASK = (
    "5. Next plans: three clearly different plans for the paragraph after the new one, which "
    "is {progress}"
)
"""The memory template's ``$plans_task`` when the memory updater proposes the plans
(``Context.memory_updater_plans``); empty otherwise. ``{progress}`` is the frame's
progress line for the paragraph the plans are for (the frame's own line is about the
new paragraph)."""

EDITED_PARAGRAPH = (
    "(The person rewrote the last paragraph: the new paragraph below replaces it. Update the "
    "memory to match it.)"
)
"""Stands for the last paragraph when the memory is refreshed after a person's edit."""
