"""A deployed recurrentgpt as a node of a parent graph, pauses included.

:func:`remote_novel` returns a small compiled graph that a parent adds as a node,
exactly like the in-process subgraph (``examples/novel_pipeline.py``)::

    builder.add_node("novel", remote_novel("http://127.0.0.1:2024"))

Contract (the same as the in-process subgraph's):

- **Input** is :class:`~recurrentgpt.state.InputState` (``premise``, ``genre``,
  ``language``, ``novel_id``, ``target_steps``, ``target_words``), taken from the
  parent's keys of the same names. **Output** is
  :class:`~recurrentgpt.state.OutputState`, written back to the parent's keys.
- **Pauses**: each pause of the remote thread surfaces in the parent as an
  ``interrupt`` with the same payload (see :mod:`recurrentgpt.nodes.human`); the
  parent's ``Command(resume=value)`` is sent to the remote thread as its resume
  value, whatever its kind (a plan number, a text, a decision dict, ``"stop"``).
- **Context**: the fields of the parent's context listed in
  :data:`CALLER_CONTEXT_FIELDS` are sent with every remote run; deployment
  settings (where memory lives, endpoints, keys, the embedder) never are: they
  stay the server's.
- **Thread**: the remote thread id is derived from the parent's thread id and the
  parent node's name (:func:`remote_thread_id`), so a parent restarted from its own
  checkpointer continues the same remote novel. The parent needs a checkpointer.

Why not ``langgraph.pregel.remote.RemoteGraph`` as the node: a parent's
``Command(resume=...)`` never reaches the remote thread, so the same pause
comes back on every resume, and the parent's context is not forwarded
(langgraph issue #4879, fix proposed in PR #7181, unreleased). This module is
the workaround, built on ``langgraph_sdk``; drop it when that fix is released.

Each pause is answered at most once: the pause is saved in this graph's state
before it is shown, and the answer is sent only while the remote thread still
waits on that very pause (by its interrupt id), so a parent that crashed after
sending an answer and re-runs the step does not answer the next pause with it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import get_runtime
from langgraph.types import interrupt
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from recurrentgpt.state import InputState, OutputState

CALLER_CONTEXT_FIELDS = frozenset(
    {
        "model", "start_model", "chapter_model", "writer_model", "memory_model",
        "planner_model", "human_model", "temperature", "structured_output_method",
        "retrieval_k", "memory_embedding", "retrieval_mode", "retrieval_fusion", "plans_by",
        "writer_passages", "prompts", "memory_update", "human_revises",
        "words_per_paragraph", "paragraphs_per_chapter", "short_term_memory_words",
        "new_character_probability", "language", "mode", "story_form",
    }
)  # fmt: skip
"""Context fields a caller may set for a remote run: how the novel is written.

Left out on purpose (the deployment's, never a caller's): ``base_url``,
``api_key``, ``embedder``, ``qdrant_location``, ``qdrant_api_key``,
``memory_backend``, ``data_dir``, ``templates_dir``, ``model_outage_seconds``
and ``max_attempts``. The server enforces its own settings; this list only keeps
a parent from sending what it may not set."""

INPUT_FIELDS = tuple(InputState.__annotations__)
OUTPUT_FIELDS = tuple(OutputState.__annotations__)
THREAD_NAMESPACE = uuid.UUID("9a1f0c52-4d1e-4d2b-9a53-6f1d0b7c2e11")
"""Namespace of the remote thread ids (uuid5), fixed so ids survive restarts."""


class RemoteNovelState(InputState, OutputState, total=False):
    """The novel's input and output, and the remote pause being shown."""

    remote_pause: dict[str, Any]
    """The remote thread's pending interrupt ({"id", "value"}), or {} when none."""


def caller_context(context: Any) -> dict[str, Any]:
    """The allow-listed fields of a parent's context (a dataclass or a mapping)."""
    if context is None:
        return {}
    if dataclasses.is_dataclass(context) and not isinstance(context, type):
        values = dataclasses.asdict(context)
    elif isinstance(context, Mapping):
        values = dict(context)
    else:
        raise TypeError(f"cannot forward a context of type {type(context).__name__}")
    return {name: value for name, value in values.items() if name in CALLER_CONTEXT_FIELDS}


def remote_thread_id(parent_thread_id: str, node: str, assistant_id: str) -> str:
    """The remote thread that belongs to ``node`` of the parent's thread (deterministic)."""
    return str(uuid.uuid5(THREAD_NAMESPACE, f"{assistant_id}\n{node}\n{parent_thread_id}"))


def check_input(novel_input: Mapping[str, Any]) -> None:
    """Refuse, before any request, an input the remote novel cannot start from.

    Raises:
        ValueError: a premise that is not text, or a target that is not a whole
            number of at least 0. (A missing premise is the server's to refuse: a
            thread that holds a novel needs none. Caps on length are the server's.)
    """
    for key in ("premise", "genre", "language", "novel_id"):
        if key in novel_input and not isinstance(novel_input[key], str):
            raise ValueError(f"{key} must be text, got {novel_input[key]!r}")
    for key in ("target_steps", "target_words"):
        value = novel_input.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{key} must be a whole number of at least 0, got {value!r}")


def _parent_node(config: RunnableConfig) -> tuple[str, str]:
    """The parent's thread id and the name of the parent node this graph runs as."""
    configurable = config.get("configurable") or {}
    thread_id = configurable.get("thread_id")
    if not thread_id:
        raise ValueError(
            "remote_novel needs the parent's thread_id (compile the parent with a checkpointer "
            "and invoke it with config={'configurable': {'thread_id': ...}})"
        )
    # The namespace is "<parent node>:<task id>|<this node>:<task id>": the first part
    # names the parent's node and stays the same across resumes and restarts.
    namespace = str(configurable.get("checkpoint_ns") or "")
    node = namespace.split("|")[0].split(":")[0] or "novel"
    return str(thread_id), node


def remote_novel(
    url: str,
    assistant_id: str = "recurrentgpt",
    *,
    api_key: str | None = None,
    headers: Mapping[str, str] | None = None,
    name: str = "remote_recurrentgpt",
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Return a graph that runs the recurrentgpt deployed at ``url`` as a subgraph.

    Args:
        url: The LangGraph server (``langgraph dev``/``up`` or a deployment).
        assistant_id: The assistant or graph id to run (``recurrentgpt`` by default).
        api_key: The server's API key, if it needs one.
        headers: Extra HTTP headers for every request (e.g. authentication).
        name: Name of the compiled graph.

    Compiled without a checkpointer: it uses the parent's, like any subgraph.
    """
    client_options: dict[str, Any] = {"url": url, "api_key": api_key}
    if headers:
        client_options["headers"] = dict(headers)

    # The nodes read the parent's context with get_runtime(): a subgraph shares its
    # parent's runtime, whatever context schema the parent declares.

    def client() -> LangGraphClient:
        return get_client(**client_options)

    async def pending_pause(remote: LangGraphClient, thread_id: str) -> dict[str, Any]:
        state = await remote.threads.get_state(thread_id)
        interrupts = state.get("interrupts") or []
        if not interrupts:
            return {}
        return {"id": interrupts[0].get("id"), "value": interrupts[0].get("value")}

    async def settle(remote: LangGraphClient, thread_id: str) -> None:
        for status in ("running", "pending"):
            for unfinished in await remote.runs.list(thread_id, status=status):
                await remote.runs.join(thread_id, unfinished["run_id"])

    async def run(state: RemoteNovelState, config: RunnableConfig) -> dict[str, Any]:
        """Start the remote novel (once), then report its pause or its output."""
        novel_input = {key: state[key] for key in INPUT_FIELDS if key in state}  # type: ignore[literal-required]
        check_input(novel_input)
        parent_thread, node = _parent_node(config)
        thread_id = remote_thread_id(parent_thread, node, assistant_id)
        remote = client()
        thread = await remote.threads.create(thread_id=thread_id, if_exists="do_nothing")
        if thread.get("status") == "busy":
            # The parent stopped while a remote run was under way: wait for it.
            await settle(remote, thread_id)
        elif not thread.get("values") or thread.get("status") == "error":
            # Not started yet, or its last run failed (the parent re-runs this node to
            # retry it): run with the input (a novel already started goes on from its pause).
            await remote.runs.wait(
                thread_id,
                assistant_id,
                input=novel_input,
                context=caller_context(get_runtime().context),
            )
        pause = await pending_pause(remote, thread_id)
        if pause:
            return {"remote_pause": pause}
        values = (await remote.threads.get_state(thread_id)).get("values")
        if not isinstance(values, dict):
            values = {}
        output = {key: values[key] for key in OUTPUT_FIELDS if key in values}
        return {**output, "remote_pause": {}}

    async def answer(state: RemoteNovelState, config: RunnableConfig) -> dict[str, Any]:
        """Show the remote pause in the parent, and send the parent's answer to it."""
        pause = state.get("remote_pause") or {}
        value = interrupt(pause.get("value"))
        parent_thread, node = _parent_node(config)
        thread_id = remote_thread_id(parent_thread, node, assistant_id)
        remote = client()
        await settle(remote, thread_id)
        if (await pending_pause(remote, thread_id)).get("id") == pause.get("id"):
            await remote.runs.wait(
                thread_id,
                assistant_id,
                command={"resume": value},
                context=caller_context(get_runtime().context),
            )
        return {"remote_pause": {}}

    def route(state: RemoteNovelState) -> Literal["answer", "__end__"]:
        return "answer" if state.get("remote_pause") else "__end__"

    builder = StateGraph(RemoteNovelState, input_schema=InputState, output_schema=OutputState)
    builder.add_node("run", run)
    builder.add_node("answer", answer)
    builder.add_edge(START, "run")
    builder.add_conditional_edges("run", route)
    builder.add_edge("answer", "run")
    return builder.compile(name=name)
