"""Fixtures of the unit tests: a scripted model, a fresh long-term memory, a compiled graph.

``memory`` is the default backend (the embedded Qdrant engine in a temporary
folder); ``memory_backends`` lists every embedded backend, for tests of the
memory contract to run on each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from qdrant_client import QdrantClient

from recurrentgpt import build_graph
from recurrentgpt.context import Context
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.memory.client_store import ClientStore
from recurrentgpt.memory.edge_store import EdgeStore
from recurrentgpt.memory.store import VectorStore
from tests.environment import clear_deployment_settings
from tests.fakes import FakeServices, ScriptedChatModel


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the deployment's configuration (e.g. RECURRENTGPT_MODE=auto)."""
    clear_deployment_settings(monkeypatch, "POSTGRES_URI")


def make_context(**overrides: Any) -> Context:
    """A small, deterministic context for the scripted model.

    The scripted model stands in for a hosted one (the services ignore the name);
    ``plans_by="auto"`` treats a bundled local model differently.
    """
    settings: dict[str, Any] = {
        "model": "openai:scripted",
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


MEMORY_BACKENDS = ("edge", "local")
"""Embedded backends: the Qdrant engine (qdrant-edge) and qdrant-client's local mode."""


def make_store(backend: str, folder: Path) -> VectorStore:
    """A fresh, empty store of ``backend``."""
    if backend == "edge":
        return EdgeStore(str(folder / "edge"))
    return ClientStore(QdrantClient(":memory:"), location=":memory:")


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[LongTermMemory]:
    store = make_store("edge", tmp_path)
    yield LongTermMemory(store, HashingEmbeddings(64))
    store.close()


@pytest.fixture
def graph(model: ScriptedChatModel, memory: LongTermMemory) -> Any:
    return build_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())


@pytest.fixture
def config() -> dict[str, Any]:
    return {"configurable": {"thread_id": "novel-1"}}
