"""Custom stream events: what a node tells whoever streams its run (``stream_mode="custom"``)."""

from __future__ import annotations

from typing import Any

from langgraph.config import get_stream_writer


def send_event(event: dict[str, Any]) -> None:
    """Send ``event`` to the run's custom stream; outside a graph run nobody listens: a no-op."""
    try:
        write = get_stream_writer()
    except RuntimeError:
        return
    write(event)
