"""The co-writing graph: one RecurrentGPT step per cycle.

    START ─► start ─► planner ─► human   (a novel already started goes straight to human;
    START ─► chapter_planner              a finished novel given more steps extends its outline)
    START ─► import_manuscript ─► planner (a new novel whose input holds a manuscript)
    human ─► retriever ─► writer ─► memory_updater ─► planner ─► human   (one step)
                          memory_updater ─► chapter_planner ─► planner   (a chapter ends)
    human ─► human                        (a paragraph edit refreshed the plans: ask again)
    human ─► END                          (target reached, or the person stops)

``graph`` is compiled without a checkpointer or store: LangGraph server and
parent graphs inject their own. The CLI compiles :func:`build_graph` with SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.nodes.chapter_planner import make_chapter_planner_node
from recurrentgpt.nodes.common import target_reached
from recurrentgpt.nodes.human import make_human_node
from recurrentgpt.nodes.importer import make_import_node
from recurrentgpt.nodes.memory_updater import make_memory_updater_node
from recurrentgpt.nodes.planner import make_planner_node
from recurrentgpt.nodes.retriever import make_retriever_node
from recurrentgpt.nodes.start import make_start_node
from recurrentgpt.nodes.writer import make_writer_node
from recurrentgpt.services import DefaultServices, Services
from recurrentgpt.state import InputState, OutputState, State
from recurrentgpt.story.outline import chapter_is_complete

GRAPH_NAME = "recurrentgpt"


def route_entry(
    state: State,
) -> Literal["start", "import_manuscript", "human", "chapter_planner"]:
    """Open a new novel (or import one), continue one already started, or extend a finished one.

    A finished novel given a larger target ended its story: its outline is
    extended and the next chapter planned before anything else is written.
    """
    if not state.get("title"):
        return "import_manuscript" if state.get("manuscript") is not None else "start"
    if state.get("status") == "finished" and not target_reached(state):
        return "chapter_planner"
    return "human"


def route_after_memory(
    state: State, runtime: Runtime[Context]
) -> Literal["chapter_planner", "planner"]:
    """Plan the next chapter when this paragraph completed the current one."""
    context = runtime.context or Context()
    complete = chapter_is_complete(
        step=state.get("step", 0),
        chapter_start_step=state.get("chapter_start_step", 0),
        paragraphs_per_chapter=context.paragraphs_per_chapter,
    )
    return "chapter_planner" if complete and not target_reached(state) else "planner"


def build_graph(
    services: Services | None = None,
    *,
    context_schema: type[Context] = Context,
) -> StateGraph[State, Context, InputState, OutputState]:
    """Return the (uncompiled) co-writing graph wired to ``services``.

    Args:
        services: Chat models and long-term memory for the nodes; the default
            builds real ones from each run's :class:`Context`.
        context_schema: What each run's context is read as: a server passes
            :class:`~recurrentgpt.deployment.ServedContext`, which refuses
            deployment settings from callers.
    """
    builder = StateGraph(
        State, context_schema=context_schema, input_schema=InputState, output_schema=OutputState
    )
    add_cowriter_nodes(builder, services or DefaultServices())
    return builder


def add_cowriter_nodes(
    builder: StateGraph[Any, Any, Any, Any],
    services: Services,
    *,
    replacements: Mapping[str, Any] | None = None,
) -> None:
    """Add the roles (and the import) and the recurrence's edges to ``builder``.

    Args:
        builder: A graph whose state extends :class:`State`.
        services: Chat models and long-term memory for the nodes.
        replacements: Node functions to use instead of the package's, by node
            name; the wiring stays the same.
    """
    nodes = {
        "start": make_start_node(services),
        "import_manuscript": make_import_node(services),
        "human": make_human_node(services),
        "retriever": make_retriever_node(services),
        "writer": make_writer_node(services),
        "memory_updater": make_memory_updater_node(services),
        "planner": make_planner_node(services),
        "chapter_planner": make_chapter_planner_node(services),
        **(replacements or {}),
    }
    for name, node in nodes.items():
        destinations = (
            ("retriever", "chapter_planner", "human", "__end__") if name == "human" else None
        )
        builder.add_node(name, node, destinations=destinations)
    builder.add_conditional_edges(START, route_entry)
    builder.add_edge("start", "planner")
    builder.add_edge("import_manuscript", "planner")
    builder.add_edge("retriever", "writer")
    builder.add_edge("writer", "memory_updater")
    builder.add_conditional_edges("memory_updater", route_after_memory)
    builder.add_edge("chapter_planner", "planner")
    builder.add_edge("planner", "human")


graph = build_graph().compile(name=GRAPH_NAME)
