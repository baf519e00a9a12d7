"""Figure 3's recall check of cheaper requests: candidates per list, beam, BM25 query terms.

    python -m bench.candidates_recall [--out FILE]   # about 4 minutes with both embedders

Figure 3's latency A/Bs use random vectors, whose hits say nothing about recall. This
measures recall@1/3/5 of the default search (hybrid, RRF, MMR 0.5) on figure 4's
1,000-paragraph novel and its indirect and paraphrase-only plans, for each
``long_term.CANDIDATES`` in ``COUNTS`` (with ``edge_store.HNSW_EF`` at the default and
lowered to the count), each BM25 query cap in ``QUERY_TERMS`` and MMR over only the
fused top ``MMR_OVER``, with the default
embedder all-mpnet-base-v2 and with all-MiniLM-L6-v2. Each embedder embeds the 1,000
summaries once; the paragraphs are stored twice: as written (no graph, exact, as in
figure 4) and indexed with the package's int8 quantization (the optimizer's indexing
threshold lowered so that 1,000 paragraphs get a graph at all, as in
``bench.int8_recall``), the state of an indexed store at 100,000 paragraphs.

The retriever asks for k = 3 (``retrieval_k``), so recall@1 and @3 come from a k = 3
search and recall@5 from a k = 5 one: a search takes ``max(CANDIDATES, 4 * k)`` per
list, so the two differ for counts under 20.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bench import synthetic
from bench.common import NOVEL_ID, write_json
from bench.int8_recall import Remembered, novel_memory
from bench.memory_fidelity import MINILM, MPNET, check_paraphrases, synthetic_novel
from bench.request_ab import mmr_over, patched
from recurrentgpt.embeddings import load_embeddings
from recurrentgpt.memory import LongTermMemory, Passage, edge_store
from recurrentgpt.memory.lexical import MAX_QUERY_POSTINGS, MAX_QUERY_TERMS
from recurrentgpt.memory.long_term import CANDIDATES
from recurrentgpt.memory.passage import MAIN_BRANCH

COUNTS = (16, 24, 32, 48, 64)
"""Candidates per list to measure (the package's is ``long_term.CANDIDATES``)."""
QUERY_TERMS = (4, 5, 6, 8, 10)
"""BM25 query caps to measure with the ranking before sampled frequencies (names, longest)."""
QUERY_POSTINGS = (1.0, 3.0)
"""BM25 postings budgets to measure beside the package's (``MAX_QUERY_POSTINGS``)."""
MMR_OVER = (16, 32)
"""MMR re-ranking only the fused top N (the lists keep the package's candidates)."""
STORES = (("as written", False), ("indexed, int8", True))


async def recall(
    memory: LongTermMemory,
    passages: list[Passage],
    planted: dict[int, synthetic.PlantedFact],
    plans: str,
) -> dict[str, Any]:
    """Recall@1/3 (k = 3 search) and @5 (k = 5) of the planted paragraph over ``plans``."""
    ranks3: list[int | None] = []
    ranks5: list[int | None] = []
    for position, fact in planted.items():
        for plan in fact.queries if plans == "indirect" else fact.paraphrases:
            for k, ranks in ((3, ranks3), (5, ranks5)):
                hits = await memory.search(
                    plan,
                    novel_id=NOVEL_ID,
                    branch_id=MAIN_BRANCH,
                    segments=[],
                    before_position=len(passages),
                    k=k,
                )
                found = [hit.position for hit in hits]
                ranks.append(found.index(position) + 1 if position in found else None)

    def share(ranks: list[int | None], k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)

    return {
        "plans": plans,
        "queries": len(ranks3),
        "recall@1": share(ranks3, 1),
        "recall@3": share(ranks3, 3),
        "recall@5": share(ranks5, 5),
    }


def settings() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(label, module patches, ``LongTermMemory`` attributes) of every request measured.

    The package's own BM25 query (its rarest terms by the store's sampled frequencies,
    ``query_postings``) is every row's but the "before" ones, which rank the query's
    words as the package did before (names, then longest: ``query_postings`` None).
    """
    out: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for count in COUNTS:
        patch = {"long_term.CANDIDATES": count}
        out.append((f"candidates {count}", patch, {}))
        if count < edge_store.HNSW_EF:
            out.append(
                (f"candidates {count}, hnsw_ef {count}", {**patch, "edge_store.HNSW_EF": count}, {})
            )
    out += [(f"BM25 postings {n}", {}, {"query_postings": n}) for n in QUERY_POSTINGS]
    out += [
        (
            f"before: query terms {terms}, names then longest",
            {},
            {"query_terms": terms, "query_postings": None},
        )
        for terms in QUERY_TERMS
    ]
    out += [
        (f"MMR over the fused {n}", {"edge_store.query_request": mmr_over(n)}, {}) for n in MMR_OVER
    ]
    return out


async def rows_for(embedder: str) -> list[dict[str, Any]]:
    """Every setting's recall rows on both stores with ``embedder``."""
    embeddings = Remembered(load_embeddings(f"local:{embedder}"))
    passages, planted = synthetic_novel(1000)
    rows: list[dict[str, Any]] = []
    for store_name, indexed in STORES:
        async with novel_memory(embeddings, passages, quantized=indexed, indexed=indexed) as memory:
            for label, patches, attributes in settings():
                memory.query_terms, memory.query_postings = MAX_QUERY_TERMS, MAX_QUERY_POSTINGS
                for attribute, value in attributes.items():
                    setattr(memory, attribute, value)
                with patched(patches):
                    for plans in ("indirect", "paraphrase"):
                        row = await recall(memory, passages, planted, plans)
                        row = {"embedder": embedder, "store": store_name, "request": label} | row
                        rows.append(row)
                        print(json.dumps(row), flush=True)
    return rows


async def run() -> dict[str, Any]:
    """Rows for the default embedder, then MiniLM."""
    check_paraphrases()
    rows = [row for embedder in (MPNET, MINILM) for row in await rows_for(embedder)]
    return {"package_candidates": CANDIDATES, "rows": rows}


def main(argv: list[str] | None = None) -> None:
    """``[--out FILE]``: JSON rows to the file (default stdout)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="JSON results file (default: stdout)")
    args = parser.parse_args(argv)
    write_json(asyncio.run(run()), args.out)


if __name__ == "__main__":
    main()
