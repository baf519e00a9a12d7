"""Long-term memory: every paragraph of every novel, searchable by meaning, in Qdrant.

One Qdrant collection holds all novels; each point is one paragraph with its
summary and its place in the novel (novel, branch, position). Guarantees:

- Each paragraph is embedded once, when it is stored (or when a person edits
  it); searching embeds only the query.
- Point ids are derived from (novel, branch, position), so storing the same
  step twice (a re-run after a crash) overwrites instead of duplicating.
- A search sees only its own novel, and only the paragraphs of the current
  branch's ancestry: after a rewind and fork, paragraphs written on the abandoned
  branch after the fork point are invisible.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from langchain_core.embeddings import Embeddings
from qdrant_client import QdrantClient, models

from recurrentgpt.state import BranchSegment

DEFAULT_COLLECTION = "recurrentgpt_paragraphs"
_POINT_NAMESPACE = uuid.UUID("5f1e7c1e-3a52-4e0c-9a43-8f1a2b8c9d10")
_SCROLL_PAGE = 256

T = TypeVar("T")

_clients_lock = threading.Lock()
_clients: dict[tuple[str, str], QdrantClient] = {}
_client_call_locks: dict[int, threading.RLock] = {}


def _call_lock(client: QdrantClient) -> threading.RLock:
    # Embedded (local) mode is not thread-safe, and several memories may share a client.
    with _clients_lock:
        return _client_call_locks.setdefault(id(client), threading.RLock())


class MemoryConfigError(RuntimeError):
    """Long-term memory cannot be opened as configured."""


def open_qdrant(location: str, api_key: str = "") -> QdrantClient:
    """Return the process-wide Qdrant client for ``location``.

    ``location`` is a server URL, ``":memory:"`` or a folder (embedded on-disk
    mode). Local mode allows one client per folder, so every caller in the
    process shares one.
    """
    key = (location, api_key)
    with _clients_lock:
        if key in _clients:
            return _clients[key]
        try:
            if location.startswith(("http://", "https://")):
                client = QdrantClient(url=location, api_key=api_key or None)
            elif location == ":memory:":
                client = QdrantClient(location=":memory:")
            else:
                os.makedirs(location, exist_ok=True)
                client = QdrantClient(path=location)
        except Exception as error:
            raise MemoryConfigError(
                f"cannot open long-term memory at {location!r}: {error}"
            ) from error
        if not _clients:
            atexit.register(close_qdrant_clients)
        _clients[key] = client
        return client


def close_qdrant_clients() -> None:
    """Close every client opened by :func:`open_qdrant` (embedded mode flushes and unlocks)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


@dataclass(frozen=True)
class Passage:
    """One stored paragraph."""

    novel_id: str
    branch_id: str
    position: int
    step: int
    chapter: int
    text: str
    summary: str
    score: float = 0.0


def point_id(novel_id: str, branch_id: str, position: int) -> str:
    """The deterministic Qdrant id of a paragraph."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{novel_id}/{branch_id}/{position}"))


def lineage_filter(
    novel_id: str,
    branch_id: str,
    segments: Sequence[BranchSegment],
    up_to_position: int,
) -> models.Filter:
    """Filter for the paragraphs the current branch can see, up to a position (inclusive)."""
    novel = models.FieldCondition(key="novel_id", match=models.MatchValue(value=novel_id))
    current = [
        models.FieldCondition(key="branch_id", match=models.MatchValue(value=branch_id)),
        models.FieldCondition(key="position", range=models.Range(lte=up_to_position)),
    ]
    if not segments:
        # A novel never forked: a flat filter, much cheaper to evaluate in embedded mode.
        return models.Filter(must=[novel, *current])
    visible = [
        models.Filter(
            must=[
                models.FieldCondition(
                    key="branch_id", match=models.MatchValue(value=segment["branch_id"])
                ),
                models.FieldCondition(
                    key="position", range=models.Range(lte=segment["last_position"])
                ),
            ]
        )
        for segment in segments
    ]
    visible.append(models.Filter(must=list(current)))
    return models.Filter(must=[novel], should=list(visible))


def _passage(payload: dict[str, Any], score: float = 0.0) -> Passage:
    return Passage(
        novel_id=payload["novel_id"],
        branch_id=payload["branch_id"],
        position=int(payload["position"]),
        step=int(payload["step"]),
        chapter=int(payload.get("chapter", 1)),
        text=payload["text"],
        summary=payload.get("summary", ""),
        score=score,
    )


class LongTermMemory:
    """Paragraph store and semantic search over one Qdrant collection.

    Methods are async and run Qdrant and embedding work in a worker thread, so
    the event loop (e.g. of LangGraph server) never blocks.
    """

    def __init__(
        self,
        client: QdrantClient,
        embeddings: Embeddings,
        *,
        collection: str = DEFAULT_COLLECTION,
        embed_what: str = "both",
    ) -> None:
        self.client = client
        self.embeddings = embeddings
        self.collection = collection
        self.embed_what = embed_what
        self._ready = False
        self._lock = _call_lock(client)
        self.embedding_calls = 0
        """Texts embedded by this instance (documents and queries); for benchmarks."""

    async def _run(self, function: Callable[[], T]) -> T:
        def locked() -> T:
            with self._lock:
                return function()

        return await asyncio.to_thread(locked)

    def _ensure_collection(self, dims: int) -> None:
        if self._ready:
            return
        if not self.client.collection_exists(self.collection):
            self.client.create_collection(
                self.collection,
                vectors_config=models.VectorParams(size=dims, distance=models.Distance.COSINE),
            )
            # The indexes make filtered search fast on a Qdrant server; embedded mode
            # ignores them (and warns), so the warning is silenced.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                for field, schema in (
                    ("novel_id", models.PayloadSchemaType.KEYWORD),
                    ("branch_id", models.PayloadSchemaType.KEYWORD),
                    ("position", models.PayloadSchemaType.INTEGER),
                ):
                    self.client.create_payload_index(self.collection, field, field_schema=schema)
        else:
            vectors = self.client.get_collection(self.collection).config.params.vectors
            existing = vectors.size if isinstance(vectors, models.VectorParams) else None
            if existing != dims:
                raise MemoryConfigError(
                    f"long-term memory collection {self.collection!r} holds {existing}-dimension "
                    f"vectors but the configured embedder gives {dims}: use the embedder the "
                    "novels were written with, or another data dir / Qdrant collection."
                )
        self._ready = True

    def _document_text(self, text: str, summary: str) -> str:
        if self.embed_what == "summary" and summary:
            return summary
        if self.embed_what == "paragraph" or not summary:
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
    ) -> None:
        """Store (or overwrite) the paragraph at ``position`` of ``branch_id``; embeds once."""
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
                )
            ]
        )

    async def store_many(self, passages: Sequence[Passage]) -> None:
        """Store several paragraphs with one embedding call."""
        if not passages:
            return
        documents = [self._document_text(p.text, p.summary) for p in passages]
        vectors = await asyncio.to_thread(self.embeddings.embed_documents, documents)
        self.embedding_calls += len(documents)
        points = [
            models.PointStruct(
                id=point_id(p.novel_id, p.branch_id, p.position),
                vector=vector,
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
            for p, vector in zip(passages, vectors, strict=True)
        ]

        def upsert() -> None:
            self._ensure_collection(len(vectors[0]))
            self.client.upsert(self.collection, points=points, wait=True)

        await self._run(upsert)

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
        vector = await asyncio.to_thread(self.embeddings.embed_query, query)
        self.embedding_calls += 1
        query_filter = lineage_filter(novel_id, branch_id, segments, before_position - 1)

        def query_points() -> list[Passage]:
            if not self.client.collection_exists(self.collection):
                return []
            self._ensure_collection(len(vector))
            hits = self.client.query_points(
                self.collection, query=vector, query_filter=query_filter, limit=k
            ).points
            return [_passage(hit.payload or {}, hit.score) for hit in hits]

        return await self._run(query_points)

    async def get(self, novel_id: str, branch_id: str, position: int) -> Passage | None:
        """Return the stored paragraph at ``position`` of ``branch_id``, if any."""

        def retrieve() -> Passage | None:
            if not self.client.collection_exists(self.collection):
                return None
            found = self.client.retrieve(
                self.collection, ids=[point_id(novel_id, branch_id, position)], with_vectors=False
            )
            return _passage(found[0].payload or {}) if found else None

        return await self._run(retrieve)

    async def has_paragraphs_after(self, novel_id: str, branch_id: str, position: int) -> bool:
        """Tell whether ``branch_id`` holds paragraphs past ``position`` (a later timeline).

        A branch's positions are contiguous (each write is at the position after
        the state's last one, and writing where a different future exists forks),
        so one lookup by id answers it, whatever the size of the memory.
        """

        def exists() -> bool:
            if not self.client.collection_exists(self.collection):
                return False
            next_id = point_id(novel_id, branch_id, position + 1)
            return bool(self.client.retrieve(self.collection, ids=[next_id], with_payload=False))

        return await self._run(exists)

    async def read_novel(
        self,
        *,
        novel_id: str,
        branch_id: str,
        segments: Sequence[BranchSegment],
        up_to_position: int,
    ) -> list[Passage]:
        """Return the novel's paragraphs on the current branch's ancestry, in order."""
        novel_filter = lineage_filter(novel_id, branch_id, segments, up_to_position)

        def scroll_all() -> list[Passage]:
            if not self.client.collection_exists(self.collection):
                return []
            passages: list[Passage] = []
            offset: Any = None
            while True:
                records, offset = self.client.scroll(
                    self.collection,
                    scroll_filter=novel_filter,
                    limit=_SCROLL_PAGE,
                    offset=offset,
                    with_vectors=False,
                )
                passages.extend(_passage(r.payload or {}) for r in records)
                if offset is None:
                    return sorted(passages, key=lambda p: p.position)

        return await self._run(scroll_all)

    async def delete_novel(self, novel_id: str) -> None:
        """Delete every paragraph of ``novel_id`` on every branch."""
        selector = models.FilterSelector(
            filter=models.Filter(
                must=[
                    models.FieldCondition(key="novel_id", match=models.MatchValue(value=novel_id))
                ]
            )
        )

        def delete() -> None:
            if self.client.collection_exists(self.collection):
                self.client.delete(self.collection, points_selector=selector, wait=True)

        await self._run(delete)
