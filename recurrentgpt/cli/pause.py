"""The conversation at a pause: read the person's choices and turn them into a resume value.

Memory and paragraph edits are saved in the checkpoint the moment they are made
(through ``save_edit``), so they survive Ctrl-C, Ctrl-D, a crash or a closed
terminal; each edit opens the newest text. Ctrl-C or Ctrl-D at the prompt stops
like ``s``: the novel waits at this pause with its edits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rich.console import Console

from recurrentgpt.cli.editing import EditResult, LineReader
from recurrentgpt.cli.terminal import render_pause
from recurrentgpt.novels import latest_text

EditFunction = Callable[[str, str], Awaitable[EditResult]]
"""Edits a text: ``(original, what it is)`` -> the outcome."""
SaveEdit = Callable[[str, str], Awaitable[dict[str, str]]]
"""Saves a pending edit ``(field, text)``; returns every edit pending at the pause."""

CHOOSE_HELP = (
    "[bold]1-3[/] choose a plan (Enter = 1) · [bold]e[/] [dim]N[/] edit plan N · "
    "[bold]w[/] write your own plan · [bold]m[/] edit memory · [bold]p[/] edit paragraph · "
    "[bold]s[/] stop (resume later)"
)
REVIEW_HELP = (
    "[bold]Enter[/] finish the novel · [bold]+N[/] write N more paragraphs · "
    "[bold]m[/] edit memory · [bold]p[/] edit the last paragraph · Ctrl-C: decide later"
)
CHOICE_PROMPT = "choice> "
EDITABLE = {"m": ("short_term_memory", "the short-term memory"), "p": ("paragraph", "paragraph")}


class StopAtPause(Exception):
    """The person left the pause (Ctrl-C or Ctrl-D): the novel waits there."""


class PauseDialog:
    """One pause: shows it, then reads commands until the person decides."""

    def __init__(
        self,
        payload: dict[str, Any],
        *,
        console: Console,
        read: LineReader,
        edit: EditFunction,
        save_edit: SaveEdit,
    ) -> None:
        self.payload = dict(payload)
        self.console = console
        self.read = read
        self.edit = edit
        self.save_edit = save_edit

    @property
    def plans(self) -> list[str]:
        """The plans offered at this pause."""
        return list(self.payload.get("plans") or [])

    @property
    def reviewing(self) -> bool:
        """Whether this is the last pause, at the novel's target."""
        return self.payload.get("kind") == "review_ending"

    async def ask(self) -> dict[str, Any]:
        """Show the pause and return the resume value the person chose.

        Raises:
            StopAtPause: on Ctrl-C or Ctrl-D at the prompt.
        """
        self.console.print(render_pause(self.payload))
        self.console.print(REVIEW_HELP if self.reviewing else CHOOSE_HELP)
        while True:
            answer = (await self._read(CHOICE_PROMPT)).strip()
            decision = await self.handle(answer)
            if decision is not None:
                return decision

    async def _read(self, prompt: str) -> str:
        try:
            return await self.read(prompt)
        except (KeyboardInterrupt, EOFError) as error:
            raise StopAtPause from error

    async def handle(self, answer: str) -> dict[str, Any] | None:
        """Act on one command; returns the resume value once the person has decided."""
        command, _, argument = answer.lower().partition(" ")
        if command == "s":
            return {"stop": True}
        if command in EDITABLE:
            await self._edit_pending(*EDITABLE[command])
            return None
        if command in ("?", "h", "help"):
            self.console.print(REVIEW_HELP if self.reviewing else CHOOSE_HELP)
            return None
        if self.reviewing:
            return await self._review_answer(answer)
        return await self._choose_answer(command, argument.strip())

    async def _choose_answer(self, command: str, argument: str) -> dict[str, Any] | None:
        if command in ("", "1", "2", "3") and self._plan_number(command or "1"):
            return {"plan_index": int(command or 1)}
        if command == "e":
            number = self._plan_number(argument or await self._read("Edit which plan? "))
            if number:
                return await self._edited_plan(self.plans[number - 1], f"plan {number}")
            return None
        if command == "w":
            return await self._edited_plan("", "your own plan")
        self.console.print(
            f"[red]! {command!r} is not a choice.[/] Type 1-3, e, w, m, p or s (? for help)."
        )
        return None

    async def _review_answer(self, answer: str) -> dict[str, Any] | None:
        if answer in ("", "f"):
            return {"stop": True}
        more = answer.lstrip("+").strip()
        if answer.startswith("+") and more.isdigit() and int(more) > 0:
            number = self._plan_number(await self._read("Plan for the next paragraph [1-3]? "))
            if number:
                return {"extend_steps": int(more), "plan_index": number}
            return None
        self.console.print(
            f"[red]! {answer!r} is not a choice.[/] Enter finishes, +N writes N more, "
            "m or p edits, s stops."
        )
        return None

    def _plan_number(self, text: str) -> int | None:
        text = text.strip() or "1"
        if text.isdigit() and 1 <= int(text) <= len(self.plans):
            return int(text)
        self.console.print(f"[red]! no plan {text!r}[/] (there are {len(self.plans)})")
        return None

    async def _edited_plan(self, original: str, what: str) -> dict[str, Any] | None:
        result = await self.edit(original, what)
        if result.text is None:
            self.console.print(f"[yellow]{result.cancelled_because}[/]")
            return None
        return {"plan": result.text}

    async def _edit_pending(self, field: str, what: str) -> None:
        result = await self.edit(latest_text(self.payload, field), what)
        if result.text is None:
            self.console.print(f"[yellow]{result.cancelled_because}[/]")
            return
        self.payload["pending_edits"] = await self.save_edit(field, result.text)
        self.console.print(
            f"[green]Saved your edit of {what}[/] (kept if you quit; applied with your next "
            "choice). Now choose."
        )
