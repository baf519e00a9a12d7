"""Figure 4: does the retriever find a fact planted once, early, from an indirect plan?

A synthetic novel (recurring cast, places and objects, so most paragraphs look
alike) gets a few planted paragraphs early on, each introducing a new name, an
object and a place exactly once. Later plans refer to them in two ways:
indirectly, as the earlier benchmark did ("the navigation instrument the
mapmaker entrusted to her", often with a name), and by paraphrase only (no
content word shared with the planted sentence, checked with the BM25 tokenizer).
Each plan is a query to the package's ``LongTermMemory.search`` over the whole
novel, on the default embedded store and the real default embedder (MiniLM),
searching dense only, BM25 only, and hybrid (fused with RRF or DBSF), each by
relevance alone or re-ranked for diversity (MMR, the default); and with the
query made of the plan alone or the plan plus a short-term memory.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from dataclasses import replace
from typing import Any

from bench import synthetic
from bench.common import NOVEL_ID, WORDS_PER_PARAGRAPH
from recurrentgpt.context import DEFAULT_EMBEDDER
from recurrentgpt.embeddings import load_embeddings
from recurrentgpt.memory import LongTermMemory, Passage
from recurrentgpt.memory.edge_store import EdgeStore
from recurrentgpt.memory.lexical import SparseEncoder
from recurrentgpt.memory.long_term import MMR_DIVERSITY, EmbedWhat
from recurrentgpt.memory.passage import MAIN_BRANCH

KS = (1, 3, 5)
SEARCHES = (
    ("dense", "rrf", "plan", 0.0),
    ("sparse", "rrf", "plan", 0.0),
    ("hybrid", "rrf", "plan", 0.0),
    ("hybrid", "dbsf", "plan", 0.0),
    ("dense", "rrf", "plan", MMR_DIVERSITY),
    ("hybrid", "rrf", "plan", MMR_DIVERSITY),
    ("hybrid", "dbsf", "plan", MMR_DIVERSITY),
    ("hybrid", "rrf", "plan + short-term memory", MMR_DIVERSITY),
)
"""(search mode, fusion, query, MMR diversity) rows; the sixth is the package default."""
OTHER_VECTORS = (
    ("summary + text", (("dense", "rrf", "plan", 0.0), ("hybrid", "rrf", "plan", MMR_DIVERSITY))),
    ("fact sentence", (("dense", "rrf", "plan", 0.0), ("hybrid", "rrf", "plan", MMR_DIVERSITY))),
)
"""Other dense vectors, each in its own store, with a few of the searches above.

"summary + text" is what the package embedded before (``memory_embedding="both"``).
"fact sentence" gives each planted paragraph the dense vector of its planted sentence
alone (the others keep their summary's): the best any representation of the planted
paragraph could do with this embedder, an upper bound for the dense side."""


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


def check_paraphrases() -> None:
    """Fail if a paraphrase shares a BM25 token with its planted sentence."""
    encoder = SparseEncoder()
    for fact in synthetic.PLANTED_FACTS:
        sentence = set(encoder.document(fact.sentence).indices)
        for plan in fact.paraphrases:
            shared = sentence & set(encoder.query(plan).indices)
            assert not shared, f"paraphrase shares words with its fact: {plan}"


async def measure(
    memory: LongTermMemory,
    passages: list[Passage],
    planted: dict[int, synthetic.PlantedFact],
    plans: str,
    query: str,
) -> dict[str, Any]:
    """Recall@k of the planted paragraph over every plan of one kind."""
    rng = random.Random(5)
    ranks: list[int | None] = []
    for position, fact in planted.items():
        for plan in fact.queries if plans == "indirect" else fact.paraphrases:
            text = plan
            if query != "plan":
                # What the short-term memory holds at a later step: the recent story.
                text = f"{plan}\n{synthetic.text_of_words(rng, 120)}"
            hits = await memory.search(
                text,
                novel_id=NOVEL_ID,
                branch_id=MAIN_BRANCH,
                segments=[],
                before_position=len(passages),
                k=max(KS),
            )
            found = [hit.position for hit in hits]
            ranks.append(found.index(position) + 1 if position in found else None)
    return {
        "plans": plans,
        "queries": len(ranks),
        **{
            f"recall@{k}": sum(1 for r in ranks if r is not None and r <= k) / len(ranks)
            for k in KS
        },
    }


async def run(quick: bool) -> dict[str, Any]:
    """Every search on a 300-paragraph (quick) or 1,000-paragraph (full) novel."""
    check_paraphrases()
    size = 300 if quick else 1000
    start = time.perf_counter()
    embeddings = load_embeddings(DEFAULT_EMBEDDER)
    embeddings.embed_query("warm up")
    load_seconds = time.perf_counter() - start
    passages, planted = synthetic_novel(size)
    rows: list[dict[str, Any]] = []
    embed_seconds: dict[str, float] = {}
    for dense_of, searches in (("summary", SEARCHES), *OTHER_VECTORS):
        stored = passages
        if dense_of == "fact sentence":
            stored = [
                replace(p, summary=planted[p.position].sentence) if p.position in planted else p
                for p in passages
            ]
        embed_what: EmbedWhat = "both" if dense_of == "summary + text" else "summary"
        folder = tempfile.mkdtemp(prefix="fidelity-")
        store = EdgeStore(folder)
        try:
            memory = LongTermMemory(store, embeddings, embed_what=embed_what)
            start = time.perf_counter()
            for first in range(0, len(stored), 250):
                await memory.store_many(stored[first : first + 250])
            embed_seconds[dense_of] = time.perf_counter() - start
            for mode, fusion, query, diversity in searches:
                memory.search_mode, memory.fusion = mode, fusion  # type: ignore[assignment]
                memory.diversity = diversity
                for plans in ("indirect", "paraphrase"):
                    row = await measure(memory, stored, planted, plans, query)
                    rows.append(
                        {
                            "search": mode,
                            "fusion": fusion,
                            "query": query,
                            "diversity": diversity,
                            "dense": dense_of,
                        }
                        | row
                    )
        finally:
            store.close()
            shutil.rmtree(folder, ignore_errors=True)
    return {
        "size": size,
        "facts": len(planted),
        "planted_positions": sorted(planted),
        "rows": rows,
        "model_load_seconds": load_seconds,
        "embed_seconds": embed_seconds,
        # A step's projected embedding time (figure 1) uses the slower, whole-paragraph
        # rate: a conservative figure for the summary and the plan a step embeds.
        "minilm_paragraphs_per_second": len(passages) / embed_seconds["summary + text"],
        "minilm_summaries_per_second": len(passages) / embed_seconds["summary"],
    }
