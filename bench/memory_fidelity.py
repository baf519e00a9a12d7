"""Figure 4: does the retriever find a fact planted once, early, from an indirect plan?

A synthetic novel (recurring cast, places and objects, so most paragraphs look
alike) gets a few planted paragraphs early on, each introducing a new name, an
object and a place exactly once. Later plans refer to them in two ways:
indirectly, as the earlier benchmark did ("the navigation instrument the
mapmaker entrusted to her", often with a name), and by paraphrase only (no
content word shared with the planted sentence, checked with the BM25 tokenizer).
Each plan is a query to the package's ``LongTermMemory.search`` over the whole
novel, on the default embedded store and the real all-MiniLM-L6-v2 (the default embedder
until all-mpnet-base-v2 replaced it),
searching dense only, BM25 only, and hybrid (fused with RRF or DBSF), each by
relevance alone or re-ranked for diversity (MMR, the default); and with the
query made of the plan alone or the plan plus a short-term memory.

The full run also measures the default embedder ``local:all-mpnet-base-v2`` (when
installed: ``python -m recurrentgpt.embeddings install``) on the same novel in the
same process: the summary-vector searches, its embedding speed, the resident memory
its model adds and its size on disk, beside MiniLM's.
"""

from __future__ import annotations

import random
import re
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import synthetic
from bench.common import NOVEL_ID, WORDS_PER_PARAGRAPH
from recurrentgpt.embeddings import Embeddings, load_embeddings
from recurrentgpt.memory import LongTermMemory, Passage
from recurrentgpt.memory.edge_store import EdgeStore
from recurrentgpt.memory.lexical import SparseEncoder
from recurrentgpt.memory.long_term import MMR_DIVERSITY, EmbedWhat
from recurrentgpt.memory.passage import MAIN_BRANCH
from recurrentgpt.split_model import SplitModelMissing, installed_parts

MINILM = "all-MiniLM-L6-v2"
MPNET = "all-mpnet-base-v2"
SPEED_PARAGRAPHS = 50
"""Paragraphs (summary and text) the optional embedder embeds to time its paragraph rate."""

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


def rss_mib() -> float | None:
    """This process's resident memory now (Linux), in MiB."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            found = re.search(r"VmRSS:\s+(\d+) kB", status.read())
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


def folder_mib(paths: list[Path] | list[str]) -> float:
    """Size on disk of these files and folders, in MiB."""
    total = 0
    for path in map(Path, paths):
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        total += sum(p.stat().st_size for p in files)
    return total / 2**20


async def searches_on(
    embeddings: Embeddings,
    stored: list[Passage],
    planted: dict[int, synthetic.PlantedFact],
    embed_what: EmbedWhat,
    searches: tuple[tuple[str, str, str, float], ...],
    labels: dict[str, Any],
) -> tuple[list[dict[str, Any]], float]:
    """Rows of ``searches`` on a fresh store of ``stored``; also the seconds storing took."""
    folder = tempfile.mkdtemp(prefix="fidelity-")
    store = EdgeStore(folder)
    rows: list[dict[str, Any]] = []
    try:
        memory = LongTermMemory(store, embeddings, embed_what=embed_what)
        start = time.perf_counter()
        for first in range(0, len(stored), 250):
            await memory.store_many(stored[first : first + 250])
        seconds = time.perf_counter() - start
        for mode, fusion, query, diversity in searches:
            memory.search_mode, memory.fusion = mode, fusion  # type: ignore[assignment]
            memory.diversity = diversity
            for plans in ("indirect", "paraphrase"):
                row = await measure(memory, stored, planted, plans, query)
                rows.append(
                    {"search": mode, "fusion": fusion, "query": query, "diversity": diversity}
                    | labels
                    | row
                )
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)
    return rows, seconds


async def mpnet_figures(
    passages: list[Passage], planted: dict[int, synthetic.PlantedFact]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The default searches with all-mpnet-base-v2, and its costs; nothing if not installed."""
    from recurrentgpt.embeddings import mpnet_folder, mpnet_installed

    if not mpnet_installed():
        return [], {"installed": False, "why": "not installed"}
    try:
        parts: list[Path] = installed_parts()
    except SplitModelMissing:
        parts = []  # installed into the cache folder alone: no wheels to measure
    rss_before = rss_mib()
    start = time.perf_counter()
    folder = mpnet_folder()  # extracts on the first use only
    embeddings = load_embeddings(f"local:{MPNET}")
    embeddings.embed_query("warm up")
    load_seconds = time.perf_counter() - start
    rss_after = rss_mib()
    sample = passages[:SPEED_PARAGRAPHS]
    start = time.perf_counter()
    embeddings.embed_documents([f"{p.summary}\n{p.text}" for p in sample])
    paragraph_seconds = time.perf_counter() - start
    rows, seconds = await searches_on(
        embeddings, passages, planted, "summary", SEARCHES, {"dense": "summary", "embedder": MPNET}
    )
    costs = {
        "installed": True,
        "model_load_seconds": load_seconds,
        "summaries_per_second": len(passages) / seconds,
        "paragraphs_per_second": len(sample) / paragraph_seconds,
        "rss_added_mib": (rss_after - rss_before) if rss_after and rss_before else None,
        "wheels_mib": folder_mib(parts) if parts else None,
        "extracted_mib": folder_mib([folder]),
    }
    return rows, costs


async def run(quick: bool) -> dict[str, Any]:
    """Every search on a 300-paragraph (quick) or 1,000-paragraph (full) novel."""
    check_paraphrases()
    size = 300 if quick else 1000
    rss_before = rss_mib()
    start = time.perf_counter()
    embeddings = load_embeddings(f"local:{MINILM}")
    embeddings.embed_query("warm up")
    load_seconds = time.perf_counter() - start
    rss_after = rss_mib()
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
        found, embed_seconds[dense_of] = await searches_on(
            embeddings,
            stored,
            planted,
            embed_what,
            searches,
            {"dense": dense_of, "embedder": MINILM},
        )
        rows.extend(found)
    # The stronger embedder takes minutes more: the full run only.
    mpnet_rows, mpnet = ([], {"installed": False, "why": "quick run"})
    if not quick:
        mpnet_rows, mpnet = await mpnet_figures(passages, planted)
    return {
        "size": size,
        "facts": len(planted),
        "planted_positions": sorted(planted),
        "rows": rows + mpnet_rows,
        "model_load_seconds": load_seconds,
        "minilm_rss_added_mib": (rss_after - rss_before) if rss_after and rss_before else None,
        "embed_seconds": embed_seconds,
        # A step's projected embedding time (figure 1) uses the slower, whole-paragraph
        # rate: a conservative figure for the summary and the plan a step embeds.
        "minilm_paragraphs_per_second": len(passages) / embed_seconds["summary + text"],
        "minilm_summaries_per_second": len(passages) / embed_seconds["summary"],
        "mpnet": mpnet,
    }
