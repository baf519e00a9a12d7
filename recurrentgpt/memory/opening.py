"""Opening long-term memory from a location string, once per process.

- ``http(s)://…``: a Qdrant server through qdrant-client (no lock: the client
  is thread-safe).
- a folder: the embedded engine (qdrant-edge) in ``<folder>/edge/<collection>``,
  or, with ``backend="local"``, qdrant-client's local mode in the folder itself
  (the layout of earlier versions). A folder written by local mode is migrated
  into the engine on first open.
- ``":memory:"``: a throwaway store for tests: the engine in a temporary folder
  (deleted at close), or qdrant-client's in-memory mode with ``backend="local"``.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import tempfile
import threading
from typing import TYPE_CHECKING, Literal

from recurrentgpt.memory.edge_store import META_FILE, EdgeStore, creation_lock_path
from recurrentgpt.memory.migration import is_local_mode_folder, migrate_into_new_folder
from recurrentgpt.memory.store import DEFAULT_COLLECTION, MemoryConfigError, VectorStore

if TYPE_CHECKING:
    from qdrant_client import QdrantClient

    from recurrentgpt.memory.client_store import ClientStore

Backend = Literal["edge", "local"]

log = logging.getLogger(__name__)

_lock = threading.Lock()
_stores: dict[tuple[str, str, str, str], VectorStore] = {}
_temporary: dict[int, str] = {}


def is_server(location: str) -> bool:
    """Tell whether ``location`` is a Qdrant server URL."""
    return location.startswith(("http://", "https://"))


def edge_folder(location: str, collection: str = DEFAULT_COLLECTION) -> str:
    """Where the engine shard of the store at folder ``location`` lives."""
    return os.path.join(location, "edge", collection)


def _client(location: str, api_key: str) -> QdrantClient:
    # qdrant-client is imported only here: the default embedded store never needs it.
    from qdrant_client import QdrantClient

    try:
        if is_server(location):
            return QdrantClient(url=location, api_key=api_key or None)
        if location == ":memory:":
            return QdrantClient(location=":memory:")
        os.makedirs(location, exist_ok=True)
        return QdrantClient(path=location)
    except Exception as error:
        raise MemoryConfigError(f"cannot open long-term memory at {location!r}: {error}") from error


def _client_store(location: str, api_key: str, collection: str) -> ClientStore:
    from recurrentgpt.memory.client_store import ClientStore

    return ClientStore(_client(location, api_key), collection=collection, location=location)


def _open_edge_folder(location: str, collection: str) -> VectorStore:
    folder = edge_folder(location, collection)
    if not os.path.exists(os.path.join(folder, META_FILE)) and is_local_mode_folder(location):
        old = _client_store(location, "", collection)
        try:
            if old.dimensions() is not None:
                copied = migrate_into_new_folder(old, folder, EdgeStore)
                log.info(
                    "long-term memory: moved %d paragraphs from %s to %s", copied, location, folder
                )
        finally:
            old.close()
    os.makedirs(folder, exist_ok=True)
    return EdgeStore(folder)


def _build(location: str, backend: Backend, api_key: str, collection: str) -> VectorStore:
    if is_server(location) or backend == "local":
        return _client_store(location, api_key, collection)
    if backend != "edge":
        raise MemoryConfigError(f"unknown memory backend {backend!r}: use 'edge' or 'local'")
    if location == ":memory:":
        folder = tempfile.mkdtemp(prefix="recurrentgpt-memory-")
        store = EdgeStore(folder)
        _temporary[id(store)] = folder
        return store
    return _open_edge_folder(location, collection)


def open_store(
    location: str,
    *,
    backend: Backend = "edge",
    api_key: str = "",
    collection: str = DEFAULT_COLLECTION,
) -> VectorStore:
    """Return the process-wide store for ``location`` (see the module docstring).

    Raises:
        MemoryConfigError: the location cannot be opened.
        MemoryLockedError: another process has the embedded store open.
    """
    key = (location, "server" if is_server(location) else backend, api_key, collection)
    with _lock:
        if key not in _stores:
            if not _stores:
                atexit.register(close_stores)
            _stores[key] = _build(location, backend, api_key, collection)
        return _stores[key]


def close_stores() -> None:
    """Close every store opened by :func:`open_store` (embedded ones flush and unlock)."""
    with _lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        try:
            store.close()
        except Exception as error:  # e.g. a full disk at exit: the error was reported already
            log.warning("long-term memory could not be flushed at close: %s", error)
        folder = _temporary.pop(id(store), None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                os.remove(creation_lock_path(folder))
