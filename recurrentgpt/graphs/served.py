"""The co-writing graph as a LangGraph server loads it (``langgraph.json``).

Importing this module runs :func:`recurrentgpt.preflight.check_server` on the
environment's configuration before the graph is handed over, so a server whose
embedder cannot work offline, or whose embedded memory another server process
holds, fails at start with a message saying what to set, not in a novel's run;
then it starts loading the embedder and the default model in the background
(:mod:`recurrentgpt.warm`, ``RECURRENTGPT_WARM_START=0`` turns it off).
The served graphs read each run's context as
:class:`~recurrentgpt.deployment.ServedContext`: a caller (SDK, page, MCP, A2A)
may choose models and how the novel is written, but not where data lives, which
endpoint or key is used, or which embedder fills the shared memory (see
:mod:`recurrentgpt.deployment`).
Code that compiles its own graph imports :mod:`recurrentgpt.graphs.cowriter`.
"""

from __future__ import annotations

from recurrentgpt.deployment import ServedContext
from recurrentgpt.graphs import cowriter, fiction
from recurrentgpt.graphs.conversation import CONVERSATION_GRAPH_NAME, build_conversation_graph
from recurrentgpt.graphs.tool import TOOL_GRAPH_NAME, build_tool_graph
from recurrentgpt.preflight import check_server
from recurrentgpt.services import DefaultServices
from recurrentgpt.warm import start_warming

check_server()
# The embedder (and the default model) load now, in the background, not in a first run.
start_warming()

_services = DefaultServices()
"""One set of cached clients for every served graph: they share the long-term memory."""

graph = cowriter.build_graph(_services, context_schema=ServedContext).compile(
    name=cowriter.GRAPH_NAME
)
fiction_graph = fiction.build_fiction_graph(_services, context_schema=ServedContext).compile(
    name=fiction.GRAPH_NAME
)
tool_graph = build_tool_graph(_services, context_schema=ServedContext).compile(name=TOOL_GRAPH_NAME)
"""The novel as one tool call (the server's MCP endpoint lists it): see graphs/tool.py."""

conversation_graph = build_conversation_graph(_services, context_schema=ServedContext).compile(
    name=CONVERSATION_GRAPH_NAME
)
"""The novel as a conversation (the server's A2A endpoint takes it): graphs/conversation.py."""

__all__ = ["conversation_graph", "fiction_graph", "graph", "tool_graph"]
