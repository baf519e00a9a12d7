"""Users on a deployed server: bearer tokens, and each user's own threads.

Opt-in: a server uses it when its ``langgraph.json`` has
``"auth": {"path": "./recurrentgpt/auth.py:auth"}`` (the default config and
``langgraph dev`` without it serve everyone as before).

Tokens come from the server's environment, never from a caller:
``RECURRENTGPT_USERS`` holds ``token:user`` pairs separated by commas
(``"s3cret-a:alice,s3cret-b:bob"``) or the path of a file with one ``token:user``
pair per line (``#`` starts a comment). A request must carry
``Authorization: Bearer <token>``; a missing, malformed or unknown token gets
401. With the variable unset or empty every request is refused (a server that
turned auth on never falls back to open).

What a user can reach, through the API:

* threads (and their runs, state, history, forks and copies): created with
  ``owner`` metadata set to the user; reading, listing, updating, deleting and
  running only finds threads whose ``owner`` is the caller, so another user's
  thread answers 404;
* crons: the same, by ``owner``;
* assistants: any user may read and search them (the graphs' own assistants
  belong to nobody); an assistant a user creates is theirs, and only its owner
  may update or delete it;
* the server's store: each user's namespace is prefixed with their identity.

Long-term memory is scoped inside the graphs: see :mod:`recurrentgpt.users`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

from langgraph_sdk import Auth

from recurrentgpt.users import SEPARATOR

USERS_ENV: Final = "RECURRENTGPT_USERS"
"""``token:user`` pairs (comma-separated) or the path of a file of them, one a line."""

OWNER: Final = "owner"
"""Metadata key naming the user a thread, cron or assistant belongs to."""


class UsersConfigError(ValueError):
    """``RECURRENTGPT_USERS`` is not a list of ``token:user`` pairs."""


def parse_users(text: str) -> dict[str, str]:
    """Map token to user id from ``token:user`` pairs separated by commas or lines.

    Raises:
        UsersConfigError: a pair without a token or user, a user id holding the
            separator, or one token given to two users.
    """
    users: dict[str, str] = {}
    for raw in text.replace(",", "\n").splitlines():
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        token, _, user = (part.strip() for part in entry.rpartition(SEPARATOR))
        if not token or not user:
            raise UsersConfigError(
                f"{USERS_ENV}: an entry is not 'token:user' (the value is not repeated here; "
                "it holds tokens)"
            )
        if users.get(token, user) != user:
            raise UsersConfigError(f"{USERS_ENV}: one token is given to two users")
        users[token] = user
    return users


def load_users(value: str | None = None) -> dict[str, str]:
    """The token to user map from ``value`` (default: :data:`USERS_ENV`): pairs or a file path."""
    value = os.environ.get(USERS_ENV, "") if value is None else value
    value = value.strip()
    if value and SEPARATOR not in value and Path(value).is_file():
        return parse_users(Path(value).read_text(encoding="utf-8"))
    if value and SEPARATOR not in value:
        raise UsersConfigError(f"{USERS_ENV} is neither token:user pairs nor a readable file")
    return parse_users(value)


auth = Auth()
_users = load_users()
"""Read once at start: a bad value stops the server at start, not a request later."""


def user_of(authorization: str | None, users: dict[str, str] | None = None) -> str | None:
    """The user whose token an ``Authorization: Bearer <token>`` header carries, or None.

    ``users`` defaults to the server's users (read at start). The writer's page
    (:mod:`recurrentgpt.web.app`) signs its own routes in with it too.
    """
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return (_users if users is None else users).get(token.strip())


@auth.authenticate
async def authenticate(authorization: str | None) -> Auth.types.MinimalUserDict:
    """The user of the request's bearer token; 401 for anything else."""
    user = user_of(authorization)
    if user is None:
        raise Auth.exceptions.HTTPException(
            status_code=401, detail="a valid 'Authorization: Bearer <token>' header is required"
        )
    return {"identity": user}


def _stamp_owner(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str]:
    """Mark a new resource as the caller's, and only let the caller find it."""
    # The server keeps the dict it passed in: it must be changed in place.
    if value.get("metadata") is None:
        value["metadata"] = {}
    value["metadata"][OWNER] = ctx.user.identity
    return {OWNER: ctx.user.identity}


@auth.on.threads
async def own_threads(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str]:
    """Threads, and the runs on them: the caller's own only (others answer 404)."""
    if ctx.action in ("create", "create_run"):
        # A run's metadata is stamped too; the filter still checks the thread's owner.
        return _stamp_owner(ctx, value)
    return {OWNER: ctx.user.identity}


@auth.on.crons
async def own_crons(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str]:
    """Crons: the caller's own only."""
    if ctx.action == "create":
        return _stamp_owner(ctx, value)
    return {OWNER: ctx.user.identity}


@auth.on.assistants
async def shared_assistants(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str] | None:
    """Everyone reads the assistants; a created one is its creator's to change or delete."""
    if ctx.action == "create":
        return _stamp_owner(ctx, value)
    if ctx.action in ("read", "search"):
        return None
    return {OWNER: ctx.user.identity}


@auth.on.store
async def own_store(ctx: Auth.types.AuthContext, value: Any) -> None:
    """The store's items a user reaches through the API are under their identity."""
    namespace = tuple(value.get("namespace") or ())
    if namespace[:1] != (ctx.user.identity,):
        value["namespace"] = (ctx.user.identity, *namespace)
