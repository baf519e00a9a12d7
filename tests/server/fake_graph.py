"""The co-writing graph wired to the scripted fake model, for `langgraph dev` tests.

The real graph needs a chat model server; this module serves the same graph
with :class:`~tests.fakes.ScriptedChatModel` for every role, so a server test
measures the framework, not a model. The writer's paragraph quotes the plan and
the short-term memory it was prompted with (from either prompt set: the served
default model is the bundled one, which gets the compact prompts), so a test that only sees the HTTP
API can tell that an edit reached the next step. Long-term memory is one Qdrant
client per server process (``RECURRENTGPT_QDRANT``: a folder, or ``:memory:``
by default) with the hashing embedder, shared by every thread the server runs.
"""

from __future__ import annotations

import os
import re
import time

from langchain_core.messages import BaseMessage

from recurrentgpt.deployment import ServedContext
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.graphs.conversation import CONVERSATION_GRAPH_NAME, build_conversation_graph
from recurrentgpt.graphs.cowriter import build_graph
from recurrentgpt.graphs.fiction import build_fiction_graph
from recurrentgpt.graphs.tool import TOOL_GRAPH_NAME, build_tool_graph
from recurrentgpt.memory import LongTermMemory, open_store
from recurrentgpt.prompts.writer import NEW_CHARACTER
from tests.fakes import (
    Answer,
    FakeServices,
    ScriptedChatModel,
    _default_answer,
    fake_words,
    is_opening,
)

EMBEDDING_DIMS = 64
MODEL_DOWN = "MODEL DOWN"
"""A plan holding these words makes the writer's model unreachable (a refused connection)."""

SLOW_MODEL = "SLOW MODEL"
"""A plan holding these words finds the writer's model refusing connections for
:data:`SLOW_MODEL_SECONDS` first (a brief outage the run rides out), so the thread
stays busy that long without blocking the server."""
SLOW_MODEL_SECONDS = 8.0

_PROMPT_SECTION = r"{heading}:\n(?P<body>.*?)(?:\n\n|$)"
_slow_since: dict[str, float] = {}


def _prompt_section(prompt: str, heading: str) -> str:
    found = re.search(_PROMPT_SECTION.format(heading=re.escape(heading)), prompt, re.DOTALL)
    return found.group("body").strip() if found else ""


_COMPACT_PLAN = re.compile(
    r"Write the next paragraph of the story, about \d+ words, in [^:\n]+: (.*)$"
)
"""The plan in the compact writer template (a bundled model's, the served default)."""
_MEMORY_NUMBER = re.compile(r"^\(\d+\)\s*", re.MULTILINE)
"""An edited memory's sentence numbers, as the prompts show them."""


def _plan_and_memory(prompt: str) -> tuple[str, str]:
    """The plan and the short-term memory a writer prompt holds, in either template set."""
    plan = _prompt_section(prompt, "Plan for the next paragraph")
    memory = _prompt_section(prompt, "Short-term memory (what has happened recently)")
    if not plan and (found := _COMPACT_PLAN.search(prompt.rstrip())):
        plan = found.group(1).removesuffix(NEW_CHARACTER).strip()
        memory = _prompt_section(prompt, "The story so far")
    return plan, " ".join(_MEMORY_NUMBER.sub("", memory).split())


def write_echoing_paragraph(schema: str, messages: list[BaseMessage], n: int) -> Answer:
    """A paragraph of call ``n`` that quotes the plan and memory it was given.

    The opening's paragraphs get the scripted default answer. Each paragraph also
    draws words of its own, so none is a copy of another (the writer rejects copies).
    A plan that says :data:`MODEL_DOWN` gets a refused connection instead, as from
    a model server that is not running.
    """
    prompt = "\n".join(str(m.content) for m in messages)
    plan, memory = _plan_and_memory(prompt)
    if MODEL_DOWN in plan:
        raise ConnectionRefusedError(
            f"[Errno 111] the writer's model server is down ({MODEL_DOWN})"
        )
    if SLOW_MODEL in plan:
        since = _slow_since.setdefault(plan, time.monotonic())
        if time.monotonic() - since < SLOW_MODEL_SECONDS:
            raise ConnectionRefusedError(f"[Errno 111] the writer's model is slow ({SLOW_MODEL})")
    if not plan or is_opening(prompt):
        return _default_answer(schema, messages, n)
    # Told as a story: the served default is the bundled model, whose paragraphs lose
    # their sentences about the telling ("Paragraph 3 ...") and those that retell the
    # last paragraph (the memory quoted again), so the plan and the memory get
    # sentences of their own.
    words = fake_words(n, 12)
    return f"At call {n} Arlo follows the plan <{plan}> as the {words}. He remembers <{memory}>."


def update_memory_with_a_story_summary(schema: str, messages: list[BaseMessage], n: int) -> Answer:
    """The scripted memory update, its summary told as a story.

    The served default is the bundled model, whose memory keeps only the sentences of a
    summary that tell the story ("Summary of paragraph 3" would give way to the
    paragraph's own opening words, which quote the memory in turn).
    """
    answer = dict(_default_answer(schema, messages, n))  # type: ignore[arg-type]
    answer["paragraph_summary"] = f"Arlo kept the lamp of the tower lit at call {n}."
    return answer


services = FakeServices(
    ScriptedChatModel(
        overrides={
            "text": write_echoing_paragraph,
            "MemoryUpdate": update_memory_with_a_story_summary,
        }
    ),
    LongTermMemory(
        open_store(os.environ.get("RECURRENTGPT_QDRANT", ":memory:")),
        HashingEmbeddings(EMBEDDING_DIMS),
    ),
)

graph = build_graph(services).compile(name="recurrentgpt-fake")

fiction_graph = build_fiction_graph(services).compile(name="recurrentgpt-fiction-fake")
"""The interactive-fiction graph on the same scripted services."""

tool_graph = build_tool_graph(services).compile(name=TOOL_GRAPH_NAME)
"""The novel as one tool call (MCP) on the same scripted services."""

conversation_graph = build_conversation_graph(services).compile(name=CONVERSATION_GRAPH_NAME)
"""The novel as a conversation (A2A) on the same scripted services."""

served_graph = build_graph(services, context_schema=ServedContext).compile(
    name="recurrentgpt-served-fake"
)
"""The co-writing graph with the served context schema: deployment settings are refused."""
