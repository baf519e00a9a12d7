"""Long-term memory: every paragraph of every novel, searchable by meaning and by name.

One collection holds all novels; each point is one paragraph with its summary,
the names it mentions and its place in the novel (novel, branch, position).
Guarantees, on every backend:

- Each paragraph is embedded once, when it is stored (or when a person edits
  it); searching embeds only the query. A step makes two embedding calls, one
  text each: the stored paragraph and the query. The BM25 sparse vectors are
  computed locally and are not embedding calls.
- Point ids are derived from (novel, branch, position), so storing the same
  step twice (a re-run after a crash) overwrites instead of duplicating.
- A search sees only its own novel, and only the paragraphs of the current
  branch's ancestry: after a rewind and fork, paragraphs written on the abandoned
  branch after the fork point are invisible.
- Search is hybrid by default: the dense vector and the BM25 vector are each
  searched inside that lineage and fused in Qdrant by reciprocal rank: a name
  that only one paragraph matches ranks first in the BM25 list and stays among
  the candidates (score-based fusion, DBSF, drops such a lone match). The fused
  candidates are then re-ranked for diversity (MMR by the dense vector,
  ``diversity``), also in Qdrant: near-copies stop filling every place, which
  raised planted-fact recall (BENCHMARKS.md, figure 4), though a paragraph only
  BM25 finds can lose its place to one the dense vector prefers.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from recurrentgpt.memory.lexical import (
    MAX_QUERY_POSTINGS,
    MAX_QUERY_TERMS,
    SparseEncoder,
    SparseVector,
    document_text,
    entity_names,
)
from recurrentgpt.memory.passage import Lineage, Passage, passage_from, payload_of, point_id
from recurrentgpt.memory.store import (
    DEFAULT_COLLECTION,
    Fusion,
    Query,
    SearchMode,
    StoredPoint,
    VectorStore,
)
from recurrentgpt.memory.term_sample import TermSample

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

    from recurrentgpt.embeddings import Embeddings
    from recurrentgpt.state import BranchSegment

EmbedWhat = Literal["summary", "paragraph", "both"]
MMR_DIVERSITY = 0.5
"""Diversity of the results (maximal marginal relevance; 0 ranks by relevance alone).

0.5 is the usual balance (Qdrant's default). A novel's paragraphs repeat the same
cast and places, so the best matches for a plan are often near-copies of one
another; diversifying the k passages let the paragraph that set a fact up in
among them (BENCHMARKS.md, figure 4)."""
CANDIDATES = 64
"""Paragraphs each list (dense, BM25) hands to fusion and MMR before k are chosen.

MMR can only let in a paragraph that some list ranked among the candidates: on the
1,000-paragraph benchmark novel, 64 raised paraphrase-only recall@3 from 0.56 to 0.62
over 24 with MiniLM (96 found one more indirect plan and no more paraphrases, for about
3 ms more CPU per indexed search at 100,000 paragraphs; BENCHMARKS.md, figures 3 and 4).
With the default embedder all-mpnet-base-v2, fewer lose a paraphrase plan (recall@3 0.94
at 64, 0.88 at 48 on an indexed store and at 32 or 24 on any, below figure 4's 0.9 goal:
``python -m bench.candidates_recall``), so 64 stays."""


def _as_store(store: VectorStore | QdrantClient, collection: str) -> VectorStore:
    """``store``, with a bare ``QdrantClient`` wrapped in a ``ClientStore`` on ``collection``.

    qdrant-client is imported only by code that uses it: a store that is not one of
    its clients never needs it (reading a novel stays quick).
    """
    client_module = sys.modules.get("qdrant_client")
    if client_module is not None and isinstance(store, client_module.QdrantClient):
        from recurrentgpt.memory.client_store import ClientStore

        return ClientStore(store, collection=collection)
    return store  # type: ignore[return-value]


_encoder: SparseEncoder | None = None


def sparse_encoder() -> SparseEncoder:
    """The process-wide BM25 encoder (built on first use)."""
    global _encoder
    if _encoder is None:
        _encoder = SparseEncoder()
    return _encoder


class LongTermMemory:
    """Paragraph store with hybrid (dense + BM25) search over one collection.

    ``store`` is the backend (:class:`~recurrentgpt.memory.edge_store.EdgeStore`,
    :class:`~recurrentgpt.memory.client_store.ClientStore`); a ``QdrantClient``
    is accepted too and wrapped in a ``ClientStore`` on ``collection``.
    ``embedder`` names ``embeddings`` (a canonical spec): the store records it
    and refuses, before any write, an embedder other than the one it recorded.
    Methods are async and run the backend and the embedder in a worker thread,
    so the event loop (e.g. of LangGraph server) never blocks.
    """

    def __init__(
        self,
        store: VectorStore | QdrantClient,
        embeddings: Embeddings,
        *,
        collection: str = DEFAULT_COLLECTION,
        embed_what: EmbedWhat = "summary",
        search_mode: SearchMode = "hybrid",
        fusion: Fusion = "rrf",
        diversity: float = MMR_DIVERSITY,
        embedder: str = "",
    ) -> None:
        self.backend: VectorStore = _as_store(store, collection)
        self.embeddings = embeddings
        self.embedder = embedder
        """The canonical spec of ``embeddings``: recorded with the store and checked
        against its record before every write and search (empty: neither)."""
        self.embed_what = embed_what
        self.search_mode = search_mode
        self.fusion = fusion
        if not 0.0 <= diversity <= 1.0:
            raise ValueError(f"diversity must be between 0 and 1, got {diversity}")
        self.diversity = diversity
        self.embedding_calls = 0
        """Texts embedded by this instance (documents and queries); for benchmarks."""
        self.query_terms: int | None = MAX_QUERY_TERMS
        """Distinct terms a search's BM25 query keeps (None: all); benchmarks vary it."""
        self.query_postings: float | None = MAX_QUERY_POSTINGS
        """Postings per stored paragraph a BM25 query may read, its rarest terms first
        (see :meth:`SparseEncoder.query`); None ranks terms without the store's
        frequencies (names, then longest words). Benchmarks vary it."""
        self.term_sample = TermSample()
        """How common each BM25 term is in the store (seeded on first use, fed by writes)."""

    def _dense_text(self, text: str, summary: str) -> str:
        # The summary by default: a later plan refers to what a paragraph did, which
        # its summary states and its 200 words dilute (MiniLM averages every word
        # piece); the BM25 vector still holds the whole text. Where no BM25 vector is
        # searched (dense-only search, a legacy local-mode collection) the dense vector
        # is the only way to the text, so it embeds both. A paragraph stored without
        # a summary is embedded whole.
        what = self.embed_what
        if what == "summary" and (
            self.search_mode == "dense" or getattr(self.backend, "legacy", False)
        ):
            what = "both"
        if what == "summary" and summary:
            return summary
        if what == "paragraph" or not summary:
            return text
        return f"{summary}\n{text}"

    async def store(
        self,
        *,
        novel_id: str,
        branch_id: str,
        position: int,
        step: int,
        chapter: int,
        text: str,
        summary: str,
        entities: Sequence[str] = (),
    ) -> None:
        """Store (or overwrite) the paragraph at ``position`` of ``branch_id``; embeds once.

        ``entities`` names the people, places and objects of the paragraph; when
        empty they are found in the text and summary.
        """
        await self.store_many(
            [
                Passage(
                    novel_id=novel_id,
                    branch_id=branch_id,
                    position=position,
                    step=step,
                    chapter=chapter,
                    text=text,
                    summary=summary,
                    entities=tuple(entities),
                )
            ]
        )

    async def store_many(self, passages: Sequence[Passage]) -> None:
        """Store several paragraphs with one embedding call."""
        if not passages:
            return
        named = [
            p if p.entities else replace(p, entities=tuple(entity_names(f"{p.text}\n{p.summary}")))
            for p in passages
        ]
        documents = [self._dense_text(p.text, p.summary) for p in named]
        vectors = await asyncio.to_thread(self.embeddings.embed_documents, documents)
        self.embedding_calls += len(documents)
        encoder = sparse_encoder()
        points = [
            StoredPoint(
                id=point_id(p.novel_id, p.branch_id, p.position),
                dense=list(vector),
                sparse=encoder.document(document_text(p.text, p.summary, p.entities)),
                payload=payload_of(p),
            )
            for p, vector in zip(named, vectors, strict=True)
        ]

        def upsert() -> None:
            self.backend.ensure_collection(len(vectors[0]), self.embedder)
            self.term_sample.seed(self.backend.scroll_points())
            self.backend.upsert(points)
            self.term_sample.add(p.sparse.indices for p in points if p.sparse is not None)

        await asyncio.to_thread(upsert)

    async def search(
        self,
        query: str,
        *,
        novel_id: str,
        branch_id: str,
        segments: Sequence[BranchSegment],
        before_position: int,
        k: int,
    ) -> list[Passage]:
        """Return the ``k`` passages most related to ``query`` that precede ``before_position``.

        Only paragraphs of this novel on the current branch's ancestry are searched.
        """
        if k <= 0 or before_position <= 0:
            return []
        lineage = Lineage(novel_id, branch_id, segments, before_position - 1)

        # One hand-off to a worker thread for the whole search (embedding, BM25 query,
        # store), not one for the embedding and another for the store: a round trip
        # through a worker measured 0.5 ms of wall time here, a tenth of a search at
        # 100,000 paragraphs (BENCHMARKS.md, figure 3, third pass).
        def search() -> list[Passage]:
            vector = self.embeddings.embed_query(query)
            self.embedding_calls += 1
            dims = self.backend.dimensions()
            if dims is None:
                return []
            self.backend.ensure_collection(len(vector), self.embedder)
            # The usual case is a search from the branch's newest paragraph: then the
            # position bound excludes nothing and only slows the filter, so one lookup
            # by id (contiguous positions, as in `has_paragraphs_after`) drops it.
            later = point_id(novel_id, branch_id, before_position)
            ends_here = not self.backend.retrieve([later])
            found = self.backend.search(
                Query(
                    dense=list(vector),
                    sparse=self._sparse_query(query) if self.search_mode != "dense" else None,
                    lineage=replace(lineage, branch_ends_here=ends_here),
                    limit=k,
                    mode=self.search_mode,
                    fusion=self.fusion,
                    candidates=max(CANDIDATES, 4 * k),
                    diversity=self.diversity,
                )
            )
            return [passage_from(hit.payload, hit.score) for hit in found]

        return await asyncio.to_thread(search)

    def _sparse_query(self, query: str) -> SparseVector:
        """The BM25 query of ``query``: its rarest terms by the store's sampled frequencies."""
        if self.query_postings is None:
            return sparse_encoder().query(query, self.query_terms)
        self.term_sample.seed(self.backend.scroll_points())
        return sparse_encoder().query(
            query,
            self.query_terms,
            frequency=self.term_sample.frequency if len(self.term_sample) else None,
            max_postings=self.query_postings,
        )

    async def get(self, novel_id: str, branch_id: str, position: int) -> Passage | None:
        """Return the stored paragraph at ``position`` of ``branch_id``, if any."""
        found = await asyncio.to_thread(
            self.backend.retrieve, [point_id(novel_id, branch_id, position)]
        )
        return passage_from(found[0]) if found else None

    async def has_paragraphs_after(self, novel_id: str, branch_id: str, position: int) -> bool:
        """Tell whether ``branch_id`` holds paragraphs past ``position`` (a later timeline).

        A branch's positions are contiguous (each write is at the position after
        the state's last one, and writing where a different future exists forks),
        so one lookup by id answers it, whatever the size of the memory.
        """
        next_id = point_id(novel_id, branch_id, position + 1)
        return bool(await asyncio.to_thread(self.backend.retrieve, [next_id]))

    async def read_novel(
        self,
        *,
        novel_id: str,
        branch_id: str,
        segments: Sequence[BranchSegment],
        up_to_position: int,
    ) -> list[Passage]:
        """Return the novel's paragraphs on the current branch's ancestry, in order."""
        lineage = Lineage(novel_id, branch_id, segments, up_to_position)

        def read() -> list[Passage]:
            passages = [passage_from(p) for page in self.backend.scroll(lineage) for p in page]
            return sorted(passages, key=lambda p: p.position)

        return await asyncio.to_thread(read)

    async def all_passages(self, novel_id: str) -> list[Passage]:
        """Every stored paragraph of ``novel_id`` on every branch, by branch and position.

        Reads the whole store: for tests and tools, never called by a step.
        """

        def read() -> list[Passage]:
            passages = [
                passage_from(p)
                for page in self.backend.scroll(None)
                for p in page
                if p.get("novel_id") == novel_id
            ]
            return sorted(passages, key=lambda p: (p.branch_id, p.position))

        return await asyncio.to_thread(read)

    async def count(self, novel_id: str) -> int:
        """Points stored for ``novel_id`` (every branch)."""
        return await asyncio.to_thread(self.backend.count, novel_id)

    async def delete_novel(self, novel_id: str) -> None:
        """Delete every paragraph of ``novel_id`` on every branch."""
        await asyncio.to_thread(self.backend.delete_novel, novel_id)

    async def build_index(self) -> bool:
        """Build the store's vector indexes now (blocks; never called inside a step)."""
        return await asyncio.to_thread(self.backend.build_index)
