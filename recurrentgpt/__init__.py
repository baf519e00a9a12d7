"""RecurrentGPT as a cyclic LangGraph graph: long text written one paragraph per step."""

from recurrentgpt.graphs.cowriter import build_graph, graph

__all__ = ["build_graph", "graph"]
