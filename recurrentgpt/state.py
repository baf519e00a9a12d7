"""The state carried from one RecurrentGPT step to the next.

The state is deliberately bounded: it holds the last paragraph, the short-term
memory, three plans, the k retrieved passages, the book outline and the capped
story bible, never the manuscript. The full text lives in long-term memory
(Qdrant payloads), so checkpoint bytes per step stay flat however long the
novel grows. The outline and the bible live here, in checkpointed state, so a
fork sees them as they were at its fork point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError
from typing_extensions import TypedDict

from recurrentgpt.books.manuscript import Manuscript
from recurrentgpt.story.bible import KINDS, BibleEntry
from recurrentgpt.story.outline import Chapter

Status = Literal["new", "writing", "finished", "stopped"]
Form = Literal["novel", "fiction"]


class BranchSegment(TypedDict):
    """A stretch of one branch of the novel that the current branch inherits."""

    branch_id: str
    """Branch whose paragraphs are inherited."""
    last_position: int
    """Last paragraph position inherited from that branch (inclusive)."""


class InputState(TypedDict, total=False):
    """What a caller gives to start (or extend) a novel.

    All fields are optional when continuing an existing thread; ``premise`` is
    required for a new novel.
    """

    premise: str
    """What the novel is about (the paper's 'topic')."""
    genre: str
    """Genre or type, e.g. 'science fiction'."""
    language: str
    """Language the novel is written in, e.g. 'English' or 'Chinese'."""
    novel_id: str
    """Namespace of the novel's long-term memory. Default: derived from the thread id."""
    target_steps: int
    """Stop after this many paragraphs written after the opening (0: no limit)."""
    target_words: int
    """Stop once the novel holds this many words (0: no limit)."""
    manuscript: str | Manuscript
    """A manuscript to continue instead of writing an opening: Markdown text, or chapters of
    paragraphs (``Book.as_input()``). Read once by the import node and then cleared."""


class ImportedManuscript(TypedDict):
    """What an imported manuscript brought: where the new writing starts from."""

    chapters: int
    """Chapters imported (the last one is the chapter the writing continues)."""
    paragraphs: int
    """Paragraphs imported."""
    words: int
    """Words imported."""
    last_chapter_paragraphs: int
    """Paragraphs of the last chapter counted toward its length (below paragraphs_per_chapter)."""


def checked_text(field: str) -> Any:
    """A reducer that replaces the text of ``field`` and refuses anything but text.

    Edits reach the state through ``update_state`` as well as through the pause, and
    LangGraph does not check them against the state's types: a wrong type would
    otherwise break the next step with a traceback, far from the edit.
    """

    def replace(current: Any, update: Any) -> str:
        if not isinstance(update, str):
            raise ValueError(f"{field} must be text, got {type(update).__name__}")
        return update

    replace.__name__ = f"checked_{field}"
    return replace


def _refuse(field: str, shape: str, found: Any) -> ValueError:
    return ValueError(f"{field} must be {shape}; got {str(found)[:120]!r}")


def checked_outline(current: Any, update: Any) -> list[Chapter]:
    """Replace the book outline with ``update`` if it is a list of {title, arc} texts."""
    shape = "a list of chapters {title, arc} (texts)"
    if not isinstance(update, list):
        raise _refuse("book_outline", shape, update)
    for chapter in update:
        if not (
            isinstance(chapter, Mapping)
            and isinstance(chapter.get("title"), str)
            and isinstance(chapter.get("arc"), str)
        ):
            raise _refuse("book_outline", shape, chapter)
    return [Chapter(title=chapter["title"], arc=chapter["arc"]) for chapter in update]


def checked_bible(current: Any, update: Any) -> list[BibleEntry]:
    """Replace the bible with ``update`` if its entries have a name and facts (texts).

    An entry's missing ``last_step`` counts as 0 and an unknown ``kind`` as a
    thread, as for an entry written at the pause.
    """
    shape = f"a list of entries {{name, kind, facts}} (kind one of {', '.join(KINDS)})"
    if not isinstance(update, list):
        raise _refuse("bible", shape, update)
    entries: list[BibleEntry] = []
    for entry in update:
        last_step = entry.get("last_step", 0) if isinstance(entry, Mapping) else None
        if not (
            isinstance(entry, Mapping)
            and isinstance(entry.get("name"), str)
            and entry["name"].strip()
            and isinstance(entry.get("facts"), str)
            and isinstance(last_step, int)
            and not isinstance(last_step, bool)
        ):
            raise _refuse("bible", shape, entry)
        kind = entry.get("kind")
        entries.append(
            BibleEntry(
                name=entry["name"],
                kind=kind if kind in KINDS else "thread",
                facts=entry["facts"],
                last_step=last_step,
            )
        )
    return entries


def checked_pending_edits(current: Any, update: Any) -> dict[str, Any]:
    """Replace the pending edits with ``update`` if each is a valid answer field at the pause."""
    if not isinstance(update, Mapping):
        raise _refuse("pending_edits", "a mapping of answer fields to values", update)
    unknown = sorted(str(name) for name in update if name not in HumanDecision.model_fields)
    if unknown:
        raise ValueError(
            f"pending_edits names {', '.join(unknown)}; it may hold: "
            f"{', '.join(HumanDecision.model_fields)}"
        )
    try:
        HumanDecision.model_validate(dict(update))
    except ValidationError as error:
        raise ValueError(f"pending_edits cannot be used: {error}") from error
    return dict(update)


class State(InputState, total=False):
    """Everything one step needs, and nothing that grows with the novel."""

    status: Status
    """Where the novel is in its life cycle."""
    form: Form
    """'novel', or 'fiction' (the reader is the protagonist): chosen once, at the opening."""
    ending: str
    """Fiction: the kind of ending the last scene wrote (e.g. 'triumph', 'death'), else ''."""
    title: str
    """Title chosen by the opening."""
    book_outline: Annotated[list[Chapter], checked_outline]
    """The chapters planned so far, each with a title and a one-line arc."""
    chapter: int
    """The chapter being written (1-based)."""
    chapter_start_step: int
    """The step after which the current chapter began (0 for chapter 1)."""
    chapter_outline: Annotated[str, checked_text("chapter_outline")]
    """The detailed plan of the current chapter."""
    bible: Annotated[list[BibleEntry], checked_bible]
    """The story bible: characters, places, objects, open threads (capped)."""
    memory_rationale: str
    """Why the memory updater changed the short-term memory as it did, at the last step."""
    step: int
    """Paragraphs written after the opening (0 right after the opening)."""
    position: int
    """Position of the last paragraph in the whole novel (0-based, opening included)."""
    words_written: int
    """Words in the novel so far (opening included)."""
    last_paragraph: str
    """The most recent paragraph: the recurrence's 'input'."""
    short_term_memory: Annotated[str, checked_text("short_term_memory")]
    """Rolling summary of the recent story, rewritten every step and capped in words."""
    plans: list[str]
    """Three proposals for the next paragraph (replaced every step)."""
    proposed_plans: list[str]
    """Plans the memory updater proposed in its call, for the planner to pass on (empty:
    none usable, or made obsolete by a new chapter plan)."""
    suggested_plan: int
    """The plan (1-3) the planner's call chose for a simulated human that does not revise
    (one call fewer a step); 0: none, the simulated human chooses in a call of its own."""
    chosen_plan: str
    """The plan the next paragraph follows (chosen, edited or written by the human)."""
    retrieved_passages: list[str]
    """The k earlier passages most related to the chosen plan (replaced every step)."""
    retrieved_summaries: list[str]
    """The summaries of ``retrieved_passages``, in the same order: the planner's view of
    them (see :func:`~recurrentgpt.nodes.common.passage_briefs`)."""
    draft_paragraph: str
    """Paragraph written this step, before the memory updater has stored it."""
    branch_id: str
    """Branch of long-term memory the novel currently writes to."""
    inherited_segments: list[BranchSegment]
    """Earlier branches this branch forked from; grows only when a novel is forked."""
    last_decision: dict[str, Any]
    """What the human (or the simulated human) decided at the last pause."""
    imported: ImportedManuscript
    """Set when the novel started from a manuscript instead of an opening."""
    pending_edits: Annotated[dict[str, Any], checked_pending_edits]
    """Edits made at the current pause and not yet applied (a HumanDecision edit field,
    e.g. 'short_term_memory', to its new value). Saved with ``update_state`` as each edit
    is made, so a closed terminal keeps them; the human turn applies and clears them."""
    pause_notice: str
    """Why the person is asked again (e.g. their paragraph edit refreshed the plans);
    shown at the next pause, cleared once they decide."""


class OutputState(TypedDict, total=False):
    """What a caller (or a parent graph) gets back."""

    novel_id: str
    """Namespace of the novel's long-term memory; pass it to export."""
    title: str
    """Title of the novel."""
    status: Status
    """'finished' at the target, 'stopped' when the human stopped."""
    form: Form
    """'novel', or 'fiction' (interactive fiction)."""
    ending: str
    """Fiction: the kind of ending reached ('' before the end)."""
    step: int
    """Paragraphs written after the opening."""
    words_written: int
    """Words in the novel."""
    last_paragraph: str
    """The most recent paragraph."""
    short_term_memory: str
    """The short-term memory at the end."""
    book_outline: list[Chapter]
    """The book outline at the end."""
    bible: list[BibleEntry]
    """The story bible at the end."""


class ChapterEdit(BaseModel):
    """A chapter of the book outline, as a person writes it at the pause."""

    title: str = Field(min_length=1, max_length=200, description="The chapter's title.")
    arc: str = Field(min_length=1, max_length=600, description="What happens, in one line.")


class BibleEntryEdit(BaseModel):
    """A story bible entry, as a person writes it at the pause."""

    name: str = Field(min_length=1, max_length=120, description="Its name in the story.")
    kind: str = Field(default="character", description=f"One of: {', '.join(KINDS)}.")
    facts: str = Field(min_length=1, max_length=1000, description="What is true about it.")


class HumanDecision(BaseModel):
    """The resume value accepted at the human pause (all fields optional).

    Fields combine: ``{"plan_index": 2, "short_term_memory": "..."}`` chooses plan 2
    and replaces the memory. Edits reach the next step's prompts; an edited
    paragraph also replaces its copy in long-term memory and refreshes the
    short-term memory, the bible and the three plans before the next step.
    """

    plan_index: int | None = Field(
        default=None, description="Choose plan 1, 2 or 3 (1-based) for the next paragraph."
    )
    plan: str | None = Field(
        default=None,
        max_length=4000,
        description="Use this text as the plan (replaces or edits the chosen plan).",
    )
    short_term_memory: str | None = Field(
        default=None, max_length=20000, description="Replace the short-term memory."
    )
    paragraph: str | None = Field(
        default=None,
        max_length=20000,
        description="Replace the last paragraph (also in long-term memory).",
    )
    chapter_outline: str | None = Field(
        default=None, max_length=4000, description="Replace the current chapter's plan."
    )
    book_outline: list[ChapterEdit] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Replace the book outline (the chapters in order).",
    )
    bible: list[BibleEntryEdit] | None = Field(
        default=None, max_length=200, description="Replace the story bible (capped when kept)."
    )
    stop: bool = Field(default=False, description="End the novel here (it can be resumed).")
    extend_steps: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="At the pause at the target: write this many more paragraphs.",
    )
