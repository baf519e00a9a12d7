"""The memory updater: rewrite short-term memory, store the paragraph long-term."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_structured
from recurrentgpt.nodes.branching import branch_for_write
from recurrentgpt.nodes.common import chapter_of, chat, novel_fields
from recurrentgpt.prompts import memory as prompt
from recurrentgpt.services import Services, chat_model_for, long_term_memory_for
from recurrentgpt.state import State
from recurrentgpt.text import count_words, truncate_words


async def rewrite_memory(
    model: BaseChatModel,
    context: Context,
    state: State,
    *,
    short_term_memory: str,
    paragraph: str,
) -> prompt.MemoryUpdate:
    """Rewrite ``short_term_memory`` to take in ``paragraph``; the memory is capped in words."""
    update = await ask_structured(
        model,
        prompt.MemoryUpdate,
        chat(
            prompt.SYSTEM,
            prompt.USER,
            **novel_fields(state),
            short_term_memory=short_term_memory,
            paragraph=paragraph,
            max_words=context.short_term_memory_words,
        ),
        role="memory",
        method=context.structured_output_method,
        max_attempts=context.max_attempts,
    )
    capped = truncate_words(update.updated_memory.strip(), context.short_term_memory_words)
    return update.model_copy(update={"updated_memory": capped})


def make_memory_updater_node(services: Services) -> Any:
    """Build the node that updates both memories with the new paragraph."""

    async def update_memories(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Rewrite short-term memory (capped in words) and store the paragraph.

        The paragraph is embedded once, with its summary, at a deterministic id:
        re-running this node after a crash does not duplicate it.
        """
        context = runtime.context or Context()
        paragraph = state.get("draft_paragraph", "")
        update = await rewrite_memory(
            await chat_model_for(services, "memory", context),
            context,
            state,
            short_term_memory=state.get("short_term_memory", ""),
            paragraph=paragraph,
        )
        step = state.get("step", 0) + 1
        position = state.get("position", -1) + 1
        memory = await long_term_memory_for(services, context)
        branch_id, segments = await branch_for_write(memory, state, position, paragraph)
        await memory.store(
            novel_id=state["novel_id"],
            branch_id=branch_id,
            position=position,
            step=step,
            chapter=chapter_of(step),
            text=paragraph,
            summary=update.paragraph_summary.strip(),
        )
        return {
            "step": step,
            "position": position,
            "words_written": state.get("words_written", 0) + count_words(paragraph),
            "last_paragraph": paragraph,
            "draft_paragraph": "",
            "short_term_memory": update.updated_memory,
            "branch_id": branch_id,
            "inherited_segments": segments,
        }

    return update_memories
