"""The production path: the PyPI runtime (``langhost``) on PostgreSQL and Redis.

The runtime runs from the venv ``scripts/deploy_env.sh`` builds (skipped, saying
so, when it is absent; ``.ci/run`` builds it). The served graph is the package's
graph with the scripted model (tests/deploy/slow_graph.py), so what is tested is
the runtime and our graph on it: the SDK flow, a SIGKILL mid-run, a restart, the
runtime's own recovery of the killed run, and a finished novel that matches an
uninterrupted one. A second test checks that two worker processes on an embedded
memory store refuse to start.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langgraph_sdk")

from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from deploy.client import run_step
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory, close_stores, open_store
from tests.deploy.runtime import REPORT_LINES, Runtime, start_runtime
from tests.server.devserver import REPO_ROOT, free_port
from tests.server.fake_graph import EMBEDDING_DIMS

pytestmark = pytest.mark.deploy

CONFIG = Path(__file__).with_name("langgraph.slow.json")
CONTEXT = {"mode": "auto-first", "embedder": f"hash:{EMBEDDING_DIMS}", "words_per_paragraph": 40}
"""Plan 1 at every step, no pause: one run writes the whole novel."""
STEPS = 6
NOVEL = {"premise": "A lighthouse keeper finds a brass key.", "target_steps": STEPS}
LONGER = {"target_steps": STEPS + 1}
"""Extends a finished novel by one step."""
HEARTBEAT_SECONDS = os.environ.get("DEPLOY_TEST_HEARTBEAT", "2")
"""LG_BG_JOB_HEARTBEAT: a dead run is swept after 2-4 heartbeats (the runtime's default
is 120 s; DEPLOY_TEST_HEARTBEAT=120 measures recovery without the setting)."""
RECOVERY_DEADLINE = 4 * float(HEARTBEAT_SECONDS) + 60
EXIT_DEADLINE = 90.0


def _thread_status(client: SyncLangGraphClient, thread_id: str) -> str:
    return str(client.threads.get(thread_id)["status"])


def _step(client: SyncLangGraphClient, thread_id: str) -> int:
    values = client.threads.get_state(thread_id).get("values") or {}
    return int(values.get("step", 0)) if isinstance(values, dict) else 0


def _wait_for(condition: Any, timeout: float, what: str) -> float:
    """Poll ``condition`` every 0.2 s; return the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.2)
    return time.monotonic() - started


def _stored(folder: Path, novel_id: str) -> list[int]:
    """Positions of the paragraphs stored for ``novel_id`` (the server must be stopped)."""
    memory = LongTermMemory(open_store(str(folder)), HashingEmbeddings(EMBEDDING_DIMS))
    try:
        passages = asyncio.run(memory.all_passages(novel_id))
        return [p.position for p in passages]
    finally:
        close_stores()


def test_a_novel_killed_mid_run_recovers_and_finishes_like_an_uninterrupted_one(
    tmp_path: Path, database_uri: str, redis_uri: str
) -> None:
    memory_folder = tmp_path / "qdrant"
    env = {
        "RECURRENTGPT_QDRANT": str(memory_folder),
        "DEPLOY_TEST_WRITER_SECONDS": "0.5",
        "LG_BG_JOB_HEARTBEAT": HEARTBEAT_SECONDS,
    }
    port = free_port()
    log = tmp_path / "server.log"
    options: dict[str, Any] = {
        "database_uri": database_uri, "redis_uri": redis_uri, "port": port, "env": env,
    }  # fmt: skip
    server: Runtime = start_runtime(CONFIG, log, **options)
    try:
        client = get_sync_client(url=server.url)
        reference = client.threads.create()["thread_id"]
        client.runs.create(reference, "recurrentgpt", input=NOVEL, context=CONTEXT)
        # A second run on the busy thread is refused (409); the client example says
        # so and retries until the first is done, then extends the novel by a step.
        said: list[str] = []
        finished = run_step(
            client, reference, input=LONGER, context=CONTEXT, retry_seconds=0.5, say=said.append
        )
        assert said and "retry in" in said[0]
        assert (finished["status"], finished["step"]) == ("finished", STEPS + 1)

        crashed = client.threads.create()["thread_id"]
        run = client.runs.create(crashed, "recurrentgpt", input=NOVEL, context=CONTEXT)
        _wait_for(lambda: _step(client, crashed) >= 2, 60, "two paragraphs before the kill")
        server.kill()
        killed_at = time.monotonic()
        server = start_runtime(CONFIG, log, **options)
        restarted = time.monotonic() - killed_at

        def resumable() -> bool:
            return _thread_status(client, crashed) != "busy"

        swept = _wait_for(resumable, RECOVERY_DEADLINE, "the killed run to be recovered")
        recovered = client.runs.get(crashed, run["run_id"])
        assert recovered["status"] == "success", recovered
        values = client.threads.get_state(crashed)["values"]
        assert (values["status"], values["step"]) == ("finished", STEPS)
        assert re.search(r"Swept stale run", server.log_text())
        values = client.runs.wait(
            crashed, "recurrentgpt", input=LONGER, context=CONTEXT, raise_error=True
        )
        assert isinstance(values, dict)
        assert (values["status"], values["step"]) == ("finished", STEPS + 1)
        REPORT_LINES.append(
            f"production runtime: SIGKILL mid-run -> restart {restarted:.1f} s -> thread no "
            f"longer busy (killed run swept, re-run from its checkpoint, finished) "
            f"{restarted + swept:.1f} s after the kill, heartbeat {HEARTBEAT_SECONDS} s"
        )
        novel_ids = (finished["novel_id"], values["novel_id"])
    finally:
        server.stop()

    uninterrupted, recovered_positions = (_stored(memory_folder, n) for n in novel_ids)
    assert len(recovered_positions) == len(set(recovered_positions)), "a paragraph was doubled"
    assert recovered_positions == uninterrupted, "the recovered novel lost or gained paragraphs"


def test_two_workers_on_an_embedded_memory_store_refuse_to_start(
    tmp_path: Path, database_uri: str, redis_uri: str
) -> None:
    env = {
        "RECURRENTGPT_DATA_DIR": str(tmp_path / "data"),
        "RECURRENTGPT_EMBEDDER": f"hash:{EMBEDDING_DIMS}",
        "RECURRENTGPT_MODEL": "openai:any",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "QDRANT_URL": "",
    }
    log = tmp_path / "server.log"
    # A worker that loaded first may answer for a moment; the server must still exit.
    try:
        server = start_runtime(
            REPO_ROOT / "deploy" / "langgraph.json", log,
            database_uri=database_uri, redis_uri=redis_uri, workers=2, env=env,
        )  # fmt: skip
    except RuntimeError as error:
        assert "did not start" in str(error)
    else:
        try:
            server.process.wait(timeout=EXIT_DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"two workers on one embedded store kept serving:\n{server.log_text()[-3000:]}"
            )
        finally:
            server.stop()
    text = log.read_text(errors="replace")
    assert "another server process already holds" in text
    assert "QDRANT_URL" in text
