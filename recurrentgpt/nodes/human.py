"""The human turn: a person (or a simulated one) picks the next plan and edits anything.

Interactive mode pauses with :func:`langgraph.types.interrupt`. The payload
(JSON) is::

    {"kind": "choose_plan", "novel_id": str, "title": str, "step": int,
     "words_written": int, "target_steps": int, "target_words": int,
     "paragraph": str, "short_term_memory": str, "memory_rationale": str,
     "retrieved_passages": [str], "chapter": int, "chapter_outline": str,
     "book_outline": [{"title": str, "arc": str}],
     "bible": [{"name": str, "kind": str, "facts": str, "last_step": int}],
     "plans": [str, str, str], "pending_edits": {field: value},
     "form": "novel" | "fiction", "ending": str, "error": str | None,
     "notice": str | None}

In the fiction form ``plans`` are the reader's three actions and ``plan`` (or
a string) is the reader's own action: one over
:data:`~recurrentgpt.story.fiction.MAX_ACTION_CHARS` characters pauses again
with ``error`` set. ``ending`` names the kind of ending the last scene wrote.

``kind`` is ``"review_ending"`` at the last pause, once the target is reached:
choosing a plan writes one more paragraph from it (``extend_steps`` more with
``extend_steps``), ``extend_steps`` alone extends the book outline and plans a
new chapter with new plans, anything else ends the novel as finished.
``pending_edits`` are edits saved at this pause with
``graph.update_state(config, {"pending_edits": {...}})`` and not yet applied:
the next answer is merged over them (its own fields win), so edits made before
a closed terminal are not lost.

Resume with ``Command(resume=value)`` where value is a
:class:`~recurrentgpt.state.HumanDecision` as a dict (fields combine), or a
shortcut: an int ``i`` (choose plan i, 1-based) or its digits as a string (``"2"``,
what a chat client sends), ``"stop"``, or any other string (use it as the plan).
Send at least one field: LangGraph reads an empty dict as "no answer" and pauses
again. A value that cannot be used (a bad plan number, an
empty text, a memory over the word cap) pauses again with ``error`` set, so
nothing is lost to a typo. An edited paragraph refreshes the short-term memory,
the bible and the three plans before the next step. A person has not seen the
refreshed plans yet, so unless the answer gives its own plan text (or stops,
finishes or extends), the pause comes back with them and ``notice`` says why;
the simulated human's ``plan_index`` picks among them at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal, cast

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from pydantic import ValidationError

from recurrentgpt.context import Context
from recurrentgpt.llm import LLMReplyError, ask_structured
from recurrentgpt.nodes.branching import store_on_branch
from recurrentgpt.nodes.common import (
    choice_fields,
    progress_note,
    target_reached,
    templates_for,
)
from recurrentgpt.nodes.memory_updater import memory_changes, rewrite_memory
from recurrentgpt.nodes.planner import propose_three_plans
from recurrentgpt.nodes.reader import choose_as_reader
from recurrentgpt.prompts import human as prompt
from recurrentgpt.prompts.memory import EDITED_PARAGRAPH
from recurrentgpt.services import Services, chat_model_for, long_term_memory_for
from recurrentgpt.state import HumanDecision, State
from recurrentgpt.story import bible as story_bible
from recurrentgpt.story import fiction
from recurrentgpt.story import outline as story_outline
from recurrentgpt.story.replies import plan_problem
from recurrentgpt.text import count_words

logger = logging.getLogger(__name__)

NextNode = Literal["retriever", "chapter_planner", "human", "__end__"]
TO_RETRIEVER: NextNode = "retriever"
TO_CHAPTER_PLANNER: NextNode = "chapter_planner"
TO_END: NextNode = "__end__"
TO_HUMAN_AGAIN: NextNode = "human"

PLANS_REFRESHED = (
    "Your paragraph edit refreshed the memory and the plans: choose from the new plans."
)

PauseKind = Literal["choose_plan", "review_ending"]

EDITABLE = ("plan", "short_term_memory", "paragraph", "chapter_outline", "book_outline", "bible")
"""Decision fields that edit something (recorded by name in ``last_decision``)."""


def pause_payload(
    state: State, error: str | None = None, kind: PauseKind = "choose_plan"
) -> dict[str, Any]:
    """The JSON shown to the person at the pause."""
    return {
        "kind": kind,
        "novel_id": state.get("novel_id", ""),
        "title": state.get("title", ""),
        "step": state.get("step", 0),
        "words_written": state.get("words_written", 0),
        "target_steps": state.get("target_steps", 0),
        "target_words": state.get("target_words", 0),
        "paragraph": state.get("last_paragraph", ""),
        "short_term_memory": state.get("short_term_memory", ""),
        "memory_rationale": state.get("memory_rationale", ""),
        "retrieved_passages": list(state.get("retrieved_passages") or []),
        "chapter": state.get("chapter", 1),
        "chapter_outline": state.get("chapter_outline", ""),
        "book_outline": [dict(chapter) for chapter in state.get("book_outline") or []],
        "bible": [dict(entry) for entry in state.get("bible") or []],
        "plans": list(state.get("plans") or []),
        "pending_edits": dict(state.get("pending_edits") or {}),
        "form": state.get("form") or fiction.NOVEL,
        "ending": state.get("ending", ""),
        "error": error,
        "notice": state.get("pause_notice") or None,
    }


def merge_pending_edits(decision: HumanDecision, pending: dict[str, Any] | None) -> HumanDecision:
    """``decision`` with the edits saved at the pause filled in where it has none of its own.

    Raises:
        ValueError: a saved edit that is not a valid decision field value.
    """
    known = {
        name: value
        for name, value in (pending or {}).items()
        if name in HumanDecision.model_fields and getattr(decision, name) is None
    }
    if not known:
        return decision
    return HumanDecision.model_validate({**decision.model_dump(exclude_none=True), **known})


def extended_target(state: State, more_steps: int) -> dict[str, int]:
    """The target that lets the novel write ``more_steps`` paragraphs past its current step."""
    return {"target_steps": state.get("step", 0) + more_steps, "target_words": 0}


def chose_plan(decision: HumanDecision) -> bool:
    """Tell whether the answer names the plan to write from (by number or as text)."""
    return decision.plan_index is not None or decision.plan is not None


def ends_at_review(decision: HumanDecision) -> bool:
    """Tell whether an answer at the pause at the target ends the novel (no plan, no extension)."""
    return decision.extend_steps is None and not chose_plan(decision)


def _decision_from(value: Any) -> HumanDecision:
    """The decision a resume value stands for (shortcuts included)."""
    if isinstance(value, HumanDecision):
        return value
    if isinstance(value, bool):
        raise ValueError(f"unusable resume value {value!r}")
    if isinstance(value, int):
        return HumanDecision(plan_index=value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty answer: give a plan number, a plan text or 'stop'")
        if text.isdigit():
            return HumanDecision(plan_index=int(text))
        return HumanDecision(stop=True) if text.lower() == "stop" else HumanDecision(plan=text)
    if isinstance(value, dict) or value is None:
        try:
            return HumanDecision.model_validate(value or {})
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in error.errors()
            )
            raise ValueError(f"unusable resume value: {problems}") from error
    raise ValueError(f"unusable resume value of type {type(value).__name__}")


def parse_decision(
    value: Any, plan_count: int, memory_word_cap: int, current_chapter: int = 1
) -> HumanDecision:
    """Turn a resume value into a decision.

    Raises:
        ValueError: with a message fit to show the person.
    """
    decision = _decision_from(value)
    if decision.plan_index is not None and not 1 <= decision.plan_index <= plan_count:
        raise ValueError(
            f"plan_index must be between 1 and {plan_count}, got {decision.plan_index}"
        )
    for name in ("plan", "short_term_memory", "paragraph", "chapter_outline"):
        edited = getattr(decision, name)
        if edited is not None and not edited.strip():
            raise ValueError(f"{name} is empty; leave it out to keep the current one")
    if decision.short_term_memory is not None:
        words = count_words(decision.short_term_memory)
        if words > memory_word_cap:
            raise ValueError(
                f"short_term_memory has {words} words; the cap is {memory_word_cap}: shorten it"
            )
    for entry in decision.bible or []:
        story_bible.make_entry(entry.name, entry.kind, entry.facts, 0)  # raises what is wrong
    for chapter in decision.book_outline or []:
        if not chapter.title.strip() or not chapter.arc.strip():
            raise ValueError("every chapter of the book outline needs a title and an arc")
    if decision.book_outline is not None and len(decision.book_outline) < current_chapter:
        raise ValueError(
            f"book_outline has {len(decision.book_outline)} chapters; keep at least the "
            f"{current_chapter} begun so far"
        )
    return decision


def story_edits(state: State, decision: HumanDecision) -> dict[str, Any]:
    """The state update of the person's edits of the memory, outlines and bible."""
    update: dict[str, Any] = {}
    if decision.short_term_memory is not None:
        update["short_term_memory"] = decision.short_term_memory.strip()
    if decision.chapter_outline is not None:
        update["chapter_outline"] = " ".join(decision.chapter_outline.split())
    if decision.book_outline is not None:
        update["book_outline"] = [
            story_outline.clean_chapter(c.title, c.arc) for c in decision.book_outline
        ]
    if decision.bible is not None:
        step = state.get("step", 0)
        bible: list[story_bible.BibleEntry] = []
        for entry in decision.bible:
            edited = story_bible.make_entry(entry.name, entry.kind, entry.facts, step)
            bible = story_bible.apply_change(bible, edited)
        update["bible"] = bible
    return update


def decision_record(decision: HumanDecision) -> dict[str, Any]:
    """What was decided, without copying edited texts into state a second time."""
    return {
        "plan_index": decision.plan_index,
        "edited": [name for name in EDITABLE if getattr(decision, name) is not None],
        "stop": decision.stop,
        "extend_steps": decision.extend_steps,
    }


def make_human_node(
    services: Services, *, present: Callable[[dict[str, Any]], Any] | None = None
) -> Any:
    """Build the node where the human (or the simulated human) decides.

    Args:
        services: Chat models and long-term memory.
        present: Turns the pause payload into the value the pause shows (e.g. adds a
            chat message); default: the payload as it is.
    """

    async def ask_simulated_human(state: State, context: Context) -> HumanDecision:
        """The simulated human's decision: its reason, its choice, its revised plan.

        A choice the planner's call made for it (``suggested_plan``) is taken as
        made. It revises only when ``context.simulated_human_revises``. A revised plan
        that does not read as a plan falls back to the chosen one,
        and a simulated human that gives no usable reply at all takes the first
        plan as offered (logged): the plans were checked already, and a stand-in
        for a person must not stop the novel. A simulated reader of fiction takes
        one of the actions as offered.
        """
        plans = list(state.get("plans") or [])
        if context.mode == "auto-first" or len(plans) < 3:
            return HumanDecision(plan_index=1)
        if (suggested := state.get("suggested_plan", 0)) in (1, 2, 3):
            return HumanDecision(plan_index=suggested)  # chosen in the planner's call
        model = await chat_model_for(services, "human", context)
        if fiction.is_fiction(state):
            return HumanDecision(plan_index=await choose_as_reader(model, context, state))
        revises = context.simulated_human_revises
        language = state.get("language") or "English"
        try:
            choice = await ask_structured(
                model,
                prompt.HumanChoice if revises else prompt.HumanChoiceWithoutRevision,
                templates_for(context).messages(
                    "human",
                    {
                        **choice_fields(state, context),
                        "revise_task": (
                            prompt.REVISE_TASK.format(language=language) if revises else "."
                        ),
                    },
                ),
                role="human",
                method=context.structured_output_method,
                max_attempts=context.max_attempts,
                outage_seconds=context.model_outage_seconds,
                feedback=context.retry_feedback,
            )
        except LLMReplyError as error:
            logger.warning("the simulated human took plan 1 as offered: %s", error.problem)
            return HumanDecision(plan_index=1)
        revised = choice.revised_plan.strip()
        if not revises or plan_problem(revised, language):
            return HumanDecision(plan_index=choice.chosen_plan)
        return HumanDecision(plan_index=choice.chosen_plan, plan=revised)

    def ask_person(state: State, context: Context, kind: PauseKind) -> HumanDecision:
        # The node re-runs from the top on every resume; interrupts are matched by
        # order, so each unusable answer adds one more pause with the error shown.
        error: str | None = None
        checks = (
            len(state.get("plans") or []),
            context.memory_words,
            state.get("chapter", 1),
        )
        while True:
            payload = pause_payload(state, error, kind)
            value = interrupt(present(payload) if present else payload)
            try:
                decision = parse_decision(value, *checks)
                merged = parse_decision(
                    merge_pending_edits(decision, state.get("pending_edits")), *checks
                )
                if problem := fiction.own_action_problem(state, merged.plan):
                    raise ValueError(problem)
                return merged
            except ValueError as problem:
                error = str(problem)

    async def store_edited_paragraph(
        state: State, context: Context, paragraph: str
    ) -> dict[str, Any]:
        """Replace the last paragraph in long-term memory (forking if needed)."""
        memory = await long_term_memory_for(services, context)
        position = state.get("position", 0)
        branch_id, segments = await store_on_branch(
            memory,
            state,
            position=position,
            step=state.get("step", 0),
            text=paragraph,
            summary="",
        )
        old_words = count_words(state.get("last_paragraph", ""))
        return {
            "last_paragraph": paragraph,
            "words_written": state.get("words_written", 0) - old_words + count_words(paragraph),
            "branch_id": branch_id,
            "inherited_segments": segments,
        }

    async def refresh_after_paragraph_edit(
        state: State, context: Context, paragraph: str
    ) -> dict[str, Any]:
        """Short-term memory and bible rewritten for the edited ``paragraph``."""
        update = await rewrite_memory(
            await chat_model_for(services, "memory", context),
            context,
            {**state, "last_paragraph": EDITED_PARAGRAPH},
            new_paragraph=paragraph,
            next_progress=progress_note(state, context),
        )
        return memory_changes(state, update, paragraph)

    async def apply_edits(
        state: State, context: Context, decision: HumanDecision
    ) -> dict[str, Any]:
        """The state update of every edit; an edited paragraph refreshes memory, bible, plans.

        The person's own edits of the memory, outlines and bible win over the refresh.
        """
        update = story_edits(state, decision)
        paragraph = (decision.paragraph or "").strip()
        if not paragraph or paragraph == state.get("last_paragraph", ""):
            return update
        update.update(await store_edited_paragraph(state, context, paragraph))
        refreshed = await refresh_after_paragraph_edit(
            cast(State, {**state, **update}), context, paragraph
        )
        proposed = refreshed.pop("proposed_plans", [])
        update = {**update, **refreshed, **story_edits(state, decision)}
        if len(proposed) == 3:
            update["plans"] = proposed
        else:
            planner = await chat_model_for(services, "planner", context)
            proposal = await propose_three_plans(planner, context, cast(State, {**state, **update}))
            update["plans"] = proposal.plans
        update["suggested_plan"] = 0
        return update

    async def human_turn(state: State, runtime: Runtime[Context]) -> Command[NextNode]:
        """Choose the next plan (and apply any edits), or end the novel.

        At the target length the simulated human ends the novel; a person gets a
        last pause to review, edit or extend the ending. Edits are applied (also
        when stopping) after the pause, so the re-run on resume has no side
        effects before it.
        """
        context = runtime.context or Context()
        at_target = target_reached(state)
        if at_target and context.mode != "interactive":
            return Command(goto=TO_END, update={"status": "finished"})
        if context.mode == "interactive":
            decision = ask_person(state, context, "review_ending" if at_target else "choose_plan")
        else:
            decision = await ask_simulated_human(state, context)
        update = await apply_edits(state, context, decision)
        update.update(last_decision=decision_record(decision), pending_edits={}, pause_notice="")
        if at_target and (decision.stop or ends_at_review(decision)):
            return Command(goto=TO_END, update={**update, "status": "finished"})
        if decision.stop:
            return Command(goto=TO_END, update={**update, "status": "stopped"})
        if at_target and decision.extend_steps and not chose_plan(decision):
            # The story had ended: its outline grows and a new chapter is planned (with
            # new plans to choose from) before anything more is written.
            update.update(extended_target(state, decision.extend_steps), status="writing")
            return Command(goto=TO_CHAPTER_PLANNER, update=update)
        if context.mode == "interactive" and "plans" in update and decision.plan is None:
            # The plans were rewritten for the edited paragraph after the person chose
            # by number among the old ones: show them the new plans before writing.
            update.update(pause_notice=PLANS_REFRESHED)
            return Command(goto=TO_HUMAN_AGAIN, update=update)
        if at_target or decision.extend_steps:
            update.update(extended_target(state, decision.extend_steps or 1))
        plans = list(update.get("plans", state.get("plans")) or [])
        plan = decision.plan or (plans[(decision.plan_index or 1) - 1] if plans else "")
        update.update(chosen_plan=plan.strip(), status="writing")
        return Command(goto=TO_RETRIEVER, update=update)

    return human_turn
