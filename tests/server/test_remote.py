"""A parent graph embedding the deployed novel through :mod:`recurrentgpt.remote`.

The parent runs in its own process with a SQLite checkpointer and talks to the
real `langgraph dev` (scripted model). Pauses are answered through the parent
with a plan number, an unknown plan number (asked again), the parent's own plan
and a decision dict; the parent is killed mid-pause and started again, and the
same remote novel finishes. Auto mode runs through; bad input fails in the parent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langgraph_sdk")

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, StateGraph
from langgraph_sdk import get_sync_client

from recurrentgpt.context import Context
from recurrentgpt.remote import CALLER_CONTEXT_FIELDS, remote_novel, remote_thread_id
from tests.server.devserver import REPO_ROOT, DevServer
from tests.server.remote_parent import ParentState

pytestmark = pytest.mark.server

PREMISE = "A lighthouse keeper finds a brass key."
INTERACTIVE = {"mode": "interactive", "words_per_paragraph": 40, "embedder": "hash:64"}
ANSWER_SECONDS = 60


class Parent:
    """One run of tests/server/remote_parent.py, spoken to line by line."""

    def __init__(self, server: DevServer, checkpoints: Path, thread: str, context: dict[str, Any]):
        novel_input = {"premise": PREMISE, "genre": "mystery", "target_steps": 2}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.server.remote_parent", server.url, str(checkpoints),
             thread, json.dumps(context), json.dumps(novel_input)],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip

    def event(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=ANSWER_SECONDS)
            raise AssertionError(f"the parent exited with {self.process.returncode}")
        event: dict[str, Any] = json.loads(line)
        return event

    def answer(self, value: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(value) + "\n")
        self.process.stdin.flush()
        return self.event()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=ANSWER_SECONDS)

    def finish(self) -> None:
        self.process.wait(timeout=ANSWER_SECONDS)
        assert self.process.returncode == 0


def test_a_remote_novel_pauses_resumes_and_survives_a_parent_restart(
    fake_server: DevServer, tmp_path: Path
) -> None:
    checkpoints = tmp_path / "parent.sqlite"
    thread = f"parent-{uuid.uuid4().hex}"
    context = {**INTERACTIVE, "data_dir": str(tmp_path / "not-forwarded")}

    parent = Parent(fake_server, checkpoints, thread, context)
    opening = parent.event()["pause"]
    assert opening["kind"] == "choose_plan" and opening["step"] == 0
    assert len(opening["plans"]) == 3
    after_number = parent.answer(2)["pause"]
    assert after_number["step"] == 1
    assert opening["plans"][1] in after_number["paragraph"]  # the echoing writer quotes it
    parent.kill()

    restarted = Parent(fake_server, checkpoints, thread, context)
    assert restarted.event()["pause"] == after_number
    asked_again = restarted.answer(7)["pause"]
    assert asked_again["step"] == 1 and "between 1 and 3" in asked_again["error"]
    own_plan = "The keeper hides the key inside the lamp."
    at_target = restarted.answer(own_plan)["pause"]
    assert at_target["kind"] == "review_ending" and at_target["step"] == 2
    assert own_plan in at_target["paragraph"]
    done = restarted.answer({"stop": True})["done"]
    restarted.finish()

    assert done["status"] == "finished" and done["step"] == 2
    assert done["title"] and done["novel_id"] and done["last_paragraph"]
    remote = get_sync_client(url=fake_server.url)
    remote_thread = remote_thread_id(thread, "novel", "recurrentgpt")
    assert remote.threads.get_state(remote_thread)["values"]["status"] == "finished"
    runs = remote.runs.list(remote_thread)
    assert len(runs) == 5  # the start and four answers, none sent twice
    for run in runs:
        sent = run["kwargs"].get("context") or {}
        assert sent["mode"] == "interactive" and sent["words_per_paragraph"] == 40
        assert set(sent) <= CALLER_CONTEXT_FIELDS  # data_dir, embedder stay the server's


def _parent(server: DevServer) -> Any:
    builder = StateGraph(ParentState, context_schema=Context)
    builder.add_node("novel", remote_novel(server.url))
    builder.add_edge(START, "novel")
    return builder.compile(checkpointer=InMemorySaver())


async def test_a_remote_novel_in_auto_mode_runs_through(fake_server: DevServer) -> None:
    config: Any = {"configurable": {"thread_id": f"auto-{uuid.uuid4().hex}"}}
    novel_input = {"premise": PREMISE, "target_steps": 2}
    context = Context(**{**INTERACTIVE, "mode": "auto-first"})

    done = await _parent(fake_server).ainvoke(novel_input, config, context=context)

    assert "__interrupt__" not in done
    assert done["status"] == "finished" and done["step"] == 2


async def test_bad_input_fails_in_the_parent_with_the_servers_reason(
    fake_server: DevServer,
) -> None:
    parent = _parent(fake_server)
    config: Any = {"configurable": {"thread_id": f"bad-{uuid.uuid4().hex}"}}

    with pytest.raises(Exception, match="A new novel needs a premise"):
        await parent.ainvoke({"genre": "mystery"}, config, context=Context(**INTERACTIVE))
    absurd = {"premise": PREMISE, "target_steps": -3}
    with pytest.raises(ValueError, match="target_steps must be a whole number"):
        await parent.ainvoke(absurd, {"configurable": {"thread_id": "x"}}, context=Context())
