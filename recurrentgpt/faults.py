"""What a failed model request means: retry it later, or stop and say what to fix.

A provider's brief outage (HTTP 429/5xx, a reset connection, a timeout) is
*transient*: the request is sent again after a back-off, within a time budget,
so the writer sees a notice rather than a stopped novel. A request the provider
refuses for good (a wrong key, a missing model, a prompt over the context) is
*permanent*: sending it again cannot help, so it stops at once with a message
that says what to change. Anything else (a bug, an unexpected reply) is
*unknown* and counts as one failed attempt, as before.

Errors are classified by their HTTP status and type names, so this module
imports no client library: OpenAI's, httpx's and the standard library's
exceptions all classify the same way.
"""

from __future__ import annotations

import email.utils
import random
import time
from typing import Any, Literal

Kind = Literal["transient", "permanent", "unknown"]

TRANSIENT_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
PERMANENT_STATUS = frozenset({400, 401, 402, 403, 404, 405, 413, 415, 422})
TRANSIENT_NAMES = frozenset(
    {
        "APIConnectionError",
        "APITimeoutError",
        "ConnectError",
        "ConnectTimeout",
        "ReadTimeout",
        "ReadError",
        "RemoteProtocolError",
        "ConnectionError",
        "ConnectionResetError",
        "ConnectionRefusedError",
        "TimeoutError",
    }
)
"""Connection-level failures: the server was down, restarting, or cut the reply short."""

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 15.0


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the errors it was raised from (clients wrap transport errors)."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def status_of(error: BaseException) -> int | None:
    """The HTTP status of a failed request, if the error carries one."""
    for link in _chain(error):
        status = getattr(link, "status_code", None)
        if isinstance(status, int):
            return status
    return None


def classify(error: BaseException) -> Kind:
    """Whether a failed request is worth sending again."""
    status = status_of(error)
    if status in PERMANENT_STATUS:
        return "permanent"
    if status in TRANSIENT_STATUS or (status is not None and status >= 500):
        return "transient"
    # Names along each class's MRO: clients subclass these (langchain-openai's
    # OpenAITimeoutError is an openai.APITimeoutError).
    names = {cls.__name__ for link in _chain(error) for cls in type(link).__mro__}
    if names & TRANSIENT_NAMES:
        return "transient"
    return "unknown"


def retry_after_seconds(error: BaseException, now: float | None = None) -> float | None:
    """The wait a provider asked for (``Retry-After``/``retry-after-ms``), in seconds."""
    for link in _chain(error):
        response: Any = getattr(link, "response", None)
        headers: Any = getattr(response, "headers", None)
        if headers is None:
            continue
        if (millis := headers.get("retry-after-ms")) is not None:
            try:
                return max(0.0, float(millis) / 1000)
            except ValueError:
                pass
        value = headers.get("retry-after")
        if value is None:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value) if value else None
            if when is not None:
                return max(0.0, when.timestamp() - (now if now is not None else time.time()))
    return None


def backoff_seconds(retry: int, rng: random.Random | None = None) -> float:
    """Exponential back-off with full jitter: retry 1 waits up to 1 s, then 2, 4, ... 15 s."""
    ceiling = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** (retry - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


def what_to_fix(error: BaseException) -> str:
    """For a permanent failure: what the person should change, in one sentence."""
    status = status_of(error)
    text = str(error).lower()
    if status == 401:
        return "the API key was refused: set the right key (OPENAI_API_KEY or --api-key)"
    if status == 402:
        return "the provider wants payment: check the account's credit"
    if status == 403:
        return "the API key may not use this model: check the key's permissions or the model"
    if status == 404:
        return (
            "the model or endpoint does not exist: check the model name and the base URL "
            "(--model, --base-url)"
        )
    if status in (400, 413) and ("context" in text or "too long" in text or "maximum" in text):
        return (
            "the prompt is longer than the model's context: use a model with a longer "
            "context, or lower retrieval_k, words_per_paragraph or short_term_memory_words"
        )
    return "the provider refused the request; check the model and its settings"
