"""The planner: three different plans for the next paragraph.

When the memory updater already proposed three usable plans in its call
(``proposed_plans``), the planner passes them on without a call of its own.
In auto mode, a simulated human that only chooses (does not revise) has its
choice made in the planner's call: one call fewer a step.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import LLMReplyError, ask_structured
from recurrentgpt.nodes.common import (
    frame_fields,
    passage_briefs,
    passages_text,
    templates_for,
)
from recurrentgpt.nodes.reader import propose_reader_actions
from recurrentgpt.prompts import planner as prompt
from recurrentgpt.services import Services, chat_model_for
from recurrentgpt.state import State
from recurrentgpt.story import outline as story_outline
from recurrentgpt.story.fiction import is_fiction
from recurrentgpt.story.replies import is_cjk_language, plan_problem
from recurrentgpt.text import drop_unfinished_sentence

PLAN_CHARS = 600
"""Longest plan the planner's schema allows, in characters."""

logger = logging.getLogger(__name__)


def chapter_plan(state: State) -> str:
    """The chapter's own plan as one plan (the chapter planner checked it), else its arc.

    Empty only when neither is known (a person emptied both).
    """
    plan = state.get("chapter_outline") or ""
    if not plan.strip():
        outlined = story_outline.outlined_chapter(
            list(state.get("book_outline") or []), state.get("chapter", 1)
        )
        plan = outlined["arc"] if outlined else ""
    return " ".join(plan.split())[:PLAN_CHARS]


class Proposal(NamedTuple):
    """Three plans, and the one the simulated human chose in the same call (0: none)."""

    plans: list[str]
    choice: int = 0


def chooses_for_simulated_human(context: Context) -> bool:
    """Whether the planner's call also makes the simulated human's choice.

    So it does in auto mode when the simulated human only chooses (it revises
    nothing) and plays the planner's model: its separate call would read the same
    frame again, then the plans, to give a reason and a number (about 2 s a step
    with the bundled model). A person, or a simulated human that revises, decides
    at the human turn as before.
    """
    return (
        context.mode == "auto"
        and not context.simulated_human_revises
        and context.model_for("human") == context.model_for("planner")
    )


async def propose_three_plans(
    model: BaseChatModel, context: Context, state: State, *, choose: bool = False
) -> Proposal:
    """Propose three different plans for the paragraph after ``state``'s last paragraph.

    The prompt is the shared frame of ``state``, then the summaries of the
    passages retrieved at the last step. A plan that does not read as a plan in the novel's language
    is retried; when every attempt is spent (with compact prompts, a small
    model's, as soon as one plan is usable), usable plans are kept and the rest
    give way to the chapter's plan, and in auto mode a planner that never matched
    the schema gives way to it too (see the handler). With ``choose`` the reply
    also gives a reason and chooses one of its plans for the simulated human (a
    plan that gave way is chosen as the chapter's plan that took its place). A
    story in the fiction form gets the reader's three actions, and no choice.
    """
    if is_fiction(state):
        return Proposal(await propose_reader_actions(model, context, state))
    language = state.get("language") or "English"
    title = state.get("title") or ""
    schema = prompt.planner_schema(
        spaced=not is_cjk_language(language), choose=choose, short=context.compact_prompts
    )

    # A small model's reply with one usable plan is kept, its others mended at once:
    # a retry cost it about 2 s and was as likely to miss (40 requests for 21 calls).
    keeps_usable = context.compact_prompts and bool(chapter_plan(state))

    def not_plans(reply: prompt.Plans) -> str | None:
        problems = [plan_problem(plan, language, title=title) for plan in reply.plans]
        if keeps_usable and not all(problems):
            return None
        return next(filter(None, problems), None)

    def mend(reply: prompt.Plans) -> prompt.Plans | None:
        # A plan that is not a plan gives way to the chapter's own plan, which the
        # chapter planner checked: the person still gets three choices to edit.
        fallback = chapter_plan(state)
        if not fallback:
            return None
        mended = {
            f"plan_{number}": fallback if plan_problem(plan, language, title=title) else plan
            for number, plan in enumerate(reply.plans, 1)
        }
        return reply.model_copy(update=mended)

    try:
        plans = await ask_structured(
            model,
            schema,
            templates_for(context).messages(
                "planner",
                {
                    **frame_fields(state, context),
                    "retrieved_passages": passages_text(passage_briefs(state)),
                    "choice_task": prompt.CHOICE_TASK if choose else "",
                },
            ),
            role="planner",
            method=context.structured_output_method,
            max_attempts=context.max_attempts,
            outage_seconds=context.model_outage_seconds,
            feedback=context.retry_feedback,
            reject=not_plans,
            repair=mend,
        )
    except LLMReplyError:
        # No reply even matched the schema, so there is nothing to mend (the bundled
        # model sent three identical plans, attempt after attempt). In
        # auto mode nobody is there to resume the novel, and the simulated human
        # revises the plan it picks, so the chapter's own plan is offered rather than
        # stopping. A person (interactive) is told and resumes; 'auto-first' would
        # write the chapter's plan verbatim, so it stops too.
        fallback = chapter_plan(state)
        if context.mode != "auto" or not fallback or plan_problem(fallback, language):
            raise
        logger.warning("no usable planner reply: the chapter's plan is offered as the plans")
        return Proposal([fallback] * 3, 1 if choose else 0)
    if keeps_usable and (mended := mend(plans)) is not None and mended != plans:
        logger.warning("planner plans that were not plans gave way to the chapter's plan")
        plans = mended
    choice = plans.chosen_plan if isinstance(plans, prompt.PlansAndChoice) else 0
    kept = [plan.strip() for plan in plans.plans]
    if context.compact_prompts:  # a plan its grammar cut (SHORT_PLAN_CHARACTERS) ends a sentence
        kept = [drop_unfinished_sentence(plan) for plan in kept]
    return Proposal(kept, choice)


def make_planner_node(services: Services) -> Any:
    """Build the node that proposes the next three plans."""

    async def propose_plans(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Propose three plans for the next paragraph, or pass the proposed ones on.

        With the plans comes the simulated human's choice when the call makes it.
        """
        proposed = list(state.get("proposed_plans") or [])
        if len(proposed) == 3:
            return {"plans": proposed, "proposed_plans": [], "suggested_plan": 0}
        context = runtime.context or Context()
        model = await chat_model_for(services, "planner", context)
        plans, choice = await propose_three_plans(
            model, context, state, choose=chooses_for_simulated_human(context)
        )
        return {"plans": plans, "proposed_plans": [], "suggested_plan": choice}

    return propose_plans
