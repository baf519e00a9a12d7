"""Calling chat models: bounded retries, loop detection and errors that name the role.

A reply that cannot be used (unparsable, schema-invalid, empty, looping where
cutting the loop off leaves too little) is retried a bounded number of times,
telling the model what was wrong. When every
attempt fails, :class:`LLMReplyError` names the role and quotes the raw reply;
the node raises it, so the run stops at the checkpoint before that node and can
be resumed once the model or settings are fixed.

A request that fails is handled by what the failure means (see
:mod:`recurrentgpt.faults`): a provider's brief outage (429, 5xx, a reset or
refused connection, a timeout) is sent again after a back-off that honours
``Retry-After``, for up to ``outage_seconds``, without using up an attempt;
a request refused for good (a wrong key, a missing model, a prompt over the
context) stops at once with :class:`ModelRequestError`, which says what to fix.
A reply whose stream was cut off (no finish reason) is such a transient fault,
never a short paragraph; a reply with no message at all (no choices) or a tool
call whose arguments are not an object is one unusable attempt, said in one line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from recurrentgpt import faults, local_llm
from recurrentgpt.streaming import send_event
from recurrentgpt.text import (
    clean_paragraph,
    count_words,
    drop_unfinished_sentence,
    is_looping,
    strip_loop,
)

SchemaT = TypeVar("SchemaT", bound=BaseModel)
T = TypeVar("T")

logger = logging.getLogger(__name__)
"""Logs every unusable reply (role, attempt, problem) at WARNING: the retry rate."""

RAW_REPLY_QUOTE_CHARS = 600
"""How much of a bad raw reply an error message quotes."""

WIRE_MAX_STRING_LENGTH = 1000
"""Largest ``maxLength`` sent to the model's server.

llama.cpp turns ``maxLength`` into a grammar that grows with the bound; above
about 1,000 characters llama-cpp-python's server rejects the grammar and dies.
Longer Pydantic bounds are still checked on the reply; the wire bound keeps a
grammar-constrained model inside it.
"""


def wire_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema sent as the tool definition: ``schema`` with string bounds clamped.

    The per-field ``title`` that pydantic adds (the field name again, capitalised)
    is left out: every call pays for the schema's tokens, and it says nothing the
    field name does not. A schema whose prompt names and explains every field
    (a class attribute ``WIRE_FIELD_DESCRIPTIONS = False``) is sent without the
    field descriptions too: in a tool schema sent after the messages a prompt
    cache cannot serve them, and the prompt already says it all. The bounds,
    enums and required fields, which a grammar enforces, are always sent. Nested
    models are inlined where they are used (:func:`_inline_definitions`).
    """
    json_schema = schema.model_json_schema()
    keep_descriptions = getattr(schema, "WIRE_FIELD_DESCRIPTIONS", True)

    def clamp(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "string" and node.get("maxLength", 0) > WIRE_MAX_STRING_LENGTH:
                node["maxLength"] = WIRE_MAX_STRING_LENGTH
            for field in (node.get("properties") or {}).values():
                if isinstance(field, dict):
                    field.pop("title", None)
                    if not keep_descriptions:
                        field.pop("description", None)
            for definition in (node.get("$defs") or {}).values():
                definition.pop("title", None)
                if not keep_descriptions:
                    definition.pop("description", None)
            for child in node.values():
                clamp(child)
        elif isinstance(node, list):
            for child in node:
                clamp(child)

    clamp(json_schema)
    json_schema = _inline_definitions(json_schema)
    return {
        "title": getattr(schema, "WIRE_NAME", schema.__name__),
        "description": (schema.__doc__ or schema.__name__).strip(),
        **{k: v for k, v in json_schema.items() if k not in ("title", "description")},
    }


def _inline_definitions(json_schema: dict[str, Any]) -> dict[str, Any]:
    """``json_schema`` with each ``$ref`` to its ``$defs`` replaced by the definition itself.

    The same schema in fewer tokens (no ``$defs`` wrapper, no reference paths),
    which every structured call pays for. A definition that refers to itself
    cannot be inlined: such a schema is returned as it is.
    """
    definitions = json_schema.get("$defs")
    if not definitions:
        return json_schema
    prefix = "#/$defs/"

    def resolve(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                name = ref.removeprefix(prefix)
                if name in seen or name not in definitions:
                    raise _NotInlinable(ref)
                # Keys beside the reference (a field's description) stay, over the definition's.
                siblings = {key: value for key, value in node.items() if key != "$ref"}
                return {**resolve(definitions[name], seen | {name}), **siblings}
            return {key: resolve(value, seen) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(child, seen) for child in node]
        return node

    try:
        inlined: dict[str, Any] = resolve(
            {k: v for k, v in json_schema.items() if k != "$defs"}, frozenset()
        )
    except _NotInlinable:
        return json_schema
    return inlined


class _NotInlinable(Exception):
    """A ``$ref`` that points outside ``$defs``, or into a definition that refers to itself."""


class LLMReplyError(RuntimeError):
    """A role's model gave no usable reply within the allowed attempts."""

    def __init__(self, role: str, attempts: int, problem: str, raw_reply: str) -> None:
        self.role = role
        self.problem = problem
        self.raw_reply = raw_reply
        quoted = raw_reply[:RAW_REPLY_QUOTE_CHARS]
        super().__init__(
            f"The {role} model gave no usable reply after {attempts} attempt(s): {problem}. "
            f"Last raw reply: {quoted!r}. Nothing is lost: the novel is saved at the last "
            "checkpoint; resume it after fixing the model or its settings."
        )


class ModelUnreachableError(RuntimeError):
    """The chat model's server could not be reached (or kept failing) for the whole budget."""


class ModelRequestError(RuntimeError):
    """The provider refused a request for good: sending it again cannot help."""


class ReplyCutShortError(ConnectionError):
    """A streamed reply ended without a finish reason: the connection closed mid-stream.

    A ``ConnectionError``, so :func:`recurrentgpt.faults.classify` calls it
    transient: the request is sent again without using an attempt, and the
    fragment is never taken for a (short) paragraph.
    """


class MalformedReplyError(RuntimeError):
    """The provider answered 200 with a reply the client cannot read as a message.

    No message at all (no choices), or a tool call whose arguments are not a JSON
    object. Not transient: it counts as one unusable reply, like an empty one.
    """


def _check_complete(message: Any) -> None:
    """Raise :class:`ReplyCutShortError` for an OpenAI reply that ended mid-stream.

    Every complete OpenAI-compatible reply, streamed or not, carries a finish
    reason; a stream whose connection closed before its last chunk carries none,
    yet the client returns its words as if they were the whole reply. Only
    OpenAI-compatible replies are checked: other providers name it differently.
    """
    metadata = getattr(message, "response_metadata", None) or {}
    if metadata.get("model_provider") == "openai" and not metadata.get("finish_reason"):
        raise ReplyCutShortError("the reply stream ended before its last chunk")


async def _invoke_checked(
    invoke: Callable[[list[BaseMessage]], Awaitable[Any]],
    conversation: list[BaseMessage],
    raw: Callable[[Any], Any],
) -> Any:
    """``invoke``, with a reply cut short or holding no message raised as such."""
    no_choices = "the provider's reply held no message (no choices)"
    try:
        reply = await invoke(conversation)
    except IndexError as error:
        # langchain reads the first choice of a reply without checking there is one.
        raise MalformedReplyError(no_choices) from error
    except ValidationError as error:
        if error.title != "AIMessage":
            raise
        raise MalformedReplyError(
            "the reply's tool call arguments are not a JSON object"
        ) from error
    except ValueError as error:
        if "No generations found" not in str(error):  # the streamed form of no choices
            raise
        raise MalformedReplyError(no_choices) from error
    _check_complete(raw(reply))
    return reply


DEFAULT_OUTAGE_SECONDS = 60.0
"""Seconds a transient fault is ridden out before the run stops (``model_outage_seconds``)."""

_monotonic = time.monotonic
_sleep = asyncio.sleep
"""The clock and the wait of the outage budget (tests replace both with a fake clock)."""

MODEL_RETRY = "model_retry"
"""Custom stream event sent before a request is sent again after a transient fault.

``{"event": "model_retry", "role": str, "retry": int, "wait_seconds": float,
"problem": str}``: the novel is waiting for the provider, nothing is lost.
"""


def _cut_by_token_cap(message: Any) -> bool:
    """Whether a reply stopped at its token cap (so its last sentence may break off)."""
    metadata = getattr(message, "response_metadata", None) or {}
    return metadata.get("finish_reason") == "length"


def _raw_text(message: Any) -> str:
    if isinstance(message, AIMessage):
        if message.tool_calls:
            return str(message.tool_calls[0].get("args"))
        # Some providers reply with a list of content blocks (text, reasoning...):
        # the text blocks are the reply, never the list's Python repr.
        return message.text
    return str(message)


REPLY_REJECTED = "reply_rejected"
"""Custom stream event (``stream_mode="custom"``) sent when a reply is not used.

``{"event": "reply_rejected", "role": str, "attempt": int, "problem": str}``:
whatever a streaming caller showed of that attempt is not part of the novel,
and the next attempt (if any) replaces it.
"""


def _announce_rejected(role: str, attempt: int, problem: str) -> None:
    """Tell a streaming caller that the attempt it just streamed is not used."""
    send_event({"event": REPLY_REJECTED, "role": role, "attempt": attempt, "problem": problem})


def _describe(error: BaseException) -> str:
    status = faults.status_of(error)
    return f"{type(error).__name__}" + (f" {status}" if status else "") + f": {error}"


def _unreachable(
    role: str, model: BaseChatModel, error: BaseException, seconds: float
) -> ModelUnreachableError:
    where = getattr(model, "openai_api_base", None) or "the provider"
    return ModelUnreachableError(
        f"The {role} model's server at {where} kept failing for {seconds:.0f} s "
        f"({_describe(error)}). Check the base URL and that the server is running (or raise "
        "model_outage_seconds); the novel is saved and can be resumed."
    )


def _refused(role: str, error: BaseException) -> ModelRequestError:
    return ModelRequestError(
        f"The {role} model's provider refused the request ({_describe(error)}): "
        f"{faults.what_to_fix(error)}. Nothing is lost: the novel is saved at the last "
        "checkpoint; resume it after the fix."
    )


def _announce_retry(role: str, retry: int, wait: float, problem: str) -> None:
    """Tell a streaming caller that the novel waits for the provider."""
    send_event(
        {
            "event": MODEL_RETRY,
            "role": role,
            "retry": retry,
            "wait_seconds": round(wait, 1),
            "problem": problem,
        }
    )


async def _ride_out(
    role: str,
    model: BaseChatModel,
    error: BaseException,
    *,
    outage_started: float,
    retry: int,
    outage_seconds: float,
) -> None:
    """Wait before sending a request again after a transient fault, or give up.

    Raises:
        ModelUnreachableError: when the wait would end past ``outage_seconds``.
    """
    wait: float | None = faults.retry_after_seconds(error)
    if await asyncio.to_thread(local_llm.revive_local_server):
        # The bundled model's server had died: it listens again on the same port.
        wait = 0.0
    elif wait is None:
        wait = faults.backoff_seconds(retry)
    elapsed = _monotonic() - outage_started
    if elapsed + wait > outage_seconds:
        raise _unreachable(role, model, error, elapsed) from error
    problem = _describe(error)
    logger.warning("%s request failed (%s); retry %d in %.1f s", role, problem, retry, wait)
    _announce_retry(role, retry, wait, problem)
    await _sleep(wait)


def _looping_fields(parsed: BaseModel) -> list[str]:
    return [
        name
        for name, value in parsed.model_dump().items()
        if isinstance(value, str) and is_looping(value)
    ]


MAX_SCHEMA_ERRORS_NAMED = 3
"""How many schema violations a problem names (the model is told them to fix)."""


def _schema_problem(error: ValueError) -> str:
    """One line naming what in a reply breaks the schema: ``field: message; ...``."""
    if not isinstance(error, ValidationError):
        return str(error)
    named = [
        f"{'.'.join(str(part) for part in item['loc']) or 'reply'}: {item['msg']}"
        for item in error.errors()[:MAX_SCHEMA_ERRORS_NAMED]
    ]
    more = error.error_count() - len(named)
    return "; ".join(named) + (f"; and {more} more" if more > 0 else "")


def _validate_reply(result: Any, schema: type[SchemaT]) -> tuple[SchemaT | None, str, str]:
    """Return the reply as ``schema`` (or None and what is wrong) and its raw text."""
    raw = _raw_text(result.get("raw"))
    if result.get("parsing_error") is None and result.get("parsed") is None and not raw.strip():
        return None, "the reply was empty (no structured reply)", raw
    try:
        if result.get("parsing_error") is not None or result.get("parsed") is None:
            raise ValueError(result.get("parsing_error") or "no structured reply")
        parsed = schema.model_validate(result["parsed"])
    except ValueError as error:
        return None, f"reply does not match the schema ({_schema_problem(error)})", raw
    if looping := _looping_fields(parsed):
        # As with prose, a trailing loop is cut off: what came before it is usually
        # sound, and another attempt costs a whole call (the loop often comes back).
        cut = {name: strip_loop(getattr(parsed, name)) for name in looping}
        try:
            mended = schema.model_validate({**parsed.model_dump(), **cut})
        except ValueError:
            mended = None
        if mended is None or _looping_fields(mended):
            return None, f"reply repeats itself in {', '.join(looping)}", raw
        logger.warning("cut a loop from the reply's %s", ", ".join(looping))
        return mended, "", raw
    return parsed, "", raw


async def _ask_until_usable(
    model: BaseChatModel,
    invoke: Callable[[list[BaseMessage]], Awaitable[Any]],
    accept: Callable[[Any], tuple[T | None, str, str]],
    messages: list[BaseMessage],
    *,
    role: str,
    max_attempts: int,
    outage_seconds: float,
    attempts_before: int = 0,
    feedback: bool = True,
) -> T:
    """Call ``invoke`` until ``accept`` returns a value, at most ``max_attempts`` times.

    After an unusable reply the model is told what was wrong before it tries again,
    unless ``feedback`` is False: then the same prompt is sent again for a fresh
    sample (a small model answers the feedback itself: "I'm sorry, I didn't meet the
    instructions...", SmolLM2-135M on 2026-11-30).
    A transient fault is sent again (not counted as an attempt) for up to
    ``outage_seconds``; a permanent one raises at once. ``attempts_before`` numbers
    the attempts after those of an earlier round (in logs and announcements).
    """
    conversation = list(messages)
    problem, raw = "no reply", ""
    attempt = attempts_before
    outage_started: float | None = None
    retry = 0
    while attempt < attempts_before + max_attempts:
        try:
            reply = await invoke(conversation)
        except Exception as error:
            kind = faults.classify(error)
            if kind == "permanent":
                raise _refused(role, error) from error
            if kind == "transient":
                outage_started = outage_started or _monotonic()
                retry += 1
                await _ride_out(
                    role,
                    model,
                    error,
                    outage_started=outage_started,
                    retry=retry,
                    outage_seconds=outage_seconds,
                )
                continue
            attempt += 1
            malformed = isinstance(error, MalformedReplyError)
            problem, raw = (str(error) if malformed else _describe(error)), ""
            logger.warning("failed %s call (attempt %d): %s", role, attempt, problem)
            _announce_rejected(role, attempt, problem)
            continue
        outage_started, retry = None, 0
        attempt += 1
        value, problem, raw = accept(reply)
        if value is not None:
            return value
        logger.warning("unusable %s reply (attempt %d): %s", role, attempt, problem)
        _announce_rejected(role, attempt, problem)
        if feedback:
            conversation = [
                *messages,
                HumanMessage(
                    f"Your previous reply could not be used: {problem}. Reply again, "
                    "following the instructions exactly, with non-repeating text."
                ),
            ]
    raise LLMReplyError(role, attempt, problem, raw)


async def ask_structured(
    model: BaseChatModel,
    schema: type[SchemaT],
    messages: list[BaseMessage],
    *,
    role: str,
    method: str = "function_calling",
    max_attempts: int = 3,
    outage_seconds: float = DEFAULT_OUTAGE_SECONDS,
    reject: Callable[[SchemaT], str | None] | None = None,
    repair: Callable[[SchemaT], SchemaT | None] | None = None,
    feedback: bool = True,
) -> SchemaT:
    """Ask ``model`` for a reply that satisfies ``schema``.

    A reply that ``reject`` finds a problem with (it returns the problem) is
    retried like a reply that breaks the schema. When every attempt is used up
    and the last reply that matched the schema was only rejected, ``repair``
    may mend it (keep its usable parts, fill the rest from what the story
    already has): the mended reply is returned, and logged, instead of stopping
    the novel over a small model's stray field. With ``feedback`` False a retry
    sends the same prompt again instead of telling the model what was wrong.

    Returns:
        The parsed reply; its strings are within the schema's bounds and do not loop.

    Raises:
        LLMReplyError: after ``max_attempts`` unusable replies.
        ModelUnreachableError: when the model's server keeps failing for ``outage_seconds``.
        ModelRequestError: when the provider refuses the request for good.
    """
    runnable = model.with_structured_output(wire_schema(schema), method=method, include_raw=True)
    rejected: list[SchemaT] = []

    def accept(result: Any) -> tuple[SchemaT | None, str, str]:
        parsed, problem, raw = _validate_reply(result, schema)
        if parsed is not None and reject is not None and (objection := reject(parsed)):
            rejected[:] = [parsed]
            return None, objection, raw
        return parsed, problem, raw

    async def invoke(conversation: list[BaseMessage]) -> Any:
        return await _invoke_checked(runnable.ainvoke, conversation, lambda r: r.get("raw"))

    try:
        return await _ask_until_usable(
            model,
            invoke,
            accept,
            messages,
            role=role,
            max_attempts=max_attempts,
            outage_seconds=outage_seconds,
            feedback=feedback,
        )
    except LLMReplyError:
        mended = repair(rejected[-1]) if repair is not None and rejected else None
        if mended is None:
            raise
        logger.warning("kept a mended %s reply after %d attempt(s)", role, max_attempts)
        return mended


async def ask_text(
    model: BaseChatModel,
    messages: list[BaseMessage],
    *,
    role: str,
    min_words: int,
    max_attempts: int = 3,
    outage_seconds: float = DEFAULT_OUTAGE_SECONDS,
    reject: Callable[[str], str | None] | None = None,
    feedback: bool = True,
    tidy: Callable[[str], str] | None = None,
) -> str:
    """Ask ``model`` for prose (streamed when the caller streams tokens).

    A trailing loop, assistant chatter and stray markup are cut off; a reply
    shorter than ``min_words`` after that counts as a failed attempt. A reply that
    ``reject`` finds a problem with (it returns the problem), or that is long
    enough only before the chatter is cut, is retried too, but softly: when the
    attempts run out and any of them failed only that way, a second round of
    ``max_attempts`` fresh attempts is made, and if it too gives nothing usable,
    the last such reply is kept (and logged) rather than stopping the novel. (One
    attempt that was not prose at all must not make a later, merely imperfect
    paragraph fatal; and a paragraph that talks about the novel or copies an
    earlier one is what a reader would notice, so it gets the second round: with
    the bundled model such calls ran out of attempts 0-5 times in 20 steps.) With
    ``feedback`` False a retry sends the same prompt again, as in
    :func:`ask_structured`. ``tidy`` may cut more from the cleaned reply (a small
    model's sentences about its task) before it is counted and checked; a reply
    that nothing is left of is kept, cleaned only, as the very last resort. A
    reply that stopped at its token cap loses its unfinished last sentence.

    Raises:
        LLMReplyError: after ``max_attempts`` unusable replies.
        ModelUnreachableError: when the model's server keeps failing for ``outage_seconds``.
        ModelRequestError: when the provider refuses the request for good.
    """
    softly_rejected: list[tuple[str, str]] = []
    untidy: list[tuple[str, str]] = []

    def accept(reply: Any) -> tuple[str | None, str, str]:
        raw = _raw_text(reply)
        if not raw.strip():
            return None, "the reply was empty", raw
        unlooped = strip_loop(raw)
        if _cut_by_token_cap(reply):
            unlooped = drop_unfinished_sentence(unlooped)
        cleaned = clean_paragraph(unlooped)
        text = tidy(cleaned) if tidy else cleaned
        if count_words(text) < min_words:
            problem = f"reply has {count_words(text)} usable words, fewer than {min_words}"
            if count_words(unlooped) >= min_words:
                # Prose wrapped in chatter: its prose, cleaned, is better than nothing if
                # no attempt does better (never the chatter itself: a reader would see it).
                if text:
                    softly_rejected.append((text, problem))
                elif cleaned:
                    untidy.append((cleaned, problem))
            return None, problem, raw
        objection = reject(text) if reject else None
        if objection:
            softly_rejected.append((text, objection))
            return None, objection, raw
        return text, "", raw

    async def invoke(conversation: list[BaseMessage]) -> Any:
        return await _invoke_checked(model.ainvoke, conversation, lambda reply: reply)

    for round_ in range(2):
        try:
            return await _ask_until_usable(
                model,
                invoke,
                accept,
                messages,
                role=role,
                max_attempts=max_attempts,
                outage_seconds=outage_seconds,
                attempts_before=round_ * max_attempts,
                feedback=feedback,
            )
        except LLMReplyError:
            if not softly_rejected and not untidy:
                raise
    # Stopping the novel would lose more than one imperfect paragraph does.
    text, problem = (softly_rejected or untidy)[-1]
    logger.warning("keeping the last %s reply although %s", role, problem)
    return text
