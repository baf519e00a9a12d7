"""The writer: the next paragraph, streamed token by token."""

from __future__ import annotations

import random
from typing import Any

from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_text
from recurrentgpt.nodes.common import chat, novel_fields
from recurrentgpt.prompts import writer as prompt
from recurrentgpt.services import Services, chat_model_for
from recurrentgpt.state import State
from recurrentgpt.text import truncate_words


def invites_new_character(novel_id: str, step: int, probability: float) -> bool:
    """Decide, reproducibly for a given step, whether to invite a new character."""
    return random.Random(f"{novel_id}/{step}").random() < probability


def make_writer_node(services: Services) -> Any:
    """Build the node that writes the next paragraph."""

    async def write_paragraph(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the next paragraph from the memories, the last paragraph and the plan.

        The paragraph is capped at twice the target length and cut before any loop.
        """
        context = runtime.context or Context()
        passages = state.get("retrieved_passages") or []
        numbered = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(passages, 1))
        new_character = invites_new_character(
            state.get("novel_id", ""), state.get("step", 0) + 1, context.new_character_probability
        )
        messages = chat(
            prompt.SYSTEM,
            prompt.USER,
            **novel_fields(state),
            short_term_memory=state.get("short_term_memory", ""),
            retrieved_passages=numbered or prompt.NO_PASSAGES,
            last_paragraph=state.get("last_paragraph", ""),
            plan=state.get("chosen_plan", ""),
            words_per_paragraph=context.words_per_paragraph,
            new_character=prompt.NEW_CHARACTER if new_character else "",
        )
        paragraph = await ask_text(
            await chat_model_for(services, "writer", context),
            messages,
            role="writer",
            min_words=max(5, context.words_per_paragraph // 8),
            max_attempts=context.max_attempts,
        )
        return {"draft_paragraph": truncate_words(paragraph, 2 * context.words_per_paragraph)}

    return write_paragraph
