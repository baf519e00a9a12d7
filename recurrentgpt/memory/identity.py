"""Which embedder a store is written with: its record against the run's choice.

Every store records the spec of the embedder that writes it (the engine store in
its metadata file, a Qdrant collection in its collection metadata; see each
backend), because two embedders of the same size mix their vectors silently:
a search then ranks by noise. A run meets that record here, when it opens a
store, before anything is embedded or written:

- the store records nothing yet (new, or written before records): the run's
  embedder; the first write records it (after the size check). Except when nobody
  chose one and the store's vectors have a bundled embedder's size that is not the
  default's (384: MiniLM, the default before all-mpnet-base-v2): that embedder, so a
  data dir written before records goes on as it was written;
- the run's embedder is the record: it;
- nobody chose one (the :class:`~recurrentgpt.context.Context` default): the
  store's, so a novel goes on with what it was written with (logged once);
- one was chosen and differs: :class:`MemoryConfigError`, one line naming both.
"""

from __future__ import annotations

import logging
import threading

from recurrentgpt.memory.store import (
    LOCAL_EMBEDDER_SIZES,
    MemoryConfigError,
    VectorStore,
    embedder_mismatch,
)

log = logging.getLogger(__name__)

_logged: set[tuple[str, str, str]] = set()
_logged_lock = threading.Lock()


def embedder_for(store: VectorStore, configured: str, *, chosen: bool) -> str:
    """The embedder spec to use with ``store``, given the run's ``configured`` spec.

    ``configured`` is canonical (:func:`~recurrentgpt.embeddings.canonical_embedder`);
    ``chosen`` tells that the person set it (an argument, a flag, the environment)
    rather than leaving the default.

    Raises:
        MemoryConfigError: ``chosen`` and the store records another embedder.
    """
    recorded = store.embedder()
    if recorded is None and not chosen:
        dims = store.dimensions()
        recorded = LOCAL_EMBEDDER_SIZES.get(dims) if dims is not None else None
    if recorded is None or recorded == configured:
        return configured
    if chosen:
        raise MemoryConfigError(embedder_mismatch(f"at {store.location}", recorded, configured))
    with _logged_lock:
        first = (store.location, recorded, configured) not in _logged
        _logged.add((store.location, recorded, configured))
    if first:
        log.info(
            "long-term memory at %s was written with embedder %s: using it (no embedder was "
            "chosen; the default is %s)",
            store.location,
            recorded,
            configured,
        )
    return recorded
