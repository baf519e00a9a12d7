"""The qdrant-client backend: a Qdrant server (``QDRANT_URL``), or qdrant-client's local mode.

On a server this is how the memory outgrows one machine: the client is
thread-safe, so calls run concurrently with no lock; every novel shares one
collection whose novel id is a tenant key (Qdrant's multitenancy), and the
dense and BM25 sparse vectors are fused by the server's Query API
(prefetch + RRF/DBSF, IDF applied by the server).

Local mode (a folder or ``":memory:"``) is the pre-engine fallback: it scans
every point in Python and is not thread-safe, so its calls take a lock. A
collection written by older versions (one unnamed dense vector, no sparse
vector) is still read and written, dense-only.

The embedder that writes a collection is recorded in the collection's own
metadata (Qdrant 1.16+, and local mode, which keeps it in its ``meta.json``):
it travels with the collection (a snapshot, a copy) and is set in the same call
that creates the collection, or by one metadata update, so there is never a
half record. A reserved point would instead show up in every scroll and count.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from qdrant_client import QdrantClient, models

from recurrentgpt.memory.lexical import SparseVector
from recurrentgpt.memory.passage import Lineage
from recurrentgpt.memory.store import (
    DEFAULT_COLLECTION,
    DENSE,
    SCROLL_PAGE,
    SPARSE,
    Hit,
    MemoryConfigError,
    Query,
    StoredPoint,
    embedder_mismatch,
    size_mismatch,
)

T = TypeVar("T")

EMBEDDER_METADATA = "recurrentgpt_embedder"
"""The collection metadata key that records the embedder spec."""

_locks_guard = threading.Lock()
_local_locks: dict[int, threading.RLock] = {}


def _local_lock(client: QdrantClient) -> threading.RLock:
    # Several stores (collections) may share one local-mode client.
    with _locks_guard:
        return _local_locks.setdefault(id(client), threading.RLock())


def is_local(client: QdrantClient) -> bool:
    """Tell whether ``client`` is qdrant-client's local mode (not a server)."""
    return type(client._client).__name__ == "QdrantLocal"


def _keyword(key: str, value: str) -> models.FieldCondition:
    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def lineage_filter(lineage: Lineage) -> models.Filter:
    """The Qdrant filter for the paragraphs ``lineage`` can see."""
    novel = _keyword("novel_id", lineage.novel_id)
    ranges = [
        models.Filter(
            must=[_keyword("branch_id", branch)]
            if last is None
            else [
                _keyword("branch_id", branch),
                models.FieldCondition(key="position", range=models.Range(lte=last)),
            ]
        )
        for branch, last in lineage.visible_ranges()
    ]
    if len(ranges) == 1:
        # A novel never forked: a flat filter, much cheaper to evaluate in local mode.
        return models.Filter(must=[novel, *(ranges[0].must or [])])
    return models.Filter(must=[novel], should=list(ranges))


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=vector.indices, values=vector.values)


def _request(query: Query, where: models.Filter) -> dict[str, Any]:
    """The ``query_points`` arguments of a dense, sparse or fused search, then MMR if asked."""
    arguments: dict[str, Any]
    if query.mode == "dense" or query.sparse is None or not query.sparse.indices:
        arguments = {"query": query.dense, "using": DENSE}
    elif query.mode == "sparse":
        arguments = {"query": _sparse(query.sparse), "using": SPARSE}
    else:
        fusion = models.Fusion.RRF if query.fusion == "rrf" else models.Fusion.DBSF
        arguments = {
            "prefetch": [
                models.Prefetch(
                    query=query.dense, using=DENSE, filter=where, limit=query.candidates
                ),
                models.Prefetch(
                    query=_sparse(query.sparse), using=SPARSE, filter=where, limit=query.candidates
                ),
            ],
            "query": models.FusionQuery(fusion=fusion),
        }
    if query.diversity <= 0:
        return arguments
    # MMR re-ranks the candidates by the dense vector (see the engine store).
    return {
        "prefetch": models.Prefetch(filter=where, limit=query.candidates, **arguments),
        "query": models.NearestQuery(
            nearest=query.dense,
            mmr=models.Mmr(diversity=query.diversity, candidates_limit=query.candidates),
        ),
        "using": DENSE,
    }


class ClientStore:
    """Long-term memory in one collection of a Qdrant server or local-mode client."""

    def __init__(
        self, client: QdrantClient, *, collection: str = DEFAULT_COLLECTION, location: str = ""
    ) -> None:
        self.client = client
        self.collection = collection
        self.location = location or collection
        self._lock: AbstractContextManager[Any] = (
            _local_lock(client) if is_local(client) else nullcontext()
        )
        self._dims: int | None = None
        self._legacy = False
        self._embedder: str | None = None

    def _call(self, function: Callable[[], T]) -> T:
        with self._lock:
            return function()

    def _read_config(self) -> None:
        if self._dims is not None or not self.client.collection_exists(self.collection):
            return
        config = self.client.get_collection(self.collection).config
        recorded = (config.metadata or {}).get(EMBEDDER_METADATA)
        self._embedder = str(recorded) if recorded else None
        vectors = config.params.vectors
        if isinstance(vectors, models.VectorParams):
            self._dims, self._legacy = vectors.size, True
        elif isinstance(vectors, dict) and DENSE in vectors:
            self._dims = vectors[DENSE].size
        else:
            raise MemoryConfigError(
                f"Qdrant collection {self.collection!r} at {self.location} was not made by "
                "recurrentgpt (no dense vector): choose another collection"
            )

    def dimensions(self) -> int | None:
        """The dense vector size, or None before the collection exists."""
        self._call(self._read_config)
        return self._dims

    @property
    def legacy(self) -> bool:
        """True for a collection written before hybrid search (one unnamed dense vector)."""
        self._call(self._read_config)
        return self._legacy

    def embedder(self) -> str | None:
        """The embedder recorded in the collection's metadata, or None."""
        self._call(self._read_config)
        return self._embedder

    def ensure_collection(self, dims: int, embedder: str = "") -> None:
        """Create the collection (dense + BM25 sparse, tenant index) or check its size.

        Then the embedder: recorded with a new collection, adopted by one that has
        no record, else compared.
        """
        where = f"collection {self.collection!r} at {self.location}"

        def ensure() -> None:
            self._read_config()
            if self._dims is None:
                self._create(dims, embedder)
            elif self._dims != dims:
                raise MemoryConfigError(size_mismatch(where, self._dims, dims))
            if embedder and self._embedder is None:
                # Read again first: another writer of a server may have recorded one since.
                self._dims = None
                self._read_config()
            if embedder and self._embedder is None:
                self.client.update_collection(
                    self.collection, metadata={EMBEDDER_METADATA: embedder}
                )
                self._embedder = embedder
            if embedder and self._embedder != embedder:
                raise MemoryConfigError(embedder_mismatch(where, self._embedder or "", embedder))

        self._call(ensure)

    def _create(self, dims: int, embedder: str) -> None:
        self.client.create_collection(
            self.collection,
            metadata={EMBEDDER_METADATA: embedder} if embedder else None,
            vectors_config={DENSE: models.VectorParams(size=dims, distance=models.Distance.COSINE)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            hnsw_config=models.HnswConfigDiff(m=0, payload_m=16),
        )
        # Local mode ignores payload indexes (and warns); a server uses them.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            self.client.create_payload_index(
                self.collection,
                "novel_id",
                field_schema=models.KeywordIndexParams(
                    type=models.KeywordIndexType.KEYWORD, is_tenant=True
                ),
            )
            self.client.create_payload_index(
                self.collection,
                "branch_id",
                field_schema=models.KeywordIndexParams(
                    type=models.KeywordIndexType.KEYWORD, enable_hnsw=False
                ),
            )
            self.client.create_payload_index(
                self.collection,
                "position",
                field_schema=models.IntegerIndexParams(
                    type=models.IntegerIndexType.INTEGER, lookup=True, range=True, enable_hnsw=False
                ),
            )
        self._dims, self._embedder = dims, embedder or None

    def _vector(self, point: StoredPoint) -> Any:
        if self._legacy:
            return point.dense
        vector: dict[str, Any] = {DENSE: point.dense}
        if point.sparse is not None:
            vector[SPARSE] = _sparse(point.sparse)
        return vector

    def upsert(self, points: list[StoredPoint]) -> None:
        """Write points by id and wait until they are searchable."""

        def upsert() -> None:
            records = [
                models.PointStruct(id=p.id, vector=self._vector(p), payload=p.payload)
                for p in points
            ]
            self.client.upsert(self.collection, points=records, wait=True)

        self._call(upsert)

    def search(self, query: Query) -> list[Hit]:
        """Dense, sparse or fused search inside the lineage (dense-only on legacy collections)."""
        where = lineage_filter(query.lineage)

        def search() -> list[Hit]:
            self._read_config()
            if self._dims is None:
                return []
            if self._legacy:
                found = self.client.query_points(
                    self.collection, query=query.dense, query_filter=where, limit=query.limit
                )
            else:
                found = self.client.query_points(
                    self.collection, query_filter=where, limit=query.limit, **_request(query, where)
                )
            return [Hit(dict(p.payload or {}), p.score) for p in found.points]

        return self._call(search)

    def retrieve(self, ids: list[str]) -> list[dict[str, Any]]:
        """Payloads of the existing points among ``ids``."""

        def retrieve() -> list[dict[str, Any]]:
            if not self.client.collection_exists(self.collection):
                return []
            found = self.client.retrieve(self.collection, ids=ids, with_vectors=False)
            return [dict(r.payload or {}) for r in found]

        return self._call(retrieve)

    def _pages(self, where: models.Filter | None, with_vectors: bool) -> Iterator[list[Any]]:
        offset: Any = None
        while True:

            def page(offset: Any = offset) -> tuple[list[Any], Any]:
                if not self.client.collection_exists(self.collection):
                    return [], None
                return self.client.scroll(
                    self.collection,
                    scroll_filter=where,
                    limit=SCROLL_PAGE,
                    offset=offset,
                    with_vectors=with_vectors,
                )

            records, offset = self._call(page)
            yield records
            if offset is None:
                return

    def scroll(self, lineage: Lineage | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of payloads within ``lineage`` (every point when None)."""
        where = lineage_filter(lineage) if lineage else None
        for records in self._pages(where, with_vectors=False):
            yield [dict(r.payload or {}) for r in records]

    def scroll_points(self) -> Iterator[list[StoredPoint]]:
        """Pages of every point with its vectors (legacy ones have no sparse vector)."""
        for records in self._pages(None, with_vectors=True):
            page = []
            for record in records:
                vector = record.vector
                if isinstance(vector, dict):
                    sparse = vector.get(SPARSE)
                    page.append(
                        StoredPoint(
                            id=str(record.id),
                            dense=list(vector[DENSE]),
                            sparse=SparseVector(list(sparse.indices), list(sparse.values))
                            if isinstance(sparse, models.SparseVector)
                            else None,
                            payload=dict(record.payload or {}),
                        )
                    )
                else:
                    page.append(
                        StoredPoint(
                            id=str(record.id),
                            dense=list(vector or []),
                            sparse=None,
                            payload=dict(record.payload or {}),
                        )
                    )
            yield page

    def count(self, novel_id: str) -> int:
        """Points of ``novel_id``, every branch."""
        novel = models.Filter(must=[_keyword("novel_id", novel_id)])

        def count() -> int:
            if not self.client.collection_exists(self.collection):
                return 0
            return self.client.count(self.collection, count_filter=novel, exact=True).count

        return self._call(count)

    def delete_novel(self, novel_id: str) -> None:
        """Delete every point of ``novel_id``."""
        selector = models.FilterSelector(
            filter=models.Filter(must=[_keyword("novel_id", novel_id)])
        )

        def delete() -> None:
            if self.client.collection_exists(self.collection):
                self.client.delete(self.collection, points_selector=selector, wait=True)

        self._call(delete)

    def build_index(self) -> bool:
        """Nothing to do: a server indexes in the background, local mode has no index."""
        return False

    def close(self) -> None:
        """Close the client (local mode flushes and unlocks its folder)."""
        self._call(self.client.close)
