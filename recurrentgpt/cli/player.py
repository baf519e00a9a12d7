"""The terminal loop of ``recurrentgpt play``: scenes as they are written, then a choice.

A :class:`Player` runs the fiction graph and holds every pause with the reader:
a number takes an offered action, other text is the reader's own action
(checked before it is sent: empty or over-long text is refused here, as the
graph would refuse it), ``/rewind N`` goes back to the choice after scene N.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from recurrentgpt import novels
from recurrentgpt.cli.pause import StopAtPause
from recurrentgpt.cli.progress import StepView
from recurrentgpt.cli.registry import NovelRecord
from recurrentgpt.cli.session import STREAM_MODES, Session
from recurrentgpt.story import fiction

PLAY_PROMPT = "you> "
CHOOSE_HELP = (
    "[bold]1-3[/] take that action · or [bold]type what you do[/] · [bold]/path[/] your "
    "choices so far · [bold]/rewind N[/] back to the choice after scene N · [bold]/stop[/] "
    "(resume later)"
)
ENDING_HELP = (
    "[bold]Enter[/] close the story · [bold]/rewind N[/] back to the choice after scene N, "
    "and play on · [bold]/path[/] your choices"
)


@dataclass(frozen=True)
class Rewind:
    """The reader asked to go back to the choice after scene ``to``."""

    to: str


class ReaderView(StepView):
    """The live view of a run, told as a story: scenes, the reader's action, progress."""

    def __init__(self, console: Any, target: int) -> None:
        super().__init__(console)
        self.target = target
        self.last_scene = ""

    def _finished(self, node: str, values: dict[str, Any]) -> None:
        if node == "writer" and "draft_paragraph" in values:
            super()._finished(node, values)
            self.last_scene = str(values["draft_paragraph"])
        elif node == "memory_updater" and "step" in values:
            self.stop()
            of = f" of {self.target}" if self.target else ""
            self.console.print(Text(f"[scene {values['step']}{of}]\n", style="bold"))
        elif node == "human" and values.get("chosen_plan"):
            self.stop()
            self.console.print(Text(f"> {values['chosen_plan']}\n", style="bold italic"))


def render_choice(payload: dict[str, Any], show_scene: bool) -> RenderableType:
    """A pause of the story: where the reader is, the scene if not shown yet, the actions."""
    target = payload.get("target_steps") or 0
    step = payload.get("step", 0)
    where = f"scene {step} of {target}" if target else f"scene {step}"
    parts: list[RenderableType] = [
        Rule(Text(f"{payload.get('title', '')} · {where}", style="bold"))
    ]
    if show_scene:
        parts.append(Panel(Text(payload.get("paragraph", "")), title="Where you are"))
    if payload.get("kind") == "review_ending":
        ending = fiction.ending_label(payload.get("ending") or "")
        parts.append(Text(f"THE END ({ending}).", style="bold"))
    else:
        actions = Table.grid(padding=(0, 1))
        actions.add_column(justify="right", style="bold cyan")
        actions.add_column()
        for number, action in enumerate(payload.get("plans") or [], 1):
            actions.add_row(f"{number}.", action)
        parts += [Text("What do you do?"), actions]
    if payload.get("error"):
        parts.append(Text(f"! {payload['error']}", style="red"))
    return Group(*parts)


class Player:
    """Plays one story: runs the graph, holds every choice with the reader."""

    def __init__(self, session: Session, graph: Any, record: NovelRecord) -> None:
        self.session = session
        self.graph = graph
        self.record = record
        self.config = novels.thread_config(record.thread_id)
        self.shown_scene = ""

    async def play(self, first_input: Any) -> dict[str, Any]:
        """Run the story until it ends or the reader stops; returns its last values.

        Raises:
            StopAtPause: when the reader leaves a choice with Ctrl-C or Ctrl-D.
        """
        from langgraph.types import Command

        next_input = first_input
        while True:
            await self._run(next_input)
            snapshot = await self.graph.aget_state(self.config)
            if not snapshot.interrupts:
                return dict(snapshot.values)
            answer = await self.ask(snapshot.interrupts[0].value)
            if isinstance(answer, Rewind):
                await self.rewind(answer.to)
                next_input = None
            else:
                next_input = Command(resume=answer)

    async def rewind(self, to: str) -> None:
        """Go back to the choice after scene ``to`` (a fork: the later path is abandoned)."""
        row = await novels.rewind(self.graph, self.record.thread_id, to)
        self.session.console.print(
            Text(f"⟲ Back to the choice after scene {row.step}.", style="bold")
        )

    async def ask(self, payload: dict[str, Any]) -> dict[str, Any] | Rewind:
        """Show a choice and read the reader's answer until it is one the story can take."""
        console = self.session.console
        scene = str(payload.get("paragraph", ""))
        console.print(render_choice(payload, show_scene=scene != self.shown_scene))
        self.shown_scene = scene
        ending = payload.get("kind") == "review_ending"
        console.print(ENDING_HELP if ending else CHOOSE_HELP)
        while True:
            try:
                line = (await self.session.read(PLAY_PROMPT)).strip()
            except (KeyboardInterrupt, EOFError) as error:
                raise StopAtPause from error
            answer = await self.answer(line, payload, ending)
            if answer is not None:
                return answer

    async def answer(
        self, line: str, payload: dict[str, Any], ending: bool
    ) -> dict[str, Any] | Rewind | None:
        """The answer ``line`` stands for, or None after saying what is wrong with it."""
        console = self.session.console
        command, _, argument = line.partition(" ")
        if command in ("/rewind", "/r"):
            if argument.strip():
                return Rewind(argument.strip())
            console.print("[red]! say which scene:[/] /rewind N (see /path)")
            return None
        if command == "/path":
            await self.show_path()
            return None
        if command in ("/help", "/?"):
            console.print(ENDING_HELP if ending else CHOOSE_HELP)
            return None
        if ending:
            if not line:
                return {"stop": True}
            console.print("[red]! the story has ended:[/] Enter closes it, /rewind N plays on")
            return None
        if command in ("/stop", "/s"):
            return {"stop": True}
        plans = payload.get("plans") or []
        if line.isdigit():
            if 1 <= int(line) <= len(plans):
                return {"plan_index": int(line)}
            console.print(f"[red]! no action {line}[/] (there are {len(plans)})")
            return None
        if problem := fiction.action_problem(line):
            console.print(f"[red]! {problem}[/]")
            return None
        return {"plan": line}

    async def show_path(self) -> None:
        """The reader's choices on the current path, scene by scene."""
        rows = await novels.history(self.graph.checkpointer, self.record.thread_id)
        choices = fiction.choices_by_step(rows)
        if not choices:
            self.session.console.print("No choices yet.")
        for step in sorted(choices):
            self.session.console.print(Text(f"scene {step}: {choices[step]}"))

    async def _run(self, run_input: Any) -> None:
        context = self.session.context_for(self.record)
        values = (await self.graph.aget_state(self.config)).values or {}
        # A new story's target is in its input until the opening has run.
        target = values.get("target_steps") or (
            run_input.get("target_steps") if isinstance(run_input, dict) else 0
        )
        view = ReaderView(self.session.console, int(target or 0))
        try:
            async for mode, chunk in self.graph.astream(
                run_input, self.config, context=context, stream_mode=STREAM_MODES, durability="sync"
            ):
                update = view.handle(mode, chunk)
                if isinstance(update.get("start"), dict):
                    view.stop()
                    view.target = int(update["start"].get("target_steps") or view.target)
                    await self._show_opening(update["start"])
        finally:
            view.stop()
        if view.last_scene:
            self.shown_scene = view.last_scene

    async def _show_opening(self, values: dict[str, Any]) -> None:
        from recurrentgpt.export import read_manuscript
        from recurrentgpt.services import long_term_memory_for

        context = self.session.context_for(self.record)
        memory = await long_term_memory_for(self.session.services, context)
        opening = [passage.text for passage in await read_manuscript(memory, values)]
        self.shown_scene = opening[-1] if opening else ""
        self.session.console.print(
            Group(
                Rule(Text(values.get("title") or "Untitled", style="bold")),
                *(Text(paragraph + "\n") for paragraph in opening),
            )
        )
