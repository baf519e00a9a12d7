"""The scripted-model graph of tests/server, with a writer that takes its time.

``DEPLOY_TEST_WRITER_SECONDS`` (default 0) is how long each paragraph takes, so a
test can kill the server while a run is inside a step. Everything else is
tests/server/fake_graph.py: the package's graph, the scripted model, long-term
memory in ``RECURRENTGPT_QDRANT`` (one store per server process).
"""

from __future__ import annotations

import os
import time

from langchain_core.messages import BaseMessage

from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.graphs.cowriter import build_graph
from recurrentgpt.memory import LongTermMemory, open_store
from tests.fakes import Answer, FakeServices, ScriptedChatModel
from tests.server.fake_graph import EMBEDDING_DIMS, write_echoing_paragraph

WRITER_SECONDS = float(os.environ.get("DEPLOY_TEST_WRITER_SECONDS", "0"))


def write_slowly(schema: str, messages: list[BaseMessage], n: int) -> Answer:
    """The echoing paragraph of tests/server, after ``WRITER_SECONDS``."""
    time.sleep(WRITER_SECONDS)
    return write_echoing_paragraph(schema, messages, n)


services = FakeServices(
    ScriptedChatModel(overrides={"text": write_slowly}),
    LongTermMemory(
        open_store(os.environ.get("RECURRENTGPT_QDRANT", ":memory:")),
        HashingEmbeddings(EMBEDDING_DIMS),
    ),
)

graph = build_graph(services).compile(name="recurrentgpt-slow")
