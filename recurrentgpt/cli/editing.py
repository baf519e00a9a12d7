"""Editing a text at a pause: in $VISUAL / $EDITOR, or in a built-in editor.

An edit is either saved (new, non-empty text) or cancelled with a reason: an
editor that fails, an unchanged or empty save, or Ctrl-C in the built-in editor.
A cancelled edit changes nothing.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

LineReader = Callable[[str], Awaitable[str]]
"""Reads one line from the person, given a prompt (EOFError / KeyboardInterrupt to cancel)."""

END_OF_TEXT = "."
"""Typed alone on a line, ends a text typed line by line (no terminal, no editor)."""


@dataclass(frozen=True)
class EditResult:
    """The outcome of one edit: ``text`` when saved, else why it was cancelled."""

    text: str | None
    cancelled_because: str = ""


def configured_editor() -> str:
    """The person's editor command ($VISUAL, else $EDITOR), or '' for the built-in one."""
    return (os.environ.get("VISUAL") or os.environ.get("EDITOR") or "").strip()


def _outcome(original: str, edited: str) -> EditResult:
    edited = edited.strip()
    if not edited:
        return EditResult(None, "the text was empty: edit cancelled, nothing changed")
    if edited == original.strip():
        return EditResult(None, "no change saved: edit cancelled")
    return EditResult(edited)


def edit_in_external_editor(original: str, editor: str) -> EditResult:
    """Open ``original`` in ``editor`` (a command line); the saved file is the new text."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write(original)
        path = f.name
    try:
        try:
            finished = subprocess.run([*shlex.split(editor), path], check=False)
        except OSError as error:
            return EditResult(None, f"cannot start editor {editor!r} ({error}): edit cancelled")
        if finished.returncode != 0:
            return EditResult(
                None, f"the editor exited with status {finished.returncode}: edit cancelled"
            )
        with open(path, encoding="utf-8") as handle:
            return _outcome(original, handle.read())
    finally:
        os.unlink(path)


async def edit_in_terminal(original: str, what: str) -> EditResult:
    """Edit ``original`` in a multi-line editor inside the terminal (prompt_toolkit)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.formatted_text import HTML

    session: PromptSession[str] = PromptSession(multiline=True)
    try:
        edited = await session.prompt_async(
            HTML(
                f"<b>Editing {what}</b> · <i>Esc then Enter (or Alt-Enter) saves, "
                "Ctrl-C cancels</i>\n"
            ),
            default=original,
        )
    except (KeyboardInterrupt, EOFError):
        return EditResult(None, "edit cancelled, nothing changed")
    return _outcome(original, edited)


async def edit_line_by_line(original: str, what: str, read: LineReader) -> EditResult:
    """Read a replacement for ``original`` line by line, ended by a line with a single '.'."""
    lines = []
    try:
        while (line := await read(f"{what}> ")) != END_OF_TEXT:
            lines.append(line)
    except (KeyboardInterrupt, EOFError):
        return EditResult(None, "edit cancelled, nothing changed")
    return _outcome(original, "\n".join(lines))
