"""Figure 3: retrieval latency (p50/p95) by long-term memory backend and size.

Every backend holds N paragraphs of one novel (384-dimension vectors, the size
of MiniLM's, with the paragraph text in the payload) and answers top-3 queries
restricted to that novel's current branch before a position, i.e. the filter
the package's retriever sends. Backends:

- the package's ``LongTermMemory.search`` on qdrant-client local mode, in
  memory and on disk (the default), with its lineage filter;
- the same local mode with only a ``novel_id`` filter, to show what the
  lineage filter costs there;
- qdrant-edge-py (the Qdrant engine embedded in-process), with payload
  indexes and an HNSW index; measured here only, the package does not use it.
"""

from __future__ import annotations

import tempfile
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from qdrant_client import QdrantClient, models

from bench.common import NOVEL_ID, filler_passages, percentile
from recurrentgpt.memory import DEFAULT_COLLECTION, LongTermMemory, Passage

DIMS = 384
K = 3


class RandomEmbeddings(Embeddings):
    """Seeded random unit vectors: latency does not depend on what the vectors mean."""

    def __init__(self, dims: int = DIMS, seed: int = 0) -> None:
        self.dims = dims
        self.rng = np.random.default_rng(seed)

    def _unit(self, count: int) -> np.ndarray:
        vectors = self.rng.standard_normal((count, self.dims)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One random vector per text."""
        return self._unit(len(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        """One random vector."""
        return self._unit(1)[0].tolist()


def passages_of(size: int, pool: list[Passage]) -> list[Passage]:
    """``size`` paragraphs at positions 0..size-1, texts cycled from ``pool``."""
    return [
        Passage(
            novel_id=NOVEL_ID,
            branch_id="main",
            position=position,
            step=position,
            chapter=1 + position // 20,
            text=pool[position % len(pool)].text,
            summary=pool[position % len(pool)].summary,
        )
        for position in range(size)
    ]


async def _latencies(query: Callable[[int], Awaitable[Any]], repeats: int) -> list[float]:
    await query(-1)
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        await query(i)
        times.append(1000 * (time.perf_counter() - start))
    return times


async def measure_local(
    passages: list[Passage], repeats: int, location: str
) -> tuple[dict[str, float], dict[str, float], float]:
    """Lineage-filtered and novel-filtered latencies on qdrant-client local mode."""
    client = QdrantClient(path=location) if location != ":memory:" else QdrantClient(":memory:")
    embeddings = RandomEmbeddings()
    memory = LongTermMemory(client, embeddings)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for first in range(0, len(passages), 1000):
            await memory.store_many(passages[first : first + 1000])
    load_seconds = time.perf_counter() - start
    size = len(passages)

    async def lineage(i: int) -> Any:
        return await memory.search(
            f"plan {i}",
            novel_id=NOVEL_ID,
            branch_id="main",
            segments=[],
            before_position=size,
            k=K,
        )

    novel_only = models.Filter(
        must=[models.FieldCondition(key="novel_id", match=models.MatchValue(value=NOVEL_ID))]
    )

    async def by_novel(i: int) -> Any:
        return client.query_points(
            DEFAULT_COLLECTION,
            query=embeddings.embed_query(""),
            query_filter=novel_only,
            limit=K,
        )

    repeats_here = max(5, repeats // 3) if size > 20000 else repeats
    lineage_times = await _latencies(lineage, repeats_here)
    novel_times = await _latencies(by_novel, repeats_here)
    client.close()
    return _summary(lineage_times), _summary(novel_times), load_seconds


def measure_edge(passages: list[Passage], repeats: int, folder: str) -> dict[str, float]:
    """Latency of the same filtered query on qdrant-edge with payload and HNSW indexes."""
    import qdrant_edge as edge

    shard = edge.EdgeShard.create(
        folder,
        edge.EdgeConfig(vectors=edge.EdgeVectorParams(size=DIMS, distance=edge.Distance.Cosine)),
    )
    for field, schema in (
        ("novel_id", edge.PayloadSchemaType.Keyword),
        ("branch_id", edge.PayloadSchemaType.Keyword),
        ("position", edge.PayloadSchemaType.Integer),
    ):
        shard.update(edge.UpdateOperation.create_field_index(field, schema))
    embeddings = RandomEmbeddings()
    start = time.perf_counter()
    for first in range(0, len(passages), 1000):
        batch = passages[first : first + 1000]
        vectors = embeddings.embed_documents([p.text for p in batch])
        points = [
            edge.Point(
                id=str(uuid.uuid4()),
                vector=vector,
                payload={
                    "novel_id": p.novel_id,
                    "branch_id": p.branch_id,
                    "position": p.position,
                    "text": p.text,
                    "summary": p.summary,
                },
            )
            for p, vector in zip(batch, vectors, strict=True)
        ]
        shard.update(edge.UpdateOperation.upsert_points(points))
    shard.optimize()
    load_seconds = time.perf_counter() - start
    lineage = edge.Filter(
        must=[edge.FieldCondition(key="novel_id", match=edge.MatchValue(NOVEL_ID))],
        should=[
            edge.Filter(
                must=[
                    edge.FieldCondition(key="branch_id", match=edge.MatchValue("main")),
                    edge.FieldCondition(
                        key="position", range=edge.RangeFloat(lte=len(passages) - 1)
                    ),
                ]
            )
        ],
    )
    times = []
    for _ in range(repeats + 1):
        request = edge.QueryRequest(
            limit=K,
            query=edge.Query.Nearest(embeddings.embed_query("")),
            filter=lineage,
            with_payload=True,
        )
        start = time.perf_counter()
        hits = shard.query(request)
        times.append(1000 * (time.perf_counter() - start))
        assert len(hits) == K
    shard.close()
    return {**_summary(times[1:]), "load_s": load_seconds}


def _summary(times: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "n": len(times)}


def edge_available() -> bool:
    """Tell whether qdrant-edge-py is installed."""
    try:
        import qdrant_edge  # noqa: F401
    except ImportError:
        return False
    return True


async def run(quick: bool) -> dict[str, Any]:
    """Every backend at 1k and 10k paragraphs (and 100k in the full run)."""
    sizes = [1000, 10000] if quick else [1000, 10000, 100000]
    repeats = 20 if quick else 50
    pool = filler_passages(500, seed=7)
    rows: list[dict[str, Any]] = []
    for size in sizes:
        passages = passages_of(size, pool)
        for location in (":memory:", "disk"):
            with tempfile.TemporaryDirectory() as folder:
                lineage, novel, load = await measure_local(
                    passages, repeats, ":memory:" if location == ":memory:" else folder
                )
            name = "qdrant local, in memory" if location == ":memory:" else "qdrant local, on disk"
            rows.append({"backend": name, "size": size, **lineage, "load_s": load})
            if location == ":memory:":
                rows.append(
                    {"backend": "qdrant local, in memory, novel_id filter only", "size": size}
                    | novel
                )
        if edge_available():
            with tempfile.TemporaryDirectory() as folder:
                rows.append(
                    {"backend": "qdrant-edge (bench only)", "size": size}
                    | measure_edge(passages, repeats, folder)
                )
    return {"rows": rows, "edge_available": edge_available(), "k": K}
