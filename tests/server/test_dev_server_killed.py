"""`langgraph dev` SIGKILLed mid-run with its checkpoints in PostgreSQL, then resumed.

The scripted-model graph writes a novel in a background run; the server's whole
process group is killed while it writes; a new server on the same Postgres and
Qdrant folder continues the thread (re-created by id: `langgraph dev` keeps its
thread list in its own process) and the timeline is checked as after every kill
(tests/invariants.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langgraph.checkpoint.postgres")
from langgraph_sdk import get_sync_client

from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory, close_stores, open_store
from tests.invariants import check_timeline
from tests.server import devserver
from tests.server.devserver import SERVER_TESTS, langgraph_dev
from tests.server.private_postgres import NEEDS_PRIVATE_POSTGRES, PrivatePostgres, postgres

pytestmark = [pytest.mark.server, pytest.mark.postgres, NEEDS_PRIVATE_POSTGRES]
__all__ = ["postgres"]  # a fixture

CONTEXT = {"mode": "auto-first", "embedder": "hash:64", "words_per_paragraph": 40}
STEPS = 40


def _killed_server_group(server: devserver.DevServer) -> None:
    """SIGKILL every process of the server (no clean-up runs)."""
    os.killpg(server.pid, signal.SIGKILL)


def test_a_server_killed_mid_run_resumes_with_nothing_lost(
    tmp_path: Path, postgres: PrivatePostgres
) -> None:
    env = {
        "RECURRENTGPT_CHECKPOINTS": postgres.uri,
        "RECURRENTGPT_QDRANT": str(tmp_path / "qdrant"),
    }
    config = SERVER_TESTS / "langgraph.postgres.json"
    with langgraph_dev(config, tmp_path / "first.log", env=env) as server:
        client = get_sync_client(url=server.url)
        thread = client.threads.create()["thread_id"]
        client.runs.create(
            thread, "recurrentgpt", input={"premise": "A keeper.", "target_steps": STEPS},
            context=CONTEXT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while (client.threads.get_state(thread)["values"] or {}).get("step", 0) < 3:
            assert time.monotonic() < deadline, server.log_text()[-3000:]
            time.sleep(0.2)
        _killed_server_group(server)
    with langgraph_dev(config, tmp_path / "second.log", env=env) as server:
        client = get_sync_client(url=server.url)
        # The thread's graph, as a run records it: the state is read through that graph.
        client.threads.create(
            thread_id=thread, if_exists="do_nothing", metadata={"graph_id": "recurrentgpt"}
        )
        cut: dict[str, Any] = client.threads.get_state(thread)["values"]
        assert 3 <= cut["step"] < STEPS, "the kill came after the novel was finished"
        client.runs.wait(thread, "recurrentgpt", input=None, context=CONTEXT)
        values: dict[str, Any] = client.threads.get_state(thread)["values"]
    assert values["step"] == STEPS

    async def check() -> int:
        memory = LongTermMemory(open_store(str(tmp_path / "qdrant")), HashingEmbeddings(64))
        return len(await check_timeline(memory, values))

    try:
        assert asyncio.run(check()) == values["position"] + 1
    finally:
        close_stores()
