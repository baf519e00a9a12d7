"""The conversation graph's request and pause message (recurrentgpt/graphs/conversation.py).

The A2A door itself is tested against `langgraph dev` in tests/server/test_a2a.py.
"""

from __future__ import annotations

import pytest

from recurrentgpt.graphs.conversation import pause_message, read_request
from recurrentgpt.graphs.tool import MAX_PARAGRAPHS_ENV


def test_a_request_reads_the_premise_and_its_optional_lines() -> None:
    request = read_request("A keeper finds a key.\nIt is old.\nGenre: mystery\nparagraphs: 4")
    assert request == {"premise": "A keeper finds a key. It is old.", "genre": "mystery",
                       "target_steps": 4}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Genre: mystery", "Tell me what the story is about"),
        ("A key.\nParagraphs: 3", "from 1 to 2"),
        ("A key.\nParagraphs: many", "from 1 to 2, got many"),
        ("x" * 5000, "over 4000 characters"),
    ],
)
def test_a_request_that_cannot_be_written_says_why(
    text: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAX_PARAGRAPHS_ENV, "2")
    with pytest.raises(ValueError, match=reason):
        read_request(text)


def test_the_pause_message_shows_the_paragraph_the_numbered_plans_and_the_error() -> None:
    payload = {"title": "T", "step": 1, "paragraph": "P.", "plans": ["a", "b", "c"],
               "error": "plan_index must be between 1 and 3, got 7"}  # fmt: skip
    message = pause_message(payload)["message"]
    assert message.startswith("That answer could not be used: plan_index must be between")
    assert "P." in message and "1. a\n2. b\n3. c" in message
    assert pause_message(payload)["plans"] == ["a", "b", "c"]
