"""Checkpointers: SQLite by default, Postgres when deployed.

One novel is one thread; every step is checkpointed, so a novel can be resumed
after a crash, rewound to any step and forked. A Postgres server that cannot be
reached, or goes away mid-run (restarted, failed over), ends the run with
:class:`CheckpointDatabaseError`: one line, and the novel resumes from its last
checkpoint once the server answers again.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver

CHECKPOINT_FILE = "checkpoints.sqlite"
QUICKLY_READ_TYPE = "msgpack"
"""Checkpoint encoding :class:`SqliteCheckpointReader` decodes (LangGraph's default)."""


def checkpoint_location(data_dir: str) -> str:
    """Where the CLI keeps checkpoints: RECURRENTGPT_CHECKPOINTS, else SQLite in ``data_dir``.

    RECURRENTGPT_CHECKPOINTS takes a ``postgresql://`` URI or a SQLite file path. The
    server's own POSTGRES_URI is deliberately not read: a data directory's novel list
    and its checkpoints must not silently live in different places.
    """
    return os.environ.get("RECURRENTGPT_CHECKPOINTS") or os.path.join(data_dir, CHECKPOINT_FILE)


class CheckpointDatabaseError(ConnectionError):
    """The Postgres server holding the checkpoints could not be reached or went away."""


def _where(uri: str) -> str:
    """``host:port/database`` of a Postgres URI: never its password."""
    parts = urllib.parse.urlsplit(uri)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


def _database_error(uri: str, error: BaseException, *, connected: bool) -> CheckpointDatabaseError:
    reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if not connected:
        return CheckpointDatabaseError(
            f"cannot reach the checkpoint database at {_where(uri)} ({reason}): start it, or "
            "check RECURRENTGPT_CHECKPOINTS"
        )
    return CheckpointDatabaseError(
        f"the checkpoint database at {_where(uri)} went away mid-run ({reason}); the novel "
        "is saved at its last checkpoint: resume it once the database answers again"
    )


def _not_a_lost_connection(record: logging.LogRecord) -> bool:
    # psycopg logs "error ignored terminating <AsyncPipeline>: the connection is lost"
    # while the block unwinds; CheckpointDatabaseError says it once, with what to do.
    return "connection is lost" not in record.getMessage()


@asynccontextmanager
async def _postgres_checkpointer(uri: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg import OperationalError
    except ImportError as error:
        raise RuntimeError(
            "Postgres checkpoints need the 'server' extra: pip install 'recurrentgpt[server]'"
        ) from error
    connected = False
    psycopg_log = logging.getLogger("psycopg")
    psycopg_log.addFilter(_not_a_lost_connection)
    try:
        async with AsyncPostgresSaver.from_conn_string(uri) as saver:
            await saver.setup()
            connected = True
            yield saver
    except OperationalError as error:
        # psycopg's message spans lines and says nothing of what to do.
        raise _database_error(uri, error, connected=connected) from error
    finally:
        psycopg_log.removeFilter(_not_a_lost_connection)


@asynccontextmanager
async def open_checkpointer(location: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """Open the checkpointer at ``location`` (a postgres:// URI or a SQLite file path).

    Tables are created on first use. The connection closes when the block ends.

    Raises:
        CheckpointDatabaseError: Postgres could not be reached, or went away in the block.
    """
    if location.startswith(("postgres://", "postgresql://")):
        async with _postgres_checkpointer(location) as saver:
            yield saver
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    folder = os.path.dirname(os.path.abspath(location))
    os.makedirs(folder, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(location) as saver:
        await saver.setup()
        yield saver


@dataclass(frozen=True)
class SavedTuple:
    """The parts of a LangGraph ``CheckpointTuple`` a reader of checkpoints needs."""

    config: dict[str, Any]
    checkpoint: dict[str, Any]
    parent_config: dict[str, Any] | None


class SqliteCheckpointReader:
    """Reads (never writes) the checkpoints of a LangGraph SQLite file, without LangGraph.

    Commands that only read (list, history, export) use it so they answer fast:
    importing the checkpointer imports most of LangChain. It reads the table
    LangGraph's SQLite saver writes and decodes its msgpack checkpoints (extension
    types, which plain state does not use, read as None). Offers the saver's
    ``aget_tuple`` and ``alist`` for the root namespace.
    """

    def __init__(self, path: str) -> None:
        self.path = path

    def _rows(self, thread_id: str, limit: int | None) -> list[tuple[Any, ...]]:
        if not os.path.exists(self.path):
            return []
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return connection.execute(
                "SELECT checkpoint_id, parent_checkpoint_id, type, checkpoint FROM checkpoints "
                "WHERE thread_id = ? AND checkpoint_ns = '' ORDER BY checkpoint_id DESC"
                + (" LIMIT ?" if limit else ""),
                (thread_id, limit) if limit else (thread_id,),
            ).fetchall()
        except sqlite3.OperationalError:  # no table yet: nothing was ever written
            return []
        finally:
            connection.close()

    def _tuples(self, thread_id: str, limit: int | None) -> list[SavedTuple]:
        import ormsgpack

        def config(checkpoint_id: str) -> dict[str, Any]:
            ids = {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": checkpoint_id}
            return {"configurable": ids}

        tuples = []
        for checkpoint_id, parent_id, kind, blob in self._rows(thread_id, limit):
            if kind != QUICKLY_READ_TYPE:
                raise ValueError(f"checkpoint encoded as {kind!r}; read it with the checkpointer")
            checkpoint = ormsgpack.unpackb(blob, ext_hook=lambda code, data: None)
            tuples.append(
                SavedTuple(
                    config(checkpoint_id), checkpoint, config(parent_id) if parent_id else None
                )
            )
        return tuples

    async def aget_tuple(self, config: dict[str, Any]) -> SavedTuple | None:
        """The latest checkpoint of the config's thread, or None."""
        found = self._tuples(config["configurable"]["thread_id"], 1)
        return found[0] if found else None

    async def alist(self, config: dict[str, Any]) -> AsyncIterator[SavedTuple]:
        """Every checkpoint of the config's thread, newest first."""
        for saved in self._tuples(config["configurable"]["thread_id"], None):
            yield saved


@asynccontextmanager
async def open_checkpoint_reader(location: str) -> AsyncIterator[Any]:
    """A reader of the checkpoints at ``location``.

    The quick SQLite reader for a file, the checkpointer itself for Postgres.
    """
    if location.startswith(("postgres://", "postgresql://")):
        async with open_checkpointer(location) as saver:
            yield saver
        return
    yield SqliteCheckpointReader(location)
