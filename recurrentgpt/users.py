"""Whose novel it is: long-term memory scoped to the authenticated user.

With custom authentication on (:mod:`recurrentgpt.auth`), the LangGraph server
puts the caller's identity in every run's configuration
(``configurable["langgraph_auth_user_id"]``). The graphs' memory is one shared
store keyed by ``novel_id``, and a caller chooses ``novel_id`` in the input, so
without a scope Bob could pass Alice's id and have her paragraphs retrieved into
his prompts. :func:`owned_novel_id` prefixes the id with the user's identity
(``alice:<id>``); an id that already carries the caller's own prefix is kept,
so the id a run returns can be passed back. Another user's id thus names a
novel of the caller's own that does not exist yet: nothing crosses users. The
nodes apply it where they read or write memory too (retriever, memory updater,
a person's edit, branching), so a state edit (``update_state``) that sets
another user's ``novel_id`` on one's own thread reaches only one's own memory.

Without authentication (the CLI, the default dev server, the page) there is no
user in the configuration and every id is kept as given.
"""

from __future__ import annotations

from typing import Final

from langgraph.config import get_config

USER_ID_KEY: Final = "langgraph_auth_user_id"
"""Where the LangGraph server puts the authenticated identity in ``configurable``."""

SEPARATOR: Final = ":"
"""Between the user's identity and the novel id (identities may not contain it)."""


def current_user() -> str:
    """The identity of the run's authenticated user, or ``""`` without authentication."""
    try:
        configurable = get_config().get("configurable", {})
    except RuntimeError:
        # Outside a run (a unit test, the CLI's own helpers): nobody is signed in.
        return ""
    return str(configurable.get(USER_ID_KEY) or "")


def owned_novel_id(novel_id: str, user: str | None = None) -> str:
    """``novel_id`` in the namespace of ``user`` (default: the run's user).

    Kept as is without a user or when it already starts with ``user:``;
    otherwise ``user:novel_id``. Idempotent, so applying it twice is harmless.
    """
    user = current_user() if user is None else user
    if not user:
        return novel_id
    prefix = f"{user}{SEPARATOR}"
    return novel_id if novel_id.startswith(prefix) else f"{prefix}{novel_id}"
