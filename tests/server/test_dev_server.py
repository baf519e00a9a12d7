"""The co-writing graph under the real `langgraph dev`, driven with the real SDK.

The served graph is the package's graph with the scripted model
(tests/server/fake_graph.py), so what is timed is the HTTP round trip of the
server, not a model. Every test opens its own thread.
"""

from __future__ import annotations

import itertools
import statistics
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langgraph_sdk")

from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from recurrentgpt.context import Context
from tests.server.devserver import REPO_ROOT, REPORT_LINES, DevServer, langgraph_dev

pytestmark = pytest.mark.server

CONTEXT = {"mode": "interactive", "embedder": "hash:64", "words_per_paragraph": 40}
"""Assistant configuration of every run: a person decides, no neural embedder."""
RECALL_ALL = {**CONTEXT, "retrieval_k": 50}
"""Retrieval returns every visible passage, so a test sees exactly what memory holds."""
PREMISE = {"premise": "A lighthouse keeper finds a brass key."}
CONCURRENT_THREADS = 6
ROLES = (
    "start",
    "human",
    "retriever",
    "writer",
    "memory_updater",
    "planner",
    "chapter_planner",
)
CYCLE = (
    ("human", "retriever"),
    ("retriever", "writer"),
    ("writer", "memory_updater"),
    ("memory_updater", "planner"),
    ("planner", "human"),
)


class Novel:
    """One thread of the served graph, timing every run."""

    def __init__(self, client: SyncLangGraphClient, timings: list[float]) -> None:
        self.client = client
        self.timings = timings
        self.assistant_id = client.assistants.search(graph_id="recurrentgpt")[0]["assistant_id"]
        self.thread_id = client.threads.create()["thread_id"]

    def run(self, context: dict[str, Any] = CONTEXT, **request: Any) -> dict[str, Any]:
        """One run to the next pause (or the end); returns the output values."""
        started = time.perf_counter()
        result = self.client.runs.wait(
            self.thread_id, self.assistant_id, context=context, raise_error=True, **request
        )
        self.timings.append(time.perf_counter() - started)
        assert isinstance(result, dict)
        return result

    def open(self, context: dict[str, Any] = CONTEXT) -> dict[str, Any]:
        return self.run(context, input=PREMISE)

    def resume(self, decision: Any, context: dict[str, Any] = CONTEXT) -> dict[str, Any]:
        return self.run(context, command={"resume": decision})

    def state(self) -> dict[str, Any]:
        return dict(self.client.threads.get_state(self.thread_id))

    def pause(self) -> dict[str, Any]:
        """The payload of the pending human interrupt."""
        interrupts = self.state()["interrupts"]
        assert len(interrupts) == 1
        return dict(interrupts[0]["value"])


@dataclass
class Measurements:
    """Timings of one test module: run round trips and other notes."""

    round_trips: list[float] = field(default_factory=list)
    """Seconds per run (one graph step) over HTTP."""
    notes: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def measurements() -> Iterator[Measurements]:
    """Collects timings; the summary goes to the end of the test report."""
    measured = Measurements()
    yield measured
    if measured.round_trips:
        timings = measured.round_trips
        REPORT_LINES.append(
            f"langgraph dev HTTP round trip per step (scripted model): median "
            f"{statistics.median(timings):.2f} s, max {max(timings):.2f} s over "
            f"{len(timings)} runs"
        )
    REPORT_LINES.extend(measured.notes)


@pytest.fixture
def client(fake_server: DevServer) -> SyncLangGraphClient:
    return get_sync_client(url=fake_server.url)


@pytest.fixture
def novel(client: SyncLangGraphClient, measurements: Measurements) -> Novel:
    return Novel(client, measurements.round_trips)


def _assert_draws_roles_and_cycle(drawing: dict[str, Any]) -> None:
    nodes = {node["id"] for node in drawing["nodes"]}
    edges = {(edge["source"], edge["target"]) for edge in drawing["edges"]}
    assert set(ROLES) <= nodes
    assert set(CYCLE) <= edges
    assert {("__start__", "start"), ("start", "planner"), ("human", "__end__")} <= edges
    # A chapter ends: the chapter planner plans the next one before the plans.
    assert {("memory_updater", "chapter_planner"), ("chapter_planner", "planner")} <= edges


def _assert_lists_context_fields(schemas: dict[str, Any]) -> None:
    properties = schemas["context_schema"]["properties"]
    for name in (
        "model", "start_model", "writer_model", "memory_model", "planner_model",
        "human_model", "retrieval_k", "words_per_paragraph", "mode", "embedder",
    ):  # fmt: skip
        assert name in properties, name
        assert properties[name]["description"]
    assert set(properties["mode"]["enum"]) == {"interactive", "auto", "auto-first"}
    assert "language" in schemas["input_schema"]["properties"]


def test_root_config_serves_the_real_graph_with_its_drawing_and_context(
    tmp_path: Path,
) -> None:
    # Only the drawing and schemas are read, so no model is started.
    # The served graph holds its embedded memory folder at start: keep it in tmp_path.
    data = {"RECURRENTGPT_DATA_DIR": str(tmp_path / "data")}
    with langgraph_dev(REPO_ROOT / "langgraph.json", tmp_path / "server.log", data) as server:
        client = get_sync_client(url=server.url)
        assistants = {a["graph_id"]: a for a in client.assistants.search()}
        assert {"recurrentgpt", "novel_pipeline"} <= set(assistants)
        assistant_id = assistants["recurrentgpt"]["assistant_id"]
        _assert_draws_roles_and_cycle(client.assistants.get_graph(assistant_id))
        _assert_lists_context_fields(dict(client.assistants.get_schemas(assistant_id)))
        pipeline = assistants["novel_pipeline"]["assistant_id"]
        pipeline_nodes = {n["id"] for n in client.assistants.get_graph(pipeline)["nodes"]}
        assert {"brief", "novel", "blurb"} <= pipeline_nodes
        # The writer's page is served by the same server (langgraph.json "http").
        with urllib.request.urlopen(f"{server.url}/ui/", timeout=10) as response:
            assert "<title>RecurrentGPT" in response.read().decode()


def test_context_schema_matches_the_context_dataclass(client: SyncLangGraphClient) -> None:
    assistant_id = client.assistants.search(graph_id="recurrentgpt")[0]["assistant_id"]
    properties = client.assistants.get_schemas(assistant_id)["context_schema"]["properties"]
    assert set(properties) == set(Context.__dataclass_fields__)


def test_a_thread_runs_to_the_pause_with_paragraph_memory_and_three_plans(novel: Novel) -> None:
    output = novel.open()

    assert novel.client.threads.get(novel.thread_id)["status"] == "interrupted"
    pause = novel.pause()
    assert output["__interrupt__"][0]["value"] == pause
    assert pause["kind"] == "choose_plan"
    assert pause["paragraph"] == output["last_paragraph"] != ""
    assert pause["short_term_memory"] == output["short_term_memory"] != ""
    assert len(pause["plans"]) == 3
    assert all(plan.strip() for plan in pause["plans"])
    assert novel.state()["next"] == ["human"]


def test_a_manuscript_input_imports_and_pauses_like_an_opening(novel: Novel) -> None:
    manuscript = (
        "# Tide\n\n*A keeper waits for the tide.*\n\n## Chapter 1: Low\n\n"
        "Arlo counted the boats.\n\nMira rang the bell twice.\n\n## High\n\nThe water came in."
    )
    output = novel.run(input={"manuscript": manuscript})

    pause = novel.pause()
    assert output["title"] == "Tide" and pause["kind"] == "choose_plan"
    assert pause["paragraph"] == "The water came in." and len(pause["plans"]) == 3
    assert [c["title"] for c in pause["book_outline"]] == ["Low", "High"]
    assert novel.state()["values"]["manuscript"] == ""  # read once, then cleared
    after = novel.resume({"plan_index": 1}, RECALL_ALL)
    assert after["step"] == 1
    recalled = novel.pause()["retrieved_passages"]
    assert "Mira rang the bell twice." in recalled  # the manuscript is in long-term memory


def test_every_resume_action_reaches_the_next_step(novel: Novel) -> None:
    novel.open()
    plans = novel.pause()["plans"]

    chosen = novel.resume({"plan_index": 2})
    assert f"<{plans[1]}>" in chosen["last_paragraph"]
    assert chosen["step"] == 1

    edited_plan = novel.resume({"plan": "Arlo rows out to the wreck."})
    assert "<Arlo rows out to the wreck.>" in edited_plan["last_paragraph"]

    edited_memory = novel.resume({"plan_index": 1, "short_term_memory": "Arlo fears the sea."})
    assert "remembers <Arlo fears the sea.>" in edited_memory["last_paragraph"]

    paragraph = "Arlo stood still and listened to the storm for a long time."
    novel.resume({"paragraph": paragraph, "plan_index": 3})
    # The plans were refreshed for the edited paragraph: the pause comes back with them.
    again = novel.pause()
    assert again["paragraph"] == paragraph
    assert "refreshed" in again["notice"]
    edited = novel.resume({"plan_index": 3})
    history = novel.client.threads.get_history(novel.thread_id, limit=10)
    after_pause = next(h for h in history if h["next"] == ["retriever"])
    assert after_pause["values"]["last_paragraph"] == paragraph
    assert edited["step"] == 4

    novel.resume({"plan_index": 9})
    assert "plan_index must be between 1 and 3" in novel.pause()["error"]

    stopped = novel.resume("stop")
    assert stopped["status"] == "stopped"
    assert stopped["step"] == 4
    assert novel.client.threads.get(novel.thread_id)["status"] == "idle"


def test_update_state_edits_reach_the_next_step(novel: Novel) -> None:
    novel.open()
    novel.client.threads.update_state(
        novel.thread_id,
        {"short_term_memory": "Edited through the API.", "plans": ["A", "B", "Plan C edited."]},
        as_node="planner",
    )
    assert novel.state()["next"] == ["human"]

    output = novel.resume({"plan_index": 3})

    assert "follows the plan <Plan C edited.>" in output["last_paragraph"]
    assert "remembers <Edited through the API.>" in output["last_paragraph"]


def test_paragraph_tokens_stream_as_they_are_written(novel: Novel) -> None:
    novel.open()
    node_of_message: dict[str, str] = {}
    writer_texts: list[str] = []
    for part in novel.client.runs.stream(
        novel.thread_id,
        novel.assistant_id,
        command={"resume": 1},
        context=CONTEXT,
        stream_mode="messages",
    ):
        if part.event == "messages/metadata":
            for message_id, info in part.data.items():
                node_of_message[message_id] = info["metadata"]["langgraph_node"]
        elif part.event == "messages/partial":
            message = part.data[0]
            if node_of_message.get(message["id"]) == "writer":
                writer_texts.append(message["content"])

    paragraph = novel.state()["values"]["last_paragraph"]
    distinct = list(dict.fromkeys(writer_texts))
    assert len(distinct) > 5
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(distinct))
    assert distinct[-1].strip() == paragraph


def test_history_and_fork_do_not_leak_the_abandoned_branch(novel: Novel) -> None:
    novel.open(RECALL_ALL)
    novel.resume({"plan": "Shared first step."}, RECALL_ALL)
    for _ in range(2):
        novel.resume({"plan": "Abandoned timeline."}, RECALL_ALL)
    history = novel.client.threads.get_history(novel.thread_id, limit=100)
    pauses = {h["values"]["step"]: h for h in history if h["next"] == ["human"]}
    assert sorted(pauses) == [0, 1, 2, 3]
    abandoned = [pauses[step]["values"]["last_paragraph"] for step in (2, 3)]

    novel.client.threads.update_state(
        novel.thread_id,
        {"short_term_memory": "The fork remembers only the first step."},
        checkpoint_id=pauses[1]["checkpoint"]["checkpoint_id"],
        as_node="planner",
    )
    assert novel.state()["values"]["step"] == 1
    forked = novel.resume({"plan": "Forked timeline."}, RECALL_ALL)["last_paragraph"]
    for _ in range(2):
        novel.resume({"plan": "Forked timeline."}, RECALL_ALL)

    values = novel.state()["values"]
    assert values["step"] == 4
    assert values["branch_id"] != "main"
    assert "remembers <The fork remembers only the first step.>" in forked
    # Step 4 recalls every visible paragraph before step 3's: the abandoned step 2
    # sits at the same position as the forked one and must stay invisible.
    recalled = values["retrieved_passages"]
    assert recalled[3:] == [pauses[1]["values"]["last_paragraph"], forked]
    assert len(recalled) == 5
    assert not set(abandoned) & set(recalled)


def _write_four_steps(url: str, index: int, timings: list[float]) -> dict[str, Any]:
    novel = Novel(get_sync_client(url=url), timings)
    novel.open(RECALL_ALL)
    for step in (1, 2, 3, 4):
        novel.resume({"plan": f"Thread {index} step {step}."}, RECALL_ALL)
    return novel.state()["values"]


def test_concurrent_threads_lose_nothing_and_stay_isolated(
    fake_server: DevServer, measurements: Measurements
) -> None:
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENT_THREADS) as pool:
        finals = list(
            pool.map(
                lambda i: _write_four_steps(fake_server.url, i, measurements.round_trips),
                range(CONCURRENT_THREADS),
            )
        )
    elapsed = time.perf_counter() - started

    assert len({values["novel_id"] for values in finals}) == CONCURRENT_THREADS
    for index, values in enumerate(finals):
        assert values["step"] == 4
        assert f"<Thread {index} step 4.>" in values["last_paragraph"]
        # Retrieval at step 4 recalls every paragraph before step 3's: the opening and
        # steps 1-2, all of this thread's novel.
        opening, written = values["retrieved_passages"][:3], values["retrieved_passages"][3:]
        assert len(opening) == 3
        assert len(written) == 2
        assert f"<Thread {index} step 1.>" in written[0]
        assert f"<Thread {index} step 2.>" in written[1]
    assert "BlockingError" not in fake_server.log_text()
    measurements.notes.append(
        f"{CONCURRENT_THREADS} concurrent threads x 5 runs each: {elapsed:.1f} s, no paragraph lost"
    )
