"""The embedded backend: the Qdrant engine in-process (qdrant-edge), one shard in a folder.

The shard has real indexes: a tenant keyword index on the novel id (Qdrant's
multitenancy, so a search filtered to one novel reads only that novel's
points), keyword and integer indexes on branch and position, and, once built,
per-novel HNSW graphs (global ``m=0``, ``payload_m=16``).

Indexing never runs inside a step. ``optimize()`` holds the interpreter lock
for its whole run (measured: a Python thread got one tick in a 10 s optimize),
so a background thread would freeze every step just the same. Instead the
HNSW graphs are built between sessions by ``python -m recurrentgpt.memory
index`` (see README, "Long-term memory"); until then a search is brute force
over the points the tenant index selects, so its cost grows with the searched
novel's length, not the store's (BENCHMARKS.md, figures 3 and 7).

One writer per store: a second process opening the same folder gets
:class:`MemoryLockedError`; inside a process, writes are serialised by a lock.
Creating a shard is serialised between processes by a file lock beside its folder
(``<folder>.create.lock``): a second process creating the first store of a data dir
in the same instant waits, then finds the store made and gets the same one-line
error as any second writer, rather than removing a shard being created.
Opening or creating a shard and every upsert first check the disk's free space
(:mod:`recurrentgpt.memory.disk`): a full disk gives
:class:`~recurrentgpt.memory.disk.MemoryDiskFullError`, not a SIGBUS.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import qdrant_edge as edge

from recurrentgpt.memory.disk import (
    BYTES_PER_POINT,
    CREATE_BYTES,
    UPSERT_BYTES,
    open_bytes,
    require_free_space,
)
from recurrentgpt.memory.lexical import SparseVector
from recurrentgpt.memory.passage import Lineage
from recurrentgpt.memory.store import (
    DENSE,
    SCROLL_PAGE,
    SPARSE,
    Hit,
    MemoryConfigError,
    MemoryLockedError,
    Query,
    StoredPoint,
    embedder_mismatch,
    size_mismatch,
)

META_FILE = "recurrentgpt-memory.json"
"""Written beside the shard: the vector size, layout and embedder this package created it with.

The embedder is recorded here rather than in the shard (the engine has no
collection metadata): this file already marks a finished creation, so a shard
and its record appear together, and it is only ever replaced whole
(:func:`write_meta`), so a crash leaves the old record or the new one."""
RRF_K = 60
"""Reciprocal rank fusion constant (the value of the original RRF paper)."""
HNSW_EF = 64
"""Beam width of a search in a built HNSW graph (the engine's default is ef_construct, 100).

A search asks for a few dozen candidates, and 64 keeps the graph search accurate for
that many; on one indexed novel of 100,000 paragraphs the dense candidate search took
2-3 ms p50 at 64 against 5-6 ms at 128 (a busy machine, load 9-10). Segments not yet
indexed are searched exactly whatever this is."""


SEARCH_THREADS = 1
"""Threads of the shard's search pool (the engine's default: one per CPU).

The pool searches a shard's segments in parallel; an indexed store holds one segment
of paragraphs (and an empty appendable one), so the second thread only added handing
work over: on one indexed novel of 100,000 paragraphs, one thread cost 5-19 % less CPU
per default search in four interleaved runs (BENCHMARKS.md, figure 3), and the BM25 list
alone was no slower on one thread than on two (measured apart). A store of several
segments searches them one after another (figure 7, re-measured with it on a store of a
million points: p50 5.15 ms as written, 2.73 ms indexed)."""


def quantization() -> edge.ScalarQuantizationConfig:
    """The dense vector's int8 scalar quantization (the 0.99 quantile, kept in RAM).

    An indexed segment's graph search then compares int8 copies (a quarter of the
    bytes) and rescores its candidates with the original vectors (``query_request``);
    with one search thread, a default search at 100,000 paragraphs cost 16-28 % less
    CPU in three interleaved runs (BENCHMARKS.md, figure 3). Built by ``optimize()`` with the
    graph: a store as written searches the original vectors.
    """
    return edge.ScalarQuantizationConfig(type=edge.ScalarType.Int8, quantile=0.99, always_ram=True)


def shard_config(dims: int) -> edge.EdgeConfig:
    """The configuration a new shard is created with (an existing shard keeps its own).

    Stores created before quantization and the one-thread pool open as they were:
    they search their original vectors, on the engine's default pool.
    """
    return edge.EdgeConfig(
        vectors={DENSE: edge.EdgeVectorParams(size=dims, distance=edge.Distance.Cosine)},
        sparse_vectors={SPARSE: edge.EdgeSparseVectorParams(modifier=edge.Modifier.Idf)},
        # Multitenancy: no global graph, one graph per novel (payload_m).
        hnsw_config=edge.HnswIndexConfig(
            m=0, ef_construct=100, full_scan_threshold=10_000, payload_m=16
        ),
        quantization_config=quantization(),
        max_search_threads=SEARCH_THREADS,
    )


def _keyword(key: str, value: str) -> edge.FieldCondition:
    return edge.FieldCondition(key=key, match=edge.MatchValue(value))


def lineage_filter(lineage: Lineage, *, sole_branch: bool = False) -> edge.Filter:
    """The engine filter for the paragraphs ``lineage`` can see.

    ``sole_branch`` tells that the lineage's branch is the only one its novel
    holds. A lineage that then sees the whole branch (nothing inherited, no
    position bound: a search from the newest paragraph of a novel never forked)
    sees the whole novel, and the filter is the novel condition alone: one
    condition less for the engine to check on every candidate (the dense list
    about a tenth quicker, the hybrid search with MMR about 6 %, at 100,000
    paragraphs: BENCHMARKS.md, figure 3).
    """
    novel = _keyword("novel_id", lineage.novel_id)
    if sole_branch and lineage.visible_ranges() == [(lineage.branch_id, None)]:
        return edge.Filter(must=[novel])
    ranges = [
        edge.Filter(
            must=[_keyword("branch_id", branch)]
            if last is None
            else [
                _keyword("branch_id", branch),
                edge.FieldCondition(key="position", range=edge.RangeFloat(lte=last)),
            ]
        )
        for branch, last in lineage.visible_ranges()
    ]
    if len(ranges) == 1:
        return edge.Filter(must=[novel, *(ranges[0].must or [])])
    return edge.Filter(must=[novel], should=list(ranges))


def _sparse(vector: SparseVector) -> edge.SparseVector:
    return edge.SparseVector(vector.indices, vector.values)


def query_request(query: Query, *, sole_branch: bool = False) -> edge.QueryRequest:
    """The engine request for ``query``: its lineage filter is given once, at the top.

    ``sole_branch`` as for :func:`lineage_filter`.

    The engine applies a request's filter to every prefetch under it (checked in
    tests/unit/test_memory_backends.py), so the lists, the fusion and MMR all stay
    inside the lineage; repeating it on each prefetch, as this did before, only
    had the engine check it again (a few percent of a hybrid search with MMR at
    100,000 paragraphs, within this machine's noise: BENCHMARKS.md, figure 3).
    """
    where = lineage_filter(query.lineage, sole_branch=sole_branch)
    dense = edge.Query.Nearest(query.dense, using=DENSE)
    # Rescoring keeps the quantized graph search's order from reaching the lists: each
    # candidate is scored again with its original vector (no quantization: ignored).
    rescored = edge.QuantizationSearchParams(rescore=True)
    graph = edge.SearchParams(hnsw_ef=HNSW_EF, quantization=rescored)
    candidates: dict[str, Any]
    if query.mode == "dense" or query.sparse is None or not query.sparse.indices:
        candidates = {"query": dense, "params": graph}
    elif query.mode == "sparse":
        candidates = {"query": edge.Query.Nearest(_sparse(query.sparse), using=SPARSE)}
    else:
        fusion: Any = edge.Fusion.Rrf(k=RRF_K) if query.fusion == "rrf" else edge.Fusion.Dbsf()
        candidates = {
            "prefetches": [
                edge.Prefetch(limit=query.candidates, query=dense, params=graph),
                edge.Prefetch(
                    limit=query.candidates,
                    query=edge.Query.Nearest(_sparse(query.sparse), using=SPARSE),
                ),
            ],
            "query": fusion,
        }
    if query.diversity > 0:
        # MMR re-ranks the candidates by the dense vector: relevance to the plan
        # minus likeness to what is already chosen (engine's lambda = 1 - diversity).
        return edge.QueryRequest(
            limit=query.limit,
            prefetches=[edge.Prefetch(limit=query.candidates, **candidates)],
            query=edge.Mmr(
                query.dense,
                lambda_=1.0 - query.diversity,
                candidates_limit=query.candidates,
                using=DENSE,
            ),
            filter=where,
            with_payload=True,
        )
    return edge.QueryRequest(limit=query.limit, filter=where, with_payload=True, **candidates)


log = logging.getLogger(__name__)


def write_meta(folder: str, meta: dict[str, Any]) -> None:
    """Replace ``folder``'s metadata file atomically (a temporary file renamed over it)."""
    path = os.path.join(folder, META_FILE)
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(meta, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def creation_lock_path(folder: str) -> str:
    """The lock file that serialises creating the shard at ``folder``."""
    return os.path.abspath(folder).rstrip(os.sep) + ".create.lock"


@contextmanager
def creation_lock(folder: str) -> Iterator[None]:
    """Hold the lock file beside ``folder`` that serialises creating its shard.

    Beside, not inside: an unfinished shard's folder is removed and made again
    under this lock. The lock is released when the holder ends, even by SIGKILL.
    """
    path = creation_lock_path(folder)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)  # the other creation takes about a second
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


class EdgeStore:
    """Long-term memory in a qdrant-edge shard at ``path``."""

    def __init__(self, path: str) -> None:
        self.location = path
        self._write_lock = threading.Lock()
        self._shard: edge.EdgeShard | None = None
        self._dims: int | None = None
        self._meta: dict[str, Any] = {}
        self._branches: dict[str, frozenset[str]] = {}
        """The branches of each novel searched so far (up to two: enough to tell a sole
        branch), read once from the shard and kept current by every write."""
        self._new_branches = 0
        """Bumped before a point of a branch new to its novel is written (see search)."""
        self._load_if_created()

    def _load_if_created(self) -> None:
        """Open the shard if its creation finished (its metadata file is written last)."""
        meta = os.path.join(self.location, META_FILE)
        if os.path.exists(meta):
            with open(meta, encoding="utf-8") as file:
                recorded = dict(json.load(file))
            require_free_space(self.location, open_bytes(self.location), "opening the store")
            self._shard = self._open(lambda: edge.EdgeShard.load(self.location))
            self._dims, self._meta = int(recorded["dims"]), recorded

    def _open(self, opener: Any) -> edge.EdgeShard:
        try:
            shard: edge.EdgeShard = opener()
        except Exception as error:
            if "WouldBlock" in str(error):
                raise MemoryLockedError(
                    f"long-term memory at {self.location} is open in another process; "
                    "one process writes a data dir at a time (stop it, or use a Qdrant "
                    "server via QDRANT_URL for many writers)"
                ) from error
            raise MemoryConfigError(
                f"cannot open long-term memory at {self.location}: {error}"
            ) from error
        return shard

    def dimensions(self) -> int | None:
        """The dense vector size, or None before the first paragraph is stored."""
        return self._dims

    def embedder(self) -> str | None:
        """The embedder recorded in the metadata file, or None (no shard, or none recorded)."""
        recorded = self._meta.get("embedder")
        return str(recorded) if recorded else None

    def ensure_collection(self, dims: int, embedder: str = "") -> None:
        """Create the shard with its indexes for ``dims``, or check the existing size.

        Then the embedder: recorded with a new shard, adopted by a shard that has
        no record (written before embedders were recorded), else compared.
        """
        if self._dims is None:
            with self._write_lock, creation_lock(self.location):
                if self._dims is None:
                    self._load_if_created()  # another process may have just made it
                if self._dims is None:
                    self._create(dims, embedder)
        if self._dims != dims:
            raise MemoryConfigError(size_mismatch(f"at {self.location}", self._dims or 0, dims))
        if not embedder:
            return
        recorded = self.embedder()
        if recorded is None:
            with self._write_lock:
                if self.embedder() is None:
                    meta = {**self._meta, "embedder": embedder}
                    write_meta(self.location, meta)
                    self._meta = meta
                    log.info(
                        "long-term memory at %s: recorded embedder %s", self.location, embedder
                    )
            recorded = self.embedder()
        if recorded != embedder:
            raise MemoryConfigError(
                embedder_mismatch(f"at {self.location}", recorded or "", embedder)
            )

    def _create(self, dims: int, embedder: str) -> None:
        """Create the shard and its indexes (under the creation lock), metadata file last."""
        self._discard_unfinished_shard()
        require_free_space(self.location, CREATE_BYTES, "creating the store")
        shard = self._open(lambda: edge.EdgeShard.create(self.location, shard_config(dims)))
        shard.update(
            edge.UpdateOperation.create_field_index(
                "novel_id", edge.KeywordIndexParams(is_tenant=True)
            )
        )
        # Branch and position only narrow a novel's search: no graph of their own
        # (every novel has a "main" branch, whose graph would span the whole store).
        shard.update(
            edge.UpdateOperation.create_field_index(
                "branch_id", edge.KeywordIndexParams(enable_hnsw=False)
            )
        )
        shard.update(
            edge.UpdateOperation.create_field_index(
                "position", edge.IntegerIndexParams(lookup=True, range=True, enable_hnsw=False)
            )
        )
        shard.flush()
        meta: dict[str, Any] = {"dims": dims, "layout": 1}
        if embedder:
            meta["embedder"] = embedder
        write_meta(self.location, meta)
        self._shard, self._dims, self._meta = shard, dims, meta

    def _discard_unfinished_shard(self) -> None:
        """Remove a shard whose creation was cut short (a process killed mid-way).

        The metadata file is written last, after the shard and its indexes: a folder
        with shard files but no metadata never received a paragraph. Left alone, it
        would refuse every later creation ("path already contains segment data").
        Called under the creation lock, so the shard is never one another process
        is creating at that moment.

        Raises:
            MemoryLockedError: another process has it open.
        """
        if not os.path.isdir(self.location) or not os.listdir(self.location):
            return
        # Too unfinished to load is removed all the same; a lock held elsewhere is raised.
        with contextlib.suppress(MemoryConfigError):
            self._open(lambda: edge.EdgeShard.load(self.location)).close()
        log.warning("long-term memory: removing %s, whose creation was cut short", self.location)
        shutil.rmtree(self.location)
        os.makedirs(self.location)

    def upsert(self, points: list[StoredPoint]) -> None:
        """Write points by id (an existing id is overwritten)."""
        shard = self._require()
        records = [
            edge.Point(
                id=p.id,
                vector={DENSE: p.dense, **({SPARSE: _sparse(p.sparse)} if p.sparse else {})},
                payload=p.payload,
            )
            for p in points
        ]
        needed = UPSERT_BYTES + BYTES_PER_POINT * len(records)
        with self._write_lock:
            require_free_space(self.location, needed, f"storing {len(records)} paragraph(s)")
            for point in points:
                novel, branch = point.payload.get("novel_id"), point.payload.get("branch_id")
                known = self._branches.get(str(novel))
                if known is not None and branch is not None and str(branch) not in known:
                    self._branches[str(novel)] = known | {str(branch)}
                    self._new_branches += 1
            shard.update(edge.UpdateOperation.upsert_points(records))

    def search(self, query: Query) -> list[Hit]:
        """Dense, sparse or fused (RRF/DBSF) search inside the lineage, then MMR if asked."""
        if self._shard is None:
            return []
        written = self._new_branches
        sole = self._sole_branch(query.lineage)
        found = self._shard.query(query_request(query, sole_branch=sole))
        if sole and self._new_branches != written:
            # A fork of this novel was written while the search ran without the branch
            # condition (the count is bumped before the write): it may have seen the
            # fork's paragraphs, so it runs again with the condition.
            found = self._shard.query(query_request(query))
        return [Hit(dict(h.payload or {}), h.score) for h in found]

    def _sole_branch(self, lineage: Lineage) -> bool:
        """Tell whether ``lineage``'s branch is the only one its novel holds.

        Asked only where the answer can drop a condition (nothing inherited, no
        bound). The first time per novel it reads the novel's branches from the
        branch index (one facet query, ~15 ms at 100,000 paragraphs here) under the
        write lock, so that no write slips between that read and the cache; every
        write after it updates the cache. One process writes a store (the folder is
        locked), so the cache cannot miss a branch.
        """
        if lineage.segments or not lineage.branch_ends_here or self._shard is None:
            return False
        branches = self._branches.get(lineage.novel_id)
        if branches is None:
            with self._write_lock:
                branches = self._branches.get(lineage.novel_id)
                if branches is None:
                    novel = edge.Filter(must=[_keyword("novel_id", lineage.novel_id)])
                    facet = edge.FacetRequest("branch_id", limit=2, exact=True, filter=novel)
                    branches = frozenset(str(h.value) for h in self._shard.facet(facet).hits)
                    self._branches[lineage.novel_id] = branches
        return branches <= {lineage.branch_id}

    def retrieve(self, ids: list[str]) -> list[dict[str, Any]]:
        """Payloads of the existing points among ``ids``."""
        if self._shard is None:
            return []
        wanted: list[edge.PointId] = list(ids)
        records = self._shard.retrieve(wanted, with_payload=True, with_vector=False)
        return [dict(r.payload or {}) for r in records]

    def _pages(self, where: edge.Filter | None, with_vector: bool) -> Iterator[list[Any]]:
        if self._shard is None:
            return
        offset: Any = None
        while True:
            records, offset = self._shard.scroll(
                edge.ScrollRequest(
                    offset=offset,
                    limit=SCROLL_PAGE,
                    filter=where,
                    with_payload=True,
                    with_vector=with_vector,
                )
            )
            yield records
            if offset is None:
                return

    def scroll(self, lineage: Lineage | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of payloads within ``lineage`` (every point when None)."""
        where = lineage_filter(lineage) if lineage else None
        for records in self._pages(where, with_vector=False):
            yield [dict(r.payload or {}) for r in records]

    def scroll_points(self) -> Iterator[list[StoredPoint]]:
        """Pages of every point with its vectors."""
        for records in self._pages(None, with_vector=True):
            page = []
            for record in records:
                vectors: dict[str, Any] = dict(record.vector or {})
                sparse = vectors.get(SPARSE)
                page.append(
                    StoredPoint(
                        id=str(record.id),
                        dense=list(vectors[DENSE]),
                        sparse=SparseVector(list(sparse.indices), list(sparse.values))
                        if sparse is not None
                        else None,
                        payload=dict(record.payload or {}),
                    )
                )
            yield page

    def count(self, novel_id: str) -> int:
        """Points of ``novel_id``, every branch."""
        if self._shard is None:
            return 0
        novel = edge.Filter(must=[_keyword("novel_id", novel_id)])
        return self._shard.count(edge.CountRequest(filter=novel, exact=True))

    def delete_novel(self, novel_id: str) -> None:
        """Delete every point of ``novel_id``."""
        if self._shard is None:
            return
        novel = edge.Filter(must=[_keyword("novel_id", novel_id)])
        with self._write_lock:
            self._shard.update(edge.UpdateOperation.delete_points_by_filter(novel))
            self._branches.pop(novel_id, None)

    def build_index(self) -> bool:
        """Build the HNSW graphs now (blocks the process; run it between sessions)."""
        if self._shard is None:
            return False
        with self._write_lock:
            return self._shard.optimize()

    def info(self) -> dict[str, int]:
        """Points, indexed vectors and segments of the shard."""
        if self._shard is None:
            return {"points": 0, "indexed_vectors": 0, "segments": 0}
        info = self._shard.info()
        return {
            "points": info.points_count,
            "indexed_vectors": info.indexed_vectors_count,
            "segments": info.segments_count,
        }

    def close(self) -> None:
        """Flush and close the shard, which unlocks its folder."""
        with self._write_lock:
            if self._shard is not None:
                self._shard.flush()
                self._shard.close()
                self._shard = None

    def _require(self) -> edge.EdgeShard:
        if self._shard is None:
            raise MemoryConfigError(f"long-term memory at {self.location} has no collection yet")
        return self._shard
