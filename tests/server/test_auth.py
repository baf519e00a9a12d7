"""Users on `langgraph dev` with the project's authentication (recurrentgpt/auth.py).

The server (the ``auth_server`` fixture) serves the scripted-model graphs with
``tests/server/langgraph.auth.json`` (the test config plus the ``auth`` entry) and two
users from ``RECURRENTGPT_USERS``.
Everything goes through the real SDK with bearer tokens: Alice and Bob each write
a novel; Bob cannot see, list, run, edit or fork Alice's thread; a caller without
a valid token is refused; Bob naming Alice's novel_id gets a novel of his own,
and neither sees the other's paragraphs in long-term memory. The writer's page is
served too (tests/server/fake_web.py): its JSON routes under ``/ui/api`` need the
same tokens and open only the caller's own novels.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import httpx
import pytest

pytest.importorskip("langgraph_sdk")

from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from tests.server.devserver import AUTH_TOKENS, DevServer

pytestmark = pytest.mark.server

TOKENS = AUTH_TOKENS
CONTEXT = {
    "mode": "interactive",
    "embedder": "hash:64",
    "words_per_paragraph": 40,
    "retrieval_k": 50,
}
"""A person decides; retrieval returns every visible passage."""
ALICE_PLAN = "Alice's secret plan"
DENIED = (403, 404)


def client_of(server: DevServer, user: str) -> SyncLangGraphClient:
    return get_sync_client(url=server.url, headers={"Authorization": f"Bearer {TOKENS[user]}"})


class Novel:
    """One user's thread of the co-writing graph."""

    def __init__(self, client: SyncLangGraphClient) -> None:
        self.client = client
        self.assistant_id = client.assistants.search(graph_id="recurrentgpt")[0]["assistant_id"]
        self.thread_id = client.threads.create()["thread_id"]

    def run(self, **request: Any) -> dict[str, Any]:
        result = self.client.runs.wait(
            self.thread_id, self.assistant_id, context=CONTEXT, raise_error=True, **request
        )
        assert isinstance(result, dict)
        return result

    def open(self, **input_values: Any) -> dict[str, Any]:
        return self.run(input={"premise": "A lighthouse keeper finds a brass key.", **input_values})

    def resume(self, plan: str) -> dict[str, Any]:
        """One step with ``plan``; returns the thread's values at the next pause."""
        self.run(command={"resume": {"plan": plan}})
        return dict(self.client.threads.get_state(self.thread_id)["values"])


def _status(call: Any) -> int:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        call()
    return refused.value.response.status_code


@pytest.fixture(scope="module")
def alice(auth_server: DevServer) -> Novel:
    novel = Novel(client_of(auth_server, "alice"))
    novel.open()
    for step in (1, 2):
        novel.resume(f"{ALICE_PLAN}, step {step}.")
    return novel


def test_a_caller_without_a_valid_token_is_refused(auth_server: DevServer) -> None:
    stranger = get_sync_client(url=auth_server.url)
    assert _status(lambda: stranger.threads.search()) == 401
    assert _status(lambda: stranger.threads.create()) == 401
    forger = get_sync_client(url=auth_server.url, headers={"Authorization": "Bearer guessed"})
    assert _status(lambda: forger.threads.search()) == 401
    wrong_scheme = get_sync_client(
        url=auth_server.url, headers={"Authorization": f"Basic {TOKENS['alice']}"}
    )
    assert _status(lambda: wrong_scheme.assistants.search()) == 401


def test_bob_cannot_reach_alices_thread(auth_server: DevServer, alice: Novel) -> None:
    bob = client_of(auth_server, "bob")
    thread_id = alice.thread_id
    assistant_id = bob.assistants.search(graph_id="recurrentgpt")[0]["assistant_id"]
    checkpoint = alice.client.threads.get_history(thread_id, limit=2)[-1]["checkpoint"]

    assert _status(lambda: bob.threads.get(thread_id)) in DENIED
    assert _status(lambda: bob.threads.get_state(thread_id)) in DENIED
    assert _status(lambda: bob.threads.get_history(thread_id)) in DENIED
    assert thread_id not in {t["thread_id"] for t in bob.threads.search(limit=100)}
    assert (
        _status(
            lambda: bob.runs.wait(thread_id, assistant_id, command={"resume": {"plan": "Hijack."}})
        )
        in DENIED
    )
    assert (
        _status(lambda: bob.threads.update_state(thread_id, {"short_term_memory": "Bob was here."}))
        in DENIED
    )
    assert (
        _status(
            lambda: bob.threads.update_state(
                thread_id,
                {"short_term_memory": "A fork."},
                checkpoint_id=checkpoint["checkpoint_id"],
            )
        )
        in DENIED
    )
    # The server answers a copy of a thread the caller may not read with 409, not 404.
    assert _status(lambda: bob.threads.copy(thread_id)) in (*DENIED, 409)
    assert _status(lambda: bob.threads.delete(thread_id)) in DENIED

    # Nothing Bob tried reached the thread: it is Alice's, at the step she left it.
    values = alice.client.threads.get_state(thread_id)["values"]
    assert values["step"] == 2
    assert "Bob was here." not in values["short_term_memory"]
    assert alice.client.threads.get(thread_id)["metadata"]["owner"] == "alice"
    assert thread_id in {t["thread_id"] for t in alice.client.threads.search(limit=100)}


def test_bobs_novel_id_never_reaches_alices_memory(auth_server: DevServer, alice: Novel) -> None:
    alice_values = alice.client.threads.get_state(alice.thread_id)["values"]
    alice_id = alice_values["novel_id"]
    assert alice_id.startswith("alice:")

    bob = Novel(client_of(auth_server, "bob"))
    bob.open(novel_id=alice_id)
    for step in (1, 2, 3):
        bob_values = bob.resume(f"Bob's own plan, step {step}.")
    assert bob_values["novel_id"] == f"bob:{alice_id}"
    assert any("Bob's own plan, step 1." in p for p in bob_values["retrieved_passages"])
    assert not [p for p in bob_values["retrieved_passages"] if ALICE_PLAN in p]

    # Nor by editing his own thread's state to name her novel and branch.
    bob.client.threads.update_state(
        bob.thread_id,
        {key: alice_values[key] for key in ("novel_id", "branch_id", "inherited_segments")},
        as_node="planner",
    )
    bob_values = bob.resume("Bob's own plan, step 4.")
    assert len(bob_values["retrieved_passages"]) >= 3
    assert not [p for p in bob_values["retrieved_passages"] if ALICE_PLAN in p]

    # Alice's memory still holds her own paragraphs, not Bob's.
    recalled = alice.resume(f"{ALICE_PLAN}, step 3.")["retrieved_passages"]
    recalled += alice.resume(f"{ALICE_PLAN}, step 4.")["retrieved_passages"]
    assert any(f"{ALICE_PLAN}, step 1." in p for p in recalled)
    assert not [p for p in recalled if "Bob's own plan" in p]


def page_call(
    server: DevServer, path: str, user: str | None = None, body: dict[str, Any] | None = None
) -> tuple[int, str]:
    """Call a page route as the page does (``user``'s bearer token, if any): status, body."""
    headers = {"Content-Type": "application/json"}
    if user:
        headers["Authorization"] = f"Bearer {TOKENS.get(user, user)}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{server.url}{path}", data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_page_routes_need_a_token_and_open_only_the_callers_novels(
    auth_server: DevServer, alice: Novel
) -> None:
    routes = [f"/ui/api/threads/{alice.thread_id}/{r}" for r in ("book", "steps", "export")]
    rewind = f"/ui/api/threads/{alice.thread_id}/rewind"

    # The page itself is public: the sign-in happens on it.
    assert page_call(auth_server, "/ui/")[0] == 200
    for caller in (None, "a-guessed-token"):
        for route in routes:
            status, said = page_call(auth_server, route, caller)
            assert status == 401 and "access token" in json.loads(said)["error"]
        assert page_call(auth_server, rewind, caller, {"ref": "1"})[0] == 401
    for route in routes:
        status, said = page_call(auth_server, route, "bob")
        assert status == 404 and "no novel" in json.loads(said)["error"]
    assert page_call(auth_server, rewind, "bob", {"ref": "1"})[0] == 404
    assert alice.client.threads.get_state(alice.thread_id)["values"]["step"] >= 2

    status, book = page_call(auth_server, routes[0], "alice")
    assert status == 200
    paragraphs = [p for chapter in json.loads(book)["chapters"] for p in chapter["paragraphs"]]
    assert any(ALICE_PLAN in p for p in paragraphs)
    status, steps = page_call(auth_server, routes[1], "alice")
    assert status == 200 and len(json.loads(steps)["rows"]) >= 3
    status, exported = page_call(auth_server, routes[2] + "?format=md", "alice")
    assert status == 200 and ALICE_PLAN in exported


def test_the_page_reads_only_the_callers_memory_whatever_the_state_names(
    auth_server: DevServer, alice: Novel
) -> None:
    alice_values = alice.client.threads.get_state(alice.thread_id)["values"]
    bob = Novel(client_of(auth_server, "bob"))
    bob.open()
    bob.resume("Bob's plan for the page.")
    bob.client.threads.update_state(
        bob.thread_id,
        {key: alice_values[key] for key in ("novel_id", "branch_id", "inherited_segments")},
        as_node="planner",
    )

    for route in ("book", "export"):
        status, text = page_call(auth_server, f"/ui/api/threads/{bob.thread_id}/{route}", "bob")
        assert status == 200
        assert ALICE_PLAN not in text
