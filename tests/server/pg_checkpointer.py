"""The checkpointer `langgraph dev` uses in tests/server/langgraph.postgres.json.

Postgres at ``RECURRENTGPT_CHECKPOINTS``, opened as the command line opens it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from recurrentgpt.persistence import open_checkpointer


@asynccontextmanager
async def checkpointer() -> AsyncIterator[Any]:
    """The server's checkpointer for as long as it runs."""
    async with open_checkpointer(os.environ["RECURRENTGPT_CHECKPOINTS"]) as saver:
        yield saver
