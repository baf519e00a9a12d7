"""The human turn: a person (or a simulated one) picks the next plan and edits anything.

Interactive mode pauses with :func:`langgraph.types.interrupt`. The payload
(JSON) is::

    {"kind": "choose_plan", "novel_id": str, "title": str, "step": int,
     "words_written": int, "target_steps": int, "target_words": int,
     "paragraph": str, "short_term_memory": str, "plans": [str, str, str],
     "pending_edits": {field: str}, "error": str | None}

``kind`` is ``"review_ending"`` at the last pause, once the target is reached:
choosing a plan (or ``extend_steps``) writes more, anything else ends the
novel as finished. ``pending_edits`` are edits saved at this pause with
``graph.update_state(config, {"pending_edits": {...}})`` and not yet applied:
the next answer is merged over them (its own fields win), so edits made before
a closed terminal are not lost.

Resume with ``Command(resume=value)`` where value is a
:class:`~recurrentgpt.state.HumanDecision` as a dict (fields combine), or a
shortcut: an int ``i`` (choose plan i, 1-based), ``"stop"``, or any other string
(use it as the plan). Send at least one field: LangGraph reads an empty dict as
"no answer" and pauses again. A value that cannot be used (a bad plan number, an
empty text, a memory over the word cap) pauses again with ``error`` set, so
nothing is lost to a typo.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from pydantic import ValidationError

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_structured
from recurrentgpt.nodes.branching import branch_for_write
from recurrentgpt.nodes.common import chapter_of, chat, novel_fields, target_reached
from recurrentgpt.prompts import human as prompt
from recurrentgpt.services import Services, chat_model_for, long_term_memory_for
from recurrentgpt.state import HumanDecision, State
from recurrentgpt.text import count_words

NextNode = Literal["retriever", "__end__"]
TO_RETRIEVER: NextNode = "retriever"
TO_END: NextNode = "__end__"

PauseKind = Literal["choose_plan", "review_ending"]


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
        "plans": list(state.get("plans") or []),
        "pending_edits": dict(state.get("pending_edits") or {}),
        "error": error,
    }


def merge_pending_edits(decision: HumanDecision, pending: dict[str, str] | None) -> HumanDecision:
    """``decision`` with the edits saved at the pause filled in where it has none of its own."""
    known = {
        name: text
        for name, text in (pending or {}).items()
        if name in HumanDecision.model_fields and getattr(decision, name) is None
    }
    return decision.model_copy(update=known) if known else decision


def extended_target(state: State, more_steps: int) -> dict[str, int]:
    """The target that lets the novel write ``more_steps`` paragraphs past its current step."""
    return {"target_steps": state.get("step", 0) + more_steps, "target_words": 0}


def ends_at_review(decision: HumanDecision) -> bool:
    """Tell whether an answer at the pause at the target ends the novel (no plan, no extension)."""
    return decision.extend_steps is None and decision.plan_index is None and decision.plan is None


def parse_decision(value: Any, plan_count: int, memory_word_cap: int) -> HumanDecision:
    """Turn a resume value into a decision.

    Raises:
        ValueError: with a message fit to show the person.
    """
    if isinstance(value, HumanDecision):
        decision = value
    elif isinstance(value, bool):
        raise ValueError(f"unusable resume value {value!r}")
    elif isinstance(value, int):
        decision = HumanDecision(plan_index=value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("empty answer: give a plan number, a plan text or 'stop'")
        decision = HumanDecision(stop=True) if text.lower() == "stop" else HumanDecision(plan=text)
    elif isinstance(value, dict) or value is None:
        try:
            decision = HumanDecision.model_validate(value or {})
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in error.errors()
            )
            raise ValueError(f"unusable resume value: {problems}") from error
    else:
        raise ValueError(f"unusable resume value of type {type(value).__name__}")
    if decision.plan_index is not None and not 1 <= decision.plan_index <= plan_count:
        raise ValueError(
            f"plan_index must be between 1 and {plan_count}, got {decision.plan_index}"
        )
    for name in ("plan", "short_term_memory", "paragraph"):
        edited = getattr(decision, name)
        if edited is not None and not edited.strip():
            raise ValueError(f"{name} is empty; leave it out to keep the current one")
    if decision.short_term_memory is not None:
        words = count_words(decision.short_term_memory)
        if words > memory_word_cap:
            raise ValueError(
                f"short_term_memory has {words} words; the cap is {memory_word_cap}: shorten it"
            )
    return decision


def make_human_node(services: Services) -> Any:
    """Build the node where the human (or the simulated human) decides."""

    async def ask_simulated_human(state: State, context: Context) -> HumanDecision:
        plans = list(state.get("plans") or [])
        if context.mode == "auto-first" or len(plans) < 3:
            return HumanDecision(plan_index=1)
        choice = await ask_structured(
            await chat_model_for(services, "human", context),
            prompt.HumanChoice,
            chat(
                prompt.SYSTEM,
                prompt.USER,
                **novel_fields(state),
                short_term_memory=state.get("short_term_memory", ""),
                paragraph=state.get("last_paragraph", ""),
                plan_1=plans[0],
                plan_2=plans[1],
                plan_3=plans[2],
            ),
            role="human",
            method=context.structured_output_method,
            max_attempts=context.max_attempts,
        )
        return HumanDecision(plan_index=choice.chosen_plan, plan=choice.revised_plan.strip())

    def ask_person(state: State, context: Context, kind: PauseKind) -> HumanDecision:
        # The node re-runs from the top on every resume; interrupts are matched by
        # order, so each unusable answer adds one more pause with the error shown.
        error: str | None = None
        plan_count = len(state.get("plans") or [])
        while True:
            value = interrupt(pause_payload(state, error, kind))
            try:
                decision = parse_decision(value, plan_count, context.short_term_memory_words)
                merged = merge_pending_edits(decision, state.get("pending_edits"))
                return parse_decision(merged, plan_count, context.short_term_memory_words)
            except ValueError as problem:
                error = str(problem)

    async def apply_edited_paragraph(
        state: State, context: Context, paragraph: str
    ) -> dict[str, Any]:
        memory = await long_term_memory_for(services, context)
        position = state.get("position", 0)
        branch_id, segments = await branch_for_write(memory, state, position, paragraph)
        await memory.store(
            novel_id=state["novel_id"],
            branch_id=branch_id,
            position=position,
            step=state.get("step", 0),
            chapter=chapter_of(state.get("step", 0)),
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
        # What was decided, without copying edited texts into state a second time.
        record: dict[str, Any] = {
            "plan_index": decision.plan_index,
            "edited": [
                name
                for name in ("plan", "short_term_memory", "paragraph")
                if getattr(decision, name) is not None
            ],
            "stop": decision.stop,
            "extend_steps": decision.extend_steps,
        }
        update: dict[str, Any] = {"last_decision": record, "pending_edits": {}}
        if decision.short_term_memory is not None:
            update["short_term_memory"] = decision.short_term_memory.strip()
        if decision.paragraph is not None:
            edited = decision.paragraph.strip()
            if edited != state.get("last_paragraph", ""):
                update.update(await apply_edited_paragraph(state, context, edited))
        if at_target and (decision.stop or ends_at_review(decision)):
            return Command(goto=TO_END, update={**update, "status": "finished"})
        if decision.stop:
            return Command(goto=TO_END, update={**update, "status": "stopped"})
        if at_target or decision.extend_steps:
            update.update(extended_target(state, decision.extend_steps or 1))
        plans = list(state.get("plans") or [])
        plan = decision.plan or (plans[(decision.plan_index or 1) - 1] if plans else "")
        update.update(chosen_plan=plan.strip(), status="writing")
        return Command(goto=TO_RETRIEVER, update=update)

    return human_turn
