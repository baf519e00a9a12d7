"""Figure 7 (full run only): many writers, one store: 1,000 novels x 1,000 paragraphs.

A deployment keeps every writer's novels in one collection. This fills one
embedded store (the package's ``EdgeStore``, the default backend) with
``novels x paragraphs`` points (random 384-dimension unit vectors, BM25 vectors
of synthetic paragraphs, the package's payload), then times the search a step
makes: hybrid (dense + BM25, RRF) top-3 filtered to one novel's branch before a
position, first as written (no HNSW yet: the tenant index narrows the search to
one novel), then after ``build_index()`` (what ``python -m recurrentgpt.memory
index`` runs between sessions). It reports both, the index build time, and the
store's size on disk and resident memory.

    nice python -m bench.many_writers --novels 1000 --paragraphs 1000

writes ``bench/results/many_writers.json``, which ``bench.report`` reads.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import synthetic
from bench.common import machine, percentile
from recurrentgpt.memory.edge_store import EdgeStore
from recurrentgpt.memory.lexical import SparseEncoder
from recurrentgpt.memory.passage import Lineage, point_id
from recurrentgpt.memory.store import Query, StoredPoint

DIMS = 384
K = 3
BATCH = 2000
RESULTS = Path(__file__).resolve().parent / "results" / "many_writers.json"


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _disk_mib(folder: str) -> float:
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file()) / 2**20


def _unit(rng: np.random.Generator, count: int) -> np.ndarray:
    vectors = rng.standard_normal((count, DIMS)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _latencies(store: EdgeStore, novels: int, paragraphs: int, queries: int) -> dict[str, float]:
    rng = np.random.default_rng(1)
    encoder = SparseEncoder()
    plans = [synthetic.text_of_words(random.Random(i), 40) for i in range(50)]
    times = []
    for i in range(queries + 5):
        novel = f"novel-{int(rng.integers(novels))}"
        request = Query(
            dense=_unit(rng, 1)[0].tolist(),
            sparse=encoder.query(plans[i % len(plans)]),
            lineage=Lineage(novel, "main", [], paragraphs - 1),
            limit=K,
        )
        start = time.perf_counter()
        hits = store.search(request)
        elapsed = 1000 * (time.perf_counter() - start)
        assert len(hits) == K and all(h.payload["novel_id"] == novel for h in hits)
        if i >= 5:
            times.append(elapsed)
    return {
        "p50_ms": percentile(times, 50),
        "p99_ms": percentile(times, 99),
        "queries": len(times),
    }


def _save(result: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


def run(novels: int, paragraphs: int, out: Path, queries: int = 200) -> dict[str, Any]:
    """Fill one store with ``novels x paragraphs`` points, then time filtered searches.

    The results so far are saved before the index build (which can take longer
    than a session has), then again when it is done.
    """
    folder = tempfile.mkdtemp(prefix="many-writers-")
    try:
        store = EdgeStore(folder)
        store.ensure_collection(DIMS)
        encoder = SparseEncoder()
        pool_rng = random.Random(3)
        sparse_pool = [encoder.document(synthetic.paragraph(pool_rng, 180)) for _ in range(300)]
        rng = np.random.default_rng(0)
        total = novels * paragraphs
        growth: list[dict[str, Any]] = []
        start = time.perf_counter()
        for first in range(0, total, BATCH):
            vectors = _unit(rng, min(BATCH, total - first))
            points = []
            for offset, vector in enumerate(vectors):
                n = first + offset
                novel, position = f"novel-{n // paragraphs}", n % paragraphs
                points.append(
                    StoredPoint(
                        id=point_id(novel, "main", position),
                        dense=vector.tolist(),
                        sparse=sparse_pool[n % len(sparse_pool)],
                        payload={
                            "novel_id": novel,
                            "branch_id": "main",
                            "position": position,
                            "step": position,
                            "chapter": 1 + position // 20,
                            "text": f"paragraph {position} of {novel}",
                            "summary": "",
                            "entities": [],
                        },
                    )
                )
            store.upsert(points)
            done = first + len(points)
            if done % 100_000 == 0 and done < total:
                # Progress that survives a run cut short: latency as the store grows.
                growth.append(
                    {
                        "points": done,
                        "upsert_s": time.perf_counter() - start,
                        **_latencies(store, done // paragraphs, paragraphs, 20),
                        "disk_mib": _disk_mib(folder),
                        "rss_mib": _rss_mib(),
                    }
                )
                _save(
                    {
                        "novels": novels,
                        "paragraphs_per_novel": paragraphs,
                        "growth": growth,
                        "status": "upserting",
                        "machine": machine(),
                    },
                    out,
                )
                print(f"[many_writers] {growth[-1]}", flush=True)
        upsert_seconds = time.perf_counter() - start
        as_written = _latencies(store, novels, paragraphs, queries)
        result: dict[str, Any] = {
            "novels": novels,
            "paragraphs_per_novel": paragraphs,
            "points": store.info()["points"],
            "upsert_s": upsert_seconds,
            "unindexed": as_written,
            "growth": growth,
            "disk_mib": _disk_mib(folder),
            "rss_mib": _rss_mib(),
            "status": "index build started, not finished",
            "machine": machine(),
        }
        _save(result, out)
        print(f"[many_writers] as written: {as_written}; building the index", flush=True)
        start = time.perf_counter()
        store.build_index()
        index_seconds = time.perf_counter() - start
        indexed = _latencies(store, novels, paragraphs, queries)
        result.update(
            indexed_vectors=store.info()["indexed_vectors"],
            index_s=index_seconds,
            indexed=indexed,
            disk_mib=_disk_mib(folder),
            rss_mib=max(result["rss_mib"], _rss_mib()),
            status="complete",
        )
        store.close()
        _save(result, out)
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run and write ``bench/results/many_writers.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--novels", type=int, default=1000)
    parser.add_argument("--paragraphs", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = run(args.novels, args.paragraphs, args.out)
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
