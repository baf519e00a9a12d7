"""The co-writing graph as a LangGraph server loads it (``langgraph.json``).

Importing this module runs :func:`recurrentgpt.preflight.check_server` on the
environment's configuration before the graph is handed over, so a server whose
embedder cannot work offline, or whose embedded memory another server process
holds, fails at start with a message saying what to set, not in a novel's run;
then it starts loading the embedder and the default model in the background
(:mod:`recurrentgpt.warm`, ``RECURRENTGPT_WARM_START=0`` turns it off).
Code that compiles its own graph imports :mod:`recurrentgpt.graphs.cowriter`.
"""

from __future__ import annotations

from recurrentgpt.graphs.conversation import CONVERSATION_GRAPH_NAME, build_conversation_graph
from recurrentgpt.graphs.cowriter import graph
from recurrentgpt.graphs.fiction import graph as fiction_graph
from recurrentgpt.graphs.tool import TOOL_GRAPH_NAME, build_tool_graph
from recurrentgpt.preflight import check_server
from recurrentgpt.warm import start_warming

check_server()
# The embedder (and the default model) load now, in the background, not in a first run.
start_warming()

tool_graph = build_tool_graph().compile(name=TOOL_GRAPH_NAME)
"""The novel as one tool call (the server's MCP endpoint lists it): see graphs/tool.py."""

conversation_graph = build_conversation_graph().compile(name=CONVERSATION_GRAPH_NAME)
"""The novel as a conversation (the server's A2A endpoint takes it): graphs/conversation.py."""

__all__ = ["conversation_graph", "fiction_graph", "graph", "tool_graph"]
