"""The opening: a title and the book outline (``start.txt``), then the first paragraphs.

The paper produces the whole opening (title, outline, three paragraphs, summary,
plans) in one call. Here the opening is several small calls: the title and
book outline first (this schema), then chapter 1's detailed plan through the
chapter planner, each opening paragraph through the writer (its plan is
``opening_plan.txt``), the first short-term memory and bible through the memory
updater and the first plans through the planner. Small models satisfy small
schemas reliably, and the opening paragraphs stream like every other paragraph.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

# Re-exported: the number of opening paragraphs belongs to the book's shape.
from recurrentgpt.story.outline import OPENING_PARAGRAPHS as OPENING_PARAGRAPHS

NOTHING_YET = "(The novel begins here.)"
"""Stands for the last paragraph before the first one."""

NO_MEMORY_YET = "(Nothing has happened yet.)"
"""Stands for the short-term memory before the first paragraph."""

ENDING = "The last chapter resolves the story: the novel ends there."
"""The book-outline prompt's word on the ending of a novel with a target."""

OPEN_ENDED = "The novel has no planned end yet: outline its first chapters."
"""The same for a novel without a target."""


class ChapterSketch(BaseModel):
    """One chapter of the book outline."""

    # Short bounds: six chapters must fit the opening's reply token cap.
    title: str = Field(description="Short chapter title.", min_length=2, max_length=60)
    arc: str = Field(
        description="What happens in the chapter, in one line.", min_length=10, max_length=160
    )


class BookOutline(BaseModel):
    """The reply of the opening call: a title and the chapters."""

    title: str = Field(description="Title of the novel.", min_length=2, max_length=120)
    chapters: list[ChapterSketch] = Field(
        description="The chapters in order.", min_length=1, max_length=6
    )
