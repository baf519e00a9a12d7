"""Checks a LangGraph server runs once, at start, so a bad deployment fails before a run.

The server's configuration is the environment (see :class:`~recurrentgpt.context.Context`:
``RECURRENTGPT_MODEL``, ``RECURRENTGPT_EMBEDDER``, ``RECURRENTGPT_DATA_DIR``,
``QDRANT_URL`` ...). :func:`check_server` promises, for that configuration:

- the embedder exists and its package (or, for the default all-mpnet-base-v2, its
  model in the cache folder) is installed; an embedder that needs the
  network (``openai:*``) can reach its endpoint and its tokenizer now, or the
  server does not start (offline, it would otherwise fail mid-run);
- no role's model is the bundled ``local:*`` model unless llama-cpp-python is
  installed here (the production venv leaves it out: the model then runs as its
  own process, reached through ``OPENAI_BASE_URL``);
- the operator's allow-list of deployment settings callers may set
  (``RECURRENTGPT_CALLER_SETTINGS``, see :mod:`recurrentgpt.deployment`) names
  only deployment settings;
- an embedded long-term memory store (a folder) is held by this process alone:
  a second server process on the same folder (``--workers 2``, a second replica)
  refuses to start with a message naming ``QDRANT_URL``, instead of failing novels.

Per-run context may still name another embedder or store; those are checked when
the run opens them, as everywhere else.
"""

from __future__ import annotations

import fcntl
import importlib.util
import logging
import os
import socket
from typing import IO
from urllib.parse import urlsplit

from recurrentgpt.context import DEFAULT_EMBEDDER, Context
from recurrentgpt.deployment import caller_settings
from recurrentgpt.embeddings import EmbedderConfigError, load_embeddings
from recurrentgpt.memory.opening import is_server
from recurrentgpt.memory.store import MemoryLockedError

log = logging.getLogger(__name__)

NETWORK_TIMEOUT_SECONDS = 5.0
OFFLINE_EMBEDDER = DEFAULT_EMBEDDER
_held: dict[str, IO[str]] = {}
"""Lock files held for the life of the process (closing one would release it)."""


class ServerConfigError(RuntimeError):
    """The server's configuration cannot write a novel on this machine."""


def check_models(context: Context) -> None:
    """Fail now if a role uses the bundled local model and llama-cpp-python is absent.

    Raises:
        ServerConfigError: saying how to run the local model as its own process.
    """
    roles = ("start", "writer", "memory", "planner", "human")
    local = sorted(
        {context.model_for(role) for role in roles if context.model_for(role).startswith("local:")}
    )
    if local and importlib.util.find_spec("llama_cpp") is None:
        raise ServerConfigError(
            f"model {', '.join(local)} is the bundled llama.cpp model, but llama-cpp-python is "
            "not installed in the server's venv (on purpose: its pins clash with the runtime's). "
            "Run it as its own process from a venv with the 'local' extra "
            "(python -m recurrentgpt.local_llm serve --port 8080) and set "
            "OPENAI_BASE_URL=http://127.0.0.1:8080/v1 RECURRENTGPT_MODEL=openai:smollm2, "
            "or name any other model."
        )


def _endpoint(base_url: str) -> tuple[str, int]:
    url = urlsplit(base_url or "https://api.openai.com/v1")
    return url.hostname or "", url.port or (443 if url.scheme == "https" else 80)


def check_embedder(spec: str, base_url: str = "") -> None:
    """Fail now, with what to do, if the embedder ``spec`` cannot work in this process.

    Raises:
        EmbedderConfigError: unknown spec, missing package, or (``openai:*``) no
            route to the endpoint or no tokenizer encoding.
    """
    try:
        load_embeddings(spec)
    except EmbedderConfigError:
        raise
    except Exception as error:  # e.g. OpenAI without an API key
        raise EmbedderConfigError(f"embedder {spec!r} cannot be built: {error}") from error
    provider, _, model = spec.partition(":")
    if provider != "openai":
        return
    host, port = _endpoint(base_url)
    offline_hint = (
        f"embedder {spec!r} needs the network; offline, set RECURRENTGPT_EMBEDDER="
        f"{OFFLINE_EMBEDDER} (make deploy-env installs it)"
    )
    try:
        socket.create_connection((host, port), timeout=NETWORK_TIMEOUT_SECONDS).close()
    except OSError as error:
        raise EmbedderConfigError(
            f"{offline_hint}: cannot reach {host}:{port} ({error})"
        ) from error
    # The OpenAI embedder counts tokens with tiktoken, which downloads its encoding on
    # first use: load it now, as the embedder would.
    try:
        import tiktoken

        try:
            tiktoken.encoding_for_model(model or "text-embedding-3-small")
        except KeyError:
            tiktoken.get_encoding("cl100k_base")
    except Exception as error:
        raise EmbedderConfigError(
            f"{offline_hint}: tiktoken cannot load its encoding ({error}); "
            "pre-fill TIKTOKEN_CACHE_DIR on a machine with internet access"
        ) from error


def hold_embedded_memory(location: str) -> str | None:
    """Take this process's exclusive hold on the embedded store at folder ``location``.

    A server URL or ``":memory:"`` needs no hold (returns None). Otherwise a lock
    file beside the folder (``<folder>.server.lock``) is locked until the process
    ends, and its path returned; holding it again in this process is a no-op.

    Raises:
        MemoryLockedError: another process holds it (more than one worker or replica).
    """
    if is_server(location) or location == ":memory:":
        return None
    folder = os.path.abspath(location)
    path = folder.rstrip(os.sep) + ".server.lock"
    if path in _held:
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    file = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        file.close()
        raise MemoryLockedError(
            f"long-term memory at {folder} is an embedded store that another server process "
            "already holds: a server with more than one worker or replica needs a Qdrant "
            "server. Set QDRANT_URL=http://<host>:6333 (deploy/docker-compose.yml runs one), "
            "or run a single worker."
        ) from error
    file.seek(0)
    file.truncate()
    file.write(f"{os.getpid()}\n")
    file.flush()
    _held[path] = file
    return path


def describe(context: Context) -> str:
    """One line naming what the server will use (logged at start)."""
    return (
        f"model={context.model} embedder={context.embedder} "
        f"memory={context.resolved_qdrant_location} data_dir={context.data_dir} "
        f"mode={context.mode}"
    )


def check_server(context: Context | None = None) -> Context:
    """Run every start-up check on the environment's configuration; return it.

    Raises:
        ServerConfigError: see :func:`check_models`.
        EmbedderConfigError: see :func:`check_embedder`.
        MemoryLockedError: see :func:`hold_embedded_memory`.
        DeploymentSettingError: see :func:`recurrentgpt.deployment.caller_settings`.
    """
    context = context or Context()
    caller_settings()
    check_models(context)
    check_embedder(context.embedder, context.base_url)
    hold_embedded_memory(context.resolved_qdrant_location)
    log.info("recurrentgpt server configuration: %s", describe(context))
    return context
