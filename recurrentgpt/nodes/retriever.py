"""The retriever: earlier passages related to the chosen plan."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.memory.passage import MAIN_BRANCH
from recurrentgpt.services import Services, long_term_memory_for
from recurrentgpt.state import State
from recurrentgpt.text import truncate_words
from recurrentgpt.users import owned_novel_id


def make_retriever_node(services: Services) -> Any:
    """Build the node that searches long-term memory with the chosen plan."""

    async def retrieve_related_passages(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Return the k passages most related to the plan, oldest first.

        The query is the chosen plan alone: adding the short-term memory made the
        planted-fact recall collapse in the benchmark (BENCHMARKS.md, figure 4),
        since the recent story's names and words match every paragraph. The last
        paragraph is excluded (the writer sees it anyway), and so is anything
        outside this novel's current branch ancestry.
        """
        context = runtime.context or Context()
        memory = await long_term_memory_for(services, context)
        query = state.get("chosen_plan") or state.get("last_paragraph", "")
        passages = await memory.search(
            query,
            novel_id=owned_novel_id(state["novel_id"]),
            branch_id=state.get("branch_id", MAIN_BRANCH),
            segments=state.get("inherited_segments", []),
            before_position=state.get("position", 0),
            k=context.retrieval_k,
        )
        # A passage is bounded so the prompt stays bounded whatever was stored.
        limit = 2 * context.words_per_paragraph
        ordered = sorted(passages, key=lambda p: p.position)
        return {
            "retrieved_passages": [truncate_words(p.text, limit) for p in ordered],
            "retrieved_summaries": [truncate_words(p.summary, limit) for p in ordered],
        }

    return retrieve_related_passages
