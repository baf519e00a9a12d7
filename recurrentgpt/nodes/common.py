"""Small helpers shared by the nodes."""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.config import get_config

from recurrentgpt.state import State

MAIN_BRANCH = "main"
"""Branch id of a novel that was never forked."""

PARAGRAPHS_PER_CHAPTER = 20
"""Paragraphs grouped under one chapter heading in long-term memory and exports."""

_NOVEL_NAMESPACE = uuid.UUID("0b6f2f0e-7d0c-4d5e-9a55-2f3f8f7a6c01")


def novel_fields(state: State) -> dict[str, Any]:
    """The fields every prompt template may use, with readable defaults."""
    return {
        "premise": state.get("premise", ""),
        "genre": state.get("genre") or "fiction",
        "language": state.get("language") or "English",
        "title": state.get("title", ""),
    }


def chat(system: str, user: str, **fields: Any) -> list[BaseMessage]:
    """Format a system and a user template into messages."""
    return [SystemMessage(system.format(**fields)), HumanMessage(user.format(**fields))]


def chapter_of(step: int) -> int:
    """The chapter (1-based) that the paragraph written at ``step`` belongs to."""
    return 1 + step // PARAGRAPHS_PER_CHAPTER


def resolve_novel_id(state: State) -> str:
    """The novel's id: given in the input, else derived from the thread id, else random.

    Deriving it from the thread id makes a re-run of the opening after a crash
    write to the same place.
    """
    if state.get("novel_id"):
        return state["novel_id"]
    try:
        thread_id = get_config().get("configurable", {}).get("thread_id")
    except RuntimeError:
        thread_id = None
    if thread_id:
        return str(uuid.uuid5(_NOVEL_NAMESPACE, str(thread_id)))
    return uuid.uuid4().hex


def target_reached(state: State) -> bool:
    """Tell whether the novel has reached its target length (steps or words)."""
    target_steps = state.get("target_steps") or 0
    target_words = state.get("target_words") or 0
    if target_steps > 0 and state.get("step", 0) >= target_steps:
        return True
    return target_words > 0 and state.get("words_written", 0) >= target_words
