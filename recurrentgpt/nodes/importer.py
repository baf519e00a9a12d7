"""The import: a novel that starts from the writer's manuscript instead of an opening.

Instead of ``start``, when the input holds a ``manuscript``, this node:

1. reads it (:func:`recurrentgpt.books.book_from_input`): bad input fails here,
   before anything is stored;
2. stores every paragraph in long-term memory, ``IMPORT_BATCH`` at a time (one
   embedding call per batch), reporting progress as custom stream events;
3. has the memory updater read a window at the start of the manuscript and
   ``DIGEST_WINDOWS`` windows at its end: the short-term memory of the last
   part and story bible entries, as after an opening;
4. plans the chapter the writing continues (the last imported one).

Then the planner proposes three plans and the novel pauses, as after an
opening. The model is called at most ``DIGEST_WINDOWS + 2`` times whatever the
manuscript's length (memory updater, chapter plan); embedding costs one call
per batch, linear in the manuscript. Chapter titles come from the manuscript
and each chapter's arc is its first sentence (no model call).

A re-run after a crash stores nothing twice: point ids are derived from
(novel, branch, position), and a batch already stored with the same text is
skipped, so an interrupted import resumes at the batch it stopped in.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from langgraph.runtime import Runtime

from recurrentgpt.books import Book, book_from_input
from recurrentgpt.books.manuscript import (
    PREMISE_WORDS,
    chapter_arc,
    first_words,
    grouped,
    guess_language,
)
from recurrentgpt.context import Context
from recurrentgpt.memory import LongTermMemory, Passage
from recurrentgpt.memory.passage import MAIN_BRANCH
from recurrentgpt.nodes.branching import opening_passages
from recurrentgpt.nodes.chapter_planner import plan_chapter
from recurrentgpt.nodes.common import resolve_novel_id, templates_for
from recurrentgpt.nodes.memory_updater import memory_changes, rewrite_memory
from recurrentgpt.nodes.start import TITLE_FROM_PREMISE_WORDS
from recurrentgpt.prompts import start as start_prompt
from recurrentgpt.services import Services, chat_model_for, long_term_memory_for
from recurrentgpt.state import ImportedManuscript, State
from recurrentgpt.story import outline as story_outline
from recurrentgpt.streaming import send_event
from recurrentgpt.text import count_words, truncate_words

IMPORT_BATCH = 64
"""Paragraphs stored (and embedded) per batch."""
DIGEST_WINDOWS = 3
"""Windows at the end of the manuscript the memory updater reads (the last part)."""
DIGEST_WINDOW_WORDS = 600
"""Words of manuscript per memory-updater call (at least one whole paragraph)."""
IMPORT_PROGRESS = "import_progress"
"""Custom stream event (``stream_mode="custom"``) after each stored batch:
``{"event": "import_progress", "stored": int, "total": int}``."""


def digest_windows(
    paragraphs: list[str], *, count: int = DIGEST_WINDOWS, words: int = DIGEST_WINDOW_WORDS
) -> list[range]:
    """Which paragraphs each memory-updater call reads, in manuscript order.

    The last ``count`` windows of about ``words`` words each, and one at the
    start when it does not overlap them (who and what the story began with).
    """
    windows: list[range] = []
    end = len(paragraphs)
    while end > 0 and len(windows) < count:
        start, size = end - 1, count_words(paragraphs[end - 1])
        while start > 0 and size + count_words(paragraphs[start - 1]) <= words:
            start -= 1
            size += count_words(paragraphs[start])
        windows.insert(0, range(start, end))
        end = start
    if end > 0:
        size, stop = 0, 0
        while stop < end and (stop == 0 or size + count_words(paragraphs[stop]) <= words):
            size += count_words(paragraphs[stop])
            stop += 1
        windows.insert(0, range(0, stop))
    return windows


def book_outline_of(book: Book) -> list[story_outline.Chapter]:
    """The book outline of an imported book: its chapter titles, arcs from first sentences."""
    return [story_outline.clean_chapter(c.title, chapter_arc(c.paragraphs)) for c in book.chapters]


async def _holds_part_of(memory: LongTermMemory, novel_id: str, paragraphs: list[str]) -> bool:
    """Tell whether the main branch is empty or holds the start of this very manuscript.

    Batches are stored in order, so checking the ends of each batch up to the
    first one missing is enough.
    """
    if await memory.has_paragraphs_after(novel_id, MAIN_BRANCH, len(paragraphs) - 1):
        return False
    for first in range(0, len(paragraphs), IMPORT_BATCH):
        for position in (first, min(first + IMPORT_BATCH, len(paragraphs)) - 1):
            stored = await memory.get(novel_id, MAIN_BRANCH, position)
            if stored is None:
                return True
            if stored.text != paragraphs[position]:
                return False
    return True


async def place_manuscript(
    memory: LongTermMemory, novel_id: str, paragraphs: list[str], chapters: list[int]
) -> list[Passage]:
    """The manuscript's paragraphs as passages at positions 0, 1, ... on the right branch.

    The main branch when it is empty or holds (part of) this manuscript: a
    re-run after a crash carries on there, whichever checkpoint it runs from.
    Anything else stored for the novel id keeps its own branch, as with a
    second opening (:func:`~recurrentgpt.nodes.branching.opening_passages`).
    """
    if await _holds_part_of(memory, novel_id, paragraphs):
        placed = [
            Passage(novel_id, MAIN_BRANCH, position, 0, 1, text, "")
            for position, text in enumerate(paragraphs)
        ]
    else:
        placed = await opening_passages(memory, novel_id, paragraphs)
    return [replace(p, chapter=chapters[p.position]) for p in placed]


async def store_manuscript(memory: LongTermMemory, passages: list[Passage]) -> None:
    """Store ``passages`` in batches, skipping batches already stored with the same text."""
    for first in range(0, len(passages), IMPORT_BATCH):
        batch = passages[first : first + IMPORT_BATCH]
        ends = (batch[0], batch[-1])
        stored = [await memory.get(p.novel_id, p.branch_id, p.position) for p in ends]
        if not all(s is not None and s.text == p.text for s, p in zip(stored, ends, strict=True)):
            await memory.store_many(batch)
        send_event({"event": IMPORT_PROGRESS, "stored": first + len(batch), "total": len(passages)})


def make_import_node(services: Services) -> Any:
    """Build the node that starts a novel from the manuscript in its input."""

    async def import_manuscript(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Store the manuscript, build the memories from it and plan its last chapter.

        The manuscript is checked before anything is stored, and cleared from
        the state once imported (the state never holds the manuscript).
        """
        context = runtime.context or Context()
        templates_for(context)
        book = grouped(book_from_input(state.get("manuscript")), context.paragraphs_per_chapter)
        paragraphs = book.paragraphs
        novel_id = resolve_novel_id(state)
        premise = (
            (state.get("premise") or "").strip()
            or book.premise
            or first_words(paragraphs, PREMISE_WORDS)
        )
        language = (
            state.get("language") or book.language or guess_language(paragraphs) or context.language
        )
        title = book.title or truncate_words(premise, TITLE_FROM_PREMISE_WORDS)
        chapter_of = [n for n, c in enumerate(book.chapters, 1) for _ in c.paragraphs]
        memory = await long_term_memory_for(services, context)
        passages = await place_manuscript(memory, novel_id, paragraphs, chapter_of)
        await store_manuscript(memory, passages)

        last_chapter = len(book.chapters)
        counted = min(len(book.chapters[-1].paragraphs), context.paragraphs_per_chapter - 1)
        imported = ImportedManuscript(
            chapters=last_chapter,
            paragraphs=len(paragraphs),
            words=sum(count_words(p) for p in paragraphs),
            last_chapter_paragraphs=counted,
        )
        novel: State = {
            **state,
            "novel_id": novel_id,
            "premise": premise,
            "language": language,
            "title": title,
            "book_outline": book_outline_of(book),
            "imported": imported,
            "step": 0,
            "bible": [],
            "short_term_memory": start_prompt.NO_MEMORY_YET,
            "chapter_outline": "",
        }
        memory_model = await chat_model_for(services, "memory", context)
        for window in digest_windows(paragraphs):
            text = "\n\n".join(paragraphs[i] for i in window)
            before = paragraphs[window.start - 1] if window.start else start_prompt.NOTHING_YET
            at = cast(
                State, {**novel, "chapter": chapter_of[window.stop - 1], "last_paragraph": before}
            )
            # No plans from these calls: the last chapter is planned next, then the plans.
            update = await rewrite_memory(
                memory_model, context, at, new_paragraph=text, next_progress=None
            )
            novel = cast(State, {**novel, **memory_changes(at, update, text)})
        novel = cast(State, {**novel, "chapter": last_chapter, "last_paragraph": paragraphs[-1]})
        chapter_model = await chat_model_for(services, "chapter", context)
        chapter = await plan_chapter(chapter_model, context, novel, last_chapter)
        return {
            "novel_id": novel_id,
            "premise": premise,
            "language": language,
            "status": "writing",
            "title": title,
            "imported": imported,
            "manuscript": "",
            "short_term_memory": novel.get("short_term_memory", ""),
            "memory_rationale": novel.get("memory_rationale", ""),
            "bible": novel.get("bible", []),
            "book_outline": chapter["book_outline"],
            "chapter": last_chapter,
            "chapter_start_step": -counted,
            "chapter_outline": chapter["chapter_outline"],
            "step": 0,
            "position": len(paragraphs) - 1,
            "words_written": imported["words"],
            "last_paragraph": paragraphs[-1],
            "plans": [],
            "proposed_plans": [],
            "chosen_plan": "",
            "retrieved_passages": [],
            "retrieved_summaries": [],
            "draft_paragraph": "",
            "branch_id": passages[0].branch_id,
            "inherited_segments": [],
        }

    return import_manuscript
