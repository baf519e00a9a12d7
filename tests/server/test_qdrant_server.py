"""Long-term memory against a real Qdrant server (the deployment's, see deploy/).

Runs only when QDRANT_URL answers; no Qdrant server can be installed offline,
so elsewhere these tests are reported as skipped. Each test writes to its own
collection and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import os
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator

import pytest
from qdrant_client import QdrantClient

from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory, MemoryConfigError
from recurrentgpt.memory.client_store import ClientStore
from recurrentgpt.state import BranchSegment

QDRANT_URL = os.environ.get("QDRANT_URL", "")


def _answers(url: str) -> bool:
    if not url:
        return False
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/readyz", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


pytestmark = pytest.mark.skipif(
    not _answers(QDRANT_URL), reason=f"no Qdrant server answers at QDRANT_URL={QDRANT_URL!r}"
)


@pytest.fixture
async def memory() -> AsyncIterator[LongTermMemory]:
    client = QdrantClient(url=QDRANT_URL, api_key=os.environ.get("QDRANT_API_KEY") or None)
    store = ClientStore(client, collection=f"test_{uuid.uuid4().hex}", location=QDRANT_URL)
    yield LongTermMemory(store, HashingEmbeddings(64))
    await asyncio.to_thread(client.delete_collection, store.collection)
    client.close()


async def test_a_server_collection_is_hybrid_with_a_tenant_index(memory: LongTermMemory) -> None:
    await _write(memory, "novel-a", "main", ["Velimir Straka hid the astrolabe in Saint Orm."])
    store = memory.backend
    assert isinstance(store, ClientStore)
    info = await asyncio.to_thread(store.client.get_collection, store.collection)
    assert "dense" in (info.config.params.vectors or {})
    sparse = info.config.params.sparse_vectors or {}
    assert str(sparse["bm25"].modifier).lower().endswith("idf")
    tenant = info.payload_schema["novel_id"].params
    assert getattr(tenant, "is_tenant", False)
    found = await memory.search(
        "Straka", novel_id="novel-a", branch_id="main", segments=[], before_position=1, k=1
    )
    assert found[0].entities == ("Velimir Straka", "Saint Orm")


async def _write(memory: LongTermMemory, novel_id: str, branch_id: str, texts: list[str]) -> None:
    for position, text in enumerate(texts):
        await memory.store(
            novel_id=novel_id,
            branch_id=branch_id,
            position=position,
            step=position,
            chapter=1,
            text=text,
            summary="",
        )


async def test_search_finds_related_passages_of_its_own_novel_only(
    memory: LongTermMemory,
) -> None:
    await _write(memory, "a", "main", ["the brass key", "a red ship", "the storm", "last"])
    await _write(memory, "b", "main", ["the brass key of novel b", "x", "y", "z"])

    found = await memory.search(
        "brass key", novel_id="a", branch_id="main", segments=[], before_position=3, k=2
    )

    assert found[0].text == "the brass key"
    assert {p.novel_id for p in found} == {"a"}
    assert all(p.position < 3 for p in found)


async def test_a_fork_sees_its_ancestry_but_not_the_abandoned_branch(
    memory: LongTermMemory,
) -> None:
    await _write(memory, "a", "main", ["opening", "shared", "abandoned brass key"])
    fork = [BranchSegment(branch_id="main", last_position=1)]
    await memory.store(
        novel_id="a", branch_id="fork", position=2, step=2, chapter=1, text="forked", summary=""
    )

    found = await memory.search(
        "brass key", novel_id="a", branch_id="fork", segments=fork, before_position=3, k=10
    )

    assert sorted(p.text for p in found) == ["forked", "opening", "shared"]


async def test_storing_a_step_twice_overwrites_it(memory: LongTermMemory) -> None:
    await _write(memory, "a", "main", ["first draft"])
    await _write(memory, "a", "main", ["second draft"])

    passages = await memory.read_novel(
        novel_id="a", branch_id="main", segments=[], up_to_position=5
    )

    assert [p.text for p in passages] == ["second draft"]


async def test_a_server_collection_records_its_embedder_and_refuses_another(
    memory: LongTermMemory,
) -> None:
    store = memory.backend
    assert isinstance(store, ClientStore)
    recording = LongTermMemory(store, HashingEmbeddings(64), embedder="hash:64")
    await _write(recording, "a", "main", ["the brass key"])

    # Another client (another writer) reads the record from the server.
    client = QdrantClient(url=QDRANT_URL, api_key=os.environ.get("QDRANT_API_KEY") or None)
    other = ClientStore(client, collection=store.collection, location=QDRANT_URL)
    assert other.embedder() == "hash:64"
    with pytest.raises(MemoryConfigError, match="was written with embedder 'hash:64'"):
        other.ensure_collection(64, "openai:64-dims")
    client.close()
