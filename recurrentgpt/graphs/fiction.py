"""The interactive-fiction graph: the co-writing recurrence with the reader as protagonist.

The same nodes and edges as :mod:`recurrentgpt.graphs.cowriter` (same retriever,
memory updater, bible and checkpoints); only the opening differs: every story
it starts is in the fiction form, so each step writes the consequence of the
reader's action in the second person and pauses with three actions to choose
from. A story started without a target gets
:data:`~recurrentgpt.story.fiction.DEFAULT_SCENES` scenes, because stories end.
Served as its own graph in ``langgraph.json``; the co-writing graph plays the
same stories when ``Context.story_form`` is ``"fiction"``.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import StateGraph
from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.graphs.cowriter import add_cowriter_nodes
from recurrentgpt.nodes.start import make_start_node
from recurrentgpt.services import DefaultServices, Services
from recurrentgpt.state import InputState, OutputState, State
from recurrentgpt.story.fiction import FICTION

GRAPH_NAME = "recurrentgpt_fiction"


def make_fiction_start_node(services: Services) -> Any:
    """Build the opening node that starts every story in the fiction form."""
    start_novel = make_start_node(services)

    async def start_fiction(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Open an interactive story: the reader is "you", the protagonist."""
        update: dict[str, Any] = await start_novel({**state, "form": FICTION}, runtime)
        return update

    return start_fiction


def build_fiction_graph(
    services: Services | None = None,
    *,
    context_schema: type[Context] = Context,
) -> StateGraph[State, Context, InputState, OutputState]:
    """Return the (uncompiled) interactive-fiction graph wired to ``services``.

    ``context_schema`` is as in :func:`~recurrentgpt.graphs.cowriter.build_graph`.
    """
    builder = StateGraph(
        State, context_schema=context_schema, input_schema=InputState, output_schema=OutputState
    )
    services = services or DefaultServices()
    add_cowriter_nodes(builder, services, replacements={"start": make_fiction_start_node(services)})
    return builder


graph = build_fiction_graph().compile(name=GRAPH_NAME)
