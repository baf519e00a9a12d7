"""The fiction form's turns of the recurrence: the reader's three actions and each scene's plan.

A story in the fiction form runs through the same nodes as a novel (same
retriever, memory updater, bible and checkpoints); the planner and the writer
hand over to these functions for it. The planner offers three short actions
instead of plans; before the last scene each action leads to a different kind
of ending, and the writer's last scene writes the kind of the action taken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_structured
from recurrentgpt.nodes.common import (
    choice_fields,
    frame_fields,
    passage_briefs,
    passages_text,
    steps_left,
    templates_for,
)
from recurrentgpt.prompts import fiction as prompt
from recurrentgpt.state import State
from recurrentgpt.story import fiction
from recurrentgpt.story.outline import ENDING_STEPS

FALLBACK_ACTIONS = (
    "You look around carefully before you act.",
    "You press on, whatever waits ahead.",
    "You turn back and try another way.",
)
"""Offered (in English stories) in place of an action the model could not phrase."""


def actions_note(state: State, context: Context) -> str:
    """What the three actions must do at this point of the story's arc."""
    left = steps_left(state, context)
    if left is not None and left <= 1:
        first, second, third = fiction.ending_kinds(state.get("genre") or "")
        return prompt.ACTIONS_LAST.format(first=first, second=second, third=third)
    if left is not None and left <= ENDING_STEPS:
        return prompt.ACTIONS_NEAR_END.format(left=left)
    return prompt.ACTIONS_GO_ON


async def propose_reader_actions(model: BaseChatModel, context: Context, state: State) -> list[str]:
    """Three short, different actions the reader could take after ``state``'s last scene.

    An action that is not words of the story's language is retried; if every
    attempt has one, an English story offers a plain fallback action instead.
    Once the story has ended (its target reached) there is nothing to choose:
    no actions, and no model call.
    """
    if steps_left(state, context) == 0:
        return []
    language = state.get("language") or "English"

    def not_actions(reply: prompt.ReaderActions) -> str | None:
        problems = (fiction.offered_action_problem(a, language) for a in reply.actions)
        return next(filter(None, problems), None)

    def mend(reply: prompt.ReaderActions) -> prompt.ReaderActions | None:
        if language.strip().lower() != "english":
            return None
        mended = {
            f"action_{number}": fallback
            if fiction.offered_action_problem(action, language)
            else action
            for number, (action, fallback) in enumerate(
                zip(reply.actions, FALLBACK_ACTIONS, strict=True), 1
            )
        }
        return reply.model_copy(update=mended)

    reply = await ask_structured(
        model,
        prompt.ReaderActions,
        templates_for(context).messages(
            "planner",
            {
                **frame_fields(state, context),
                "retrieved_passages": passages_text(passage_briefs(state)),
                "actions_note": actions_note(state, context),
            },
        ),
        role="planner",
        method=context.structured_output_method,
        max_attempts=context.max_attempts,
        outage_seconds=context.model_outage_seconds,
        feedback=context.retry_feedback,
        reject=not_actions,
        repair=mend,
    )
    return [" ".join(action.split()) for action in reply.actions]


async def choose_as_reader(model: BaseChatModel, context: Context, state: State) -> int:
    """The simulated reader's choice among the three actions (1-based)."""
    reply = await ask_structured(
        model,
        prompt.ReaderChoice,
        templates_for(context).messages("human", choice_fields(state, context)),
        role="human",
        method=context.structured_output_method,
        max_attempts=context.max_attempts,
        outage_seconds=context.model_outage_seconds,
        feedback=context.retry_feedback,
    )
    return int(reply.chosen_action)


def scene_plan(state: State, context: Context) -> tuple[str, dict[str, Any]]:
    """The plan the writer follows for the next scene, and the state it records.

    For a novel: the chosen plan, nothing recorded. For fiction: the reader's
    action; before the last scene the action also names the ending it leads to,
    and that kind is recorded as the story's ``ending``.
    """
    plan = state.get("chosen_plan", "")
    if not fiction.is_fiction(state):
        return plan, {}
    left = steps_left(state, context)
    if left is None or left > 1:
        return plan + prompt.NEXT_SCENE, {"ending": ""}
    kind = fiction.ending_of_choice(list(state.get("plans") or []), plan, state.get("genre") or "")
    if kind == fiction.OWN_ACTION:
        return plan + prompt.OWN_ENDING_SCENE, {"ending": kind}
    return plan + prompt.ENDING_SCENE.format(kind=kind), {"ending": kind}


def scene_check(state: State) -> Callable[[str], str | None] | None:
    """The extra check of a written scene: told in the second person, for fiction."""
    if not fiction.is_fiction(state):
        return None
    language = state.get("language") or "English"
    return lambda paragraph: fiction.second_person_problem(paragraph, language)
