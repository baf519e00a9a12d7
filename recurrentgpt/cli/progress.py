"""What the terminal shows while a step runs: which role works, for how long, and the prose.

Tokens stream into a live region that is replaced, never kept: a rejected
attempt leaves only a one-line notice, and when the writer finishes the
paragraph printed is the one the novel keeps (with a notice when it differs
from what streamed, e.g. a trimmed loop).
"""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import BaseMessage
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.spinner import Spinner
from rich.text import Text

from recurrentgpt.llm import MODEL_RETRY, REPLY_REJECTED
from recurrentgpt.nodes.importer import IMPORT_PROGRESS

ROLE_ACTIVITY = {
    "start": "writing the opening",
    "import_manuscript": "importing the manuscript",
    "retriever": "retrieving related passages",
    "writer": "writing",
    "memory_updater": "remembering",
    "planner": "planning",
}
"""What each node is doing, as shown beside the elapsed time (others show their name)."""
STREAMED_NODES = ("start", "writer")
"""Nodes whose prose tokens are shown as they arrive."""


def _normalised(text: str) -> str:
    return " ".join(text.split())


class StepView:
    """The live region of one run, fed with the graph's stream events."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.activity = ""
        self.started = time.monotonic()
        self.attempt = ""
        self.attempt_id: str | None = None
        self.streamed = ""
        self.notices: list[str] = []
        self.stored: tuple[int, int] | None = None
        """Paragraphs of an import stored so far, and in all."""
        self.live = Live(
            console=console,
            get_renderable=self._render,
            refresh_per_second=8,
            transient=True,
        )

    def _render(self) -> RenderableType:
        parts: list[RenderableType] = []
        if self.attempt:
            parts.append(Text(self.attempt))
        parts += [Text(notice, style="yellow") for notice in self.notices]
        if self.stored:
            done, total = self.stored
            parts.append(Text(f"long-term memory: {done:,} of {total:,} paragraphs stored"))
            parts.append(ProgressBar(total=total, completed=done, width=40))
        if self.activity:
            elapsed = time.monotonic() - self.started
            parts.append(Spinner("dots", Text(f"{self.activity} · {elapsed:.0f} s", style="cyan")))
        return Group(*parts)

    def handle(self, mode: str, chunk: Any) -> dict[str, Any]:
        """Show one stream event; returns the node updates it carried (``{}`` if none)."""
        if mode == "tasks" and "result" not in chunk and chunk.get("name") in ROLE_ACTIVITY:
            self._begin(ROLE_ACTIVITY[chunk["name"]])
        elif mode == "messages":
            self._token(*chunk)
        elif mode == "custom" and isinstance(chunk, dict) and chunk.get("event") == REPLY_REJECTED:
            self._rejected(chunk)
        elif mode == "custom" and isinstance(chunk, dict) and chunk.get("event") == MODEL_RETRY:
            self._waiting(chunk)
        elif mode == "custom" and isinstance(chunk, dict) and chunk.get("event") == IMPORT_PROGRESS:
            self.stored = (int(chunk["stored"]), int(chunk["total"]))
        elif mode == "updates" and isinstance(chunk, dict):
            for node, values in chunk.items():
                if isinstance(values, dict):
                    self._finished(node, values)
            return chunk
        return {}

    def _begin(self, activity: str) -> None:
        self.activity, self.started = activity, time.monotonic()
        if not self.live.is_started:
            self.live.start()

    def _token(self, message: Any, metadata: dict[str, Any]) -> None:
        # A chunk's content may be a list of blocks: only its text is prose.
        text = message.text if isinstance(message, BaseMessage) else str(message)
        if metadata.get("langgraph_node") not in STREAMED_NODES or not text:
            return
        if message.id != self.attempt_id:
            self.attempt_id, self.attempt = message.id, ""
        self.attempt += text
        self.streamed = self.attempt

    def _rejected(self, event: dict[str, Any]) -> None:
        self.notices.append(
            f"↻ {event.get('role')} attempt {event.get('attempt')} not used "
            f"({event.get('problem')}); trying again"
        )
        self.attempt = ""

    def _waiting(self, event: dict[str, Any]) -> None:
        # One line per outage, updated in place: a long outage must not flood the screen.
        notice = (
            f"… the {event.get('role')} model's provider failed ({event.get('problem')}); "
            f"retry {event.get('retry')} in {event.get('wait_seconds')} s, nothing is lost"
        )
        if self.notices and self.notices[-1].startswith("… "):
            self.notices[-1] = notice
        else:
            self.notices.append(notice)
        self.attempt = ""  # whatever streamed before the fault is sent again

    def _finished(self, node: str, values: dict[str, Any]) -> None:
        if node == "writer" and "draft_paragraph" in values:
            self.stop()
            kept = str(values["draft_paragraph"])
            self.console.print(Text(kept + "\n"))
            if self.streamed and _normalised(kept) != _normalised(self.streamed):
                self.console.print(
                    Text("(shown as kept: the model's reply was trimmed)", style="yellow")
                )
        elif node == "memory_updater" and "step" in values:
            self.stop()
            self.console.print(
                Text(f"[step {values['step']} · {values.get('words_written', 0)} words]\n"),
                style="bold",
            )
        elif node == "import_manuscript" and "imported" in values:
            self.stop()
            imported = values["imported"]
            self.console.print(
                Text(
                    f"Imported {values.get('title', '')!r}: {imported['chapters']} chapters, "
                    f"{imported['paragraphs']:,} paragraphs, {imported['words']:,} words. "
                    f"The writing continues chapter {imported['chapters']}.\n"
                ),
                style="bold",
            )
        elif node == "human" and values.get("chosen_plan"):
            self.stop()
            self.console.print(Text(f"Plan: {values['chosen_plan']}\n", style="italic"))

    def stop(self) -> None:
        """End the live region (it vanishes), keeping its notices on screen."""
        if self.live.is_started:
            self.live.stop()
        for notice in self.notices:
            self.console.print(Text(notice, style="yellow"))
        self.notices, self.attempt, self.activity, self.stored = [], "", "", None
