"""The book outline: chapters with a title and a one-line arc, sized from the target.

A chapter holds ``paragraphs_per_chapter`` steps; the opening belongs to
chapter 1. The last chapter resolves the story, and the last few paragraphs
are told so.
"""

from __future__ import annotations

import math
import re

from typing_extensions import TypedDict

from recurrentgpt.text import truncate_words, without_markup

OPENING_PARAGRAPHS = 3
"""Paragraphs written by the opening, before the first human turn."""

OPEN_ENDED_CHAPTERS = 3
"""Chapters outlined ahead for a novel without a target."""

MAX_CHAPTERS_AT_ONCE = 6
"""Most chapters the opening outlines in one reply (later ones are outlined when reached)."""

SHOWN_CHAPTERS_AROUND = 1
"""Chapters shown before and after the current one in a prompt's outline window."""

TITLE_WORDS = 12
"""Cap on a chapter title, in words."""

ARC_WORDS = 40
"""Cap on a chapter's one-line arc, in words."""

ENDING_STEPS = 3
"""Paragraphs before the target from which every prompt steers to the ending."""


class Chapter(TypedDict):
    """One chapter of the book outline."""

    title: str
    """The chapter's title."""
    arc: str
    """What happens in the chapter, in one line."""


def paragraphs_planned(target_steps: int, target_words: int, words_per_paragraph: int) -> int:
    """Paragraphs the novel is planned to have after the opening (0: no target)."""
    if target_steps > 0:
        return target_steps
    if target_words > 0:
        return max(1, math.ceil(target_words / words_per_paragraph) - OPENING_PARAGRAPHS)
    return 0


def chapters_planned(paragraphs: int, paragraphs_per_chapter: int) -> int:
    """Chapters a novel of ``paragraphs`` paragraphs gets (0: open-ended)."""
    if paragraphs <= 0:
        return 0
    return max(1, math.ceil(paragraphs / paragraphs_per_chapter))


def chapters_to_outline_first(chapters: int) -> int:
    """How many chapters the opening outlines in its one reply."""
    return min(chapters or OPEN_ENDED_CHAPTERS, MAX_CHAPTERS_AT_ONCE)


def steps_left(
    *, step: int, words_written: int, target_steps: int, target_words: int, words_per_paragraph: int
) -> int | None:
    """Paragraphs left before the target (None: no target).

    A word target is turned into paragraphs at the configured paragraph length.
    """
    if target_steps > 0:
        return max(0, target_steps - step)
    if target_words > 0:
        return max(0, math.ceil((target_words - words_written) / words_per_paragraph))
    return None


def chapter_is_complete(*, step: int, chapter_start_step: int, paragraphs_per_chapter: int) -> bool:
    """Tell whether the current chapter has all its paragraphs after ``step``."""
    return step - chapter_start_step >= paragraphs_per_chapter


_NUMBERED = re.compile(
    r"^\s*chapter\s+(?:\d+|[ivxlc]+|one|two|three|four|five|six|seven|eight|nine|ten)"
    r"\s*[:.)\-\u2013\u2014]\s*(?=\S)",
    re.IGNORECASE,
)
"""A title's own chapter number ("Chapter 1: The Lost Light"), which the book's headings
add again ("Chapter 1: Chapter 1: The Lost Light", the bundled model's on 2026-11-30)."""


def clean_chapter(title: str, arc: str) -> Chapter:
    """A chapter with its title and arc stripped of markup and capped in words.

    The title loses its own "Chapter N:" (a heading numbers it).
    """
    bare_title = _NUMBERED.sub("", without_markup(title))
    return Chapter(
        title=truncate_words(" ".join(bare_title.split()), TITLE_WORDS),
        arc=truncate_words(" ".join(without_markup(arc).split()), ARC_WORDS),
    )


def outlined_chapter(outline: list[Chapter], number: int) -> Chapter | None:
    """Chapter ``number`` (1-based) of ``outline``, or None when the outline does not reach it."""
    return outline[number - 1] if 0 < number <= len(outline) else None


def with_chapter(outline: list[Chapter], number: int, chapter: Chapter) -> list[Chapter]:
    """``outline`` with chapter ``number`` (1-based) added when the outline does not reach it.

    A chapter already outlined is kept as it is (a person's edit wins); the
    outline only ever grows, at its end.
    """
    if number <= len(outline):
        return list(outline)
    return [*outline, chapter]


def render_outline_window(outline: list[Chapter], current: int, total: int) -> str:
    """The part of the book outline a step's prompt shows: bounded whatever the length.

    Shows the chapters around the current one and, when the book has a planned
    end, the last chapter (where the story is heading).
    """
    if not outline:
        return "(no outline yet)"
    numbers = set(range(current - SHOWN_CHAPTERS_AROUND, current + SHOWN_CHAPTERS_AROUND + 1))
    if total and total <= len(outline):
        numbers.add(total)
    lines = []
    for number in sorted(n for n in numbers if 1 <= n <= len(outline)):
        chapter = outline[number - 1]
        mark = " (this chapter)" if number == current else ""
        lines.append(f"Chapter {number}{mark}: {chapter['title']} — {chapter['arc']}")
    size = f"The book has {total} chapters." if total else "The book has no planned end yet."
    return size + "\n" + "\n".join(lines)
