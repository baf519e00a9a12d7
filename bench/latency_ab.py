"""Figure 3's A/B: the BM25 query cap and the unbounded branch filter, on one indexed store.

    python -m bench.latency_ab 100000 30   # load and index: about 13 minutes on 2 cores

Loads N paragraphs as figure 3 does, builds the index once, then times the same
queries (``LongTermMemory.search``, the benchmark's 300-character plans) with
the query capped at None / 10 / 8 distinct terms and with the branch's position
bound kept or dropped, for the default hybrid search (with MMR) and each list
alone; every variant twice, interleaved, so a change in the machine's load
touches all of them. Writes JSON to the path given third (default stdout).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from typing import Any

from bench.common import NOVEL_ID, filler_passages
from bench.retrieval_latency import K, RandomEmbeddings, _latencies, _summary, passages_of
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.memory.edge_store import EdgeStore
from recurrentgpt.memory.lexical import SparseEncoder
from recurrentgpt.memory.long_term import MMR_DIVERSITY


async def run(size: int, repeats: int) -> dict[str, Any]:
    """Every variant's p50/p95 and CPU p50 at ``size`` paragraphs, two rounds."""
    passages = passages_of(size, filler_passages(500, seed=7))
    out: dict[str, Any] = {"size": size, "load_before": os.getloadavg()}
    plans = [p.text[:300] for p in passages[:50]]
    rows: dict[str, list[dict[str, float]]] = {}
    query = SparseEncoder.query
    with tempfile.TemporaryDirectory() as folder:
        memory = LongTermMemory(EdgeStore(folder), RandomEmbeddings())
        start = time.perf_counter()
        for first in range(0, size, 1000):
            await memory.store_many(passages[first : first + 1000])
        out["load_s"] = time.perf_counter() - start
        start = time.perf_counter()
        await memory.build_index()
        out["index_s"] = time.perf_counter() - start
        retrieve = memory.backend.retrieve

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

        try:
            for _ in range(2):
                for cap in (None, 10, 8):
                    for drop in (False, True):
                        # Patched on the class and the store instance, for this run only.
                        SparseEncoder.query = (  # type: ignore[method-assign]
                            lambda self, text, max_terms=None, cap=cap: query(self, text, cap)
                        )
                        # A store that claims a later paragraph keeps the bound.
                        memory.backend.retrieve = retrieve if drop else (lambda ids: [{}])  # type: ignore[method-assign]
                        for mode in ("hybrid", "dense", "sparse"):
                            memory.search_mode = mode  # type: ignore[assignment]
                            memory.diversity = MMR_DIVERSITY if mode == "hybrid" else 0.0
                            mmr = "+MMR" if mode == "hybrid" else ""
                            name = f"{mode}{mmr} cap={cap} drop_bound={drop}"
                            summary = _summary(await _latencies(search, repeats))
                            rows.setdefault(name, []).append(summary)
                            print(name, {k: round(v, 2) for k, v in summary.items()}, flush=True)
        finally:
            SparseEncoder.query = query  # type: ignore[method-assign]
            memory.backend.close()
    out["rows"] = rows
    out["load_after"] = os.getloadavg()
    return out


def main(argv: list[str]) -> None:
    """``SIZE REPEATS [OUT.json]``."""
    result = asyncio.run(run(int(argv[0]), int(argv[1])))
    text = json.dumps(result, indent=1)
    if len(argv) > 2:
        with open(argv[2], "w", encoding="utf-8") as out:
            out.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
