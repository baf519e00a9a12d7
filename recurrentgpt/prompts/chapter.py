"""The chapter planner (``chapter.txt``): a detailed plan of the next chapter."""

from __future__ import annotations

from pydantic import BaseModel, Field

OUTLINED = 'The book outline calls it "{title}": {arc}'
"""The brief of a chapter the book outline already has (its title and arc are kept)."""

NOT_OUTLINED = (
    "The book outline does not reach this chapter yet: give it a title and an arc that "
    "carry the story on from where it is."
)
"""The brief of a chapter past the end of the book outline."""

LAST_CHAPTER = "This is the last chapter: it resolves the story's open threads and ends the novel."
"""Said when the chapter being planned is the last one."""

OPEN_ENDED_TOTAL = "an open-ended novel"
"""Stands for the chapter count of a novel without a target."""


class ChapterPlan(BaseModel):
    """The reply of the chapter planner."""

    title: str = Field(description="Short chapter title.", min_length=2, max_length=80)
    arc: str = Field(
        description="What happens in the chapter, in one line.", min_length=10, max_length=240
    )
    outline: str = Field(
        description="The chapter's scenes in order, in a few sentences.",
        min_length=20,
        max_length=800,
    )
