"""The novel as one tool call (recurrentgpt/graphs/tool.py), in process with the scripted model.

The MCP door itself is tested against `langgraph dev` in tests/server/test_mcp.py;
here: the text cap and reading the rest by id, the paragraph cap, and a refused
call that saves nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore
from qdrant_client import QdrantClient

from recurrentgpt.context import Context
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.graphs.tool import (
    MAX_CHARS_ENV,
    MAX_PARAGRAPHS_ENV,
    STORE_NAMESPACE,
    bounded_text,
    build_tool_graph,
)
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.users import USER_ID_KEY
from tests.fakes import FakeServices, ScriptedChatModel

CONTEXT = Context(embedder="hash:64", words_per_paragraph=40, mode="interactive")


def _tool() -> tuple[Any, InMemoryStore]:
    memory = LongTermMemory(QdrantClient(location=":memory:"), HashingEmbeddings(64))
    store = InMemoryStore()
    graph = build_tool_graph(FakeServices(ScriptedChatModel(), memory)).compile(
        checkpointer=InMemorySaver(), store=store
    )
    return graph, store


async def _call(graph: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    result: dict[str, Any] = await graph.ainvoke(arguments, config, context=CONTEXT)
    return result


async def test_the_text_is_capped_and_the_rest_is_read_by_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(MAX_CHARS_ENV, "150")
    graph, _ = _tool()

    started = await _call(graph, {"premise": "A keeper finds a key.", "paragraphs": 1})

    # An interactive server default does not make a tool call pause.
    assert started["status"] == "finished"
    assert len(started["text"]) <= 150
    assert started["last_paragraph"] < started["paragraphs_total"]
    assert f"read_from={started['last_paragraph'] + 1}" in started["more"]
    read_from = started["last_paragraph"] + 1
    rest = await _call(
        graph, {"novel_id": started["novel_id"], "paragraphs": 0, "read_from": read_from}
    )
    assert rest["first_paragraph"] == started["last_paragraph"] + 1
    assert rest["text"] and rest["text"] not in started["text"]


async def test_a_refused_call_writes_and_saves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_PARAGRAPHS_ENV, "2")
    graph, store = _tool()

    refused = await _call(graph, {"premise": "A keeper finds a key.", "paragraphs": 3})

    assert refused == {"error": refused["error"]}
    assert "between 0 and 2" in refused["error"]
    assert await store.asearch(STORE_NAMESPACE) == []


def test_bounded_text_keeps_whole_paragraphs_and_cuts_a_lone_long_one() -> None:
    assert bounded_text(["a" * 10, "b" * 10], 21) == ["a" * 10]
    assert bounded_text(["a" * 10, "b" * 10], 22) == ["a" * 10, "b" * 10]
    assert bounded_text(["c" * 50], 10) == ["c" * 9 + "…"]


async def test_a_failed_writing_is_answered_with_its_cause_and_saves_nothing() -> None:
    def no_paragraph(schema: str, messages: list[Any], n: int) -> str:
        raise ValueError("the model is down")

    memory = LongTermMemory(QdrantClient(location=":memory:"), HashingEmbeddings(64))
    store = InMemoryStore()
    services = FakeServices(ScriptedChatModel(overrides={"text": no_paragraph}), memory)
    graph = build_tool_graph(services).compile(checkpointer=InMemorySaver(), store=store)

    failed = await _call(graph, {"premise": "A keeper finds a key.", "paragraphs": 1})

    assert "the model is down" in failed["error"] and "can be repeated" in failed["error"]
    assert await store.asearch(STORE_NAMESPACE) == []


async def test_a_signed_in_user_finds_only_their_own_novels() -> None:
    graph, _ = _tool()

    async def call_as(user: str, arguments: dict[str, Any]) -> dict[str, Any]:
        # As the LangGraph server passes the authenticated user to a run.
        config = {"configurable": {"thread_id": uuid.uuid4().hex, USER_ID_KEY: user}}
        result: dict[str, Any] = await graph.ainvoke(arguments, config, context=CONTEXT)
        return result

    alice = await call_as("alice", {"premise": "A keeper finds a key.", "paragraphs": 1})
    assert alice["novel_id"].startswith("alice:")
    reading = {"novel_id": alice["novel_id"], "paragraphs": 0, "read_from": 1}
    again = await call_as("alice", reading)
    assert again["text"] and "error" not in again

    bob = await call_as("bob", reading)
    assert "no novel with novel_id" in bob["error"]
    assert again["text"] not in str(bob)
