"""The co-writing graph as a LangGraph server loads it (``langgraph.json``).

Importing this module runs :func:`recurrentgpt.preflight.check_server` on the
environment's configuration before the graph is handed over, so a server whose
embedder cannot work offline, or whose embedded memory another server process
holds, fails at start with a message saying what to set, not in a novel's run.
The served graphs read each run's context as
:class:`~recurrentgpt.deployment.ServedContext`: a caller may choose models and
how the novel is written, but not where data lives, which endpoint or key is
used, or which embedder fills the shared memory (see :mod:`recurrentgpt.deployment`).
Code that compiles its own graph imports :mod:`recurrentgpt.graphs.cowriter`.
"""

from __future__ import annotations

from recurrentgpt.deployment import ServedContext
from recurrentgpt.graphs import cowriter, fiction
from recurrentgpt.preflight import check_server
from recurrentgpt.services import DefaultServices

check_server()

_services = DefaultServices()
"""One set of cached clients for both graphs: they share the long-term memory."""

graph = cowriter.build_graph(_services, context_schema=ServedContext).compile(
    name=cowriter.GRAPH_NAME
)
fiction_graph = fiction.build_fiction_graph(_services, context_schema=ServedContext).compile(
    name=fiction.GRAPH_NAME
)

__all__ = ["fiction_graph", "graph"]
