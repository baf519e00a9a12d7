"""The contract every long-term memory backend keeps, and its errors.

A store holds points (one per paragraph) with a dense vector, a sparse BM25
vector and the paragraph's payload, in one collection shared by every novel.
It knows nothing of embeddings or of the graph: :class:`LongTermMemory` turns
paragraphs into points and plans into queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from recurrentgpt.memory.lexical import SparseVector
from recurrentgpt.memory.passage import Lineage

DEFAULT_COLLECTION = "recurrentgpt_paragraphs"
DENSE = "dense"
"""Name of the dense vector (the embedder's)."""
SPARSE = "bm25"
"""Name of the sparse vector (BM25 term frequencies; IDF applied by Qdrant)."""
SCROLL_PAGE = 256

Fusion = Literal["rrf", "dbsf"]
SearchMode = Literal["hybrid", "dense", "sparse"]


class MemoryConfigError(RuntimeError):
    """Long-term memory cannot be opened as configured."""


LOCAL_EMBEDDER_SIZES = {384: "local:all-MiniLM-L6-v2", 768: "local:all-mpnet-base-v2"}
"""The vector size each bundled embedder gives, so a size mismatch can name the embedders."""


def size_mismatch(where: str, stored: int, configured: int) -> str:
    """The one-line message for a store of ``stored``-size vectors opened with ``configured``."""
    named = [
        f"{size} is {LOCAL_EMBEDDER_SIZES[size]!r}"
        for size in (stored, configured)
        if size in LOCAL_EMBEDDER_SIZES
    ]
    hint = f" ({', '.join(named)})" if named else ""
    return (
        f"long-term memory {where} holds {stored}-dimension vectors but the configured embedder "
        f"gives {configured}{hint}: use the embedder the novels were written with, or another "
        "data dir / Qdrant collection."
    )


def embedder_mismatch(where: str, recorded: str, configured: str) -> str:
    """The one-line message for a store written by ``recorded`` opened with ``configured``."""
    return (
        f"long-term memory {where} was written with embedder {recorded!r} but {configured!r} "
        f"is configured: set the embedder to {recorded!r} (or leave it unset to use the "
        "store's), or use another data dir / Qdrant collection for the new embedder."
    )


class MemoryLockedError(MemoryConfigError):
    """An embedded store is already open in another process (one writer per store)."""


@dataclass(frozen=True)
class StoredPoint:
    """One point as written: id, vectors and payload."""

    id: str
    dense: list[float]
    sparse: SparseVector | None
    payload: dict[str, Any]


@dataclass(frozen=True)
class Hit:
    """One search result: a payload and its score."""

    payload: dict[str, Any]
    score: float


@dataclass(frozen=True)
class Query:
    """A search: the vectors to match, how to fuse them, where to look."""

    dense: list[float]
    sparse: SparseVector | None
    lineage: Lineage
    limit: int
    mode: SearchMode = "hybrid"
    fusion: Fusion = "rrf"
    candidates: int = 64
    """How many results each of the dense and sparse searches passes to the fusion."""
    diversity: float = 0.0
    """Maximal marginal relevance over the candidates (0: by relevance alone, up to 1)."""


class VectorStore(Protocol):
    """A Qdrant collection as long-term memory uses it."""

    location: str
    """Where the store lives (for messages)."""

    def dimensions(self) -> int | None:
        """The dense vector size of the collection, or None if it does not exist yet."""
        ...

    def embedder(self) -> str | None:
        """The embedder spec recorded as the one that writes this store, or None.

        None before the collection exists, and for a store written before embedders
        were recorded (its first write with a known embedder records it).
        """
        ...

    def ensure_collection(self, dims: int, embedder: str = "") -> None:
        """Create the collection for ``dims``-dimension vectors, or check the existing one.

        ``embedder`` (a canonical spec, see
        :func:`~recurrentgpt.embeddings.canonical_embedder`) is recorded with a new
        collection, and adopted by an existing one that has no record yet; empty
        checks and records nothing (a caller that does not know its embedder's spec).
        The record is written atomically: it is there whole or not at all.

        Raises:
            MemoryConfigError: the collection holds vectors of another size, or
                records another embedder (same size or not).
        """
        ...

    def upsert(self, points: list[StoredPoint]) -> None:
        """Write (or overwrite) points by id; visible to the next read when this returns."""
        ...

    def search(self, query: Query) -> list[Hit]:
        """The best ``query.limit`` points within the query's lineage."""
        ...

    def retrieve(self, ids: list[str]) -> list[dict[str, Any]]:
        """Payloads of the points with these ids that exist."""
        ...

    def scroll(self, lineage: Lineage | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of payloads within ``lineage`` (every point when None)."""
        ...

    def scroll_points(self) -> Iterator[list[StoredPoint]]:
        """Pages of every point with its vectors (for moving a store elsewhere)."""
        ...

    def count(self, novel_id: str) -> int:
        """Points stored for ``novel_id`` (every branch)."""
        ...

    def delete_novel(self, novel_id: str) -> None:
        """Delete every point of ``novel_id``."""
        ...

    def build_index(self) -> bool:
        """Build the vector indexes now (blocks); True if anything was indexed."""
        ...

    def close(self) -> None:
        """Flush and release the store (an embedded one unlocks its folder)."""
        ...
