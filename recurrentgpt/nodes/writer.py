"""The writer: the next paragraph, streamed token by token."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_text
from recurrentgpt.nodes.common import (
    frame_fields,
    in_novel_language,
    passages_text,
    templates_for,
    writer_passages,
)
from recurrentgpt.nodes.reader import scene_check, scene_plan
from recurrentgpt.prompts import writer as prompt
from recurrentgpt.services import Services, chat_model_for
from recurrentgpt.state import State
from recurrentgpt.story import bible as story_bible
from recurrentgpt.story.fiction import is_fiction
from recurrentgpt.story.replies import story_only, unrepeated
from recurrentgpt.text import count_words, overlap_ratio, truncate_words

MAX_OVERLAP_WITH_EARLIER_TEXT = 0.5
"""A paragraph sharing more of its 8-word sequences with an earlier one is a copy."""

MIN_STORY_SHARE = 4
"""A small model's paragraph must keep a 1/MIN_STORY_SHARE of the target length in
sentences that tell the story, once its talk about the novel is cut."""

MAX_PLAN_ENTRIES = 3
"""Most bible entries added for the plan on top of those the frame shows."""


def invites_new_character(novel_id: str, step: int, probability: float) -> bool:
    """Decide, reproducibly for a given step, whether to invite a new character."""
    return random.Random(f"{novel_id}/{step}").random() < probability


def plan_entries(state: State, plan: str, shown: str) -> str:
    """Bible entries the plan names that the frame (``shown``) does not show yet."""
    named = story_bible.select_relevant(list(state.get("bible") or []), [plan], MAX_PLAN_ENTRIES)
    extra = [entry for entry in named if f"- {entry['name']} (" not in shown]
    return prompt.PLAN_ENTRIES.format(entries=story_bible.render(extra)) if extra else ""


def frame_lines(state: State) -> tuple[list[str], list[str]]:
    """What of the frame a paragraph must not echo: the titles, then the other lines.

    The titles are the novel's and its chapters'; the other lines its opening
    line ('"Title", a mystery novel.'), premise and chapter arcs.
    """
    chapters = list(state.get("book_outline") or [])
    title = state.get("title") or ""
    titles = [title, *(chapter["title"] for chapter in chapters)]
    frame = [
        f"{title}, a {state.get('genre') or ''} novel",
        state.get("premise") or "",
        *(chapter["arc"] for chapter in chapters),
    ]
    return titles, frame


async def compose_paragraph(
    model: BaseChatModel,
    context: Context,
    state: State,
    *,
    passages: list[str],
    plan: str,
    shown_passages: list[str] | None = None,
    new_character: bool = False,
    reject: Callable[[str], str | None] | None = None,
) -> str:
    """Write the paragraph after ``state``'s last paragraph; streams when streamed.

    The prompt is the shared frame of ``state``, then the passages (as
    ``shown_passages`` when given, e.g. their summaries) and the plan. A reply that
    repeats the last paragraph or one of ``passages`` is retried. With compact
    prompts (a small model) its sentences that describe the novel or (a novel in
    English) talk to "you" are cut (:func:`story_only`), and so are those that
    retell the last paragraph or the passages (:func:`unrepeated`); a reply with
    too little left is retried.
    The paragraph is cut before any loop and capped at twice the target length.
    ``reject`` may name a further problem with a reply (it is retried, softly).
    """
    fields = frame_fields(state, context)
    messages = templates_for(context).messages(
        "writer",
        {
            **fields,
            "retrieved_passages": passages_text(
                passages if shown_passages is None else shown_passages
            ),
            "plan_entries": plan_entries(state, plan, fields["bible"]),
            "plan": plan,
            "words_per_paragraph": context.words_per_paragraph,
            "new_character": prompt.NEW_CHARACTER if new_character else "",
        },
    )
    last_paragraph = state.get("last_paragraph", "")
    language = state.get("language") or context.language
    min_story_words = max(5, context.words_per_paragraph // MIN_STORY_SHARE)

    told_to_reader = is_fiction(state)
    titles, frame = frame_lines(state)

    def story_sentences(paragraph: str) -> str:
        story = story_only(
            paragraph, language, told_to_reader=told_to_reader, titles=titles, frame=frame
        )
        return unrepeated(story, [last_paragraph, *passages])

    def problem_with(paragraph: str) -> str | None:
        for earlier in (last_paragraph, *passages):
            if overlap_ratio(paragraph, earlier) > MAX_OVERLAP_WITH_EARLIER_TEXT:
                return "it repeats an earlier paragraph instead of continuing the story"
        # A small model's talk about the novel was cut (story_only); what is left
        # must still be a paragraph. A hosted writer's prose is checked for such talk
        # only at the opening: a novel about a book says "the book".
        if context.compact_prompts and count_words(paragraph) < min_story_words:
            return "too little of it tells the story: narrate the scene itself"
        return reject(paragraph) if reject else None

    paragraph = await ask_text(
        model,
        messages,
        role="writer",
        min_words=max(5, context.words_per_paragraph // 8),
        max_attempts=context.max_attempts,
        outage_seconds=context.model_outage_seconds,
        feedback=context.retry_feedback,
        reject=problem_with,
        tidy=story_sentences if context.compact_prompts else None,
    )
    return truncate_words(paragraph, 2 * context.words_per_paragraph)


def make_writer_node(services: Services) -> Any:
    """Build the node that writes the next paragraph."""

    async def write_paragraph(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the next paragraph from the frame, the retrieved passages and the plan.

        In the fiction form the plan is the reader's action (the last scene's names
        its ending, recorded as the story's ``ending``).
        """
        context = runtime.context or Context()
        plan, recorded = scene_plan(state, context)
        paragraph = await compose_paragraph(
            await chat_model_for(services, "writer", in_novel_language(context, state)),
            context,
            state,
            passages=state.get("retrieved_passages") or [],
            plan=plan,
            shown_passages=writer_passages(state, context),
            new_character=invites_new_character(
                state.get("novel_id", ""),
                state.get("step", 0) + 1,
                context.new_character_probability,
            ),
            reject=scene_check(state),
        )
        return {"draft_paragraph": paragraph, **recorded}

    return write_paragraph
