"""Running a novel in the terminal: stream each step, then hold the pause with the person."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rich.console import Console

from recurrentgpt import novels
from recurrentgpt.cli.editing import (
    EditResult,
    LineReader,
    configured_editor,
    edit_in_external_editor,
    edit_in_terminal,
    edit_line_by_line,
)
from recurrentgpt.cli.registry import NovelRecord
from recurrentgpt.context import Context

if TYPE_CHECKING:
    from langgraph.types import StreamMode

    from recurrentgpt.services import Services

STREAM_MODES: list[StreamMode] = ["messages", "updates", "custom", "tasks"]


class Session:
    """A data directory opened for one command: where novels live and how to talk."""

    def __init__(
        self,
        data_dir: str,
        services: Services | None,
        console: Console,
        read: LineReader,
        *,
        terminal_editor: bool,
    ) -> None:
        self.data_dir = data_dir
        self._services = services
        self.console = console
        self.read = read
        self.terminal_editor = terminal_editor

    @property
    def services(self) -> Services:
        """Models and memory: the given ones, else real ones (built on first use)."""
        if self._services is None:
            from recurrentgpt.services import DefaultServices

            self._services = DefaultServices()
        return self._services

    def context_for(self, record: NovelRecord) -> Context:
        """The run context of a novel: its saved settings in this data directory."""
        return Context(**{**record.settings, "data_dir": self.data_dir})

    async def edit(self, original: str, what: str) -> EditResult:
        """Edit a text in $VISUAL/$EDITOR, else the built-in editor (line by line off a tty)."""
        if editor := configured_editor():
            return await asyncio.to_thread(edit_in_external_editor, original, editor)
        if self.terminal_editor:
            return await edit_in_terminal(original, what)
        self.console.print(f"Type the new {what}, then a line with a single '.'")
        return await edit_line_by_line(original, what, self.read)

    async def drive(self, graph: Any, first_input: Any, record: NovelRecord) -> dict[str, Any]:
        """Run the novel until it ends, holding every pause with the person.

        Raises:
            StopAtPause: when the person leaves a pause with Ctrl-C or Ctrl-D.
        """
        from langgraph.types import Command

        from recurrentgpt.cli.pause import PauseDialog

        context = self.context_for(record)
        config = novels.thread_config(record.thread_id)
        next_input = first_input
        while True:
            await self._run(graph, next_input, config, context)
            snapshot = await graph.aget_state(config)
            if not snapshot.interrupts:
                return dict(snapshot.values)
            warm_up = asyncio.create_task(self._warm_up(context))
            dialog = PauseDialog(
                snapshot.interrupts[0].value,
                console=self.console,
                read=self.read,
                edit=self.edit,
                save_edit=lambda field, text: novels.save_pending_edit(
                    graph, record.thread_id, field, text
                ),
            )
            decision = await dialog.ask()
            await warm_up
            next_input = Command(resume=decision)

    async def _warm_up(self, context: Context) -> None:
        # Load the embedder (and open memory) while the person reads the pause, so the
        # next step does not wait for it; a failure here surfaces in the step itself.
        from recurrentgpt.services import long_term_memory_for

        try:
            memory = await long_term_memory_for(self.services, context)
            embeddings = getattr(memory, "embeddings", None)
            if embeddings is not None:
                await asyncio.to_thread(embeddings.embed_query, "warm up")
        except Exception:
            return

    async def _run(self, graph: Any, run_input: Any, config: Any, context: Context) -> None:
        from recurrentgpt.cli.progress import StepView

        view = StepView(self.console)
        try:
            async for mode, chunk in graph.astream(
                run_input, config, context=context, stream_mode=STREAM_MODES, durability="sync"
            ):
                update = view.handle(mode, chunk)
                if isinstance(update.get("start"), dict):
                    view.stop()
                    await self._show_opening(update["start"], context)
        finally:
            view.stop()

    async def _show_opening(self, values: dict[str, Any], context: Context) -> None:
        from recurrentgpt.cli.terminal import render_opening
        from recurrentgpt.export import read_manuscript
        from recurrentgpt.services import long_term_memory_for

        memory = await long_term_memory_for(self.services, context)
        opening = [passage.text for passage in await read_manuscript(memory, values)]
        self.console.print(
            render_opening(values.get("title", ""), values.get("outline", ""), opening)
        )
