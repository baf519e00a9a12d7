"""Users on a served graph: the token list, the bearer check and owned novel ids."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from recurrentgpt.users import USER_ID_KEY, current_user, owned_novel_id

pytest.importorskip("langgraph_sdk")

from langgraph_sdk import Auth

from recurrentgpt import auth
from recurrentgpt.auth import UsersConfigError, load_users, parse_users


def test_users_are_token_user_pairs_by_comma_or_line() -> None:
    assert parse_users("t1:alice, t2:bob") == {"t1": "alice", "t2": "bob"}
    assert parse_users("# writers\nt1:alice\n\nt2:bob  # the second\n") == {
        "t1": "alice",
        "t2": "bob",
    }
    assert parse_users("") == {}


@pytest.mark.parametrize("bad", ["t1", ":alice", "t1:", "t1:alice,t1:bob"])
def test_a_bad_users_list_is_refused_without_echoing_tokens(bad: str) -> None:
    with pytest.raises(UsersConfigError) as refused:
        parse_users(bad) if ":" in bad else load_users(bad)
    assert "t1" not in str(refused.value)


def test_users_may_come_from_a_file(tmp_path: Path) -> None:
    listing = tmp_path / "users.txt"
    listing.write_text("t1:alice\nt2:bob\n", encoding="utf-8")
    assert load_users(str(listing)) == {"t1": "alice", "t2": "bob"}


def _authenticate(header: str | None) -> Any:
    return asyncio.run(auth.authenticate(header))


def test_only_a_known_bearer_token_authenticates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "_users", {"t1": "alice"})
    assert _authenticate("Bearer t1") == {"identity": "alice"}
    assert _authenticate("bearer t1") == {"identity": "alice"}
    for header in (None, "", "Bearer", "Bearer t2", "Basic t1", "t1"):
        with pytest.raises(Auth.exceptions.HTTPException) as refused:
            _authenticate(header)
        assert refused.value.status_code == 401


def test_owned_novel_ids_are_prefixed_once_and_kept_without_a_user() -> None:
    assert owned_novel_id("n1", user="") == "n1"
    assert owned_novel_id("n1", user="bob") == "bob:n1"
    assert owned_novel_id("bob:n1", user="bob") == "bob:n1"
    assert owned_novel_id("alice:n1", user="bob") == "bob:alice:n1"
    assert current_user() == ""


class _Ids(TypedDict):
    novel_id: str


def test_a_run_reads_its_user_from_the_servers_configuration() -> None:
    def scope(state: _Ids) -> _Ids:
        return {"novel_id": owned_novel_id(state["novel_id"])}

    builder = StateGraph(_Ids)
    builder.add_node("scope", scope)
    builder.add_edge(START, "scope")
    builder.add_edge("scope", END)
    graph = builder.compile()
    served = graph.invoke({"novel_id": "n1"}, {"configurable": {USER_ID_KEY: "alice"}})
    assert served["novel_id"] == "alice:n1"
    assert graph.invoke({"novel_id": "n1"})["novel_id"] == "n1"
