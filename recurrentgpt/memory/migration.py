"""Moving long-term memory between backends without losing anything.

- A data dir written before the embedded engine (qdrant-client local mode at
  ``<data dir>/qdrant``) is copied into the engine shard on first open; the old
  folder is left as it was.
- ``python -m recurrentgpt.memory move`` copies a data dir's memory to a Qdrant
  server (or any other location), for a deployment that outgrows one machine.

Points keep their ids, payloads and dense vectors (nothing is re-embedded), and
the store keeps its record of the embedder that wrote them;
points written before hybrid search get their BM25 vector and entity names
computed from their text on the way.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable

from recurrentgpt.memory.lexical import SparseEncoder, document_text, entity_names
from recurrentgpt.memory.store import StoredPoint, VectorStore


def _completed(point: StoredPoint, encoder: SparseEncoder) -> StoredPoint:
    if point.sparse is not None and "entities" in point.payload:
        return point
    payload = dict(point.payload)
    text, summary = str(payload.get("text", "")), str(payload.get("summary", ""))
    entities = payload.get("entities") or entity_names(f"{text}\n{summary}")
    payload["entities"] = list(entities)
    sparse = point.sparse or encoder.document(document_text(text, summary, entities))
    return StoredPoint(id=point.id, dense=point.dense, sparse=sparse, payload=payload)


def copy_memory(
    source: VectorStore,
    target: VectorStore,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Copy every point of ``source`` into ``target`` (same ids: copying twice is harmless).

    Returns:
        The number of points copied.

    Raises:
        MemoryConfigError: the target holds vectors of another size, or records
            another embedder than the source.
    """
    encoder = SparseEncoder()
    # The record of the embedder goes first, with the collection: the target then
    # refuses points of another embedder, as the source did (empty: none recorded yet).
    recorded = source.embedder() or ""
    if dims := source.dimensions():
        target.ensure_collection(dims, recorded)
    copied = 0
    for page in source.scroll_points():
        if not page:
            continue
        target.ensure_collection(len(page[0].dense), recorded)
        target.upsert([_completed(point, encoder) for point in page])
        copied += len(page)
        if progress:
            progress(copied)
    return copied


def is_local_mode_folder(folder: str) -> bool:
    """Tell whether ``folder`` holds a qdrant-client local-mode store."""
    return os.path.isfile(os.path.join(folder, "meta.json"))


def migrate_into_new_folder(
    source: VectorStore, folder: str, open_target: Callable[[str], VectorStore]
) -> int:
    """Copy ``source`` into a new store at ``folder``, which appears only once complete.

    The copy is built in a sibling folder and renamed into place, so a crash
    midway leaves no half-migrated store (the next open starts again).
    """
    building = f"{folder}.migrating"
    shutil.rmtree(building, ignore_errors=True)
    os.makedirs(os.path.dirname(building) or ".", exist_ok=True)
    target = open_target(building)
    try:
        copied = copy_memory(source, target)
    finally:
        target.close()
    os.replace(building, folder)
    return copied
