"""A parent pipeline that embeds the co-writing graph as one node: brief → novel → blurb.

Run it (interactive, with the models of ``Context``'s environment defaults)::

    python examples/novel_pipeline.py "A lighthouse keeper finds a key.
    Genre: mystery
    Paragraphs: 5"

Contract of the embedded graph (``recurrentgpt.graphs.cowriter``)
------------------------------------------------------------------
- **Input** is :class:`recurrentgpt.state.InputState`: ``premise`` (required for a
  new novel), ``genre``, ``language``, ``novel_id``, ``target_steps`` and
  ``target_words``. The parent hands over the keys of its own state with these
  names; nothing else reaches the novel.
- **Output** is :class:`recurrentgpt.state.OutputState`: ``novel_id``, ``title``,
  ``status`` (``"finished"`` at the target, ``"stopped"`` when the person
  stopped), ``step``, ``words_written``, ``last_paragraph`` and
  ``short_term_memory``, written to the parent's keys of the same names. The
  full text is in long-term memory under ``novel_id``
  (``recurrentgpt.export``).
- **Configuration**: the parent declares ``context_schema=Context``; the context
  it is invoked with reaches every node of the novel.
- **Pauses**: in ``"interactive"`` mode the novel pauses after every paragraph
  with ``interrupt()``. The pause surfaces in the parent (``"__interrupt__"`` in
  the result, ``parent.get_state(config).interrupts``) and is answered through
  the parent with ``Command(resume=decision)``; the decision contract is in
  :mod:`recurrentgpt.nodes.human`. ``"auto"`` and ``"auto-first"`` never pause.
- **Persistence**: the novel is compiled without a checkpointer, so it uses the
  parent's; the parent's thread holds the novel's checkpoints
  (``parent.get_state(config, subgraphs=True)`` shows them).
"""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from typing_extensions import TypedDict

from recurrentgpt.context import Context
from recurrentgpt.graphs.cowriter import GRAPH_NAME, build_graph
from recurrentgpt.persistence import checkpoint_location, open_checkpointer
from recurrentgpt.services import DefaultServices, Services, chat_model_for
from recurrentgpt.state import InputState, OutputState

BRIEF_FIELDS = {"genre": "genre", "language": "language", "paragraphs": "target_steps"}
"""Brief lines 'Key: value' that set a novel input, by lower-cased key."""

BLURB_SYSTEM = """You write back-cover blurbs for novels. Reply with the blurb only: \
three sentences, no spoilers of the ending, in {language}."""

BLURB_USER = """Title: {title}
Premise: {premise}
What has happened recently: {short_term_memory}
The last paragraph: {last_paragraph}"""


class PipelineInput(TypedDict):
    """What the pipeline is asked for."""

    brief: str
    """The premise on its first lines, then optional 'Genre:', 'Language:' and
    'Paragraphs:' lines."""


class PipelineOutput(OutputState, total=False):
    """What the pipeline returns: the novel's output and its blurb."""

    blurb: str
    """Back-cover blurb of the finished (or stopped) novel."""


class PipelineState(InputState, PipelineOutput, PipelineInput, total=False):
    """The brief, the novel's input and output, and the blurb."""


def read_brief(state: PipelineState) -> dict[str, Any]:
    """Turn the brief into the novel's input.

    Raises:
        ValueError: when the brief has no premise or a non-numeric 'Paragraphs:'.
    """
    update: dict[str, Any] = {}
    premise: list[str] = []
    for line in state["brief"].strip().splitlines():
        field = re.fullmatch(r"\s*(\w+)\s*:\s*(.+?)\s*", line)
        key = field.group(1).lower() if field else ""
        if field and key in BRIEF_FIELDS:
            value = field.group(2)
            update[BRIEF_FIELDS[key]] = int(value) if key == "paragraphs" else value
        elif line.strip():
            premise.append(line.strip())
    if not premise:
        raise ValueError("the brief needs a premise on its first line")
    return {**update, "premise": " ".join(premise)}


def make_blurb_node(services: Services) -> Any:
    """Build the node that writes the blurb with the writer's model."""

    async def write_blurb(state: PipelineState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write a blurb from the novel's title, premise and latest memory."""
        context = runtime.context or Context()
        fields = {
            "language": state.get("language") or "English",
            "title": state.get("title", ""),
            "premise": state.get("premise", ""),
            "short_term_memory": state.get("short_term_memory", ""),
            "last_paragraph": state.get("last_paragraph", ""),
        }
        reply = await (await chat_model_for(services, "writer", context)).ainvoke(
            [
                SystemMessage(BLURB_SYSTEM.format(**fields)),
                HumanMessage(BLURB_USER.format(**fields)),
            ]
        )
        return {"blurb": str(reply.content).strip()}

    return write_blurb


def build_pipeline(
    services: Services | None = None,
) -> StateGraph[PipelineState, Context, PipelineInput, PipelineOutput]:
    """Return the (uncompiled) pipeline; its ``novel`` node is the co-writing graph."""
    services = services or DefaultServices()
    builder = StateGraph(
        PipelineState,
        context_schema=Context,
        input_schema=PipelineInput,
        output_schema=PipelineOutput,
    )
    builder.add_node("brief", read_brief)
    # Compiled without a checkpointer: the novel inherits the parent's.
    builder.add_node("novel", build_graph(services).compile(name=GRAPH_NAME))
    builder.add_node("blurb", make_blurb_node(services))
    builder.add_edge(START, "brief")
    builder.add_edge("brief", "novel")
    builder.add_edge("novel", "blurb")
    builder.add_edge("blurb", END)
    return builder


graph = build_pipeline().compile(name="novel_pipeline")


def ask_person(pause: dict[str, Any]) -> Any:
    """Show a pause in the terminal and read the decision (see the resume contract)."""
    if pause.get("error"):
        print(f"\n! {pause['error']}")
    print(f"\n--- step {pause['step']} of {pause['title']} ---\n{pause['paragraph']}\n")
    if pause.get("kind") == "review_ending":
        print("The novel has reached its target: 'stop' finishes it, a plan writes one more.")
    for number, plan in enumerate(pause["plans"], 1):
        print(f"  {number}. {plan}")
    answer = input("Plan number, your own plan, or 'stop': ").strip()
    return int(answer) if answer.isdigit() else answer


async def main(brief: str) -> None:
    """Run the pipeline in the terminal, checkpointed where the CLI keeps its novels."""
    context = Context()
    config = {"configurable": {"thread_id": f"pipeline-{uuid.uuid4().hex[:8]}"}}
    async with open_checkpointer(checkpoint_location(context.data_dir)) as checkpointer:
        pipeline = build_pipeline().compile(checkpointer=checkpointer)
        result = await pipeline.ainvoke({"brief": brief}, config, context=context)
        while result.get("__interrupt__"):
            decision = ask_person(result["__interrupt__"][0].value)
            result = await pipeline.ainvoke(Command(resume=decision), config, context=context)
    print(f"\n{result['title']} ({result['status']}, {result['words_written']} words)")
    print(result["blurb"])


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "A lighthouse keeper finds a key.\nParagraphs: 3"))
