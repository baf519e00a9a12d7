"""The planner: three different plans for the next paragraph."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_structured
from recurrentgpt.nodes.common import frame_fields, templates_for
from recurrentgpt.prompts import planner as prompt
from recurrentgpt.prompts.writer import NO_PASSAGES
from recurrentgpt.services import Services, chat_model_for
from recurrentgpt.state import State
from recurrentgpt.story.replies import plan_problem


async def propose_three_plans(model: BaseChatModel, context: Context, state: State) -> list[str]:
    """Propose three different plans for the paragraph after ``state``'s last paragraph.

    The prompt is the shared frame of ``state``, then the passages retrieved at
    the last step. A plan that does not read as a plan in the novel's language
    is retried.
    """
    language = state.get("language") or "English"

    def not_plans(reply: prompt.Plans) -> str | None:
        return next(filter(None, (plan_problem(plan, language) for plan in reply.plans)), None)

    passages = state.get("retrieved_passages") or []
    plans = await ask_structured(
        model,
        prompt.Plans,
        templates_for(context).messages(
            "planner",
            {
                **frame_fields(state, context),
                "retrieved_passages": "\n\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))
                or NO_PASSAGES,
            },
        ),
        role="planner",
        method=context.structured_output_method,
        max_attempts=context.max_attempts,
        reject=not_plans,
    )
    return [p.strip() for p in plans.plans]


def make_planner_node(services: Services) -> Any:
    """Build the node that proposes the next three plans."""

    async def propose_plans(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Propose three different plans for the next paragraph."""
        context = runtime.context or Context()
        model = await chat_model_for(services, "planner", context)
        return {"plans": await propose_three_plans(model, context, state)}

    return propose_plans
