"""Talking to the novelist in a terminal: showing a pause and reading a decision."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Callable
from typing import Any

InputFunction = Callable[[str], str]

RULE_WIDTH = 72

CHOICE_PROMPT = (
    "Choose a plan [1-3] (Enter = 1), e = edit a plan, w = write your own plan, "
    "m = edit memory, p = edit paragraph, s = stop: "
)


def wrap(text: str) -> str:
    """Wrap prose to the terminal rule width, keeping paragraph breaks."""
    return "\n".join(
        textwrap.fill(line, RULE_WIDTH) if line.strip() else "" for line in text.splitlines()
    )


def render_pause(payload: dict[str, Any]) -> str:
    """The text shown at a pause: paragraph, short-term memory and the numbered plans."""
    target = payload.get("target_steps") or 0
    of_target = f" of {target}" if target else ""
    lines = [
        "─" * RULE_WIDTH,
        f"{payload.get('title', '')} · step {payload.get('step', 0)}{of_target} · "
        f"{payload.get('words_written', 0)} words",
        "─" * RULE_WIDTH,
        "Last paragraph:",
        wrap(payload.get("paragraph", "")),
        "",
        "Short-term memory:",
        wrap(payload.get("short_term_memory", "")),
        "",
    ]
    lines += story_lines(payload)
    lines.append("Plans:")
    for number, plan in enumerate(payload.get("plans", []), 1):
        lines.append(
            textwrap.fill(plan, RULE_WIDTH, initial_indent=f" {number}. ", subsequent_indent="    ")
        )
    if payload.get("error"):
        lines += ["", f"! {payload['error']}"]
    return "\n".join(lines)


def story_lines(payload: dict[str, Any]) -> list[str]:
    """Why the memory changed, the passages recalled and the chapter, for a pause."""
    lines: list[str] = []
    if payload.get("memory_rationale"):
        lines += ["Why the memory changed:", wrap(payload["memory_rationale"]), ""]
    passages = payload.get("retrieved_passages") or []
    if passages:
        lines.append("Recalled passages:")
        lines += [
            textwrap.shorten(p, RULE_WIDTH - 4, placeholder=" …", initial_indent=" - ")
            for p in passages
        ]
        lines.append("")
    if payload.get("chapter_outline"):
        lines += [f"Chapter {payload.get('chapter', 1)}:", wrap(payload["chapter_outline"]), ""]
    return lines


def edit_text(initial: str, read: InputFunction = input) -> str:
    """Let the person edit ``initial`` in $VISUAL/$EDITOR; without one, read lines.

    Returns the edited text, stripped.
    """
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        editor = next((e for e in ("nano", "vi") if shutil.which(e)), "")
    if not editor:
        print("No $EDITOR: type the new text, then a line with a single '.'")
        lines = []
        while (line := read("")) != ".":
            lines.append(line)
        return "\n".join(lines).strip()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write(initial)
        path = f.name
    try:
        subprocess.run([*shlex.split(editor), path], check=True)
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    finally:
        os.unlink(path)


def ask_decision(payload: dict[str, Any], read: InputFunction = input) -> dict[str, Any]:
    """Ask the person what to do at a pause; returns a resume value (HumanDecision dict).

    Memory and paragraph edits accumulate until a plan is chosen or the novel stopped.
    """
    plans: list[str] = payload.get("plans", [])
    decision: dict[str, Any] = {}
    while True:
        answer = read(CHOICE_PROMPT).strip()
        lowered = answer.lower()
        if lowered in ("", "1", "2", "3") and (lowered or plans):
            return {**decision, "plan_index": int(lowered or 1)}
        if lowered == "s":
            return {**decision, "stop": True}
        if lowered == "e":
            which = read(f"Edit which plan [1-{len(plans)}]? ").strip() or "1"
            if not which.isdigit() or not 1 <= int(which) <= len(plans):
                print(f"! no plan {which!r}")
                continue
            edited = edit_text(plans[int(which) - 1], read)
            if edited:
                return {**decision, "plan": edited}
            print("! empty plan ignored")
        elif lowered == "w":
            own = edit_text("", read)
            if own:
                return {**decision, "plan": own}
            print("! empty plan ignored")
        elif lowered == "m":
            edited = edit_text(payload.get("short_term_memory", ""), read)
            if edited:
                decision["short_term_memory"] = edited
                print("Memory updated; now choose a plan.")
        elif lowered == "p":
            edited = edit_text(payload.get("paragraph", ""), read)
            if edited:
                decision["paragraph"] = edited
                print("Paragraph updated; now choose a plan.")
        else:
            print(f"! {answer!r} is not a choice")
