"""The opening: title, outline, first paragraphs, first short-term memory and plans."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_structured
from recurrentgpt.nodes.branching import opening_passages
from recurrentgpt.nodes.common import chat, novel_fields, resolve_novel_id
from recurrentgpt.nodes.memory_updater import rewrite_memory
from recurrentgpt.nodes.planner import propose_three_plans
from recurrentgpt.nodes.writer import compose_paragraph
from recurrentgpt.prompts import start as prompt
from recurrentgpt.services import Services, chat_model_for, long_term_memory_for
from recurrentgpt.state import State
from recurrentgpt.text import count_words


class InvalidNovelInputError(ValueError):
    """The input cannot start a novel."""


def make_start_node(services: Services) -> Any:
    """Build the node that writes the opening and seeds long-term memory."""

    async def start_novel(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the opening and store its paragraphs in long-term memory.

        Long-term memory is written last, at ids derived from the thread, so a
        re-run after a crash overwrites the same points.
        """
        context = runtime.context or Context()
        premise = (state.get("premise") or "").strip()
        if not premise:
            raise InvalidNovelInputError("A new novel needs a premise: it is empty.")
        novel_id = resolve_novel_id(state)
        language = state.get("language") or context.language
        novel: State = {**state, "premise": premise, "language": language}
        outline = await ask_structured(
            await chat_model_for(services, "start", context),
            prompt.NovelOutline,
            chat(prompt.SYSTEM, prompt.USER, **novel_fields(novel)),
            role="start",
            method=context.structured_output_method,
            max_attempts=context.max_attempts,
        )
        novel["title"] = outline.title.strip()
        writer = await chat_model_for(services, "writer", context)
        paragraphs: list[str] = []
        for number in range(1, prompt.OPENING_PARAGRAPHS + 1):
            paragraphs.append(
                await compose_paragraph(
                    writer,
                    context,
                    novel,
                    short_term_memory=outline.outline,
                    passages=paragraphs[:-1],
                    last_paragraph=paragraphs[-1] if paragraphs else prompt.NOTHING_YET,
                    plan=prompt.OPENING_PLAN.format(
                        number=number, total=prompt.OPENING_PARAGRAPHS, outline=outline.outline
                    ),
                )
            )
        memory_update = await rewrite_memory(
            await chat_model_for(services, "memory", context),
            context,
            novel,
            short_term_memory=outline.outline,
            paragraph="\n\n".join(paragraphs),
        )
        plans = await propose_three_plans(
            await chat_model_for(services, "planner", context),
            context,
            novel,
            short_term_memory=memory_update.updated_memory,
            paragraph=paragraphs[-1],
        )
        memory = await long_term_memory_for(services, context)
        opening = await opening_passages(memory, novel_id, paragraphs)
        await memory.store_many(opening)
        return {
            "novel_id": novel_id,
            "premise": premise,
            "language": language,
            "status": "writing",
            "title": novel["title"],
            "outline": outline.outline.strip(),
            "step": 0,
            "position": len(paragraphs) - 1,
            "words_written": sum(count_words(p) for p in paragraphs),
            "last_paragraph": paragraphs[-1],
            "short_term_memory": memory_update.updated_memory,
            "plans": plans,
            "chosen_plan": "",
            "retrieved_passages": [],
            "draft_paragraph": "",
            "branch_id": opening[0].branch_id,
            "inherited_segments": [],
        }

    return start_novel
