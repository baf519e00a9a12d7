"""The scripted-model graph of tests/server with a writer that names its novel.

For the many-novels load run (``bench/server_load.py``): every premise carries a
token of its own (``LOAD-<novel>-<hex>``), and every paragraph the writer writes
after the opening ends with each such token found in its prompt. A paragraph
that carries another novel's token, or lacks its own, therefore shows that a
prompt (premise, memory, retrieved passages) crossed from one novel into another.
Everything else is tests/server/fake_graph.py: the package's graph, the scripted
model, long-term memory in ``RECURRENTGPT_QDRANT`` (one store per server process).
"""

from __future__ import annotations

import os
import re

from langchain_core.messages import BaseMessage

from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.graphs.cowriter import build_graph
from recurrentgpt.memory import LongTermMemory, open_store
from tests.fakes import OPENING_EN, Answer, FakeServices, ScriptedChatModel
from tests.server.fake_graph import EMBEDDING_DIMS, write_echoing_paragraph

NOVEL_TOKEN = re.compile(r"LOAD-\d+-[0-9a-f]+")
"""A novel's token as the load run puts it in the premise."""


def write_naming_tokens(schema: str, messages: list[BaseMessage], n: int) -> Answer:
    """The echoing paragraph of tests/server, then every novel token its prompt holds."""
    answer = write_echoing_paragraph(schema, messages, n)
    if not isinstance(answer, str) or answer in OPENING_EN:
        return answer
    prompt = "\n".join(str(m.content) for m in messages)
    tokens = sorted(set(NOVEL_TOKEN.findall(prompt)))
    return f"{answer} Tokens: {' '.join(tokens) or 'none'}."


services = FakeServices(
    ScriptedChatModel(overrides={"text": write_naming_tokens}),
    LongTermMemory(
        open_store(os.environ.get("RECURRENTGPT_QDRANT", ":memory:")),
        HashingEmbeddings(EMBEDDING_DIMS),
    ),
)

graph = build_graph(services).compile(name="recurrentgpt-load")
