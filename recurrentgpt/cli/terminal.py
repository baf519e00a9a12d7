"""How the novel looks in a terminal: the pause, the opening, lists and history (rich)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from recurrentgpt.novels import HistoryRow, NovelSummary, latest_text

PENDING_MARK = " [yellow](your edit, applied with your next choice)[/]"


PIPED_WIDTH = 160
"""Line width when the output is not a terminal: tables stay one line per row for scripts."""


def make_console() -> Console:
    """The console of the command line (plain and wide when not a terminal, e.g. piped)."""
    console = Console(highlight=False)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = PIPED_WIDTH
    return console


def heading(payload: dict[str, Any]) -> str:
    """Title, step (of target) and words, e.g. ``The Lighthouse · step 2 of 6 · 812 words``."""
    target = payload.get("target_steps") or 0
    of_target = f" of {target}" if target else ""
    return (
        f"{payload.get('title', '')} · step {payload.get('step', 0)}{of_target} · "
        f"{payload.get('words_written', 0)} words"
    )


def render_pause(payload: dict[str, Any]) -> RenderableType:
    """A pause: the last paragraph and memory (newest versions, edits marked) and the plans."""
    pending = payload.get("pending_edits") or {}
    reviewing = payload.get("kind") == "review_ending"
    parts: list[RenderableType] = [Rule(Text(heading(payload), style="bold"))]
    if reviewing:
        parts.append(Text("The novel has reached its target: review its ending.", style="bold"))
    parts.append(
        Panel(
            Text(latest_text(payload, "paragraph")),
            title="Last paragraph" + (PENDING_MARK if "paragraph" in pending else ""),
            title_align="left",
        )
    )
    parts.append(
        Panel(
            Text(latest_text(payload, "short_term_memory")),
            title="Short-term memory" + (PENDING_MARK if "short_term_memory" in pending else ""),
            title_align="left",
            style="dim",
        )
    )
    parts += story_panels(payload)
    plans = Table.grid(padding=(0, 1))
    plans.add_column(justify="right", style="bold cyan")
    plans.add_column()
    for number, plan in enumerate(payload.get("plans") or [], 1):
        plans.add_row(f"{number}.", plan)
    parts.append(Text("Plans for the next paragraph:" if not reviewing else "Plans, if you go on:"))
    parts.append(plans)
    if payload.get("notice"):
        parts.append(Text(f"* {payload['notice']}", style="yellow"))
    if payload.get("error"):
        parts.append(Text(f"! {payload['error']}", style="red"))
    return Group(*parts)


def story_panels(payload: dict[str, Any]) -> list[RenderableType]:
    """Why the memory changed, the passages recalled and the chapter, for a pause."""
    panels: list[RenderableType] = []
    if payload.get("memory_rationale"):
        panels.append(
            Panel(
                Text(payload["memory_rationale"]),
                title="Why the memory changed",
                title_align="left",
                style="dim",
            )
        )
    passages = payload.get("retrieved_passages") or []
    if passages:
        recalled = Text("\n".join(f"- {_short(p, 200)}" for p in passages))
        panels.append(Panel(recalled, title="Recalled passages", title_align="left", style="dim"))
    if payload.get("chapter_outline"):
        panels.append(
            Panel(
                Text(payload["chapter_outline"]),
                title=f"Chapter {payload.get('chapter', 1)}",
                title_align="left",
            )
        )
    return panels


def render_opening(title: str, outline: str, paragraphs: Sequence[str]) -> RenderableType:
    """The novel's first view: its title, outline and every opening paragraph."""
    return Group(
        Rule(Text(title or "Untitled", style="bold")),
        Panel(Text(outline), title="Outline", title_align="left", style="dim"),
        *(Text(paragraph + "\n") for paragraph in paragraphs),
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> RenderableType:
    """Rows in aligned columns, one line each.

    Only the last column is cut (with an ellipsis) to fit ``width``, so ids and
    numbers stay whole and copyable.
    """
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(headers)]
    lines = []
    for row in [headers, *rows]:
        line = "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:-1]))
        room = width - len(line) - 2
        last = row[-1] if len(row[-1]) <= room else row[-1][: max(0, room - 1)] + "…" * (room > 0)
        lines.append(f"{line}  {last}".rstrip())
    return Text("\n".join(lines))


def render_novels(
    novels: Sequence[NovelSummary], created: dict[str, float], width: int
) -> RenderableType:
    """The list of novels: id, status, progress, dates, title and premise."""
    rows = [
        (
            novel.thread_id,
            novel.status,
            f"{novel.step}/{novel.target_steps}" if novel.target_steps else str(novel.step),
            str(novel.words_written),
            datetime.fromtimestamp(created.get(novel.thread_id, 0), UTC).strftime("%Y-%m-%d"),
            novel.updated_at[:16].replace("T", " "),
            _short(novel.title, 24),
            _short(novel.premise, 60),
        )
        for novel in novels
    ]
    headers = ("id", "status", "step", "words", "created", "updated", "title", "premise")
    return _table(headers, rows, width)


def render_history(rows: Sequence[HistoryRow], width: int) -> RenderableType:
    """History rows: step, words, checkpoint id (for rewind), branch flag, plan."""
    lines = [
        (
            str(row.step),
            str(row.words_written),
            row.checkpoint_id,
            "current" if row.on_timeline else "other",
            _short(row.plan or ("(opening)" if row.step == 0 else ""), 60),
        )
        for row in rows
    ]
    return _table(("step", "words", "checkpoint id", "branch", "plan"), lines, width)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
