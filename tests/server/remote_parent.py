"""A parent process that embeds the deployed novel with :func:`recurrentgpt.remote.remote_novel`.

Run by tests/server/test_remote.py as a subprocess, so the test can kill it
mid-pause and start it again on the same SQLite checkpointer::

    python -m tests.server.remote_parent URL CHECKPOINTS THREAD_ID CONTEXT_JSON INPUT_JSON

It prints one JSON line per event, ``{"pause": payload}`` or ``{"done": output}``,
and reads each pause's resume value as one JSON line from stdin. Started on a
thread that is already paused, it prints that pause again instead of starting.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from langgraph.graph import START, StateGraph
from langgraph.types import Command

from recurrentgpt.context import Context
from recurrentgpt.persistence import open_checkpointer
from recurrentgpt.remote import remote_novel
from recurrentgpt.state import InputState, OutputState


class ParentState(InputState, OutputState, total=False):
    """The novel's input and output, as the parent keeps them."""


def say(event: dict[str, Any]) -> None:
    print(json.dumps(event), flush=True)


async def main(url: str, location: str, thread_id: str, context: str, novel_input: str) -> None:
    builder = StateGraph(ParentState, context_schema=Context)
    builder.add_node("novel", remote_novel(url))
    builder.add_edge(START, "novel")
    config: Any = {"configurable": {"thread_id": thread_id}}
    run_context = Context(**json.loads(context))
    async with open_checkpointer(location) as checkpointer:
        parent = builder.compile(checkpointer=checkpointer)
        saved = await parent.aget_state(config)
        if saved.interrupts:
            result: dict[str, Any] = {"__interrupt__": saved.interrupts}
        else:
            result = await parent.ainvoke(json.loads(novel_input), config, context=run_context)
        while result.get("__interrupt__"):
            say({"pause": result["__interrupt__"][0].value})
            answer = json.loads(sys.stdin.readline())
            result = await parent.ainvoke(Command(resume=answer), config, context=run_context)
        say({"done": result})


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
