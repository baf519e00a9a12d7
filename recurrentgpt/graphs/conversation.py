"""The co-writing graph as a conversation, for chat clients and A2A agents.

The input is ``messages``, so the server's A2A endpoint (``/a2a/<assistant>``)
accepts it. The caller's message asks for a story: the premise on its first
lines, then optional ``Genre:``, ``Language:`` and ``Paragraphs:`` lines::

    A lighthouse keeper finds a brass key.
    Genre: mystery
    Paragraphs: 3

At every pause the run stops with an interrupt whose ``message`` is the new
paragraph and the three numbered plans (A2A: the task's state is
``input-required``, the interrupt in its artifact); the caller's reply resumes it:
a number picks that plan, ``stop`` stops, any other text is the caller's own
plan. A reply that cannot be used (plan 7 of 3) pauses again with the reason. When
the novel ends, the last message says how it ended and gives its ``novel_id``.

This is the same recurrence (:func:`~recurrentgpt.graphs.cowriter.add_cowriter_nodes`)
with the human node showing a chat message; it always pauses for the caller
(interactive mode), whatever mode the server defaults to. A request for more
paragraphs than the operator's cap (``RECURRENTGPT_TOOL_MAX_PARAGRAPHS``) or
without a premise is answered with the reason, and nothing is written.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any, Literal, cast

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from recurrentgpt.context import Context
from recurrentgpt.graphs.cowriter import add_cowriter_nodes
from recurrentgpt.graphs.tool import (
    DEFAULT_MAX_PARAGRAPHS,
    DEFAULT_PARAGRAPHS,
    MAX_PARAGRAPHS_ENV,
    MAX_PREMISE_CHARS,
    operator_cap,
)
from recurrentgpt.nodes.human import make_human_node
from recurrentgpt.services import DefaultServices, Services
from recurrentgpt.state import InputState, OutputState, State

CONVERSATION_GRAPH_NAME = "recurrentgpt_chat"
REQUEST_FIELDS = {"genre": "genre", "language": "language", "paragraphs": "target_steps"}
"""Request lines 'Key: value' that set a novel input, by lower-cased key."""


class ConversationInput(TypedDict):
    """A chat turn: the caller's messages."""

    messages: Annotated[list[AnyMessage], add_messages]
    """The conversation; the last human message is the request."""


class ConversationState(ConversationInput, InputState, OutputState, total=False):
    """The conversation, the novel's input and its output."""

    refused: bool
    """The request could not be carried out (the reason is the last message)."""


def read_request(text: str) -> dict[str, Any]:
    """The novel input a request asks for.

    Raises:
        ValueError: no premise, a non-numeric or out-of-range ``Paragraphs:``,
            a premise over the length limit.
    """
    request: dict[str, Any] = {}
    premise: list[str] = []
    for line in text.strip().splitlines():
        field = re.fullmatch(r"\s*(\w+)\s*:\s*(.+?)\s*", line)
        key = field.group(1).lower() if field else ""
        if field and key in REQUEST_FIELDS:
            request[REQUEST_FIELDS[key]] = field.group(2)
        elif line.strip():
            premise.append(line.strip())
    if not premise:
        raise ValueError(
            "Tell me what the story is about: the premise on the first line, then "
            "optional 'Genre:', 'Language:' and 'Paragraphs:' lines."
        )
    request["premise"] = " ".join(premise)
    if len(request["premise"]) > MAX_PREMISE_CHARS:
        raise ValueError(f"The premise is over {MAX_PREMISE_CHARS} characters: shorten it.")
    cap = operator_cap(MAX_PARAGRAPHS_ENV, DEFAULT_MAX_PARAGRAPHS)
    paragraphs = str(request.get("target_steps", DEFAULT_PARAGRAPHS))
    if not paragraphs.isdigit() or not 1 <= int(paragraphs) <= cap:
        raise ValueError(f"Paragraphs must be a whole number from 1 to {cap}, got {paragraphs}.")
    request["target_steps"] = int(paragraphs)
    return request


def pause_message(payload: dict[str, Any]) -> dict[str, Any]:
    """The pause payload with ``message``: the paragraph, the plans and how to answer."""
    lines = []
    if payload.get("error"):
        lines += [f"That answer could not be used: {payload['error']}", ""]
    heading = f"{payload.get('title') or 'The novel'}, paragraph {payload.get('step', 0)}"
    lines += [heading, "", payload.get("paragraph", ""), ""]
    if payload.get("kind") == "review_ending":
        lines += ["The novel has reached its length: 'stop' ends it, a plan writes one more.", ""]
    lines += [f"{n}. {plan}" for n, plan in enumerate(payload.get("plans") or [], 1)]
    lines += ["", "Reply with a plan number, your own plan, or 'stop'."]
    return {**payload, "message": "\n".join(lines)}


def ending_message(values: dict[str, Any]) -> str:
    """What the caller is told when the novel ends."""
    how = "finished" if values.get("status") == "finished" else "stopped"
    return (
        f"'{values.get('title', '')}' is {how} after {values.get('step', 0)} paragraphs "
        f"({values.get('words_written', 0)} words); novel id {values.get('novel_id', '')}.\n\n"
        f"The last paragraph:\n\n{values.get('last_paragraph', '')}"
    )


def _latest_request(messages: list[AnyMessage]) -> str:
    human = [m for m in messages if m.type == "human"]
    return human[-1].text if human else ""


def build_conversation_graph(
    services: Services | None = None,
    *,
    context_schema: type[Context] = Context,
) -> StateGraph[ConversationState, Context, ConversationInput, ConversationState]:
    """Return the (uncompiled) conversation: request → novel (pauses for the caller) → reply.

    ``context_schema`` is the run context callers send (the served graphs pass
    :class:`~recurrentgpt.deployment.ServedContext`, which refuses deployment settings).
    """
    services = services or DefaultServices()
    recurrence = StateGraph(
        State, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    human = make_human_node(services, present=pause_message)
    add_cowriter_nodes(recurrence, services, replacements={"human": human})
    novel_graph = recurrence.compile(name="recurrentgpt")

    def request(state: ConversationState) -> dict[str, Any]:
        """Read the story the caller asks for, or answer why it cannot be written."""
        if state.get("title"):
            ended = ending_message(dict(state)) + "\n\nAsk in a new conversation for a new story."
            return {"refused": True, "messages": [AIMessage(ended)]}
        try:
            return {**read_request(_latest_request(state["messages"])), "refused": False}
        except ValueError as problem:
            return {"refused": True, "messages": [AIMessage(str(problem))]}

    def route(state: ConversationState) -> Literal["novel", "__end__"]:
        return "__end__" if state.get("refused") else "novel"

    async def novel(state: ConversationState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the novel, pausing for the caller at every step."""
        context = dataclasses.replace(runtime.context or Context(), mode="interactive")
        values = cast(dict[str, Any], state)
        novel_input = {key: values[key] for key in InputState.__annotations__ if key in values}
        output = dict(await novel_graph.ainvoke(cast(InputState, novel_input), context=context))
        return {**output, "messages": [AIMessage(ending_message(output))]}

    builder = StateGraph(
        ConversationState,
        context_schema=context_schema,
        input_schema=ConversationInput,
        output_schema=ConversationState,
    )
    builder.add_node("request", request)
    builder.add_node("novel", novel)
    builder.add_edge(START, "request")
    builder.add_conditional_edges("request", route)
    return builder
