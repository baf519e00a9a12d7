"""The custom HTTP app of the LangGraph server: the writer's page under ``/ui``.

``langgraph.json`` names ``app`` as its ``"http"`` app, so ``langgraph dev`` and a
deployed server serve the page with nothing else to start. The page is one HTML
file with its script and style sheet (no build step, nothing from the internet).
It drives novels through the server's own API; the routes here add what that
API cannot say, each a thin call into the package:

- ``GET /ui/api/threads/{id}/book``: the current timeline as chapters (JSON).
- ``GET /ui/api/threads/{id}/export?format=md|txt|epub|docx``: the export file.
- ``GET /ui/api/threads/{id}/steps``: one row per step on every branch, with
  the row each was written from (the tree the page draws).
- ``POST /ui/api/threads/{id}/rewind`` ``{"ref": step or checkpoint id}``.

The long-term memory a book or export reads is the one the novel's runs used:
the page keeps the novel's context in the thread's metadata (``ui_context``).
Every failure answers JSON ``{"error": message}`` with a status the page shows.

With users on (``"auth"`` in the server's ``langgraph.json``,
:mod:`recurrentgpt.auth`) the JSON routes need the same bearer token as the API
(401 without one) and open only the caller's own threads: another user's
thread answers 404, as the API does, and the book and the export read only the
caller's long-term memory (:func:`recurrentgpt.users.owned_novel_id`), whatever
novel id the thread's state names. The page itself and its assets are public:
the sign-in happens on the page, which sends the token with every call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from recurrentgpt import novels
from recurrentgpt.context import Context
from recurrentgpt.export import EXPORT_FORMATS, ExportFormat, book_of, read_manuscript, write_export
from recurrentgpt.services import DefaultServices, Services, long_term_memory_for
from recurrentgpt.users import owned_novel_id

STATIC = Path(__file__).resolve().parent / "static"
CONTEXT_KEY = "ui_context"
"""Thread metadata key where the page keeps the context of the novel's runs."""
HISTORY_PAGE = 1000
"""Checkpoints per history request (the server's maximum; a step writes about six)."""
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "epub": "application/epub+zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

AUTH_CONFIG_ENV = "LANGGRAPH_AUTH"
"""Where the LangGraph server puts its ``langgraph.json``'s ``"auth"`` entry (unset: no auth)."""
OWNER_KEY = "owner"
"""Thread metadata key naming its user (set by :mod:`recurrentgpt.auth`)."""

Handler = Callable[[Request], Awaitable[Response]]


class PageError(Exception):
    """A request the page made that cannot be answered (status and message for the page)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def api_client() -> Any:
    """The server's own API, in process (no network hop, the server's auth bypassed)."""
    from langgraph_sdk import get_client

    return get_client()


def snapshot_of(state: Mapping[str, Any]) -> novels.SavedCheckpoint:
    """A thread state of the HTTP API, shaped like the ``StateSnapshot`` :mod:`novels` reads."""
    parent = state.get("parent_checkpoint")
    return novels.SavedCheckpoint(
        values=dict(state.get("values") or {}),
        next=tuple(state.get("next") or ()),
        config={"configurable": dict(state["checkpoint"])},
        parent_config={"configurable": dict(parent)} if parent else None,
        created_at=state.get("created_at"),
    )


def context_of(metadata: Mapping[str, Any] | None) -> Context:
    """The novel's context as the page saved it; unknown or bad settings are an error."""
    saved = dict((metadata or {}).get(CONTEXT_KEY) or {})
    known = {f.name for f in dataclasses.fields(Context)}
    try:
        return Context(**{k: v for k, v in saved.items() if k in known})
    except (TypeError, ValueError) as error:
        raise PageError(400, f"the novel's saved settings are not usable: {error}") from error


def users_are_on() -> bool:
    """Whether the server runs with custom authentication (an ``"auth"`` entry)."""
    return os.environ.get(AUTH_CONFIG_ENV, "").strip() not in ("", "null")


def signed_in_user(request: Request) -> str:
    """The caller's user id; ``""`` when the server has no users (everyone sees everything).

    Raises:
        PageError: 401 when users are on and the request has no valid bearer token.
    """
    if not users_are_on():
        return ""
    # Imported only with users on: the module reads RECURRENTGPT_USERS when imported.
    from recurrentgpt.auth import user_of

    user = user_of(request.headers.get("authorization"))
    if user is None:
        raise PageError(401, "sign in: this server needs your access token")
    return user


async def _thread(client: Any, thread_id: str, user: str) -> dict[str, Any]:
    """The thread, if it is the caller's (the in-process client sees every user's)."""
    try:
        thread = dict(await client.threads.get(thread_id))
    except Exception as error:
        raise PageError(404, f"no novel {thread_id!r} on this server") from error
    if user and (thread.get("metadata") or {}).get(OWNER_KEY) != user:
        # The same answer as for a thread that does not exist: nothing to learn by guessing.
        raise PageError(404, f"no novel {thread_id!r} on this server")
    return thread


async def _open_novel(services: Services, thread_id: str, user: str) -> tuple[dict[str, Any], Any]:
    """The novel's current values and the long-term memory its runs wrote to."""
    client = api_client()
    thread = await _thread(client, thread_id, user)
    values = dict((await client.threads.get_state(thread_id)).get("values") or {})
    if user and values.get("novel_id"):
        # A state edit may name any novel id: read only the caller's own memory.
        values["novel_id"] = owned_novel_id(str(values["novel_id"]), user)
    context = context_of(thread.get("metadata"))
    try:
        return values, await long_term_memory_for(services, context)
    except Exception as error:  # the memory's own errors name what to fix
        raise PageError(503, f"the long-term memory is unreachable: {error}") from error


async def _read(memory: Any, values: Mapping[str, Any]) -> list[Any]:
    try:
        return await read_manuscript(memory, values)
    except Exception as error:
        raise PageError(503, f"the long-term memory is unreachable: {error}") from error


async def _all_states(client: Any, thread_id: str) -> list[dict[str, Any]]:
    """Every checkpoint of the thread, newest first (the API pages them)."""
    states: list[dict[str, Any]] = []
    while True:
        before = states[-1]["checkpoint"] if states else None
        page = await client.threads.get_history(thread_id, limit=HISTORY_PAGE, before=before)
        states += page
        if len(page) < HISTORY_PAGE:
            return states


def _export_bytes(values: Mapping[str, Any], passages: list[Any], fmt: ExportFormat) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"novel.{fmt}")
        write_export(values, passages, fmt, path)
        return Path(path).read_bytes()


def build_app(services: Services) -> Starlette:
    """The page and its JSON routes, reading long-term memory through ``services``."""

    async def book(request: Request) -> Response:
        user = signed_in_user(request)
        values, memory = await _open_novel(services, request.path_params["thread_id"], user)
        volume = book_of(values, await _read(memory, values))
        return JSONResponse(
            {
                "title": volume.title,
                "premise": volume.premise,
                "chapters": [
                    {"title": c.title, "paragraphs": c.paragraphs} for c in volume.chapters
                ],
            }
        )

    async def export(request: Request) -> Response:
        user = signed_in_user(request)
        fmt = request.query_params.get("format", "md")
        if fmt not in EXPORT_FORMATS:
            raise PageError(400, f"unknown format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
        thread_id = request.path_params["thread_id"]
        values, memory = await _open_novel(services, thread_id, user)
        passages = await _read(memory, values)
        data = await asyncio.to_thread(_export_bytes, values, passages, fmt)
        name = "".join(c if c.isalnum() else "-" for c in values.get("title") or thread_id)
        return Response(
            data,
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{name.strip("-")}.{fmt}"'},
        )

    async def steps(request: Request) -> Response:
        user = signed_in_user(request)
        thread_id = request.path_params["thread_id"]
        client = api_client()
        await _thread(client, thread_id, user)
        states = await _all_states(client, thread_id)
        if not states:
            return JSONResponse({"rows": [], "current": None})
        snapshots = {novels.checkpoint_id(s): s for s in map(snapshot_of, states)}
        current = novels.checkpoint_id(snapshot_of(states[0]))
        rows = novels.history_of(snapshots, current, all_branches=True)
        parents = novels.step_parents(snapshots, rows)
        return JSONResponse(
            {
                "current": current,
                "rows": [
                    {**dataclasses.asdict(row), "parent": parents.get(row.checkpoint_id)}
                    for row in rows
                ],
            }
        )

    async def rewind(request: Request) -> Response:
        user = signed_in_user(request)
        thread_id = request.path_params["thread_id"]
        try:
            ref = str((await request.json())["ref"])
        except (ValueError, KeyError, TypeError) as error:
            raise PageError(400, 'send {"ref": a step number or checkpoint id}') from error
        client = api_client()
        await _thread(client, thread_id, user)
        states = await _all_states(client, thread_id)
        snapshots = {novels.checkpoint_id(s): s for s in map(snapshot_of, states)}
        if not snapshots:
            raise PageError(409, f"novel {thread_id!r} has no steps yet")
        current = novels.checkpoint_id(snapshot_of(states[0]))
        rows = novels.history_of(snapshots, current, all_branches=True)
        try:
            row = novels.find_row(rows, ref)
        except novels.NovelStateError as error:
            raise PageError(400, str(error)) from error
        now = dict(states[0].get("values") or {})
        await client.threads.update_state(
            thread_id, novels.rewind_values(now), checkpoint_id=row.checkpoint_id
        )
        return JSONResponse(dataclasses.asdict(row))

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def to_page(request: Request) -> Response:
        return RedirectResponse("/ui/")

    return Starlette(
        routes=[
            Route("/ui", to_page, methods=["GET"]),
            Route("/ui/", page, methods=["GET"]),
            Mount("/ui/assets", StaticFiles(directory=STATIC), name="ui-assets"),
            Route("/ui/api/threads/{thread_id}/book", _json_errors(book), methods=["GET"]),
            Route("/ui/api/threads/{thread_id}/export", _json_errors(export), methods=["GET"]),
            Route("/ui/api/threads/{thread_id}/steps", _json_errors(steps), methods=["GET"]),
            Route("/ui/api/threads/{thread_id}/rewind", _json_errors(rewind), methods=["POST"]),
        ]
    )


def _json_errors(handler: Handler) -> Handler:
    """Answer a failure as JSON ``{"error": ...}`` the page can show in its banner."""

    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except PageError as error:
            return JSONResponse({"error": str(error)}, status_code=error.status)
        except HTTPException:
            raise
        except Exception as error:
            return JSONResponse({"error": f"{type(error).__name__}: {error}"}, status_code=500)

    return answer


app = build_app(DefaultServices())
"""The app ``langgraph.json`` serves: real long-term memory built from each novel's context."""
