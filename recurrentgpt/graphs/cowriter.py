"""The co-writing graph: one RecurrentGPT step per cycle.

    START ─► start ─► human          (a novel already started goes straight to human)
    human ─► retriever ─► writer ─► memory_updater ─► planner ─► human   (one step)
    human ─► END                     (target reached, or the person stops)

``graph`` is compiled without a checkpointer or store: LangGraph server and
parent graphs inject their own. The CLI compiles :func:`build_graph` with SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from langgraph.graph import START, StateGraph

from recurrentgpt.context import Context
from recurrentgpt.nodes.human import make_human_node
from recurrentgpt.nodes.memory_updater import make_memory_updater_node
from recurrentgpt.nodes.planner import make_planner_node
from recurrentgpt.nodes.retriever import make_retriever_node
from recurrentgpt.nodes.start import make_start_node
from recurrentgpt.nodes.writer import make_writer_node
from recurrentgpt.services import DefaultServices, Services
from recurrentgpt.state import InputState, OutputState, State

GRAPH_NAME = "recurrentgpt"


def route_entry(state: State) -> Literal["start", "human"]:
    """Open a new novel, or go straight to the human turn for one already started."""
    return "human" if state.get("title") else "start"


def build_graph(
    services: Services | None = None,
) -> StateGraph[State, Context, InputState, OutputState]:
    """Return the (uncompiled) co-writing graph wired to ``services``.

    Args:
        services: Chat models and long-term memory for the nodes; the default
            builds real ones from each run's :class:`Context`.
    """
    builder = StateGraph(
        State, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    add_cowriter_nodes(builder, services or DefaultServices())
    return builder


def add_cowriter_nodes(
    builder: StateGraph[Any, Any, Any, Any],
    services: Services,
    *,
    replacements: Mapping[str, Any] | None = None,
) -> None:
    """Add the six roles and the recurrence's edges to ``builder``.

    Args:
        builder: A graph whose state extends :class:`State`.
        services: Chat models and long-term memory for the nodes.
        replacements: Node functions to use instead of the package's, by node
            name; the wiring stays the same.
    """
    nodes = {
        "start": make_start_node(services),
        "human": make_human_node(services),
        "retriever": make_retriever_node(services),
        "writer": make_writer_node(services),
        "memory_updater": make_memory_updater_node(services),
        "planner": make_planner_node(services),
        **(replacements or {}),
    }
    for name, node in nodes.items():
        destinations = ("retriever", "__end__") if name == "human" else None
        builder.add_node(name, node, destinations=destinations)
    builder.add_conditional_edges(START, route_entry)
    builder.add_edge("start", "human")
    builder.add_edge("retriever", "writer")
    builder.add_edge("writer", "memory_updater")
    builder.add_edge("memory_updater", "planner")
    builder.add_edge("planner", "human")


graph = build_graph().compile(name=GRAPH_NAME)
