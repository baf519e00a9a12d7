"""Interactive fiction under the real `langgraph dev`, played with the real SDK.

The served fiction graph runs on the scripted model (tests/server/fake_graph.py).
This is the README's SDK example, run: a story is opened, choices and an own
action are sent as resume values, an unusable action pauses again with an error,
the story reaches its ending, and a fork from an earlier choice plays on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langgraph_sdk")

from langgraph_sdk import get_sync_client

from tests.server.devserver import REPO_ROOT, DevServer, langgraph_dev

pytestmark = pytest.mark.server

CONTEXT = {"mode": "interactive", "embedder": "hash:64", "words_per_paragraph": 40}
GRAPH = "recurrentgpt_fiction"


def test_a_story_played_through_the_server_to_an_ending_and_on_from_a_fork(
    fake_server: DevServer,
) -> None:
    client = get_sync_client(url=fake_server.url)
    thread = client.threads.create()["thread_id"]

    def run(**request: Any) -> dict[str, Any]:
        out = client.runs.wait(thread, GRAPH, context=CONTEXT, raise_error=True, **request)
        assert isinstance(out, dict)
        return out

    def pause() -> dict[str, Any]:
        return dict(client.threads.get_state(thread)["interrupts"][0]["value"])

    opened = run(
        input={"premise": "You wake in a dark lighthouse.", "genre": "horror", "target_steps": 2}
    )
    first = opened["__interrupt__"][0]["value"]
    assert first["form"] == "fiction" and len(first["plans"]) == 3

    run(command={"resume": 1})
    refused = run(command={"resume": "You run. " * 60})["__interrupt__"][0]["value"]
    assert refused["error"] and refused["step"] == 1
    own = "You smash the lamp glass with your lantern."
    ended = run(command={"resume": own})
    assert ended["ending"] == "own" and ended["step"] == 2
    assert pause()["kind"] == "review_ending"
    finished = run(command={"resume": {"stop": True}})
    assert finished["status"] == "finished"

    history = client.threads.get_history(thread, limit=50)
    after_first = next(
        h for h in history if h["next"] == ["human"] and h["values"].get("step") == 1
    )
    client.threads.update_state(
        thread, {"status": "writing"}, checkpoint_id=after_first["checkpoint_id"]
    )
    replayed = run(command={"resume": 3})
    assert replayed["ending"] == "death"
    assert own not in replayed["last_paragraph"]


def test_langgraph_json_serves_the_fiction_graph_over_the_same_roles(tmp_path: Path) -> None:
    # Only the drawings are read, so no model is started.
    with langgraph_dev(REPO_ROOT / "langgraph.json", tmp_path / "server.log") as server:
        client = get_sync_client(url=server.url)
        assistants = {a["graph_id"]: a["assistant_id"] for a in client.assistants.search()}
        drawings = {
            graph_id: client.assistants.get_graph(assistants[graph_id])
            for graph_id in ("recurrentgpt", GRAPH)
        }
    nodes = {graph_id: {n["id"] for n in d["nodes"]} for graph_id, d in drawings.items()}
    edges = {
        graph_id: {(e["source"], e["target"]) for e in d["edges"]}
        for graph_id, d in drawings.items()
    }
    assert nodes[GRAPH] == nodes["recurrentgpt"]
    assert edges[GRAPH] == edges["recurrentgpt"]
