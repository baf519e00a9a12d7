"""The outside world the nodes talk to: chat models per role and long-term memory.

Nodes never build clients themselves; they ask a :class:`Services` object, which
the graph builder receives. The default one builds real clients from the run's
:class:`~recurrentgpt.context.Context` and caches them per process (one
long-term memory store per location, one local LLM server). Tests and embedders
pass their own.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from recurrentgpt.context import Context, embedder_chosen
from recurrentgpt.embeddings import EmbedderConfigError, canonical_embedder, load_embeddings
from recurrentgpt.memory import LongTermMemory, open_store
from recurrentgpt.memory.identity import embedder_for
from recurrentgpt.story.replies import is_cjk_language

if TYPE_CHECKING:
    # Chat model code is imported when a model is built, so commands that only read
    # a novel (export) never pay for it.
    from langchain_core.language_models import BaseChatModel

Role = Literal["start", "chapter", "writer", "memory", "planner", "human"]

STRUCTURED_REPLY_TOKENS = 1024
"""Token cap for the memory, planner and simulated-human replies."""
OPENING_REPLY_TOKENS = 600
"""Token cap for the opening's title and outline."""
REQUEST_TIMEOUT_SECONDS = 300.0
"""A request that stalls longer is a transient fault (retried within the outage budget).

Generous: the bundled CPU model writes a 180-word paragraph in about a minute on
two loaded cores."""
MAX_CACHED_CHAT_MODELS = 32
"""Chat models kept per process. Their keys come from each run's context (model,
temperature...), which on a server any caller sets, so the cache is bounded: the
least recently used client is dropped (a later run builds it again)."""
MAX_CACHED_MEMORIES = 8
"""Long-term memory views (search settings over a store) kept per process, likewise.
The stores under them are opened once per location (deployment settings)."""

_Value = TypeVar("_Value")


def max_tokens_for(role: Role, context: Context) -> int:
    """The hard token cap of one reply of ``role``.

    The writer may use two tokens per word it was asked for (an English word is
    about 1.3), three in a CJK language (a character is one word and up to two
    tokens), never fewer than 256: room for a paragraph half again as long as
    asked, and no more, since a small local model that runs on would otherwise
    spend seconds generating words the writer trims away (it keeps at most twice
    the words asked for); with compact prompts (a small model) a fifth less. The
    language is ``context.language``: nodes that write a novel's paragraphs pass
    its own (:func:`~recurrentgpt.nodes.common.in_novel_language`).
    """
    if role == "writer":
        per_word = 3 if is_cjk_language(context.language) else 2
        cap = per_word * context.words_per_paragraph
        if context.compact_prompts:
            # A small model runs on to the cap in most replies: a fifth less room
            # saves it a second a step, and the cut sentence is dropped (ask_text).
            cap = cap * 4 // 5
        return max(256, cap)
    if role == "start":
        return OPENING_REPLY_TOKENS
    return STRUCTURED_REPLY_TOKENS


class Services(Protocol):
    """What the nodes need from outside the graph."""

    def chat_model(self, role: Role, context: Context) -> BaseChatModel:
        """Return the chat model that plays ``role``."""
        ...

    def long_term_memory(self, context: Context) -> LongTermMemory:
        """Return the long-term memory configured by ``context``."""
        ...


def build_chat_model(spec: str, *, context: Context, max_tokens: int) -> BaseChatModel:
    """Build a chat model from a 'provider:model' string.

    ``local:<name>`` starts (once per process) the bundled llama.cpp server and
    talks to it over the OpenAI-compatible API, exactly as to any other server.
    Any other provider goes through ``init_chat_model``; with a base URL set, the
    OpenAI client is pointed at it.
    """
    from langchain.chat_models import init_chat_model

    provider, _, name = spec.partition(":")
    if not name:
        provider, name = "openai", spec
    base_url = context.base_url
    api_key = context.api_key
    if provider == "local":
        from recurrentgpt.local_llm import get_local_server

        base_url, api_key, provider = get_local_server().base_url, "local", "openai"
    kwargs: dict[str, Any] = {
        "temperature": context.temperature,
        "max_tokens": max_tokens,
        # Paragraph tokens stream; tool-call (structured) replies are taken whole, because
        # some OpenAI-compatible servers (llama-cpp-python) stream tool calls in pieces
        # that do not reassemble into a parseable call.
        "disable_streaming": "tool_calling",
    }
    if provider == "openai":
        # Our own retry layer (recurrentgpt.llm) tells transient faults from permanent
        # ones and rides out an outage with a notice; the client's silent retries would
        # multiply every request (a wrong key was sent three times).
        kwargs.update(max_retries=0, timeout=REQUEST_TIMEOUT_SECONDS)
    if provider == "openai" and base_url:
        # Many compatible servers ignore max_completion_tokens (what the client sends),
        # so the cap is sent under its old name as well.
        kwargs.update(base_url=base_url, extra_body={"max_tokens": max_tokens})
        kwargs["api_key"] = api_key or "not-needed"
    elif provider == "openai" and api_key:
        kwargs["api_key"] = api_key
    model: BaseChatModel = init_chat_model(name, model_provider=provider, **kwargs)
    return model


class BoundedCache(OrderedDict[Hashable, _Value]):
    """A least-recently-used cache of at most ``limit`` values (not thread-safe alone)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def get_or_build(self, key: Hashable, build: Callable[[], _Value]) -> _Value:
        """The value cached under ``key``, built (and the oldest dropped) when missing."""
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = self[key] = build()
        while len(self) > self.limit:
            self.popitem(last=False)
        return value


class DefaultServices:
    """Real chat models and long-term memory, built from the context and cached per process.

    Both caches are bounded (:data:`MAX_CACHED_CHAT_MODELS`, :data:`MAX_CACHED_MEMORIES`):
    a caller who varies its settings run after run cannot grow the process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: BoundedCache[BaseChatModel] = BoundedCache(MAX_CACHED_CHAT_MODELS)
        self._memories: BoundedCache[LongTermMemory] = BoundedCache(MAX_CACHED_MEMORIES)

    def chat_model(self, role: Role, context: Context) -> BaseChatModel:
        """Return the (cached) chat model configured for ``role``."""
        spec = context.model_for(role)
        max_tokens = max_tokens_for(role, context)
        key = (spec, context.base_url, context.api_key, context.temperature, max_tokens)
        with self._lock:
            return self._models.get_or_build(
                key, lambda: build_chat_model(spec, context=context, max_tokens=max_tokens)
            )

    def long_term_memory(self, context: Context) -> LongTermMemory:
        """Return the (cached) long-term memory for the context's store and embedder.

        The store is the embedded Qdrant engine in the data dir unless the context
        names a Qdrant server (or the local-mode fallback); a data dir written by
        an earlier version is migrated on this first open. The embedder is the one
        the store records when the context left it at the default
        (:mod:`recurrentgpt.memory.identity`).

        Raises:
            MemoryConfigError: the store cannot be opened, or records another
                embedder than the one the context chose.
            EmbedderConfigError: the embedder (the store's, when it is used) cannot
                be built in this process.
        """
        location = context.resolved_qdrant_location
        key = (
            location,
            context.memory_backend,
            context.qdrant_api_key,
            context.embedder,
            context.memory_embedding,
            context.retrieval_mode,
            context.retrieval_fusion,
        )
        with self._lock:
            return self._memories.get_or_build(key, lambda: _build_memory(location, context))


def _build_memory(location: str, context: Context) -> LongTermMemory:
    store = open_store(location, backend=context.memory_backend, api_key=context.qdrant_api_key)
    configured = canonical_embedder(context.embedder)
    spec = embedder_for(store, configured, chosen=embedder_chosen(context))
    try:
        embeddings = load_embeddings(spec)
    except EmbedderConfigError as error:
        if spec == configured:
            raise
        raise EmbedderConfigError(
            f"long-term memory at {store.location} was written with embedder {spec!r}, which "
            f"cannot be built here: {error}"
        ) from error
    return LongTermMemory(
        store,
        embeddings,
        embed_what=context.memory_embedding,
        search_mode=context.retrieval_mode,
        fusion=context.retrieval_fusion,
        embedder=spec,
    )


async def chat_model_for(services: Services, role: Role, context: Context) -> BaseChatModel:
    """Return ``services.chat_model(role, context)`` without blocking the event loop.

    The first call may start the local model server or load a client, which blocks.
    """
    return await asyncio.to_thread(services.chat_model, role, context)


async def long_term_memory_for(services: Services, context: Context) -> LongTermMemory:
    """Return ``services.long_term_memory(context)`` without blocking the event loop.

    The first call may open Qdrant on disk and load the embedding model, which blocks.
    """
    return await asyncio.to_thread(services.long_term_memory, context)
