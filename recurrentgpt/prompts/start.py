"""The opening: a title and a first-chapter outline, then guidance for the first paragraphs.

The paper produces the whole opening (title, outline, three paragraphs, summary,
plans) in one call. Here the opening is several small calls: the title and
outline first (this prompt), then each opening paragraph through the writer
prompt, the first short-term memory through the memory prompt and the first
plans through the planner prompt. Small models satisfy small schemas reliably,
and the opening paragraphs stream like every other paragraph.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

SYSTEM = """You are a novelist starting a new {genre} novel. Write everything in {language}.
Reply only through the requested structured format."""

USER = """Start a {genre} novel about: {premise}

Give a title, and an outline of the first chapter in a few sentences: the main character, \
the place, what they want and what goes wrong. Write in {language}."""

OPENING_PARAGRAPHS = 3
"""Paragraphs written before the first human turn."""

OPENING_PLAN = """This is paragraph {number} of {total} of the novel's opening. \
Follow the chapter outline: {outline}"""
"""The writer's plan for each opening paragraph."""

NOTHING_YET = "(The novel begins here.)"
"""Stands for the last paragraph before the first one."""


class NovelOutline(BaseModel):
    """The reply of the opening call."""

    title: str = Field(description="Title of the novel.", min_length=2, max_length=120)
    outline: str = Field(
        description="Outline of the first chapter in a few sentences.",
        min_length=20,
        max_length=1000,
    )
