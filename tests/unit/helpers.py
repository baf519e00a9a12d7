"""Small helpers shared by the unit tests (the fake model itself lives in tests/fakes.py)."""

from __future__ import annotations

from typing import Any

from recurrentgpt.memory import LongTermMemory
from tests.fakes import ScriptedChatModel, is_opening

PREMISE = "a lighthouse keeper finds a key"

OPENING_MARK = "of the novel's opening"
"""Text of the writer plan of the opening paragraphs (recurrentgpt/prompts/opening_plan.txt)."""

MEMORY_HEADING = "Short-term memory (what has happened recently):"
LAST_HEADING = "The last paragraph:"
RETRIEVED_HEADING = "Related earlier passages (long-term memory):"
PASSAGES_START = "Related earlier passages"
"""Where the passages begin in any role's prompt (the planner's heading says "in brief")."""
PLAN_HEADING = "Plan for the next paragraph:"
TASK_HEADING = "Task:"


def thread(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


def step_writer_prompts(model: ScriptedChatModel) -> list[str]:
    """Writer prompts of the steps (the opening paragraphs also go through the writer)."""
    return [p for p in model.prompts_for("text") if not is_opening(p)]


def section(prompt: str, heading: str, next_heading: str) -> str:
    """The text of a writer prompt between two headings."""
    return prompt.split(heading, 1)[1].split(next_heading, 1)[0].strip()


def retrieved_section(prompt: str) -> str:
    return section(prompt, RETRIEVED_HEADING, PLAN_HEADING)


def last_paragraph_section(prompt: str) -> str:
    """The last paragraph of the frame (writer and planner prompts)."""
    return section(prompt, LAST_HEADING, PASSAGES_START)


def memory_section(prompt: str) -> str:
    return section(prompt, MEMORY_HEADING, LAST_HEADING)


def plan_section(prompt: str) -> str:
    return section(prompt, PLAN_HEADING, TASK_HEADING)


def frame_of(prompt: str) -> str:
    """A framed prompt up to where the role's own part begins (the frame ends with the
    last paragraph)."""
    last = prompt.index(LAST_HEADING) + len(LAST_HEADING)
    return prompt[: prompt.index("\n\n", last)]


def point_count(memory: LongTermMemory, novel_id: str) -> int:
    """Points stored for ``novel_id`` (all branches)."""
    return memory.backend.count(novel_id)


def all_texts(memory: LongTermMemory, novel_id: str) -> list[str]:
    """Texts of every point stored for ``novel_id`` (all branches, any order)."""
    return [
        str(payload["text"])
        for page in memory.backend.scroll(None)
        for payload in page
        if payload["novel_id"] == novel_id
    ]


async def run_novel(graph: Any, config: dict, context: Any, **novel: Any) -> dict[str, Any]:
    """Start a novel (premise defaulted) and return the final state values."""
    await graph.ainvoke({"premise": PREMISE, **novel}, config, context=context)
    return (await graph.aget_state(config)).values


async def snapshot_at(graph: Any, config: dict, step: int) -> Any:
    """The newest checkpoint paused at the human turn after ``step`` paragraphs."""
    async for snapshot in graph.aget_state_history(config):
        if snapshot.values.get("step") == step and snapshot.next == ("human",):
            return snapshot
    raise AssertionError(f"no checkpoint at step {step}")
