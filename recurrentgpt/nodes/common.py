"""Small helpers shared by the nodes: the novel's id, its target and the prompts' frame."""

from __future__ import annotations

import dataclasses
import math
import uuid
from typing import Any

from langgraph.config import get_config

from recurrentgpt.context import Context
from recurrentgpt.prompts import frame as frame_text
from recurrentgpt.prompts.templates import PromptTemplates, load_templates
from recurrentgpt.prompts.writer import NO_PASSAGES
from recurrentgpt.state import State
from recurrentgpt.story import bible as story_bible
from recurrentgpt.story import outline as story_outline
from recurrentgpt.story import short_term
from recurrentgpt.text import last_words
from recurrentgpt.users import owned_novel_id

COMPACT_LAST_PARAGRAPH_WORDS = 80
"""Words of the last paragraph a compact frame shows: its end, which the next paragraph
continues. A small model's paragraph ran to 200-270 words, the largest part of every
prompt of a step, and the writer copied from it."""

_NOVEL_NAMESPACE = uuid.UUID("0b6f2f0e-7d0c-4d5e-9a55-2f3f8f7a6c01")


def templates_for(context: Context) -> PromptTemplates:
    """The prompt templates of this run (the user's folder overrides ours)."""
    return load_templates(context.templates_dir, context.compact_prompts)


def in_novel_language(context: Context, state: State) -> Context:
    """``context`` with the language of ``state``'s novel, which sizes the writer's replies.

    ``Context.language`` names the language of a *new* novel; a novel keeps the
    one it started with, and a Chinese paragraph needs more tokens per word.
    """
    language = state.get("language")
    if not language or language == context.language:
        return context
    return dataclasses.replace(context, language=language)


def novel_fields(state: State) -> dict[str, Any]:
    """The fields of the novel itself, with readable defaults.

    ``form`` selects the fiction form's templates for interactive fiction.
    """
    return {
        "form": state.get("form") or "novel",
        "premise": state.get("premise", ""),
        "genre": state.get("genre") or "fiction",
        "language": state.get("language") or "English",
        "title": state.get("title", ""),
    }


def chapters_total(state: State, context: Context) -> int:
    """Chapters the novel is planned to have, from its target (0: open-ended).

    An imported novel counts its imported chapters, then the new paragraphs
    that do not fit in the chapter it continues.
    """
    if imported := state.get("imported"):
        words_left = max(1, (state.get("target_words") or 0) - imported["words"])
        new = state.get("target_steps") or 0
        if not new and state.get("target_words"):
            new = math.ceil(words_left / context.words_per_paragraph)
        if not new:
            return 0
        room = max(0, context.paragraphs_per_chapter - imported["last_chapter_paragraphs"])
        later = story_outline.chapters_planned(new - room, context.paragraphs_per_chapter)
        return imported["chapters"] + later
    paragraphs = story_outline.paragraphs_planned(
        state.get("target_steps") or 0,
        state.get("target_words") or 0,
        context.words_per_paragraph,
    )
    return story_outline.chapters_planned(paragraphs, context.paragraphs_per_chapter)


def steps_left(state: State, context: Context) -> int | None:
    """Paragraphs left before the target (None: no target)."""
    return story_outline.steps_left(
        step=state.get("step", 0),
        words_written=state.get("words_written", 0),
        target_steps=state.get("target_steps") or 0,
        target_words=state.get("target_words") or 0,
        words_per_paragraph=context.words_per_paragraph,
    )


def progress_note(state: State, context: Context) -> str:
    """Where the next paragraph stands: in its chapter, and against the ending."""
    number = state.get("step", 0) - state.get("chapter_start_step", 0) + 1
    note = frame_text.CHAPTER_PARAGRAPH.format(number=number, total=context.paragraphs_per_chapter)
    left = steps_left(state, context)
    total = chapters_total(state, context)
    if left is not None and left <= 1:
        return note + frame_text.FINAL_PARAGRAPH
    if left is not None and left <= story_outline.ENDING_STEPS:
        return note + frame_text.ENDING_NEAR.format(left=left)
    if total and state.get("chapter", 1) >= total:
        return note + frame_text.LAST_CHAPTER
    return note + (frame_text.OPEN_ENDED if not total else "")


def frame_fields(state: State, context: Context) -> dict[str, Any]:
    """The shared frame of a step's prompts, from ``state``.

    Every call of one step (planner, simulated human, then the next writer and
    memory updater) renders the same frame from the same state, so its text is
    an identical prefix. The bible shows only the entries the memory, the last
    paragraph or the chapter outline name; the book outline only the chapters
    around the current one: both are bounded whatever the novel's length. When
    the memory is edited (``Context.memory_by_edits``) its sentences are numbered.
    A compact frame (a small model's) shows the last paragraph's last
    :data:`COMPACT_LAST_PARAGRAPH_WORDS` words.
    """
    chapter = state.get("chapter", 1)
    outline = list(state.get("book_outline") or [])
    memory = state.get("short_term_memory") or ""
    last_paragraph = state.get("last_paragraph") or ""
    chapter_outline = state.get("chapter_outline") or ""
    current = story_outline.outlined_chapter(outline, chapter)
    relevant = story_bible.select_relevant(
        list(state.get("bible") or []), [memory, last_paragraph, chapter_outline]
    )
    return {
        **novel_fields(state),
        "book_outline": story_outline.render_outline_window(
            outline, chapter, chapters_total(state, context)
        ),
        "chapter_number": chapter,
        "chapter_title": current["title"] if current else "",
        "chapter_outline": chapter_outline or frame_text.NOT_YET,
        "progress": progress_note(state, context),
        "bible": story_bible.render(relevant) or frame_text.NOT_YET,
        "short_term_memory": (
            (short_term.numbered(memory) if context.memory_by_edits else memory)
            or frame_text.NOT_YET
        ),
        "last_paragraph": (
            last_words(last_paragraph, COMPACT_LAST_PARAGRAPH_WORDS)
            if context.compact_prompts
            else last_paragraph
        )
        or frame_text.NOT_YET,
    }


def choice_fields(state: State, context: Context) -> dict[str, Any]:
    """The frame and the three plans (or a reader's three actions) a choice is made among."""
    plans = list(state.get("plans") or [])
    return {
        **frame_fields(state, context),
        "plan_1": plans[0],
        "plan_2": plans[1],
        "plan_3": plans[2],
    }


def passages_text(passages: list[str]) -> str:
    """The retrieved passages as every prompt shows them, numbered.

    One rendering for every role, so the writer's and the memory updater's
    prompts share the passages as a prefix after the frame.
    """
    numbered = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(passages, 1))
    return numbered or NO_PASSAGES


def passage_briefs(state: State) -> list[str]:
    """The retrieved passages as the planner reads them: each passage's summary.

    The planner needs what happened in an earlier passage, not its prose, and its
    prompt follows a frame the memory update has just changed, so nothing after
    that point is served from a prompt cache: three summaries instead of three
    paragraphs is most of the planner's prompt (about 800 of its tokens with the
    bundled model). A passage without its summary (a state from before
    summaries were kept, or passages set by hand) is shown whole.
    """
    passages = list(state.get("retrieved_passages") or [])
    summaries = list(state.get("retrieved_summaries") or [])
    if len(summaries) != len(passages):
        return passages
    return [summary or passage for summary, passage in zip(summaries, passages, strict=True)]


def writer_passages(state: State, context: Context) -> list[str]:
    """The retrieved passages as the writer and the memory updater show them.

    Both show the same text, so that the memory updater's prompt, which starts
    like the writer's, is served from the writer's prompt cache up to the new
    paragraph: summaries when ``context.writer_reads_summaries``, else the passages.
    """
    if context.writer_reads_summaries:
        return passage_briefs(state)
    return list(state.get("retrieved_passages") or [])


def resolve_novel_id(state: State) -> str:
    """The novel's id: given in the input, else derived from the thread id, else random.

    With authentication on it is scoped to the signed-in user
    (:func:`recurrentgpt.users.owned_novel_id`).

    Deriving it from the thread id makes a re-run of the opening after a crash
    write to the same place.
    """
    if state.get("novel_id"):
        # An id from the input is the caller's choice: with authentication on it
        # is scoped to the signed-in user, so it cannot name another user's novel.
        return owned_novel_id(state["novel_id"])
    try:
        thread_id = get_config().get("configurable", {}).get("thread_id")
    except RuntimeError:
        thread_id = None
    if thread_id:
        return owned_novel_id(str(uuid.uuid5(_NOVEL_NAMESPACE, str(thread_id))))
    return owned_novel_id(uuid.uuid4().hex)


def target_reached(state: State) -> bool:
    """Tell whether the novel has reached its target length (steps or words)."""
    target_steps = state.get("target_steps") or 0
    target_words = state.get("target_words") or 0
    if target_steps > 0 and state.get("step", 0) >= target_steps:
        return True
    return target_words > 0 and state.get("words_written", 0) >= target_words
