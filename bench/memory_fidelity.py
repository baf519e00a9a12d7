"""Figure 4: does the retriever find a fact planted once, early, from an indirect plan?

A synthetic novel (recurring cast, places and objects, so most paragraphs look
alike) gets a few planted paragraphs early on, each introducing a new name, an
object and a place exactly once. Later plans refer to them indirectly
("the navigation instrument the mapmaker entrusted to her"). Each plan is a
query to the package's ``LongTermMemory.search`` over the whole novel, with the
real default embedder (MiniLM), once per embedding variant: the summary alone,
the paragraph alone, and both (the package default).
"""

from __future__ import annotations

import random
import time
from typing import Any

from qdrant_client import QdrantClient

from bench import synthetic
from bench.common import NOVEL_ID, WORDS_PER_PARAGRAPH
from recurrentgpt.context import DEFAULT_EMBEDDER
from recurrentgpt.embeddings import load_embeddings
from recurrentgpt.memory import LongTermMemory, Passage
from recurrentgpt.nodes.common import MAIN_BRANCH

VARIANTS = ("summary", "paragraph", "both")
KS = (1, 3, 5)


def synthetic_novel(
    size: int, seed: int = 11
) -> tuple[list[Passage], dict[int, synthetic.PlantedFact]]:
    """``size`` paragraphs with the planted facts early; also where each fact is."""
    rng = random.Random(seed)
    spacing = max(4, size // 80)
    planted = {3 + i * spacing: fact for i, fact in enumerate(synthetic.PLANTED_FACTS)}
    passages = []
    for position in range(size):
        if position in planted:
            text = synthetic.planted_paragraph(rng, planted[position], WORDS_PER_PARAGRAPH)
            summary = planted[position].summary
        else:
            text = synthetic.paragraph(rng, WORDS_PER_PARAGRAPH)
            summary = synthetic.summary_of(text)
        passages.append(
            Passage(
                novel_id=NOVEL_ID,
                branch_id=MAIN_BRANCH,
                position=position,
                step=position,
                chapter=1 + position // 20,
                text=text,
                summary=summary,
            )
        )
    return passages, planted


async def measure_variant(
    variant: str,
    passages: list[Passage],
    planted: dict[int, synthetic.PlantedFact],
    client: QdrantClient,
) -> dict[str, Any]:
    """Recall@k of the planted paragraph over every indirect plan, for one variant."""
    memory = LongTermMemory(
        client,
        load_embeddings(DEFAULT_EMBEDDER),
        collection=f"fidelity_{variant}",
        embed_what=variant,
    )
    start = time.perf_counter()
    for first in range(0, len(passages), 250):
        await memory.store_many(passages[first : first + 250])
    embed_seconds = time.perf_counter() - start
    ranks: list[int | None] = []
    for position, fact in planted.items():
        for query in fact.queries:
            hits = await memory.search(
                query,
                novel_id=NOVEL_ID,
                branch_id=MAIN_BRANCH,
                segments=[],
                before_position=len(passages),
                k=max(KS),
            )
            found = [hit.position for hit in hits]
            ranks.append(found.index(position) + 1 if position in found else None)
    return {
        "variant": variant,
        "queries": len(ranks),
        **{
            f"recall@{k}": sum(1 for r in ranks if r is not None and r <= k) / len(ranks)
            for k in KS
        },
        "embed_seconds": embed_seconds,
        "paragraphs_per_second": len(passages) / embed_seconds,
    }


async def run(quick: bool) -> dict[str, Any]:
    """All three variants on a 300-paragraph (quick) or 1,000-paragraph (full) novel."""
    size = 300 if quick else 1000
    start = time.perf_counter()
    embeddings = load_embeddings(DEFAULT_EMBEDDER)
    embeddings.embed_query("warm up")
    load_seconds = time.perf_counter() - start
    passages, planted = synthetic_novel(size)
    client = QdrantClient(":memory:")
    rows = [await measure_variant(v, passages, planted, client) for v in VARIANTS]
    paragraph_row = next(r for r in rows if r["variant"] == "paragraph")
    return {
        "size": size,
        "facts": len(planted),
        "planted_positions": sorted(planted),
        "rows": rows,
        "model_load_seconds": load_seconds,
        "minilm_paragraphs_per_second": paragraph_row["paragraphs_per_second"],
    }
