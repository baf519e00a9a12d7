"""The writer: the next paragraph, streamed token by token."""

from __future__ import annotations

import random
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_text
from recurrentgpt.nodes.common import chat, novel_fields
from recurrentgpt.prompts import writer as prompt
from recurrentgpt.services import Services, chat_model_for
from recurrentgpt.state import State
from recurrentgpt.text import overlap_ratio, truncate_words

MAX_OVERLAP_WITH_EARLIER_TEXT = 0.5
"""A paragraph sharing more of its 8-word sequences with an earlier one is a copy."""


def invites_new_character(novel_id: str, step: int, probability: float) -> bool:
    """Decide, reproducibly for a given step, whether to invite a new character."""
    return random.Random(f"{novel_id}/{step}").random() < probability


async def compose_paragraph(
    model: BaseChatModel,
    context: Context,
    state: State,
    *,
    short_term_memory: str,
    passages: list[str],
    last_paragraph: str,
    plan: str,
    new_character: bool = False,
) -> str:
    """Write one paragraph of the novel described by ``state``; streams when streamed.

    The paragraph is cut before any loop and capped at twice the target length.
    """
    numbered = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(passages, 1))
    messages = chat(
        prompt.SYSTEM,
        prompt.USER,
        **novel_fields(state),
        short_term_memory=short_term_memory,
        retrieved_passages=numbered or prompt.NO_PASSAGES,
        last_paragraph=last_paragraph,
        plan=plan,
        words_per_paragraph=context.words_per_paragraph,
        new_character=prompt.NEW_CHARACTER if new_character else "",
    )

    def copies_earlier_text(paragraph: str) -> str | None:
        for earlier in (last_paragraph, *passages):
            if overlap_ratio(paragraph, earlier) > MAX_OVERLAP_WITH_EARLIER_TEXT:
                return "it repeats an earlier paragraph instead of continuing the story"
        return None

    paragraph = await ask_text(
        model,
        messages,
        role="writer",
        min_words=max(5, context.words_per_paragraph // 8),
        max_attempts=context.max_attempts,
        reject=copies_earlier_text,
    )
    return truncate_words(paragraph, 2 * context.words_per_paragraph)


def make_writer_node(services: Services) -> Any:
    """Build the node that writes the next paragraph."""

    async def write_paragraph(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the next paragraph from the memories, the last paragraph and the plan."""
        context = runtime.context or Context()
        paragraph = await compose_paragraph(
            await chat_model_for(services, "writer", context),
            context,
            state,
            short_term_memory=state.get("short_term_memory", ""),
            passages=state.get("retrieved_passages") or [],
            last_paragraph=state.get("last_paragraph", ""),
            plan=state.get("chosen_plan", ""),
            new_character=invites_new_character(
                state.get("novel_id", ""),
                state.get("step", 0) + 1,
                context.new_character_probability,
            ),
        )
        return {"draft_paragraph": paragraph}

    return write_paragraph
