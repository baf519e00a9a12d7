"""RecurrentGPT as a cyclic LangGraph graph: long text written one paragraph per step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recurrentgpt.graphs.cowriter import build_graph, graph

__all__ = ["build_graph", "graph"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `import recurrentgpt.novels` (a quick command) must not
    # build the graph and load every model client.
    if name in __all__:
        from recurrentgpt.graphs import cowriter

        return getattr(cowriter, name)
    raise AttributeError(f"module 'recurrentgpt' has no attribute {name!r}")
