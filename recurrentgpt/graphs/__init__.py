"""Graphs exported by the package."""

from recurrentgpt.graphs.cowriter import build_graph, graph

__all__ = ["build_graph", "graph"]
