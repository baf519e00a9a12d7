"""The novel as one tool call, for agents (the server's MCP endpoint lists it as a tool).

One call writes a few paragraphs in auto mode (an LLM plays the human) and
returns the text it wrote with the novel's id; later calls continue that novel
or read it back::

    {"premise": "A lighthouse keeper finds a key.", "paragraphs": 3}   # a new novel
    {"novel_id": "novel-…", "paragraphs": 2}                          # two more paragraphs
    {"novel_id": "novel-…", "paragraphs": 0, "read_from": 1}          # read from paragraph 1

Promises:

- A call writes at most :data:`MAX_PARAGRAPHS_ENV` paragraphs (the operator's cap,
  default 10), so no call can ask for a run of hours; a new novel's opening
  (a few paragraphs) comes on top of the first call's paragraphs.
- The returned ``text`` holds whole paragraphs and at most :data:`MAX_CHARS_ENV`
  characters (default 6000); ``more`` says how to read the rest, by id.
- Bad input is refused before anything is written: the answer is ``{"error": ...}``
  naming the field and the fix. A call whose writing fails (e.g. the model is
  down) answers ``{"error": ...}`` with the cause; the novel's saved state is
  unchanged, so the call can be repeated. It is an answer, not a failed run, because the
  server's MCP endpoint reports a failed run by its exception's class name alone.

The recurrence is the co-writing graph's own
(:func:`~recurrentgpt.graphs.cowriter.add_cowriter_nodes`), run as a subgraph. A
tool call is a stateless run (its thread is deleted), so the
novel's bounded state (never its text, which is in long-term memory) is kept in
the server's store under ``novel_id`` between calls.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from typing import Any, Literal, cast

from langgraph.errors import GraphBubbleUp
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore
from typing_extensions import TypedDict

from recurrentgpt.context import Context
from recurrentgpt.export import read_manuscript
from recurrentgpt.graphs.cowriter import add_cowriter_nodes
from recurrentgpt.services import DefaultServices, Services, long_term_memory_for
from recurrentgpt.state import State
from recurrentgpt.users import owned_novel_id

TOOL_GRAPH_NAME = "write_novel"
MAX_PARAGRAPHS_ENV = "RECURRENTGPT_TOOL_MAX_PARAGRAPHS"
MAX_CHARS_ENV = "RECURRENTGPT_TOOL_MAX_CHARS"
DEFAULT_MAX_PARAGRAPHS = 10
DEFAULT_MAX_CHARS = 6000
DEFAULT_PARAGRAPHS = 3
MAX_PREMISE_CHARS = 4000
STORE_NAMESPACE = ("recurrentgpt", "tool_novels")
"""Where the store keeps each tool novel's state, by novel id."""


class InvalidToolInputError(ValueError):
    """A tool call that cannot be carried out as asked (nothing was written)."""


class ToolInput(TypedDict, total=False):
    """A tool call: start a novel (premise), continue one (novel_id) or read one back."""

    premise: str
    """What a new novel is about. Leave out to continue or read the novel of novel_id."""
    genre: str
    """Genre of a new novel, e.g. 'mystery'."""
    language: str
    """Language of a new novel, e.g. 'English'."""
    novel_id: str
    """The id a former call returned: continue that novel, or read it (paragraphs=0)."""
    paragraphs: int
    """Paragraphs to write in this call (default 3; 0: write nothing, only read)."""
    read_from: int
    """With paragraphs=0: the paragraph number (1 = the first) to read from."""


class ToolOutput(TypedDict, total=False):
    """What a tool call returns."""

    novel_id: str
    """Pass it back to continue or read the novel."""
    title: str
    """Title of the novel."""
    status: str
    """'finished' once this call's paragraphs are written."""
    paragraphs_total: int
    """Paragraphs in the whole novel (its opening included)."""
    first_paragraph: int
    """Number of the first paragraph in ``text`` (1 = the novel's first)."""
    last_paragraph: int
    """Number of the last paragraph in ``text``."""
    text: str
    """The paragraphs written by this call (or read), whole, at most the character cap."""
    more: str
    """How to read what ``text`` left out ('' when nothing was left out)."""
    error: str
    """Why the call was refused (nothing was written); absent when it was carried out."""


class ToolState(ToolInput, ToolOutput, total=False):
    """The call, its answer, and the novel's state between the nodes."""

    novel: dict[str, Any]
    """The novel's saved state (the co-writing graph's ``State``)."""


def operator_cap(name: str, default: int) -> int:
    """The positive whole number in environment variable ``name``, or ``default``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive whole number, got {raw!r}")
    return int(raw)


def _whole_number(state: ToolState, name: str, default: int) -> int:
    value = state.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidToolInputError(f"{name} must be a whole number, got {value!r}")
    return value


def check_call(state: ToolState, saved: dict[str, Any] | None) -> tuple[int, int]:
    """The paragraphs to write and the paragraph to read from, or what is wrong with the call.

    Raises:
        InvalidToolInputError: with a message that names the field and the fix.
    """
    cap = operator_cap(MAX_PARAGRAPHS_ENV, DEFAULT_MAX_PARAGRAPHS)
    paragraphs = _whole_number(state, "paragraphs", DEFAULT_PARAGRAPHS)
    if not 0 <= paragraphs <= cap:
        raise InvalidToolInputError(
            f"paragraphs must be between 0 and {cap} (this server's cap per call), "
            f"got {paragraphs}: continue the novel in further calls"
        )
    premise = (state.get("premise") or "").strip()
    novel_id = (state.get("novel_id") or "").strip()
    if not premise and not novel_id:
        raise InvalidToolInputError(
            "give a premise to start a novel, or the novel_id a former call returned"
        )
    if premise and novel_id:
        raise InvalidToolInputError(
            "give a premise (a new novel) or a novel_id (continue or read one), not both"
        )
    if len(premise) > MAX_PREMISE_CHARS:
        raise InvalidToolInputError(
            f"premise has {len(premise)} characters; the limit is {MAX_PREMISE_CHARS}"
        )
    if premise and paragraphs == 0:
        raise InvalidToolInputError("a new novel needs paragraphs of at least 1")
    if novel_id and saved is None:
        raise InvalidToolInputError(
            f"no novel with novel_id {novel_id!r} on this server: start one with a premise"
        )
    read_from = _whole_number(state, "read_from", 0)
    if "read_from" in state and paragraphs:
        raise InvalidToolInputError("read_from reads only: give it with paragraphs=0")
    total = (saved or {}).get("position", -1) + 1
    if paragraphs == 0 and not 1 <= read_from <= total:
        raise InvalidToolInputError(
            f"read_from must be between 1 and {total} (the novel's paragraphs), got {read_from}"
        )
    return paragraphs, read_from


def _store(runtime: Runtime[Context]) -> BaseStore:
    if runtime.store is None:
        raise RuntimeError(
            f"{TOOL_GRAPH_NAME} keeps novels in the server's store: serve it with LangGraph "
            "server, or compile it with a store"
        )
    return runtime.store


def bounded_text(paragraphs: list[str], max_chars: int) -> list[str]:
    """The leading whole paragraphs within ``max_chars`` (at least one: cut if alone too long)."""
    kept: list[str] = []
    used = 0
    for paragraph in paragraphs:
        cost = len(paragraph) + (2 if kept else 0)
        if used + cost > max_chars:
            break
        kept.append(paragraph)
        used += cost
    if not kept and paragraphs:
        kept = [paragraphs[0][: max_chars - 1].rstrip() + "…"]
    return kept


def _carry_out(state: ToolState) -> Literal["write", "__end__"]:
    return "__end__" if state.get("error") else "write"


def _report_unless_refused(state: ToolState) -> Literal["report", "__end__"]:
    return "__end__" if state.get("error") else "report"


def build_tool_graph(
    services: Services | None = None,
    *,
    context_schema: type[Context] = Context,
) -> StateGraph[ToolState, Context, ToolInput, ToolOutput]:
    """Return the (uncompiled) tool graph: check → write (the recurrence, auto mode) → report.

    ``context_schema`` is the run context callers send (the served graphs pass
    :class:`~recurrentgpt.deployment.ServedContext`, which refuses deployment settings).
    """
    services = services or DefaultServices()
    recurrence = StateGraph(State, context_schema=Context, input_schema=State, output_schema=State)
    add_cowriter_nodes(recurrence, services)
    novel_graph = recurrence.compile(name="recurrentgpt")

    async def check(state: ToolState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Refuse a call that cannot be carried out, before anything is written."""
        novel_id = (state.get("novel_id") or "").strip()
        # With authentication on, ids are the signed-in user's (another's is not found).
        owned = owned_novel_id(novel_id) if novel_id else ""
        saved = await _store(runtime).aget(STORE_NAMESPACE, owned) if owned else None
        try:
            check_call(state, saved.value if saved else None)
        except InvalidToolInputError as refused:
            return {"error": str(refused)}
        return {"novel": saved.value if saved else {}}

    async def write(state: ToolState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the call's paragraphs in auto mode and save the novel's state by id."""
        paragraphs = state.get("paragraphs", DEFAULT_PARAGRAPHS)
        if paragraphs == 0:
            return {}
        saved = state.get("novel") or {}
        if saved:
            more = {"target_steps": saved.get("step", 0) + paragraphs, "target_words": 0}
            novel_input: dict[str, Any] = {**saved, **more}
        else:
            asked = cast(dict[str, Any], state)
            novel_input = {k: asked[k] for k in ("premise", "genre", "language") if asked.get(k)}
            novel_input.update(novel_id=f"novel-{uuid.uuid4().hex[:12]}", target_steps=paragraphs)
        # A tool call never pauses: whatever mode the server defaults to, an LLM decides.
        context = dataclasses.replace(runtime.context or Context(), mode="auto")
        try:
            novel = dict(await novel_graph.ainvoke(cast(State, novel_input), context=context))
        except GraphBubbleUp:
            raise
        except Exception as failure:
            # An MCP caller would see only the exception's class name: say what happened.
            return {
                "error": f"the paragraphs could not be written ({type(failure).__name__}: "
                f"{failure}); the novel is as it was before this call, which can be repeated"
            }
        novel.pop("manuscript", None)
        await _store(runtime).aput(STORE_NAMESPACE, novel["novel_id"], novel)
        return {"novel": novel, "read_from": saved.get("position", -1) + 2}

    async def report(state: ToolState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Return the text from ``read_from`` on, bounded, with the way to read the rest."""
        novel = state.get("novel") or {}
        memory = await long_term_memory_for(services, runtime.context or Context())
        passages = await read_manuscript(memory, novel)
        first = state.get("read_from", 1)
        wanted = [p.text.strip() for p in passages if p.position >= first - 1]
        shown = bounded_text(wanted, operator_cap(MAX_CHARS_ENV, DEFAULT_MAX_CHARS))
        last = first + len(shown) - 1
        total = len(passages)
        more = (
            f"Paragraphs {last + 1}-{total} were left out: call again with "
            f"novel_id={novel['novel_id']!r}, paragraphs=0, read_from={last + 1}."
            if last < total
            else ""
        )
        return {
            "novel_id": novel["novel_id"],
            "title": novel.get("title", ""),
            "status": novel.get("status", ""),
            "paragraphs_total": total,
            "first_paragraph": first,
            "last_paragraph": last,
            "text": "\n\n".join(shown),
            "more": more,
        }

    builder = StateGraph(
        ToolState, context_schema=context_schema, input_schema=ToolInput, output_schema=ToolOutput
    )
    builder.add_node("check", check)
    builder.add_node("write", write)
    builder.add_node("report", report)
    builder.add_edge(START, "check")
    builder.add_conditional_edges("check", _carry_out)
    builder.add_conditional_edges("write", _report_unless_refused)
    builder.add_edge("report", END)
    return builder
