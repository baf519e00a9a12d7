"""The opening: title, outline, first paragraphs, first short-term memory and plans."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_structured
from recurrentgpt.long_term_memory import Passage
from recurrentgpt.nodes.common import MAIN_BRANCH, chat, novel_fields, resolve_novel_id
from recurrentgpt.prompts import start as prompt
from recurrentgpt.services import Services, chat_model_for, long_term_memory_for
from recurrentgpt.state import State
from recurrentgpt.text import count_words, truncate_words


class InvalidNovelInputError(ValueError):
    """The input cannot start a novel."""


def make_start_node(services: Services) -> Any:
    """Build the node that writes the opening and seeds long-term memory."""

    async def start_novel(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the opening and store its paragraphs in long-term memory.

        Re-running it (after a crash) overwrites the same memory points.
        """
        context = runtime.context or Context()
        premise = (state.get("premise") or "").strip()
        if not premise:
            raise InvalidNovelInputError("A new novel needs a premise: it is empty.")
        novel_id = resolve_novel_id(state)
        fields = {**novel_fields(state), "premise": premise}
        opening = await ask_structured(
            await chat_model_for(services, "start", context),
            prompt.Opening,
            chat(
                prompt.SYSTEM,
                prompt.USER,
                **fields,
                words_per_paragraph=context.words_per_paragraph,
            ),
            role="start",
            method=context.structured_output_method,
            max_attempts=context.max_attempts,
        )
        paragraphs = [p.strip() for p in opening.paragraphs]
        memory = await long_term_memory_for(services, context)
        await memory.store_many(
            [
                Passage(
                    novel_id=novel_id,
                    branch_id=MAIN_BRANCH,
                    position=position,
                    step=0,
                    chapter=1,
                    text=text,
                    summary="",
                )
                for position, text in enumerate(paragraphs)
            ]
        )
        return {
            "novel_id": novel_id,
            "premise": premise,
            "status": "writing",
            "title": opening.title.strip(),
            "outline": opening.outline.strip(),
            "step": 0,
            "position": len(paragraphs) - 1,
            "words_written": sum(count_words(p) for p in paragraphs),
            "last_paragraph": paragraphs[-1],
            "short_term_memory": truncate_words(
                opening.summary.strip(), context.short_term_memory_words
            ),
            "plans": [p.strip() for p in opening.plans],
            "chosen_plan": "",
            "retrieved_passages": [],
            "draft_paragraph": "",
            "branch_id": MAIN_BRANCH,
            "inherited_segments": [],
        }

    return start_novel
