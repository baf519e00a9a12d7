"""The novel as an A2A conversation, through the server's A2A endpoint (JSON-RPC).

Against the real `langgraph dev` (scripted model): the agent card describes the
skill; a story is asked for, one pause is answered with a number, one with the
caller's own plan, one with an unknown plan number (asked again), and one with
"stop"; bad requests are answered with the reason.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from recurrentgpt.graphs.conversation import CONVERSATION_GRAPH_NAME
from tests.server.devserver import DevServer

pytestmark = pytest.mark.server

CHAT_ASSISTANT_ID = "0c3b9e57-3a5e-4f0e-b1c4-7d2a6c9e8f21"
"""An assistant of the conversation graph with paragraphs the scripted model's length
(an A2A caller sends no configuration: the assistant's is the operator's)."""
GRAPH_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
"""The server names each graph's own assistant uuid5(this, graph id)."""
REQUEST = "A lighthouse keeper finds a brass key.\nGenre: mystery\nParagraphs: 3"


@pytest.fixture(scope="module")
def chat_server(fake_server: DevServer) -> DevServer:
    """The fake server with the :data:`CHAT_ASSISTANT_ID` assistant."""
    from langgraph_sdk import get_sync_client

    get_sync_client(url=fake_server.url).assistants.create(
        "recurrentgpt_chat",
        context={"words_per_paragraph": 40},
        assistant_id=CHAT_ASSISTANT_ID,
        if_exists="do_nothing",
        name="recurrentgpt_chat_short",
    )
    return fake_server


def rpc(server: DevServer, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """One JSON-RPC call to the conversation assistant's A2A endpoint; its result."""
    body = {"jsonrpc": "2.0", "id": uuid.uuid4().hex, "method": method, "params": params}
    reply = httpx.post(f"{server.url}/a2a/{CHAT_ASSISTANT_ID}", json=body, timeout=120)
    reply.raise_for_status()
    answer: dict[str, Any] = reply.json()
    assert "error" not in answer, answer
    return answer["result"]


def send(server: DevServer, text: str, task: dict[str, Any] | None = None) -> dict[str, Any]:
    """Send ``text`` (in reply to ``task`` when given); the task it leaves."""
    message: dict[str, Any] = {
        "role": "ROLE_USER",
        "parts": [{"text": text}],
        "messageId": uuid.uuid4().hex,
    }
    if task:
        message.update(contextId=task["contextId"], taskId=task["id"])
    result: dict[str, Any] = rpc(server, "SendMessage", {"message": message})["task"]
    return result


def pause_of(task: dict[str, Any]) -> dict[str, Any]:
    """The pause an input-required task shows."""
    assert task["status"]["state"] == "TASK_STATE_INPUT_REQUIRED", task["status"]
    value: dict[str, Any] = task["artifacts"][0]["parts"][0]["data"]["value"]
    return value


def reply_text(task: dict[str, Any]) -> str:
    return "".join(part.get("text", "") for part in task["artifacts"][0]["parts"])


def test_the_agent_card_describes_the_skill(chat_server: DevServer) -> None:
    system_id = str(
        uuid.uuid5(uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8"), "recurrentgpt_chat")
    )
    card = httpx.get(
        f"{chat_server.url}/.well-known/agent-card.json", params={"assistant_id": system_id}
    ).json()
    assert card["name"] == CONVERSATION_GRAPH_NAME
    skill = card["skills"][0]
    assert "reply with a number" in skill["description"]
    assert skill["metadata"]["inputSchema"]["supportsA2A"] is True


def test_a_story_is_co_written_in_conversation(chat_server: DevServer) -> None:
    opening = pause_of(task := send(chat_server, REQUEST))
    assert opening["step"] == 0 and len(opening["plans"]) == 3
    assert opening["paragraph"] in opening["message"]
    assert all(f"{n}. {plan}" in opening["message"] for n, plan in enumerate(opening["plans"], 1))

    after_number = pause_of(task := send(chat_server, "2", task))
    assert after_number["step"] == 1
    assert opening["plans"][1] in after_number["paragraph"]  # the echoing writer quotes it

    asked_again = pause_of(task := send(chat_server, "7", task))
    assert asked_again["step"] == 1 and "between 1 and 3" in asked_again["message"]

    own_plan = "The keeper hides the key inside the lamp."
    after_text = pause_of(task := send(chat_server, own_plan, task))
    assert after_text["step"] == 2 and own_plan in after_text["paragraph"]

    stopped = send(chat_server, "stop", task)
    assert stopped["status"]["state"] == "TASK_STATE_COMPLETED"
    assert "is stopped after 2 paragraphs" in reply_text(stopped)
    fetched = rpc(chat_server, "GetTask", {"id": stopped["id"]})
    assert fetched["status"]["state"] == "TASK_STATE_COMPLETED"


@pytest.mark.parametrize(
    ("request_text", "reason"),
    [
        ("Genre: mystery", "Tell me what the story is about"),
        ("A keeper finds a key.\nParagraphs: 100000", "Paragraphs must be a whole number from 1"),
    ],
)
def test_a_request_that_cannot_be_written_is_answered_with_the_reason(
    chat_server: DevServer, request_text: str, reason: str
) -> None:
    task = send(chat_server, request_text)
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert reason in reply_text(task)
