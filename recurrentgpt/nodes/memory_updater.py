"""The memory updater: rewrite short-term memory, keep the bible current, store the paragraph.

When ``Context.memory_updater_plans`` (the default with a hosted model) the
same call also proposes the next three plans: its prompt is the writer's (frame, then the passages)
followed by the new paragraph, so a prompt cache holds nearly all of it, and the
step makes one call fewer. Plans that are not usable are left to the planner.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_structured
from recurrentgpt.nodes.branching import store_on_branch
from recurrentgpt.nodes.common import (
    frame_fields,
    passages_text,
    progress_note,
    templates_for,
    writer_passages,
)
from recurrentgpt.prompts import memory as prompt
from recurrentgpt.prompts.start import NO_MEMORY_YET
from recurrentgpt.services import Services, chat_model_for, long_term_memory_for
from recurrentgpt.state import State
from recurrentgpt.story import bible as story_bible
from recurrentgpt.story import short_term
from recurrentgpt.story.fiction import is_fiction
from recurrentgpt.story.replies import plan_problem, story_only, summary_problem, words_problem
from recurrentgpt.text import count_words, truncate_words

logger = logging.getLogger(__name__)

FALLBACK_SUMMARY_WORDS = 40
"""Words of the new paragraph that stand for a summary no attempt got right."""


async def rewrite_memory(
    model: BaseChatModel,
    context: Context,
    state: State,
    *,
    new_paragraph: str,
    next_progress: str | None,
) -> prompt.MemoryUpdate:
    """Rewrite ``state``'s short-term memory to take in ``new_paragraph``, capped in words.

    With ``context.memory_by_edits`` the model names the sentences to drop and the
    paragraph's summary is added (:func:`recurrentgpt.story.short_term.apply_edits`);
    either way the result is a :class:`~recurrentgpt.prompts.memory.MemoryUpdate`.

    The prompt is the shared frame of ``state``, the passages retrieved for the
    step, then the new paragraph; it asks for the next plans too when the memory
    updater proposes them; ``next_progress`` is where the paragraph those plans
    are for stands (see :func:`~recurrentgpt.nodes.common.progress_note`), None
    when no plans are wanted from this call.
    """
    plans_wanted = (
        context.memory_updater_plans
        and next_progress is not None
        # A story in the fiction form offers the reader actions, which the
        # planner's fiction template asks for.
        and not is_fiction(state)
    )
    edits = context.memory_by_edits
    if edits:
        schema: type[prompt.MemoryUpdate | prompt.MemoryEdits] = (
            prompt.MemoryEdits if plans_wanted else prompt.MemoryEditsWithoutPlans
        )
    else:
        schema = prompt.MemoryUpdate if plans_wanted else prompt.MemoryUpdateWithoutPlans
    cap = context.memory_words
    language = state.get("language") or context.language
    title = state.get("title") or ""

    def story_summary(reply: prompt.MemoryUpdate | prompt.MemoryEdits) -> str:
        # A small model's summary talks about the form ("Bible changes: only needed one
        # sentence"), and an edited memory keeps it: only its story is kept.
        summary = reply.paragraph_summary
        if context.compact_prompts:
            summary = story_only(
                summary, language, told_to_reader=is_fiction(state), titles=[title]
            )
        return summary

    def summary_repaired(summary: str) -> str:
        # The paragraph's own opening words summarise it better than talk about the task.
        if summary_problem(summary) is None:
            return summary
        return truncate_words(new_paragraph, FALLBACK_SUMMARY_WORDS)

    reply = await ask_structured(
        model,
        schema,
        templates_for(context).messages(
            "memory",
            {
                **frame_fields(state, context),
                "retrieved_passages": passages_text(writer_passages(state, context)),
                "new_paragraph": new_paragraph,
                "max_words": cap,
                "memory_task": (
                    prompt.EDITS_TASK if edits else prompt.REWRITE_TASK.format(max_words=cap)
                ),
                "plans_task": (
                    prompt.PLANS_TASK.format(progress=next_progress) if plans_wanted else ""
                ),
            },
        ),
        role="memory",
        method=context.structured_output_method,
        max_attempts=context.max_attempts,
        outage_seconds=context.model_outage_seconds,
        feedback=context.retry_feedback,
        # A small model's summary is mended at once: a retry of the whole form cost
        # it seconds and was as likely to talk about the task again.
        reject=None
        if context.compact_prompts
        else lambda reply: summary_problem(story_summary(reply)),
        repair=lambda reply: reply.model_copy(
            update={"paragraph_summary": summary_repaired(story_summary(reply))}
        ),
    )
    summary = summary_repaired(story_summary(reply))
    if isinstance(reply, prompt.MemoryEdits):
        memory = state.get("short_term_memory") or ""
        updated = short_term.apply_edits(
            "" if memory == NO_MEMORY_YET else memory,
            reply.dropped_sentences,
            summary,
            cap,
        )
    else:
        updated = truncate_words(reply.updated_memory.strip(), cap)
    # Plans that were not asked for are not plans (a model may send the field anyway).
    plans = reply.next_plans if plans_wanted else []
    # Built, not validated: the reply was validated, and an edited memory may be
    # shorter than a rewritten one must be (one short summary).
    return prompt.MemoryUpdate.model_construct(
        rationale=reply.rationale,
        updated_memory=updated,
        paragraph_summary=summary,
        bible_changes=reply.bible_changes,
        next_plans=plans,
    )


def usable_plans(update: prompt.MemoryUpdate, language: str) -> list[str]:
    """The memory updater's three plans when each reads as a plan and they differ, else [].

    Plans that were given but are unusable are logged: the planner then makes its
    own call, and the log tells how often a model needs it.
    """
    plans = [" ".join(plan.split()) for plan in update.next_plans]
    if not plans:
        return []
    if len(plans) != 3 or len({plan.lower() for plan in plans}) < 3:
        problem: str | None = "three different plans are needed"
    else:
        problem = next(filter(None, (plan_problem(plan, language) for plan in plans)), None)
    if problem:
        logger.warning("unusable plans from the memory updater (%s): the planner plans", problem)
        return []
    return plans


def updated_bible(
    bible: list[story_bible.BibleEntry],
    update: prompt.MemoryUpdate,
    *,
    paragraph: str,
    step: int,
    language: str,
) -> list[story_bible.BibleEntry]:
    """``bible`` after ``paragraph`` at ``step``: what it names is touched, changes applied.

    A change whose name or fact is not words of ``language`` (a number, a
    field name) is left out. A pure function of its arguments: a re-run after
    a crash starts again from the checkpointed bible and gets the same result,
    never a change applied twice.
    """
    result = story_bible.touch(bible, paragraph, step)
    for change in update.bible_changes:
        if words_problem(change.name, language, min_words=1, what="a name") or words_problem(
            change.fact, language, min_words=2, what="a fact"
        ):
            continue
        try:
            entry = story_bible.make_entry(change.name, change.kind, change.fact, step)
        except ValueError:
            continue  # a blank name or fact after cleaning adds nothing
        result = story_bible.apply_change(result, entry)
    return result


def memory_changes(state: State, update: prompt.MemoryUpdate, paragraph: str) -> dict[str, Any]:
    """The state update of a rewritten memory: memory, rationale, bible and proposed plans.

    ``proposed_plans`` is empty when the reply brought no usable plans: the
    planner then writes them.
    """
    return {
        "proposed_plans": usable_plans(update, state.get("language") or "English"),
        "short_term_memory": update.updated_memory,
        "memory_rationale": update.rationale.strip(),
        "bible": updated_bible(
            list(state.get("bible") or []),
            update,
            paragraph=paragraph,
            step=state.get("step", 0),
            language=state.get("language") or "English",
        ),
    }


def make_memory_updater_node(services: Services) -> Any:
    """Build the node that updates both memories and the bible with the new paragraph."""

    async def update_memories(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Rewrite short-term memory (capped in words) and the bible, and store the paragraph.

        The paragraph is embedded once, with its summary and its chapter, at a
        deterministic id: re-running this node after a crash does not duplicate it.
        """
        context = runtime.context or Context()
        paragraph = state.get("draft_paragraph", "")
        step = state.get("step", 0) + 1
        words_written = state.get("words_written", 0) + count_words(paragraph)
        update = await rewrite_memory(
            await chat_model_for(services, "memory", context),
            context,
            state,
            new_paragraph=paragraph,
            next_progress=progress_note(
                cast(State, {**state, "step": step, "words_written": words_written}), context
            ),
        )
        position = state.get("position", -1) + 1
        memory = await long_term_memory_for(services, context)
        branch_id, segments = await store_on_branch(
            memory,
            state,
            position=position,
            step=step,
            text=paragraph,
            summary=update.paragraph_summary.strip(),
        )
        return {
            **memory_changes({**state, "step": step}, update, paragraph),
            "step": step,
            "position": position,
            "words_written": words_written,
            "last_paragraph": paragraph,
            "draft_paragraph": "",
            "branch_id": branch_id,
            "inherited_segments": segments,
        }

    return update_memories
