"""The novel as an MCP tool, through the server's /mcp endpoint and the official client.

The official `mcp` client speaks streamable HTTP to the real `langgraph dev`
(scripted model): it lists the tool, starts a novel, continues it, reads it
back and sees bad calls refused; `langchain-mcp-adapters` loads the same tool
into a small agent whose chat model is scripted to call it.
"""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

pytest.importorskip("mcp")

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from recurrentgpt.graphs.tool import DEFAULT_MAX_PARAGRAPHS, TOOL_GRAPH_NAME
from tests.server.devserver import DevServer

pytestmark = pytest.mark.server

PREMISE = "A lighthouse keeper finds a brass key."
TOOL = "write_short_novel"
TOOL_ASSISTANT_ID = "5b0d3f0e-8c1a-4f49-9e0c-2f4f8f3b6a10"
"""An assistant of the tool graph with paragraphs the scripted model's length (an MCP
call cannot pass a context: the assistant's configuration is the operator's)."""


@pytest.fixture(scope="module")
def tool_server(fake_server: DevServer) -> DevServer:
    """The fake server with the :data:`TOOL` assistant."""
    from langgraph_sdk import get_sync_client

    get_sync_client(url=fake_server.url).assistants.create(
        TOOL_GRAPH_NAME,
        context={"words_per_paragraph": 40},
        assistant_id=TOOL_ASSISTANT_ID,
        if_exists="do_nothing",
        name=TOOL,
        description="Write a short novel, a few paragraphs per call (novel_id to continue).",
    )
    return fake_server


@asynccontextmanager
async def session(server: DevServer) -> AsyncIterator[ClientSession]:
    async with (
        streamable_http_client(f"{server.url}/mcp") as (read, write, _),
        ClientSession(read, write) as opened,
    ):
        await opened.initialize()
        yield opened


async def call(opened: ClientSession, arguments: dict[str, Any]) -> tuple[bool, Any]:
    """Whether the call failed, and its answer (the output dict, or the error text)."""
    result = await opened.call_tool(TOOL, arguments)
    text = "".join(getattr(part, "text", "") for part in result.content)
    # The server answers a tool call with the repr of the graph's output.
    return bool(result.isError), text if result.isError else ast.literal_eval(text)


async def test_an_agent_starts_continues_and_reads_back_a_novel(tool_server: DevServer) -> None:
    async with session(tool_server) as opened:
        tools = {tool.name: tool for tool in (await opened.list_tools()).tools}
        tool = tools[TOOL]
        assert "novel_id" in (tools[TOOL_GRAPH_NAME].description or "")
        assert {"premise", "novel_id", "paragraphs", "read_from"} <= set(
            tool.inputSchema["properties"]
        )

        failed, started = await call(opened, {"premise": PREMISE, "paragraphs": 2})
        assert not failed, started
        novel_id = started["novel_id"]
        assert started["status"] == "finished"
        total = started["paragraphs_total"]
        assert started["first_paragraph"] == 1 and started["last_paragraph"] == total
        assert started["text"].count("\n\n") == total - 1 and not started["more"]

        failed, continued = await call(opened, {"novel_id": novel_id, "paragraphs": 2})
        assert not failed, continued
        assert continued["novel_id"] == novel_id
        assert continued["paragraphs_total"] == total + 2
        assert continued["first_paragraph"] == total + 1
        assert continued["text"] and continued["text"] not in started["text"]

        failed, read = await call(opened, {"novel_id": novel_id, "paragraphs": 0, "read_from": 1})
        assert not failed, read
        assert read["text"] == started["text"] + "\n\n" + continued["text"]


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"genre": "mystery"}, "give a premise"),
        ({"premise": PREMISE, "paragraphs": 100_000}, f"between 0 and {DEFAULT_MAX_PARAGRAPHS}"),
        ({"premise": PREMISE, "paragraphs": "many"}, "paragraphs must be a whole number"),
        ({"novel_id": "novel-nobody-wrote", "paragraphs": 1}, "no novel with novel_id"),
    ],
)
async def test_bad_calls_are_answered_with_the_reason_and_write_nothing(
    tool_server: DevServer, arguments: dict[str, Any], reason: str
) -> None:
    async with session(tool_server) as opened:
        failed, answer = await call(opened, arguments)
    assert not failed
    assert reason in answer["error"]
    assert "text" not in answer and "title" not in answer


async def test_an_agent_loaded_through_langchain_mcp_adapters_writes_a_novel(
    tool_server: DevServer,
) -> None:
    adapters = pytest.importorskip("langchain_mcp_adapters.client")
    from langchain.agents import create_agent
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    class ScriptedAgentModel(GenericFakeChatModel):
        """Answers from its script: first the tool call, then the reply."""

        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self

    client = adapters.MultiServerMCPClient(
        {"novels": {"url": f"{tool_server.url}/mcp", "transport": "streamable_http"}}
    )
    tools = await client.get_tools()
    arguments = {"premise": PREMISE, "paragraphs": 1}
    model = ScriptedAgentModel(
        messages=iter(
            [
                AIMessage("", tool_calls=[{"name": TOOL, "args": arguments, "id": "c1"}]),
                AIMessage("I wrote the opening of your novel."),
            ]
        )
    )
    agent = create_agent(model, [t for t in tools if t.name == TOOL])

    result = await agent.ainvoke({"messages": [("user", "Write me a short mystery.")]})

    tool_answer = next(m for m in result["messages"] if m.type == "tool")
    assert "novel_id" in str(tool_answer.content) and "'status': 'finished'" in str(
        tool_answer.content
    )
    assert result["messages"][-1].content == "I wrote the opening of your novel."
