"""Figure 3's A/B: how the lineage filter is given to the engine, on one indexed store.

    python -m bench.latency_ab 100000 40 --store /tmp/store-100k   # first run: about 13 minutes
    python -m bench.latency_ab 10000 40 --as-written   # unindexed, as steps leave a store

Loads N paragraphs as figure 3 does and builds the index, or reuses the store a
previous run left at ``--store`` (so a second A/B skips the build), then times
the same queries (``LongTermMemory.search``, the benchmark's 300-character plans)
for the default hybrid search (with MMR) and each list alone, three ways:

- ``repeated``: the lineage filter on the request and again on every prefetch
  (the engine checked it once per level; the code before 2026-11-30);
- ``once``: the filter once, at the top of the request (the engine applies it to
  every prefetch);
- ``once, novel alone``: as ``once``, and a novel never forked is filtered by its
  novel condition alone (the default).

Queries alternate between the variants one by one (the first of each turn
rotating), so a change in the machine's load touches all of them alike;
"overall" pools every round.
Writes JSON to ``--out`` (default stdout).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import qdrant_edge as edge

from bench.common import NOVEL_ID, filler_passages, write_json
from bench.retrieval_latency import DIMS, K, RandomEmbeddings, _latencies, _summary, passages_of
from recurrentgpt.memory import LongTermMemory, edge_store
from recurrentgpt.memory.edge_store import HNSW_EF, RRF_K, EdgeStore, lineage_filter
from recurrentgpt.memory.long_term import MMR_DIVERSITY
from recurrentgpt.memory.store import DENSE, SPARSE, Query

VARIANTS = ("repeated", "once", "once, novel alone")
QUERY_REQUEST = edge_store.query_request
"""The package's request builder (``variant`` patches the module's name)."""


def repeated_filter_request(query: Query, *, sole_branch: bool = False) -> edge.QueryRequest:
    """The hybrid request as built before: the lineage filter at every level of it."""
    where = lineage_filter(query.lineage)
    if query.mode != "hybrid" or query.sparse is None:
        return QUERY_REQUEST(query)
    sparse = edge.SparseVector(query.sparse.indices, query.sparse.values)
    fused: dict[str, Any] = {
        "prefetches": [
            edge.Prefetch(
                limit=query.candidates,
                query=edge.Query.Nearest(query.dense, using=DENSE),
                filter=where,
                params=edge.SearchParams(hnsw_ef=HNSW_EF),
            ),
            edge.Prefetch(
                limit=query.candidates,
                query=edge.Query.Nearest(sparse, using=SPARSE),
                filter=where,
            ),
        ],
        "query": edge.Fusion.Rrf(k=RRF_K),
    }
    return edge.QueryRequest(
        limit=query.limit,
        prefetches=[edge.Prefetch(limit=query.candidates, filter=where, **fused)],
        query=edge.Mmr(
            query.dense,
            lambda_=1.0 - query.diversity,
            candidates_limit=query.candidates,
            using=DENSE,
        ),
        filter=where,
        with_payload=True,
    )


@contextmanager
def variant(store: EdgeStore, name: str) -> Iterator[None]:
    """Search ``store`` the ``name`` way while inside (patched for this process only)."""
    build, sole = edge_store.query_request, store._sole_branch
    if name == "repeated":
        edge_store.query_request = repeated_filter_request
    if name != "once, novel alone":
        store._sole_branch = lambda lineage: False  # type: ignore[method-assign]
    try:
        yield
    finally:
        edge_store.query_request = build
        store._sole_branch = sole  # type: ignore[method-assign]


async def _open(
    size: int, folder: str, out: dict[str, Any], index: bool, dims: int | None = None
) -> LongTermMemory:
    """The store at ``folder``: reused if a run left one there, else built (and indexed).

    A new store gets ``dims``-dimension vectors (figure 3's 384 when None); a reused
    one is queried with vectors of its own size.
    """
    store = EdgeStore(folder)
    memory = LongTermMemory(store, RandomEmbeddings(dims or store.dimensions() or DIMS))
    if memory.backend.dimensions() is not None:
        if await memory.count(NOVEL_ID) != size:
            raise SystemExit(f"{folder} holds another size: give another --store")
        return memory
    passages = passages_of(size, filler_passages(500, seed=7))
    start = time.perf_counter()
    for first in range(0, size, 1000):
        await memory.store_many(passages[first : first + 1000])
    out["load_s"] = time.perf_counter() - start
    if index:
        start = time.perf_counter()
        await memory.build_index()
        out["index_s"] = time.perf_counter() - start
    return memory


async def run(
    size: int, repeats: int, rounds: int, folder: str, index: bool = True
) -> dict[str, Any]:
    """Every variant's p50/p95 and CPU p50 at ``size`` paragraphs, ``rounds`` rounds."""
    out: dict[str, Any] = {"size": size, "repeats": repeats, "indexed": index}
    memory = await _open(size, folder, out, index)
    store = memory.backend
    assert isinstance(store, EdgeStore)
    plans = [p.text[:300] for p in filler_passages(500, seed=7)[:50]]

    async def search(i: int) -> None:
        found = await memory.search(
            plans[i % len(plans)],
            novel_id=NOVEL_ID,
            branch_id="main",
            segments=[],
            before_position=size,
            k=K,
        )
        assert len(found) == K

    out["load_before"] = os.getloadavg()
    times: dict[str, tuple[list[float], list[float]]] = {}
    rows: dict[str, list[dict[str, float]]] = {}
    try:
        for _ in range(rounds):
            for mode in ("hybrid", "dense", "sparse"):
                memory.search_mode = mode
                memory.diversity = MMR_DIVERSITY if mode == "hybrid" else 0.0
                labels = {
                    n: f"{mode}{'+MMR' if mode == 'hybrid' else ''}, filter {n}" for n in VARIANTS
                }
                round_times: dict[str, tuple[list[float], list[float]]] = {}
                for name in VARIANTS:
                    with variant(store, name):
                        await search(-1)  # untimed: the first search of a variant
                for i in range(repeats):
                    # One query of each variant in turn, so a change of load touches all,
                    # the first of them rotating: the same plan asked again is cheaper (its
                    # posting lists and graph nodes are in the CPU's caches).
                    for name in VARIANTS[i % 3 :] + VARIANTS[: i % 3]:
                        with variant(store, name):
                            wall, cpu = await _latencies(search, 1, warm=False, first=i)
                        mine = round_times.setdefault(labels[name], ([], []))
                        mine[0].extend(wall)
                        mine[1].extend(cpu)
                for label, (wall, cpu) in round_times.items():
                    rows.setdefault(label, []).append(_summary((wall, cpu)))
                    every = times.setdefault(label, ([], []))
                    every[0].extend(wall)
                    every[1].extend(cpu)
                    print(label, {k: round(v, 2) for k, v in rows[label][-1].items()}, flush=True)
    finally:
        store.close()
    out["overall"] = {label: _summary(both) for label, both in times.items()}
    out["rows"] = rows
    out["load_after"] = os.getloadavg()
    return out


def main(argv: list[str] | None = None) -> None:
    """``SIZE REPEATS [--rounds N] [--store DIR] [--out FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", type=int)
    parser.add_argument("repeats", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store", help="folder of the indexed store (kept for the next run)")
    parser.add_argument("--out", help="JSON results file (default: stdout)")
    parser.add_argument(
        "--as-written", action="store_true", help="a new store stays unindexed, as steps leave it"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.store or scratch
        result = asyncio.run(
            run(args.size, args.repeats, args.rounds, folder, index=not args.as_written)
        )
    write_json(result, args.out)


if __name__ == "__main__":
    main()
