"""Figure 3's request A/B: the default search against variants of its request or store.

    python -m bench.request_ab 60 --store default=/tmp/s-default --store int8=/tmp/s-int8

Each ``--store NAME=DIR`` is an indexed store of N paragraphs that
``bench.latency_ab`` (or this tool's ``build``) left there; the stores are opened
side by side in one process. Every variant names a store and how the request
differs from the default one (``VARIANTS``); the queries (``LongTermMemory.search``,
the benchmark's 300-character plans, the default hybrid search with MMR)
alternate between the variants one by one, the first of each turn rotating, so a
change in the machine's load touches all of them alike. Variants whose store was
not given are skipped. Writes JSON to ``--out`` (default stdout).

    python -m bench.request_ab build DIR [--int8]   # an indexed 100,000-paragraph store

builds a store as figure 3 does, optionally with int8 scalar quantization of the
dense vector (quantile 0.99, kept in RAM): the config the int8 variants need (the
package's own since 2026-11-30), or with ``--sparse-datatype NAME`` for the BM25 vector.

    python -m bench.request_ab configure SRC DST --threads N   # a copy, N search threads

copies the store at SRC to DST and sets the copy's search pool to N threads (the
engine keeps a shard's other settings when it is loaded with only this one given):
stores alike but for their search threads, without building twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import qdrant_edge as edge

from bench.common import NOVEL_ID, filler_passages, write_json
from bench.latency_ab import _open
from bench.retrieval_latency import DIMS, K, RandomEmbeddings, _latencies, _summary
from recurrentgpt.memory import LongTermMemory, edge_store, long_term
from recurrentgpt.memory.edge_store import HNSW_EF, RRF_K, EdgeStore, lineage_filter
from recurrentgpt.memory.store import DENSE, SPARSE, Query

SIZE = 100_000
QUERY_REQUEST = edge_store.query_request
"""The package's request builder (a variant may patch the module's name)."""
PLAIN_PARAMS = edge.SearchParams


class PlanEmbeddings(RandomEmbeddings):
    """A random unit vector seeded by the text: a plan gets the same vector every time."""

    def embed_query(self, text: str) -> list[float]:
        """The text's own random vector."""
        self.rng = np.random.default_rng(zlib.crc32(text.encode()))
        return super().embed_query(text)


def _quantization(**options: Any) -> Callable[..., edge.SearchParams]:
    """``edge.SearchParams`` with quantization search parameters added."""

    def params(**given: Any) -> edge.SearchParams:
        return PLAIN_PARAMS(**{**given, "quantization": edge.QuantizationSearchParams(**options)})

    return params


def dense_only_filter_request(query: Query, *, sole_branch: bool = False) -> edge.QueryRequest:
    """The default hybrid request with MMR, its filter on the dense prefetch alone.

    Right only for a store that holds nothing but the searched lineage (figure 3's):
    it measures what the filter costs the BM25 list, fusion and MMR.
    """
    if query.mode != "hybrid" or query.sparse is None or not query.sparse.indices:
        return QUERY_REQUEST(query, sole_branch=sole_branch)
    where = lineage_filter(query.lineage, sole_branch=sole_branch)
    sparse = edge.SparseVector(query.sparse.indices, query.sparse.values)
    rrf: Any = edge.Fusion.Rrf(k=RRF_K)  # the stubs omit Rrf from Prefetch's query types
    fused = edge.Prefetch(
        limit=query.candidates,
        prefetches=[
            edge.Prefetch(
                limit=query.candidates,
                query=edge.Query.Nearest(query.dense, using=DENSE),
                filter=where,
                params=edge.SearchParams(hnsw_ef=HNSW_EF),
            ),
            edge.Prefetch(limit=query.candidates, query=edge.Query.Nearest(sparse, using=SPARSE)),
        ],
        query=rrf,
    )
    return edge.QueryRequest(
        limit=query.limit,
        prefetches=[fused],
        query=edge.Mmr(
            query.dense,
            lambda_=1.0 - query.diversity,
            candidates_limit=query.candidates,
            using=DENSE,
        ),
        with_payload=True,
    )


def mmr_over(count: int) -> Callable[..., edge.QueryRequest]:
    """A request builder: the default one, but MMR re-ranks only the fused top ``count``.

    The lists still hand ``CANDIDATES`` each to fusion: this measures what MMR's
    own share of the search costs, apart from the lists'.
    """

    def request(query: Query, *, sole_branch: bool = False) -> edge.QueryRequest:
        if query.mode != "hybrid" or query.diversity <= 0:
            return QUERY_REQUEST(query, sole_branch=sole_branch)
        fused = QUERY_REQUEST(replace(query, diversity=0.0), sole_branch=sole_branch)
        return edge.QueryRequest(
            limit=query.limit,
            prefetches=[edge.Prefetch(limit=count, prefetches=fused.prefetches, query=fused.query)],
            query=edge.Mmr(
                query.dense, lambda_=1.0 - query.diversity, candidates_limit=count, using=DENSE
            ),
            filter=fused.filter,
            with_payload=True,
        )

    return request


def _exact(**given: Any) -> edge.SearchParams:
    """``edge.SearchParams`` for an exact (brute-force) dense list: the true nearest."""
    return PLAIN_PARAMS(**{**given, "exact": True})


@dataclass(frozen=True)
class Variant:
    """A store (by name) and the module attributes patched while its query runs."""

    store: str = "default"
    patches: dict[str, Any] = field(default_factory=dict)
    """``"module.ATTRIBUTE"`` -> value; modules: edge_store, long_term, edge (qdrant_edge)."""
    memory: dict[str, Any] = field(default_factory=dict)
    """Attributes of the ``LongTermMemory`` set while its query runs (``search_mode``,
    ``diversity``, ``query_terms``)."""


VARIANTS: dict[str, Variant] = {
    "default": Variant(),
    "one search thread": Variant("one-thread"),
    "int8 store, one search thread": Variant("int8-one-thread"),
    "int8 store, one search thread, rescored": Variant(
        "int8-one-thread", {"edge.SearchParams": _quantization(rescore=True)}
    ),
    "exact dense list": Variant(patches={"edge.SearchParams": _exact}),
    "hnsw_ef 32": Variant(patches={"edge_store.HNSW_EF": 32}),
    "candidates 48": Variant(patches={"long_term.CANDIDATES": 48}),
    "candidates 32, hnsw_ef 32": Variant(
        patches={"long_term.CANDIDATES": 32, "edge_store.HNSW_EF": 32}
    ),
    "filter on the dense list only": Variant(
        patches={"edge_store.query_request": dense_only_filter_request}
    ),
    "int8 store, quantization ignored": Variant(
        "int8", {"edge.SearchParams": _quantization(ignore=True)}
    ),
    "int8 store, rescored": Variant("int8", {"edge.SearchParams": _quantization(rescore=True)}),
    "int8 store, rescored, oversampling 2": Variant(
        "int8", {"edge.SearchParams": _quantization(rescore=True, oversampling=2.0)}
    ),
    "int8 store, not rescored": Variant(
        "int8", {"edge.SearchParams": _quantization(rescore=False)}
    ),
}
VARIANTS |= {
    f"candidates {n}{ef}": Variant(
        patches={"long_term.CANDIDATES": n} | ({"edge_store.HNSW_EF": n} if ef else {})
    )
    for n in (16, 24, 32)
    for ef in ("", f", hnsw_ef {n}")
    if f"candidates {n}{ef}" not in VARIANTS
}
SPARSE_ONLY = {"search_mode": "sparse", "diversity": 0.0}
"""The BM25 list alone, no MMR (figure 3's "sparse, no MMR" part)."""
VARIANTS |= {
    "engine's pool (2 threads)": Variant("pool"),
    "sparse only": Variant(memory=SPARSE_ONLY),
    "sparse only, engine's pool (2 threads)": Variant("pool", memory=SPARSE_ONLY),
    "no MMR": Variant(memory={"diversity": 0.0}),
    "dense only, no MMR": Variant(memory={"search_mode": "dense", "diversity": 0.0}),
    "MMR over the fused 32": Variant(patches={"edge_store.query_request": mmr_over(32)}),
    "MMR over the fused 16": Variant(patches={"edge_store.query_request": mmr_over(16)}),
    "sparse Uint8 store": Variant("sparse-u8"),
    "sparse only, sparse Uint8 store": Variant("sparse-u8", memory=SPARSE_ONLY),
    "sparse Uint8 store, query terms 6": Variant(
        "sparse-u8", memory={"query_terms": 6, "query_postings": None}
    ),
    "768-d store": Variant("d768"),
    "768-d store, dense only, no MMR": Variant(
        "d768", memory={"search_mode": "dense", "diversity": 0.0}
    ),
    "BM25 query ranked by names, then length (before)": Variant(memory={"query_postings": None}),
    "BM25 postings 1.0": Variant(memory={"query_postings": 1.0}),
    "BM25 postings 3.0": Variant(memory={"query_postings": 3.0}),
    "query terms 4": Variant(memory={"query_terms": 4, "query_postings": None}),
    "query terms 5": Variant(memory={"query_terms": 5, "query_postings": None}),
    "query terms 6": Variant(memory={"query_terms": 6, "query_postings": None}),
    "query terms 8": Variant(memory={"query_terms": 8, "query_postings": None}),
    "sparse only, query terms 6": Variant(
        memory={**SPARSE_ONLY, "query_terms": 6, "query_postings": None}
    ),
    "sparse only, query terms 8": Variant(
        memory={**SPARSE_ONLY, "query_terms": 8, "query_postings": None}
    ),
    "sparse only, BM25 query ranked by names, then length (before)": Variant(
        memory={**SPARSE_ONLY, "query_postings": None}
    ),
}
MODULES: dict[str, Any] = {"edge_store": edge_store, "long_term": long_term, "edge": edge}


@contextmanager
def patched(patches: dict[str, Any]) -> Iterator[None]:
    """Set each ``"module.ATTRIBUTE"`` of ``patches`` while inside (this process only)."""
    saved = []
    try:
        for target, value in patches.items():
            module, name = target.split(".")
            saved.append((MODULES[module], name, getattr(MODULES[module], name)))
            setattr(MODULES[module], name, value)
        yield
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)


async def run(
    stores: dict[str, str], names: list[str], repeats: int, rounds: int, size: int = SIZE
) -> dict[str, Any]:
    """Each variant's p50/p95 and CPU p50 (and ids found) over ``rounds`` rounds."""
    memories: dict[str, LongTermMemory] = {}
    for key, folder in stores.items():
        memories[key] = await _open(size, folder, {}, True)
    names = [n for n in names if VARIANTS[n].store in memories]
    plans = [p.text[:300] for p in filler_passages(500, seed=7)[:50]]
    found: dict[str, list[list[int]]] = {n: [] for n in names}

    async def search(name: str, i: int) -> list[int]:
        variant = VARIANTS[name]
        memory = memories[variant.store]
        saved = {attribute: getattr(memory, attribute) for attribute in variant.memory}
        with patched(variant.patches):
            for attribute, value in variant.memory.items():
                setattr(memory, attribute, value)
            try:
                hits = await memory.search(
                    plans[i % len(plans)],
                    novel_id=NOVEL_ID,
                    branch_id="main",
                    segments=[],
                    before_position=size,
                    k=K,
                )
            finally:
                for attribute, value in saved.items():
                    setattr(memory, attribute, value)
        assert len(hits) == K
        return [h.position for h in hits]

    out: dict[str, Any] = {"size": size, "repeats": repeats, "load_before": os.getloadavg()}
    times: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in names}
    rows: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    try:
        for _ in range(rounds):
            round_times: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in names}
            for name in names:
                await search(name, -1)  # untimed: the first search of a variant
            for i in range(repeats):
                # The first of each turn rotates: the same plan asked again is cheaper.
                shift = i % len(names)
                for name in names[shift:] + names[:shift]:
                    wall, cpu = await _latencies(partial(search, name), 1, warm=False, first=i)
                    round_times[name][0].extend(wall)
                    round_times[name][1].extend(cpu)
            for name, (wall, cpu) in round_times.items():
                rows[name].append(_summary((wall, cpu)))
                times[name][0].extend(wall)
                times[name][1].extend(cpu)
                print(name, {k: round(v, 2) for k, v in rows[name][-1].items()}, flush=True)
        # What each variant finds: the same query vector for a plan in every variant.
        for memory in memories.values():
            memory.embeddings = PlanEmbeddings(memory.backend.dimensions() or DIMS)
        for name in names:
            found[name] = [await search(name, i) for i in range(len(plans))]
    finally:
        for memory in memories.values():
            memory.backend.close()
    out["overall"] = {name: _summary(both) for name, both in times.items()}
    out["reference"] = "default" if "default" in found else names[0]
    reference = found[out["reference"]]
    out["same_top_k_as_default"] = {
        name: sum(a == b for a, b in zip(ids, reference, strict=True))
        for name, ids in found.items()
    }
    out["share_of_default_hits"] = {
        name: sum(len(set(a) & set(b)) for a, b in zip(ids, reference, strict=True))
        / max(1, K * len(reference))
        for name, ids in found.items()
    }
    out["queries_compared"] = len(reference)
    out["rows"] = rows
    out["load_after"] = os.getloadavg()
    return out


async def build(
    folder: str,
    int8: bool,
    size: int = SIZE,
    sparse_datatype: str | None = None,
    dims: int | None = None,
) -> dict[str, Any]:
    """Build an indexed store of ``size`` paragraphs at ``folder``.

    ``int8`` adds the dense vector's int8 quantization (the package's own since
    2026-11-30); ``sparse_datatype`` (a ``VectorStorageDatatype`` name, e.g. ``Uint8``)
    sets the BM25 vector's storage datatype; ``dims`` the dense vectors' size (figure
    3's 384 when None). Otherwise the package's configuration.
    """
    out: dict[str, Any] = {}
    package = edge_store.shard_config

    def config(dims: int) -> edge.EdgeConfig:
        made = package(dims)
        scalar = edge.ScalarQuantizationConfig(
            type=edge.ScalarType.Int8, quantile=0.99, always_ram=True
        )
        sparse = made.sparse_vectors
        if sparse_datatype:
            datatype = getattr(edge.VectorStorageDatatype, sparse_datatype)
            sparse = {
                SPARSE: edge.EdgeSparseVectorParams(modifier=edge.Modifier.Idf, datatype=datatype)
            }
        return edge.EdgeConfig(
            vectors=made.vectors,
            sparse_vectors=sparse,
            hnsw_config=made.hnsw_config,
            quantization_config=scalar if int8 else made.quantization_config,
            max_search_threads=made.max_search_threads,
        )

    edge_store.shard_config = config
    try:
        start = time.perf_counter()
        memory = await _open(size, folder, out, True, dims)
        out["build_s"] = time.perf_counter() - start
        assert isinstance(memory.backend, EdgeStore)
        out["info"] = memory.backend.info()
        memory.backend.close()
    finally:
        edge_store.shard_config = package
    return out


def configure(source: str, copy: str, threads: int) -> dict[str, Any]:
    """Copy the store at ``source`` to ``copy`` and give the copy ``threads`` search threads."""
    shutil.copytree(source, copy)
    with open(os.path.join(copy, edge_store.META_FILE), encoding="utf-8") as file:
        made = edge_store.shard_config(int(json.load(file)["dims"]))
    given = edge.EdgeConfig(
        vectors=made.vectors, sparse_vectors=made.sparse_vectors, max_search_threads=threads
    )
    edge.EdgeShard.load(copy, given).close()
    store = EdgeStore(copy)
    try:
        return store.info()
    finally:
        store.close()


def main(argv: list[str] | None = None) -> None:
    """``REPEATS --store NAME=DIR ... [--only NAME ...] [--rounds N] [--out FILE]``, or a tool.

    The tools: ``build`` and ``configure`` (see the module's docstring).
    """
    argv = list(argv if argv is not None else sys.argv[1:])
    if argv[:1] == ["configure"]:
        copier = argparse.ArgumentParser(description="copy a store, set its search threads")
        copier.add_argument("source")
        copier.add_argument("copy")
        copier.add_argument("--threads", type=int, required=True)
        given = copier.parse_args(argv[1:])
        print(json.dumps(configure(given.source, given.copy, given.threads)))
        return
    if argv[:1] == ["build"]:
        builder = argparse.ArgumentParser(description="build an indexed store")
        builder.add_argument("folder")
        builder.add_argument("--int8", action="store_true")
        builder.add_argument("--size", type=int, default=SIZE)
        builder.add_argument("--sparse-datatype", help="e.g. Uint8, Float16")
        builder.add_argument("--dims", type=int, help="dense vector size (default 384)")
        given = builder.parse_args(argv[1:])
        built = build(given.folder, given.int8, given.size, given.sparse_datatype, given.dims)
        print(json.dumps(asyncio.run(built)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repeats", type=int)
    parser.add_argument("--store", action="append", default=[], help="NAME=DIR")
    parser.add_argument("--only", action="append", help="variant names (default: all)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=SIZE, help="paragraphs in each store")
    parser.add_argument("--out", help="JSON results file (default: stdout)")
    args = parser.parse_args(argv)
    stores = dict(s.split("=", 1) for s in args.store)
    names = args.only or list(VARIANTS)
    if "default" not in names:
        names.insert(0, "default")
    result = asyncio.run(run(stores, names, args.repeats, args.rounds, args.size))
    write_json(result, args.out)


if __name__ == "__main__":
    main()
