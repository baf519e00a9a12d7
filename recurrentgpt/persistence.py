"""Checkpointers: SQLite by default, Postgres when deployed.

One novel is one thread; every step is checkpointed, so a novel can be resumed
after a crash, rewound to any step and forked.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

CHECKPOINT_FILE = "checkpoints.sqlite"


def checkpoint_location(data_dir: str) -> str:
    """Where the CLI keeps checkpoints: RECURRENTGPT_CHECKPOINTS, else SQLite in ``data_dir``.

    RECURRENTGPT_CHECKPOINTS takes a ``postgresql://`` URI or a SQLite file path. The
    server's own POSTGRES_URI is deliberately not read: a data directory's novel list
    and its checkpoints must not silently live in different places.
    """
    return os.environ.get("RECURRENTGPT_CHECKPOINTS") or os.path.join(data_dir, CHECKPOINT_FILE)


@asynccontextmanager
async def open_checkpointer(location: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    """Open the checkpointer at ``location`` (a postgres:// URI or a SQLite file path).

    Tables are created on first use. The connection closes when the block ends.
    """
    if location.startswith(("postgres://", "postgresql://")):
        try:
            from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        except ImportError as error:
            raise RuntimeError(
                "Postgres checkpoints need the 'server' extra: pip install 'recurrentgpt[server]'"
            ) from error
        async with AsyncPostgresSaver.from_conn_string(location) as saver:
            await saver.setup()
            yield saver
        return
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    folder = os.path.dirname(os.path.abspath(location))
    os.makedirs(folder, exist_ok=True)
    async with AsyncSqliteSaver.from_conn_string(location) as saver:
        await saver.setup()
        yield saver
