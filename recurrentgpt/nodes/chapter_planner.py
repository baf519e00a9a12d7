"""The chapter planner: at each chapter boundary, a detailed plan of the next chapter.

It also extends the book outline: a chapter the outline does not reach yet (a
long novel outlined in parts, or a finished novel given more steps) gets its
title and arc here, from the outline so far, the bible and the memory.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_structured
from recurrentgpt.nodes.common import chapters_total, frame_fields, templates_for
from recurrentgpt.prompts import chapter as prompt
from recurrentgpt.services import Services, chat_model_for
from recurrentgpt.state import State
from recurrentgpt.story import outline as story_outline
from recurrentgpt.story.replies import (
    arc_problem,
    chapter_outline_problem,
    story_only,
    title_problem,
)
from recurrentgpt.text import clean_paragraph, truncate_words

CHAPTER_OUTLINE_WORDS = 150
"""Cap on a chapter's detailed plan, in words."""

MENDED_TITLE_WORDS = 6
"""Words of its arc that title a chapter whose model gave no usable title."""


def chapter_problem(reply: prompt.ChapterPlan, language: str) -> str | None:
    """Why a chapter plan does not read as one (parts that are not words), or None."""
    checks = (
        title_problem(reply.title, language, what="the chapter title"),
        arc_problem(reply.arc, language, what="the chapter arc"),
        chapter_outline_problem(reply.outline, language),
    )
    return next(filter(None, checks), None)


def mend_chapter(
    reply: prompt.ChapterPlan,
    outlined: story_outline.Chapter | None,
    language: str,
    premise: str = "",
) -> prompt.ChapterPlan | None:
    """``reply`` with its parts that are not words replaced from what the story has.

    The book outline's title and arc for the chapter come first, then the
    reply's own usable parts (an arc from its outline, a title from its arc),
    then the ``premise`` as the arc; None when nothing usable is left.
    """
    plan_usable = chapter_outline_problem(reply.outline, language) is None
    if arc_problem(reply.arc, language, what="the chapter arc") is None:
        arc = reply.arc
    else:
        arc = outlined["arc"] if outlined else ""
    if not arc and plan_usable:
        arc = truncate_words(" ".join(reply.outline.split()), story_outline.ARC_WORDS)
    if not arc:
        # The bundled model's book outline had no usable chapter and its chapter plans
        # were markup ("}, {"), three times over (2026-12-01): the premise is the story
        # the chapter has, and a novel that stopped at its start would have nothing.
        arc = truncate_words(" ".join(premise.split()), story_outline.ARC_WORDS)
    if not arc:
        return None
    if title_problem(reply.title, language, what="the chapter title") is None:
        title = reply.title
    else:
        title = outlined["title"] if outlined else ""
    title = title or truncate_words(arc, MENDED_TITLE_WORDS)
    plan = reply.outline if plan_usable else arc
    return reply.model_copy(update={"title": title, "arc": arc, "outline": plan})


async def plan_chapter(
    model: BaseChatModel, context: Context, state: State, number: int
) -> dict[str, Any]:
    """Plan chapter ``number``, starting after ``state``'s step; returns the state update.

    A chapter already in the book outline keeps its title and arc (a person's
    edit wins); a chapter past its end is added to it.
    """
    outline = list(state.get("book_outline") or [])
    total = chapters_total(state, context)
    language = state.get("language") or "English"
    outlined = story_outline.outlined_chapter(outline, number)
    brief = prompt.OUTLINED.format(**outlined) if outlined else prompt.NOT_OUTLINED
    title = state.get("title") or ""

    def tidied(reply: prompt.ChapterPlan) -> prompt.ChapterPlan:
        # Every later prompt shows the chapter's plan: a small model's talk about the
        # task in it ("In this chapter, we delve...", "To plan it up in one line")
        # and markup ("{ {#4962-3781}") would be read as the story at every step.
        if not context.compact_prompts:
            return reply
        outline = story_only(clean_paragraph(reply.outline), language, titles=[title])
        return reply.model_copy(update={"outline": outline})

    reply = await ask_structured(
        model,
        prompt.ChapterPlan,
        templates_for(context).messages(
            "chapter",
            {
                **frame_fields(state, context),
                "chapter_number": number,
                "chapter_total_text": str(total) if total else prompt.OPEN_ENDED_TOTAL,
                "chapter_brief": brief,
                "chapter_ending": prompt.LAST_CHAPTER if total and number >= total else "",
                "paragraphs_per_chapter": context.paragraphs_per_chapter,
            },
        ),
        role="chapter",
        method=context.structured_output_method,
        max_attempts=context.max_attempts,
        outage_seconds=context.model_outage_seconds,
        feedback=context.retry_feedback,
        reject=lambda reply: chapter_problem(tidied(reply), language),
        repair=lambda reply: mend_chapter(
            tidied(reply), outlined, language, state.get("premise") or ""
        ),
    )
    reply = tidied(reply)
    chapter = story_outline.clean_chapter(reply.title, reply.arc)
    book_outline = story_outline.with_chapter(outline, number, chapter)
    # A small model's plan can be all talk, tidied away to nothing (its arc mended
    # in was talk too): the chapter's arc in the book outline stands in, so every
    # later prompt, the opening's plan and the planner's fallback have its story.
    plan = reply.outline if reply.outline.strip() else book_outline[number - 1]["arc"]
    return {
        "book_outline": book_outline,
        "chapter": number,
        "chapter_start_step": state.get("step", 0),
        "chapter_outline": truncate_words(" ".join(plan.split()), CHAPTER_OUTLINE_WORDS),
        # Plans proposed before this chapter was planned do not know it: the planner
        # writes new ones.
        "proposed_plans": [],
    }


def make_chapter_planner_node(services: Services) -> Any:
    """Build the node that plans the next chapter (and extends the book outline)."""

    async def plan_next_chapter(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Plan the chapter after the current one; the next paragraph opens it."""
        context = runtime.context or Context()
        model = await chat_model_for(services, "chapter", context)
        return await plan_chapter(model, context, state, state.get("chapter", 1) + 1)

    return plan_next_chapter
