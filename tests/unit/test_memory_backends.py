"""Memory backends: migration, moving to a server, one writer per store, hybrid search."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qdrant_edge as edge
from qdrant_client import QdrantClient

from recurrentgpt.context import Context
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory, MemoryLockedError, Passage, edge_store, open_store
from recurrentgpt.memory.__main__ import main as memory_command
from recurrentgpt.memory.client_store import ClientStore
from recurrentgpt.memory.client_store import lineage_filter as client_lineage_filter
from recurrentgpt.memory.edge_store import HNSW_EF, EdgeStore, query_request, shard_config
from recurrentgpt.memory.edge_store import lineage_filter as edge_lineage_filter
from recurrentgpt.memory.lexical import (
    MAX_QUERY_POSTINGS,
    MAX_QUERY_TERMS,
    SparseEncoder,
    SparseVector,
    entity_names,
)
from recurrentgpt.memory.opening import close_stores, edge_folder
from recurrentgpt.memory.passage import Lineage, payload_of, point_id
from recurrentgpt.memory.store import DENSE, SPARSE, Query, StoredPoint
from recurrentgpt.memory.term_sample import TermSample
from recurrentgpt.services import DefaultServices
from tests.unit.conftest import MEMORY_BACKENDS, make_store

FILLER = "Arlo and Mirela argued at the harbour about herring prices while the rain came."


def passage(position: int, text: str, branch: str = "main", novel: str = "n") -> Passage:
    return Passage(
        novel_id=novel,
        branch_id=branch,
        position=position,
        step=position,
        chapter=1,
        text=text,
        summary=f"summary {position}",
    )


@pytest.fixture(autouse=True)
def closed_stores() -> None:
    """Stores opened by location are process-wide: every test starts and ends without any."""
    close_stores()
    yield
    close_stores()


async def _old_data_dir(data_dir: Path) -> list[Passage]:
    """A data dir as the previous version wrote it: local mode, one unnamed dense vector."""
    from qdrant_client import models

    from recurrentgpt.memory.passage import point_id

    written = [
        *(passage(p, f"{FILLER} {p}") for p in range(6)),
        passage(4, "A fork: Velimir Straka hid the astrolabe in Saint Orm.", branch="f1"),
        passage(0, "Another novel's opening.", novel="other"),
    ]
    client = QdrantClient(path=str(data_dir / "qdrant"))
    client.create_collection(
        "recurrentgpt_paragraphs",
        vectors_config=models.VectorParams(size=64, distance=models.Distance.COSINE),
    )
    embeddings = HashingEmbeddings(64)
    client.upsert(
        "recurrentgpt_paragraphs",
        points=[
            models.PointStruct(
                id=point_id(p.novel_id, p.branch_id, p.position),
                vector=embeddings.embed_query(f"{p.summary}\n{p.text}"),
                payload={
                    "novel_id": p.novel_id,
                    "branch_id": p.branch_id,
                    "position": p.position,
                    "step": p.step,
                    "chapter": p.chapter,
                    "text": p.text,
                    "summary": p.summary,
                },
            )
            for p in written
        ],
    )
    client.close()
    return written


async def test_a_data_dir_of_the_previous_version_opens_with_everything_in_it(
    tmp_path: Path,
) -> None:
    written = await _old_data_dir(tmp_path)
    context = Context(data_dir=str(tmp_path), embedder="hash:64")

    memory = DefaultServices().long_term_memory(context)

    assert isinstance(memory.backend, EdgeStore)
    assert (tmp_path / "qdrant" / "meta.json").exists(), "the old store is left in place"
    for novel in ("n", "other"):
        stored = await memory.all_passages(novel)
        expected = sorted(
            (p for p in written if p.novel_id == novel), key=lambda p: (p.branch_id, p.position)
        )
        assert [(p.branch_id, p.position, p.text, p.summary) for p in stored] == [
            (p.branch_id, p.position, p.text, p.summary) for p in expected
        ]
    fork = await memory.read_novel(
        novel_id="n",
        branch_id="f1",
        segments=[{"branch_id": "main", "last_position": 3}],
        up_to_position=4,
    )
    assert [p.text for p in fork] == [*(f"{FILLER} {p}" for p in range(4)), written[6].text]
    # Migrated points gained a BM25 vector and names: a name finds the fork's paragraph.
    found = await memory.search(
        "Straka", novel_id="n", branch_id="f1", segments=[], before_position=5, k=1
    )
    assert found[0].entities == ("Velimir Straka", "Saint Orm")
    # New paragraphs go to the new store; reopening does not migrate again.
    await memory.store_many([passage(6, "After the migration.")])
    close_stores()
    reopened = DefaultServices().long_term_memory(context)
    assert await reopened.count("n") == 8


async def test_the_local_mode_fallback_still_reads_an_old_data_dir(tmp_path: Path) -> None:
    written = await _old_data_dir(tmp_path)
    context = Context(data_dir=str(tmp_path), embedder="hash:64", memory_backend="local")

    memory = DefaultServices().long_term_memory(context)

    assert isinstance(memory.backend, ClientStore) and memory.backend.legacy
    texts = [p.text for p in await memory.all_passages("n")]
    assert sorted(texts) == sorted(p.text for p in written if p.novel_id == "n")
    await memory.store_many([passage(6, "Written by the fallback.")])
    found = await memory.search(
        "Written by the fallback",
        novel_id="n",
        branch_id="main",
        segments=[],
        before_position=7,
        k=1,
    )
    assert found[0].position == 6


async def test_one_command_moves_a_data_dir_to_another_qdrant(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "qdrant"))
    memory = LongTermMemory(store, HashingEmbeddings(64))
    await memory.store_many([passage(p, f"{FILLER} {p}") for p in range(5)])
    await memory.store_many([passage(2, "Velimir Straka on a fork.", branch="f1")])
    close_stores()
    target = tmp_path / "server"

    # The same qdrant-client calls a Qdrant server answers, on a local-mode folder.
    assert memory_command(["move", "--data-dir", str(tmp_path), "--to", str(target)]) == 0
    assert memory_command(["move", "--data-dir", str(tmp_path), "--to", str(target)]) == 0

    close_stores()
    moved = LongTermMemory(ClientStore(QdrantClient(path=str(target))), HashingEmbeddings(64))
    assert await moved.count("n") == 6
    main = [p for p in await moved.all_passages("n") if p.branch_id == "main"]
    assert [p.text for p in main] == [f"{FILLER} {p}" for p in range(5)]
    hits = await moved.search(
        "Straka", novel_id="n", branch_id="f1", segments=[], before_position=3, k=1
    )
    assert hits[0].text == "Velimir Straka on a fork."
    moved.backend.close()


def test_a_second_process_opening_the_same_data_dir_gets_a_clear_error(tmp_path: Path) -> None:
    folder = edge_folder(str(tmp_path / "qdrant"))
    first = EdgeStore(folder)
    first.ensure_collection(8)
    script = textwrap.dedent(
        f"""
        from recurrentgpt.memory import MemoryLockedError
        from recurrentgpt.memory.edge_store import EdgeStore, query_request
        try:
            EdgeStore({folder!r})
        except MemoryLockedError as error:
            print("LOCKED", error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=False
    )
    assert result.stdout.startswith("LOCKED"), result.stderr
    assert "another process" in result.stdout
    first.close()
    # Closed: the folder opens again, with what was written.
    assert EdgeStore(folder).dimensions() == 8


def test_a_second_opener_in_the_same_process_is_refused_too(tmp_path: Path) -> None:
    folder = str(tmp_path / "edge")
    first = EdgeStore(folder)
    first.ensure_collection(8)
    with pytest.raises(MemoryLockedError):
        EdgeStore(folder)
    first.close()


async def test_writers_on_many_threads_lose_nothing(tmp_path: Path) -> None:
    memory = LongTermMemory(EdgeStore(str(tmp_path / "edge")), HashingEmbeddings(32))
    await memory.store_many([passage(0, "first")])
    import asyncio

    def write(novel: int) -> None:
        for position in range(15):
            asyncio.run(
                memory.store_many([passage(position, f"{novel}/{position}", novel=f"n{novel}")])
            )

    threads = [threading.Thread(target=write, args=(novel,)) for novel in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [await memory.count(f"n{novel}") for novel in range(6)] == [15] * 6
    memory.backend.close()


def test_a_server_client_takes_no_lock_but_local_mode_does() -> None:
    server = ClientStore(QdrantClient(url="http://localhost:1", check_compatibility=False))
    local = ClientStore(QdrantClient(":memory:"))
    assert not hasattr(server._lock, "acquire")
    assert hasattr(local._lock, "acquire")
    local.close()


async def test_hybrid_search_finds_a_name_among_many_lookalike_paragraphs(tmp_path: Path) -> None:
    """The fusion itself (no MMR: it re-ranks by the dense vector alone, see below)."""
    memory = LongTermMemory(EdgeStore(str(tmp_path / "edge")), HashingEmbeddings(16), diversity=0.0)
    planted = "Benedek Holm confessed that he sank the schooner for the insurance."
    texts = [f"{FILLER} {i}" for i in range(60)]
    texts[7] = planted
    await memory.store_many([passage(i, t) for i, t in enumerate(texts)])
    for mode in ("sparse", "hybrid"):
        memory.search_mode = mode  # type: ignore[assignment]
        found = await memory.search(
            "Holm returns to the quay",
            novel_id="n",
            branch_id="main",
            segments=[],
            before_position=60,
            k=3,
        )
        assert 7 in [p.position for p in found], mode
    memory.backend.close()


@pytest.mark.parametrize(
    ("mode", "diversity"), [("dense", 0.0), ("sparse", 0.0), ("hybrid", 0.0), ("hybrid", 0.5)]
)
async def test_the_lineage_filter_given_once_still_bounds_every_list(
    tmp_path: Path, mode: str, diversity: float
) -> None:
    """The engine request names the filter once, at the top, and each list obeys it.

    An abandoned fork holds exact copies of the plan; were the lists searched
    unfiltered and the filter applied after them, their two candidates would both
    be the fork's and the search would return nothing.
    """
    store = EdgeStore(str(tmp_path / "edge"))
    memory = LongTermMemory(store, HashingEmbeddings(32), embed_what="paragraph")
    plan = "Benedek Holm rows the brass astrolabe across the harbour"
    await memory.store_many(
        [passage(i, f"{FILLER} Holm {i}") for i in range(3)]
        + [passage(i, plan, branch="f1") for i in range(3, 23)]
    )
    query = Query(
        dense=HashingEmbeddings(32).embed_query(plan),
        sparse=SparseEncoder().query(plan),
        lineage=Lineage("n", "main", [], 2, branch_ends_here=True),
        limit=2,
        mode=mode,  # type: ignore[arg-type]
        candidates=2,
        diversity=diversity,
    )
    request = query_request(query)
    prefetches = list(request.prefetches or [])
    while prefetches:
        assert prefetches[0].filter is None
        prefetches = prefetches[1:] + list(prefetches[0].prefetches or [])
    found = store.search(query)
    assert [h.payload["branch_id"] for h in found] == ["main", "main"]
    store.close()


def test_a_sole_branch_seen_whole_is_filtered_by_the_novel_alone() -> None:
    whole = Lineage("n", "main", [], 9, branch_ends_here=True)
    assert [c.key for c in edge_lineage_filter(whole, sole_branch=True).must or []] == ["novel_id"]
    # A bound, or a stretch inherited from another branch, keeps every condition.
    bounded = Lineage("n", "main", [], 9)
    keys = [c.key for c in edge_lineage_filter(bounded, sole_branch=True).must or []]
    assert keys == ["novel_id", "branch_id", "position"]
    fork = Lineage("n", "f1", [{"branch_id": "main", "last_position": 4}], 9, True)
    assert edge_lineage_filter(fork, sole_branch=True).should


async def _search_main(memory: LongTermMemory, plan: str) -> list[Passage]:
    return await memory.search(
        plan, novel_id="n", branch_id="main", segments=[], before_position=6, k=3
    )


async def test_a_fork_is_never_seen_from_its_parent_once_the_filter_drops_the_branch(
    tmp_path: Path,
) -> None:
    """The novel-only filter of a novel never forked ends with its first fork (and on reopening)."""
    folder = str(tmp_path / "edge")
    memory = LongTermMemory(EdgeStore(folder), HashingEmbeddings(32), embed_what="paragraph")
    plan = "Benedek Holm rows the brass astrolabe across the harbour"
    await memory.store_many([passage(i, f"{FILLER} {i}") for i in range(6)])
    assert {p.branch_id for p in await _search_main(memory, plan)} == {"main"}
    # A fork from position 2 whose paragraphs are the plan itself.
    await memory.store_many([passage(i, plan, branch="f1") for i in range(3, 9)])
    assert {p.branch_id for p in await _search_main(memory, plan)} == {"main"}
    seen = await memory.search(
        plan,
        novel_id="n",
        branch_id="f1",
        segments=[{"branch_id": "main", "last_position": 2}],
        before_position=9,
        k=3,
    )
    assert "f1" in {p.branch_id for p in seen}
    assert all(p.branch_id == "f1" or p.position <= 2 for p in seen)
    memory.backend.close()
    reopened = LongTermMemory(EdgeStore(folder), HashingEmbeddings(32), embed_what="paragraph")
    assert {p.branch_id for p in await _search_main(reopened, plan)} == {"main"}
    reopened.backend.close()


class _ForkDuringQuery:
    """An engine shard that has a fork written just as the next query starts."""

    def __init__(self, store: EdgeStore, fork: list[StoredPoint]) -> None:
        self.shard, self.store, self.fork = store._shard, store, fork

    def __getattr__(self, name: str) -> Any:
        return getattr(self.shard, name)

    def query(self, request: Any) -> Any:
        if self.fork:
            fork, self.fork = self.fork, []
            self.store.upsert(fork)
        return self.shard.query(request)


async def test_a_fork_written_while_a_search_runs_is_not_among_its_results(
    tmp_path: Path,
) -> None:
    store = EdgeStore(str(tmp_path / "edge"))
    embeddings = HashingEmbeddings(32)
    memory = LongTermMemory(store, embeddings, embed_what="paragraph")
    plan = "Benedek Holm rows the brass astrolabe across the harbour"
    await memory.store_many([passage(i, f"{FILLER} {i}") for i in range(6)])
    await _search_main(memory, plan)  # the novel's one branch is known from here on
    encoder = SparseEncoder()
    fork = [
        StoredPoint(
            id=point_id("n", "f1", i),
            dense=embeddings.embed_query(plan),
            sparse=encoder.document(plan),
            payload=payload_of(passage(i, plan, branch="f1")),
        )
        for i in range(3, 9)
    ]
    store._shard = _ForkDuringQuery(store, fork)  # type: ignore[assignment]
    assert {p.branch_id for p in await _search_main(memory, plan)} == {"main"}
    assert len(await memory.all_passages("n")) == 12
    store._shard = store._shard.shard  # type: ignore[attr-defined]
    store.close()


def test_entity_names_are_capitalised_runs_without_sentence_starters() -> None:
    text = (
        "The sailor Benedek Holm met Ines's brother at the Widow's Tooth. "
        "By evening they rowed to Saint Orm. Nobody saw them."
    )
    assert entity_names(text) == ["Benedek Holm", "Ines", "Widow's Tooth", "Saint Orm"]
    assert entity_names("灯塔看守人在岛上找到一封信。") == []


def test_chinese_text_gets_words_for_lexical_search() -> None:
    encoder = SparseEncoder()
    document = set(encoder.document("灯塔看守人在岛上找到一封旧信。").indices)
    query = set(encoder.query("看守人的信").indices)
    assert document & query


async def test_rank_fusion_keeps_a_name_only_one_paragraph_matches(tmp_path: Path) -> None:
    """Why RRF is the default: score fusion (DBSF) drops a BM25 list of a single hit."""
    memory = LongTermMemory(EdgeStore(str(tmp_path / "edge")), HashingEmbeddings(16), diversity=0.0)
    # More paragraphs than the candidates each list passes on, as in a real novel.
    texts = [f"{FILLER} {i}" for i in range(150)]
    texts[7] = "Benedek Holm confessed that he sank the schooner for the insurance."
    await memory.store_many([passage(i, t) for i, t in enumerate(texts)])
    found = {}
    for fusion in ("rrf", "dbsf"):
        memory.fusion = fusion  # type: ignore[assignment]
        hits = await memory.search(
            "Holm", novel_id="n", branch_id="main", segments=[], before_position=150, k=3
        )
        found[fusion] = [p.position for p in hits]
    assert 7 in found["rrf"]
    assert 7 not in found["dbsf"]
    memory.backend.close()


async def test_diversity_lets_a_different_paragraph_in_among_near_copies(tmp_path: Path) -> None:
    """MMR (the default) keeps near-copies from filling every place of the results."""
    # The texts differ and the helper's summaries do not: the dense vector holds the text.
    memory = LongTermMemory(
        EdgeStore(str(tmp_path / "edge")), HashingEmbeddings(256), embed_what="paragraph"
    )
    plan = "Arlo and Mirela argue at the harbour about the rain and the herring"
    texts = [f"{FILLER} {i}" for i in range(12)]
    texts[4] = "Arlo rowed out past the harbour wall to the rock where the woman vanished."
    await memory.store_many([passage(i, t) for i, t in enumerate(texts)])
    found = {}
    for diversity in (0.0, 0.5):
        memory.diversity = diversity
        hits = await memory.search(
            plan, novel_id="n", branch_id="main", segments=[], before_position=30, k=3
        )
        found[diversity] = [p.position for p in hits]
    assert 4 not in found[0.0]
    assert 4 in found[0.5]
    memory.backend.close()


def test_diversity_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="diversity"):
        LongTermMemory(QdrantClient(":memory:"), HashingEmbeddings(8), diversity=1.5)


class RecordingEmbeddings(HashingEmbeddings):
    """Hashing embeddings that remember the documents they embedded."""

    def __init__(self) -> None:
        super().__init__(16)
        self.documents: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Record, then embed."""
        self.documents.extend(texts)
        return super().embed_documents(texts)


@pytest.mark.parametrize(("mode", "expected"), [("hybrid", "summary 1"), ("dense", "both")])
async def test_the_dense_vector_holds_the_text_only_where_bm25_does_not(
    tmp_path: Path, mode: str, expected: str
) -> None:
    """By default the summary is embedded; a dense-only search embeds the text as well."""
    embeddings = RecordingEmbeddings()
    memory = LongTermMemory(
        EdgeStore(str(tmp_path / "edge")),
        embeddings,
        search_mode=mode,  # type: ignore[arg-type]
    )
    await memory.store_many([passage(1, "Holm sank the schooner.")])
    wanted = "summary 1\nHolm sank the schooner." if expected == "both" else expected
    assert embeddings.documents == [wanted]
    memory.backend.close()


PLAN = (
    "Benedek Holm rows back across the grey harbour at dawn, carrying the brass astrolabe "
    "that Ines hid under the chapel floor, while the fishermen argue about the storm, the "
    "nets, the price of salt and the old quarrel between the two villages."
)


def test_a_long_query_keeps_its_names_and_longest_words_within_the_cap() -> None:
    encoder = SparseEncoder()
    whole = set(encoder.query(PLAN, max_terms=None).indices)
    capped = encoder.query(PLAN)
    assert len(whole) > MAX_QUERY_TERMS
    assert len(set(capped.indices)) == len(capped.indices) == MAX_QUERY_TERMS
    assert set(capped.indices) <= whole
    assert capped.values == [1.0] * MAX_QUERY_TERMS
    names = {i for word in ("Benedek", "Holm", "Ines") for i in encoder.query(word).indices}
    assert names <= set(capped.indices)
    longest = set(encoder.query("astrolabe fishermen villages").indices)
    assert longest <= set(capped.indices)
    assert not set(encoder.query("two nets").indices) & set(capped.indices)


@pytest.mark.parametrize("terms", [MAX_QUERY_TERMS, 4, None])
async def test_a_search_sends_the_bm25_query_capped_at_the_memorys_query_terms(
    tmp_path: Path, terms: int | None
) -> None:
    store = EdgeStore(str(tmp_path / "edge"))
    memory = LongTermMemory(store, HashingEmbeddings(32))
    assert memory.query_terms == MAX_QUERY_TERMS
    await memory.store_many([passage(i, f"{FILLER} {PLAN}") for i in range(3)])
    sent: list[Query] = []
    search = store.search
    store.search = lambda query: sent.append(query) or search(query)  # type: ignore[method-assign]
    memory.query_terms = terms
    memory.query_postings = None  # rank the words without the store's frequencies
    found = await memory.search(
        PLAN, novel_id="n", branch_id="main", segments=[], before_position=3, k=2
    )
    assert len(found) == 2
    [query] = sent
    assert query.sparse == SparseEncoder().query(PLAN, max_terms=terms)
    assert len(query.sparse.indices) == (terms or len(SparseEncoder().query(PLAN, None).indices))
    store.close()


RARE = ("Benedek", "Holm", "Ines", "astrolabe")
"""PLAN's words that the store below holds in one paragraph (astrolabe) or none."""


def _common_text() -> str:
    """PLAN without its rare words: every other term of PLAN is in every paragraph of it."""
    return " ".join(word for word in PLAN.split() if word.strip(",.") not in RARE)


async def test_a_search_sends_the_plans_rarest_terms_within_the_postings_budget(
    tmp_path: Path,
) -> None:
    """Terms no paragraph or one holds go first; common ones only while the budget lasts."""
    store = EdgeStore(str(tmp_path / "edge"))
    memory = LongTermMemory(store, HashingEmbeddings(32))
    assert memory.query_postings == MAX_QUERY_POSTINGS == 1.5
    paragraphs = [passage(i, _common_text()) for i in range(19)]
    await memory.store_many([*paragraphs, passage(19, f"{FILLER} The astrolabe was brass.")])
    assert len(memory.term_sample) == 20
    sent: list[Query] = []
    search = store.search
    store.search = lambda query: sent.append(query) or search(query)  # type: ignore[method-assign]
    found = await memory.search(
        PLAN, novel_id="n", branch_id="main", segments=[], before_position=20, k=2
    )
    assert found
    [query] = sent
    encoder = SparseEncoder()
    assert query.sparse is not None
    kept = set(query.sparse.indices)
    rare = {i for word in RARE for i in encoder.query(word).indices}
    assert rare <= kept  # shares 0, 0, 0 and 0.05
    # Every other term is in 19 of 20 paragraphs (0.95): one fits in 1.5, a second would not.
    assert len(kept - rare) == 1
    shares = [memory.term_sample.frequency(i) for i in query.sparse.indices]
    assert shares == sorted(shares) and sum(shares) <= 1.5
    store.close()


async def test_the_term_sample_is_seeded_from_the_store_a_process_reopens(
    tmp_path: Path,
) -> None:
    folder = str(tmp_path / "edge")
    first = LongTermMemory(EdgeStore(folder), HashingEmbeddings(32))
    await first.store_many([passage(i, _common_text()) for i in range(5)])
    first.backend.close()
    reopened = LongTermMemory(EdgeStore(folder), HashingEmbeddings(32))
    assert not reopened.term_sample.seeded
    await reopened.search(PLAN, novel_id="n", branch_id="main", segments=[], before_position=5, k=1)
    assert reopened.term_sample.seeded and len(reopened.term_sample) == 5
    [harbour] = SparseEncoder().query("harbour").indices
    assert reopened.term_sample.frequency(harbour) == 1.0
    reopened.backend.close()


def test_the_term_sample_stays_bounded_and_uniform() -> None:
    sample = TermSample(size=100, seed=3)
    sample.seed(iter([[StoredPoint("a", [0.0], None, {})] * 250]))  # dense-only points
    assert sample.seeded and len(sample) == 0
    sample.add([[1, 2]] * 100)
    assert sample.frequency(1) == 1.0 and sample.frequency(3) == 0.0
    sample.add([[3]] * 900)  # a reservoir of the 1,000 seen: about 90 % hold term 3
    assert len(sample) == 100
    assert 0.8 <= sample.frequency(3) <= 0.97
    assert sample.frequency(1) == pytest.approx(1.0 - sample.frequency(3))
    with pytest.raises(ValueError, match="size"):
        TermSample(size=0)


def test_the_term_sample_reads_at_most_its_size_when_seeded() -> None:
    read: list[int] = []

    def pages() -> Iterator[list[StoredPoint]]:
        for page in range(10):
            read.append(page)
            yield [
                StoredPoint(f"{page}-{i}", [0.0], SparseVector([page], [1.0]), {})
                for i in range(30)
            ]

    sample = TermSample(size=50)
    sample.seed(pages())
    assert read == [0, 1] and len(sample) == 50
    assert sample.frequency(0) == 30 / 50 and sample.frequency(1) == 20 / 50
    sample.seed(pages())  # once only
    assert read == [0, 1]


def test_a_short_query_is_not_capped_and_a_bad_cap_is_refused() -> None:
    encoder = SparseEncoder()
    short = "Benedek Holm finds the astrolabe"
    assert encoder.query(short) == encoder.query(short, max_terms=None)
    assert len(encoder.query(PLAN, max_terms=3).indices) == 3
    with pytest.raises(ValueError, match="max_terms"):
        encoder.query(PLAN, max_terms=0)


def test_a_branch_that_ends_at_the_search_position_is_filtered_without_a_position_bound() -> None:
    segments = [{"branch_id": "main", "last_position": 4}]
    bounded = Lineage("n", "fork", segments, 9)
    open_end = Lineage("n", "fork", segments, 9, branch_ends_here=True)
    assert bounded.visible_ranges() == [("main", 4), ("fork", 9)]
    # The inherited stretch keeps its bound: the parent branch goes on past the fork.
    assert open_end.visible_ranges() == [("main", 4), ("fork", None)]
    for build in (edge_lineage_filter, client_lineage_filter):
        keys = [[c.key for c in (r.must or [])] for r in build(open_end).should or []]
        assert keys == [["branch_id", "position"], ["branch_id"]]
        flat = build(Lineage("n", "main", [], 9, branch_ends_here=True))
        assert [c.key for c in flat.must or []] == ["novel_id", "branch_id"]


@pytest.mark.parametrize("backend", MEMORY_BACKENDS)
async def test_a_search_from_the_branch_end_sees_all_and_from_earlier_only_the_past(
    backend: str, tmp_path: Path
) -> None:
    store = make_store(backend, tmp_path)
    memory = LongTermMemory(store, HashingEmbeddings(16), diversity=0.0)
    await memory.store_many([passage(i, f"the lamp {i} by the shore") for i in range(8)])
    everything = await memory.search(
        "lamp shore", novel_id="n", branch_id="main", segments=[], before_position=8, k=20
    )
    assert sorted(p.position for p in everything) == list(range(8))
    # From an earlier position the branch goes on, so the bound stays and hides the rest.
    earlier = await memory.search(
        "lamp shore", novel_id="n", branch_id="main", segments=[], before_position=5, k=20
    )
    assert sorted(p.position for p in earlier) == list(range(5))
    store.close()


def _dense_params(request: Any) -> list[Any]:
    """The search params of every level of ``request`` that queries the dense vector."""
    found, levels = [], [request]
    while levels:
        level = levels.pop()
        if level.params is not None:
            found.append(level.params)
        levels.extend(level.prefetches or [])
    return found


@pytest.mark.parametrize(("mode", "diversity"), [("dense", 0.0), ("hybrid", 0.0), ("hybrid", 0.5)])
def test_the_dense_list_is_rescored_with_the_original_vectors(mode: str, diversity: float) -> None:
    plan = "Benedek Holm rows the brass astrolabe across the harbour"
    query = Query(
        dense=HashingEmbeddings(32).embed_query(plan),
        sparse=SparseEncoder().query(plan),
        lineage=Lineage("n", "main", [], 2),
        limit=3,
        mode=mode,  # type: ignore[arg-type]
        diversity=diversity,
    )
    [params] = _dense_params(query_request(query))
    assert params.hnsw_ef == HNSW_EF
    assert params.quantization is not None
    assert params.quantization.rescore is True
    assert not params.quantization.ignore


def test_a_new_store_quantizes_its_dense_vector_and_searches_on_one_thread(
    tmp_path: Path,
) -> None:
    config = shard_config(32)
    scalar = config.quantization_config
    assert isinstance(scalar, edge.ScalarQuantizationConfig)
    assert (scalar.type, scalar.always_ram) == (edge.ScalarType.Int8, True)
    assert scalar.quantile == pytest.approx(0.99)
    assert config.max_search_threads == 1
    store = EdgeStore(str(tmp_path / "edge"))
    store.ensure_collection(32)
    store.close()
    # The engine's own record of the shard's configuration: what a reopening reads.
    written = json.loads((tmp_path / "edge" / "edge_config.json").read_text())
    assert written["quantization_config"]["scalar"]["type"] == "int8"
    assert written["quantization_config"]["scalar"]["quantile"] == pytest.approx(0.99)
    assert written["max_search_threads"] == 1


def _unquantized_config(dims: int) -> edge.EdgeConfig:
    """The configuration stores were created with before quantization and one search thread."""
    return edge.EdgeConfig(
        vectors={DENSE: edge.EdgeVectorParams(size=dims, distance=edge.Distance.Cosine)},
        sparse_vectors={SPARSE: edge.EdgeSparseVectorParams(modifier=edge.Modifier.Idf)},
        hnsw_config=edge.HnswIndexConfig(
            m=0, ef_construct=100, full_scan_threshold=10_000, payload_m=16
        ),
    )


@pytest.mark.parametrize("created_before", [True, False], ids=["unquantized store", "new store"])
async def test_a_store_finds_the_same_paragraphs_indexed_or_not_whatever_its_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, created_before: bool
) -> None:
    """A store created before quantization opens, indexes and searches as it was; a new one too.

    Both are searched with the current request (its quantization parameters are
    ignored where nothing is quantized), before and after their index is built,
    and after reopening.
    """
    folder = str(tmp_path / "edge")
    if created_before:
        with monkeypatch.context() as patched:
            patched.setattr(edge_store, "shard_config", _unquantized_config)
            EdgeStore(folder).ensure_collection(64)
        close_stores()
    memory = LongTermMemory(EdgeStore(folder), HashingEmbeddings(64), embed_what="paragraph")
    texts = [f"{FILLER} {i} {'gull ' * (i % 7)}" for i in range(300)]
    texts[123] = "Benedek Holm rows the brass astrolabe across the harbour at dawn."
    await memory.store_many([passage(i, t) for i, t in enumerate(texts)])

    async def positions(memory: LongTermMemory) -> list[list[int]]:
        found = []
        for mode in ("dense", "hybrid"):
            memory.search_mode = mode  # type: ignore[assignment]
            hits = await memory.search(
                texts[123], novel_id="n", branch_id="main", segments=[], before_position=300, k=3
            )
            found.append([p.position for p in hits])
        return found

    # The planted paragraph first; the places after it go to near-ties among the filler.
    assert [hits[0] for hits in await positions(memory)] == [123, 123]
    await memory.build_index()
    assert [hits[0] for hits in await positions(memory)] == [123, 123]
    memory.backend.close()
    reopened = LongTermMemory(EdgeStore(folder), HashingEmbeddings(64), embed_what="paragraph")
    assert [hits[0] for hits in await positions(reopened)] == [123, 123]
    assert await reopened.count("n") == 300
    reopened.backend.close()
    written = json.loads((tmp_path / "edge" / "edge_config.json").read_text())
    assert ("quantization_config" in written) is not created_before
