"""Fixtures of the unit tests: a scripted model, a fresh in-memory Qdrant, a compiled graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from qdrant_client import QdrantClient

from recurrentgpt import build_graph
from recurrentgpt.context import Context
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.long_term_memory import LongTermMemory
from tests.environment import clear_deployment_settings
from tests.fakes import FakeServices, ScriptedChatModel


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the deployment's configuration (e.g. RECURRENTGPT_MODE=auto)."""
    clear_deployment_settings(monkeypatch, "POSTGRES_URI")


def make_context(**overrides: Any) -> Context:
    """A small, deterministic context for the scripted model."""
    settings: dict[str, Any] = {
        "mode": "auto-first",
        "embedder": "hash:64",
        "words_per_paragraph": 40,
    }
    settings.update(overrides)
    return Context(**settings)


@pytest.fixture
def context_factory() -> Callable[..., Context]:
    return make_context


@pytest.fixture
def model() -> ScriptedChatModel:
    return ScriptedChatModel()


@pytest.fixture
def qdrant() -> QdrantClient:
    return QdrantClient(":memory:")


@pytest.fixture
def memory(qdrant: QdrantClient) -> LongTermMemory:
    return LongTermMemory(qdrant, HashingEmbeddings(64))


@pytest.fixture
def graph(model: ScriptedChatModel, memory: LongTermMemory) -> Any:
    return build_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())


@pytest.fixture
def config() -> dict[str, Any]:
    return {"configurable": {"thread_id": "novel-1"}}
