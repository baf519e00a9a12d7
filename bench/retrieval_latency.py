"""Figure 3: retrieval latency (p50/p95) by long-term memory backend and size.

Every backend holds N paragraphs of one novel (384-dimension vectors, the size
of MiniLM's, with the paragraph text in the payload) and answers top-3 queries
restricted to that novel's current branch before a position, i.e. the filter
the package's retriever sends. Backends:

- the default: the package's ``LongTermMemory.search`` (hybrid: dense + BM25
  fused with RRF) on the embedded Qdrant engine (qdrant-edge), as written in a
  session (tenant and payload indexes, no HNSW yet) and after ``build_index()``;
- the fallback (the previous default): ``LongTermMemory.search`` dense-only on
  qdrant-client local mode, in memory and on disk, with its lineage filter;
- the same local mode with only a ``novel_id`` filter, to show what the
  lineage filter costs there.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings
from qdrant_client import QdrantClient, models

from bench.common import NOVEL_ID, filler_passages, percentile
from recurrentgpt.memory import DEFAULT_COLLECTION, LongTermMemory, Passage
from recurrentgpt.memory.edge_store import EdgeStore
from recurrentgpt.memory.store import DENSE

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


async def _latencies(
    query: Callable[[int], Awaitable[Any]], repeats: int, *, warm: bool = True, first: int = 0
) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of ``repeats`` queries (after one untimed query if ``warm``).

    Query ``i`` is asked as ``query(first + i)``.

    CPU time counts every thread of the process (the engine searches in its own),
    and other processes on the cores do not inflate it: on a shared machine it is
    the figure that says what a query costs, beside the wall time a user waits.
    """
    if warm:
        await query(-1)
    times, cpu = [], []
    for i in range(first, first + repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        await query(i)
        times.append(1000 * (time.perf_counter() - start))
        cpu.append(1000 * (time.process_time() - cpu_start))
    return times, cpu


async def measure_local(
    passages: list[Passage], repeats: int, location: str
) -> tuple[dict[str, float], dict[str, float], float]:
    """Lineage-filtered and novel-filtered latencies on qdrant-client local mode."""
    client = QdrantClient(path=location) if location != ":memory:" else QdrantClient(":memory:")
    embeddings = RandomEmbeddings()
    memory = LongTermMemory(client, embeddings, search_mode="dense")
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
            using=DENSE,
            query_filter=novel_only,
            limit=K,
        )

    repeats_here = max(5, repeats // 3) if size > 20000 else repeats
    lineage_times = await _latencies(lineage, repeats_here)
    novel_times = await _latencies(by_novel, repeats_here)
    client.close()
    return _summary(lineage_times), _summary(novel_times), load_seconds


async def measure_edge(
    passages: list[Passage], repeats: int, folder: str
) -> tuple[dict[str, float], dict[str, Any], float, float]:
    """The default store: hybrid search as written, then after building the index."""
    memory = LongTermMemory(EdgeStore(folder), RandomEmbeddings())
    start = time.perf_counter()
    for first in range(0, len(passages), 1000):
        await memory.store_many(passages[first : first + 1000])
    load_seconds = time.perf_counter() - start
    size = len(passages)
    plans = [p.text[:300] for p in passages[:50]]

    async def lineage(i: int) -> Any:
        found = await memory.search(
            plans[i % len(plans)],
            novel_id=NOVEL_ID,
            branch_id="main",
            segments=[],
            before_position=size,
            k=K,
        )
        assert len(found) == K

    as_written = await _latencies(lineage, repeats)
    start = time.perf_counter()
    await memory.build_index()
    index_seconds = time.perf_counter() - start
    indexed = await _latencies(lineage, repeats)
    # Where an indexed search's time goes: each part of the default query alone.
    parts = {}
    for mode, diversity in (("dense", 0.0), ("sparse", 0.0), ("hybrid", 0.0)):
        memory.search_mode, memory.diversity = mode, diversity  # type: ignore[assignment]
        parts[f"{mode}, no MMR"] = _summary(await _latencies(lineage, repeats))
    memory.backend.close()
    return _summary(as_written), _summary(indexed) | {"parts": parts}, load_seconds, index_seconds


def _summary(times: tuple[list[float], list[float]]) -> dict[str, float]:
    wall, cpu = times
    return {
        "p50_ms": percentile(wall, 50),
        "p95_ms": percentile(wall, 95),
        "cpu_p50_ms": percentile(cpu, 50),
        "n": len(wall),
    }


async def run(quick: bool) -> dict[str, Any]:
    """Every backend at 1k and 10k paragraphs (and 100k in the full run)."""
    sizes = [1000, 10000] if quick else [1000, 10000, 100000]
    repeats = 20 if quick else 50
    pool = filler_passages(500, seed=7)
    rows: list[dict[str, Any]] = []
    for size in sizes:
        passages = passages_of(size, pool)
        with tempfile.TemporaryDirectory() as folder:
            written, indexed, load, index = await measure_edge(passages, repeats, folder)
        rows.append(
            {"backend": "engine (default), as written", "size": size, **written} | {"load_s": load}
        )
        rows.append(
            {"backend": "engine (default), indexed", "size": size, **indexed}
            | {"load_s": load + index}
        )
        if size > (1000 if quick else 10000):
            # Local mode scans in Python (about 2 s a query at 100,000 in an earlier run):
            # its trend is clear by 10,000, and the CPU goes to the engine's rows. The
            # quick run stops it at 1,000: at 10,000 it took half of `make bench`.
            continue
        for location in (":memory:", "disk"):
            with tempfile.TemporaryDirectory() as folder:
                lineage, novel, load = await measure_local(
                    passages, repeats, ":memory:" if location == ":memory:" else folder
                )
            name = "local mode, in memory" if location == ":memory:" else "local mode, on disk"
            rows.append({"backend": name, "size": size, **lineage, "load_s": load})
            if location == ":memory:":
                rows.append(
                    {"backend": "local mode, in memory, novel_id filter only", "size": size} | novel
                )
    return {"rows": rows, "k": K}
