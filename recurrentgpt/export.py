"""Export a novel from long-term memory (the graph state never holds the manuscript)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recurrentgpt.memory import LongTermMemory, Passage
from recurrentgpt.memory.passage import MAIN_BRANCH


async def read_manuscript(memory: LongTermMemory, values: Mapping[str, Any]) -> list[Passage]:
    """Return the paragraphs of the novel whose state is ``values``, in order.

    Only the branch that state is on (and what it inherited) is read, up to the
    state's last paragraph: a rewound novel exports its current timeline.
    """
    if not values.get("novel_id"):
        return []
    return await memory.read_novel(
        novel_id=values["novel_id"],
        branch_id=values.get("branch_id") or MAIN_BRANCH,
        segments=values.get("inherited_segments") or [],
        up_to_position=values.get("position", -1),
    )


def to_markdown(values: Mapping[str, Any], passages: list[Passage]) -> str:
    """Render the novel as Markdown: title, premise, then chapters (titled from the outline)."""
    lines = [f"# {values.get('title') or 'Untitled'}", ""]
    if values.get("premise"):
        lines += [f"*{values['premise']}*", ""]
    titles = [chapter.get("title", "") for chapter in values.get("book_outline") or []]
    chapter = 0
    for passage in passages:
        if passage.chapter != chapter:
            chapter = passage.chapter
            title = titles[chapter - 1] if 0 < chapter <= len(titles) else ""
            lines += [f"## Chapter {chapter}" + (f": {title}" if title else ""), ""]
        lines += [passage.text.strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


async def export_markdown(memory: LongTermMemory, values: Mapping[str, Any]) -> str:
    """Return the novel whose state is ``values`` as Markdown."""
    return to_markdown(values, await read_manuscript(memory, values))
