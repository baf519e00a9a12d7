"""Warm start: load what a novel's first run needs when the server starts, not in that run.

:func:`start_warming` runs in a background thread, so the server answers at once;
a run that arrives before it is done waits for the same loads (each happens once
per process, under its own lock), never for a second copy. For the server's
configuration (the environment, :class:`~recurrentgpt.context.Context`) it:

- opens the long-term memory store;
- loads the embedder the runs will use (the store's own when none was chosen)
  and embeds one text (the first inference is the slow one);
- builds one chat model client for the default model, which imports its
  provider's client and, for the bundled ``local:*`` model, starts llama.cpp.

``RECURRENTGPT_WARM_START=0`` turns it off (e.g. a server started only to read
graph drawings). A failure is logged, never raised: the run that needs the
failing part reports it, as it would have without the warm start.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from recurrentgpt.context import Context

log = logging.getLogger(__name__)

WARM_START_ENV = "RECURRENTGPT_WARM_START"
done = threading.Event()
"""Set once the warm start has finished (or failed, or was off)."""
_started = threading.Lock()
"""Taken by the first :func:`start_warming` of the process (the server may import the
module that calls it once per graph)."""


def warm_start_enabled() -> bool:
    """Whether the operator left the warm start on (the default)."""
    return os.environ.get(WARM_START_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def warm(context: Context) -> None:
    """Load the embedder, open the store and build the default chat model, now."""
    from recurrentgpt.context import embedder_chosen
    from recurrentgpt.embeddings import canonical_embedder, load_embeddings
    from recurrentgpt.memory import open_store
    from recurrentgpt.memory.identity import embedder_for
    from recurrentgpt.services import build_chat_model, max_tokens_for

    started = time.perf_counter()
    store = open_store(
        context.resolved_qdrant_location,
        backend=context.memory_backend,
        api_key=context.qdrant_api_key,
    )
    # The embedder the runs will use: the store's own when none was chosen.
    spec = embedder_for(
        store, canonical_embedder(context.embedder), chosen=embedder_chosen(context)
    )
    load_embeddings(spec).embed_query("warm start")
    build_chat_model(context.model, context=context, max_tokens=max_tokens_for("writer", context))
    log.info("warm start done in %.1f s", time.perf_counter() - started)


def start_warming(context: Context | None = None) -> threading.Thread | None:
    """Warm up in a daemon thread; :data:`done` tells when it ends.

    Returns None, and starts nothing, when turned off or already started in this process.
    """
    if not _started.acquire(blocking=False):
        return None
    if not warm_start_enabled():
        done.set()
        return None

    def run() -> None:
        try:
            warm(context or Context())
        except Exception:  # the run that needs it reports it, with its context
            log.warning("warm start failed; the first run loads what it needs", exc_info=True)
        finally:
            done.set()

    thread = threading.Thread(target=run, name="recurrentgpt-warm-start", daemon=True)
    thread.start()
    return thread
