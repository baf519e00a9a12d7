"""The planner: three different plans for the next paragraph."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_structured
from recurrentgpt.nodes.common import chat, novel_fields
from recurrentgpt.prompts import planner as prompt
from recurrentgpt.services import Services, chat_model_for
from recurrentgpt.state import State


async def propose_three_plans(
    model: BaseChatModel,
    context: Context,
    state: State,
    *,
    short_term_memory: str,
    paragraph: str,
) -> list[str]:
    """Propose three different plans for the paragraph after ``paragraph``."""
    plans = await ask_structured(
        model,
        prompt.Plans,
        chat(
            prompt.SYSTEM,
            prompt.USER,
            **novel_fields(state),
            short_term_memory=short_term_memory,
            paragraph=paragraph,
        ),
        role="planner",
        method=context.structured_output_method,
        max_attempts=context.max_attempts,
    )
    return [p.strip() for p in plans.plans]


def make_planner_node(services: Services) -> Any:
    """Build the node that proposes the next three plans."""

    async def propose_plans(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Propose three different plans for the next paragraph."""
        context = runtime.context or Context()
        plans = await propose_three_plans(
            await chat_model_for(services, "planner", context),
            context,
            state,
            short_term_memory=state.get("short_term_memory", ""),
            paragraph=state.get("last_paragraph", ""),
        )
        return {"plans": plans}

    return propose_plans
