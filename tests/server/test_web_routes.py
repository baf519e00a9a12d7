"""The page's JSON routes under the real `langgraph dev`, called as the page calls them.

The browser tests drive the happy path through the page; these check what a
failure answers (JSON the page shows in its banner) and the tree of a fork.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

pytest.importorskip("langgraph_sdk")

from langgraph_sdk import get_sync_client

from tests.server.devserver import DevServer

pytestmark = pytest.mark.server

CONTEXT = {"mode": "interactive", "words_per_paragraph": 40}


def call(url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """GET (or POST ``body``) and return the status and the decoded JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def novel(fake_server: DevServer) -> str:
    """A novel written two steps, rewound to step 1 and written on: two branches."""
    client = get_sync_client(url=fake_server.url)
    thread_id = client.threads.create(metadata={"ui_context": CONTEXT})["thread_id"]
    for request in (
        {"input": {"premise": "A keeper finds a key.", "target_steps": 4}},
        {"command": {"resume": {"plan_index": 1}}},
        {"command": {"resume": {"plan_index": 2}}},
    ):
        client.runs.wait(thread_id, "recurrentgpt", context=CONTEXT, raise_error=True, **request)
    status, _ = call(f"{fake_server.url}/ui/api/threads/{thread_id}/rewind", {"ref": "1"})
    assert status == 200
    client.runs.wait(thread_id, "recurrentgpt", context=CONTEXT, raise_error=True)
    client.runs.wait(
        thread_id, "recurrentgpt", context=CONTEXT, raise_error=True,
        command={"resume": {"plan": "The bell rings at midnight."}},
    )  # fmt: skip
    return str(thread_id)


def test_the_steps_of_a_rewound_novel_form_a_tree_with_two_branches(
    fake_server: DevServer, novel: str
) -> None:
    status, answer = call(f"{fake_server.url}/ui/api/threads/{novel}/steps")
    assert status == 200
    rows = {row["checkpoint_id"]: row for row in answer["rows"]}
    assert sorted((r["step"], r["on_timeline"]) for r in rows.values()) == [
        (0, True), (1, True), (2, False), (2, True),
    ]  # fmt: skip
    twos = [r for r in rows.values() if r["step"] == 2]
    assert twos[0]["parent"] == twos[1]["parent"] and rows[twos[0]["parent"]]["step"] == 1
    assert answer["current"] == next(r["checkpoint_id"] for r in twos if r["on_timeline"])
    status, book = call(f"{fake_server.url}/ui/api/threads/{novel}/book")
    paragraphs = [p for chapter in book["chapters"] for p in chapter["paragraphs"]]
    assert "<The bell rings at midnight.>" in paragraphs[-1]
    assert not any("Plan two of" in p for p in paragraphs[3:])  # the abandoned step is gone


def test_failures_answer_json_the_page_can_show(fake_server: DevServer, novel: str) -> None:
    base = f"{fake_server.url}/ui/api/threads"
    status, answer = call(f"{base}/no-such-novel/book")
    assert status == 404 and "no novel 'no-such-novel'" in answer["error"]
    status, answer = call(f"{base}/{novel}/export?format=pdf")
    assert status == 400 and "md, txt, epub, docx" in answer["error"]
    status, answer = call(f"{base}/{novel}/rewind", {"ref": "9"})
    assert status == 400 and "steps 0..2" in answer["error"]
    status, answer = call(f"{base}/{novel}/rewind", {"to": "1"})
    assert status == 400 and '"ref"' in answer["error"]
