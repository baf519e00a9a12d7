"""The web page's glue: a novel's saved settings and the API's thread states."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")

from starlette.requests import Request

from recurrentgpt import novels
from recurrentgpt.web.app import (
    AUTH_CONFIG_ENV,
    PageError,
    context_of,
    signed_in_user,
    snapshot_of,
)


def test_saved_settings_become_the_context_and_bad_ones_say_why() -> None:
    context = context_of({"ui_context": {"mode": "auto", "words_per_paragraph": 60, "x": 1}})
    assert (context.mode, context.words_per_paragraph) == ("auto", 60)
    assert context_of(None).mode == context_of({}).mode  # a thread made elsewhere: defaults
    with pytest.raises(PageError, match="story_form") as raised:
        context_of({"ui_context": {"story_form": "poem"}})
    assert raised.value.status == 400


def test_a_thread_state_reads_like_a_checkpoint() -> None:
    state = {
        "values": {"step": 2},
        "next": ["human"],
        "checkpoint": {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": "c2"},
        "parent_checkpoint": {"thread_id": "t", "checkpoint_ns": "", "checkpoint_id": "c1"},
        "created_at": "2026-01-01T00:00:00+00:00",
    }
    snapshot = snapshot_of(state)
    assert novels.checkpoint_id(snapshot) == "c2" and novels.is_pause(snapshot)
    assert snapshot.parent_config["configurable"]["checkpoint_id"] == "c1"
    assert snapshot_of({**state, "parent_checkpoint": None}).parent_config is None


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})


def test_the_page_signs_in_with_the_servers_users_only_when_users_are_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from recurrentgpt import auth

    monkeypatch.delenv(AUTH_CONFIG_ENV, raising=False)
    assert signed_in_user(_request({})) == ""  # no users: everyone reads every novel
    monkeypatch.setenv(AUTH_CONFIG_ENV, '{"path": "./recurrentgpt/auth.py:auth"}')
    monkeypatch.setattr(auth, "_users", {"t1": "alice"})
    assert signed_in_user(_request({"Authorization": "Bearer t1"})) == "alice"
    for headers in ({}, {"Authorization": "Bearer t2"}, {"Authorization": "Basic t1"}):
        with pytest.raises(PageError, match="access token") as refused:
            signed_in_user(_request(headers))
        assert refused.value.status == 401
