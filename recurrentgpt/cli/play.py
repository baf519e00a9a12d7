"""``recurrentgpt play``: interactive fiction in the terminal, with the reader as protagonist.

``play --premise P`` opens a story in the fiction form and plays it to an
ending: each scene is shown as it is written, then three numbered actions;
the reader types a number, or what they do in their own words. ``play ID``
resumes a story where it stands (it is checkpointed at every step, like a
novel). At an ending, or at any choice, ``/rewind N`` goes back to the choice
after scene N and plays on from there (the abandoned path is never recalled);
``play ID --export`` writes the story as read, ``--choices`` with the reader's
actions between the scenes. ``--auto`` lets a simulated reader choose.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from recurrentgpt.story import fiction

if TYPE_CHECKING:
    from recurrentgpt.cli.registry import NovelRecord
    from recurrentgpt.cli.session import Session


class PlayError(ValueError):
    """A mistake in how ``play`` was called."""


def add_play_parser(
    commands: Any, settings_flags: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Add the ``play`` subcommand to the command line's subparsers."""
    play = commands.add_parser(
        "play", help="play interactive fiction: you are the protagonist, you choose"
    )
    play.add_argument(
        "thread_id", nargs="?", help="the story's id: a story to resume, or the new one's"
    )
    play.add_argument("--premise", help="start a new story about this")
    play.add_argument("--genre", default="adventure", help="genre (horror, fantasy...)")
    play.add_argument(
        "--language", help="language of the story (default: English, env RECURRENTGPT_LANGUAGE)"
    )
    play.add_argument(
        "--scenes",
        type=int,
        help=f"scenes after the opening (default: {fiction.DEFAULT_SCENES})",
    )
    play.add_argument("--rewind", help="first go back to the choice after this scene")
    play.add_argument(
        "--export", action="store_true", help="write the story as read (Markdown) and exit"
    )
    play.add_argument("--choices", action="store_true", help="with --export: show your actions")
    play.add_argument("--out", help="with --export: output file")
    settings_flags(play)


@asynccontextmanager
async def opened_fiction_graph(session: Session) -> AsyncIterator[Any]:
    """The interactive-fiction graph of the session's data directory, with its checkpointer."""
    from recurrentgpt.graphs.fiction import GRAPH_NAME, build_fiction_graph
    from recurrentgpt.persistence import checkpoint_location, open_checkpointer

    async with open_checkpointer(checkpoint_location(session.data_dir)) as saver:
        yield build_fiction_graph(session.services).compile(checkpointer=saver, name=GRAPH_NAME)


def _settings_from(args: argparse.Namespace) -> dict[str, Any]:
    from dataclasses import fields

    from recurrentgpt.context import Context

    names = {f.name for f in fields(Context)}
    settings = {k: v for k, v in vars(args).items() if k in names and v is not None}
    return {**settings, "story_form": fiction.FICTION}


async def _first_input(
    session: Session, graph: Any, args: argparse.Namespace
) -> tuple[NovelRecord, Any]:
    """The story to play and what to run first: a new story's input, or None to continue.

    A finished story resumed without ``--rewind`` has nothing to run: its
    :class:`~recurrentgpt.novels.ResumePlan` is returned instead.
    """
    from recurrentgpt import novels
    from recurrentgpt.cli.player import Player
    from recurrentgpt.cli.registry import NovelRecord, NovelRegistry
    from recurrentgpt.nodes.common import templates_for

    registry = NovelRegistry(session.data_dir)
    if args.premise is not None:
        premise = args.premise.strip()
        if not premise:
            raise PlayError("--premise is empty: say what the story is about")
        if args.scenes is not None and args.scenes <= 0:
            raise PlayError(f"--scenes must be a positive number, got {args.scenes}")
        thread_id = args.thread_id or f"story-{uuid.uuid4().hex[:8]}"
        if registry.exists(thread_id) or await novels.has_saved_state(graph, thread_id):
            raise PlayError(f"story {thread_id!r} already exists: play {thread_id} resumes it")
        record = NovelRecord(thread_id=thread_id, settings=_settings_from(args))
        # Fail on bad settings or templates before the story is registered.
        templates_for(session.context_for(record))
        registry.save(record)
        language = {"language": args.language} if args.language else {}
        scenes = args.scenes or fiction.DEFAULT_SCENES
        session.console.print(
            f"Playing story {thread_id!r} (resume with: recurrentgpt play {thread_id})"
        )
        return record, {
            "premise": premise,
            "genre": args.genre,
            "form": fiction.FICTION,
            "target_steps": scenes,
            **language,
        }
    if not args.thread_id:
        raise PlayError("say which story: play ID to resume one, or play --premise ... to start")
    record = registry.load(args.thread_id)
    values = (await graph.aget_state(novels.thread_config(record.thread_id))).values or {}
    if values and not fiction.is_fiction(values):
        raise PlayError(f"{record.thread_id!r} is a novel, not a story to play: use resume")
    if overrides := {k: v for k, v in _settings_from(args).items() if k != "story_form"}:
        record.settings.update(overrides)
        registry.save(record)
    if args.rewind:
        await Player(session, graph, record).rewind(args.rewind)
        return record, None
    plan = await novels.prepare_resume(graph, record.thread_id)
    if plan.nothing_to_do:
        return record, plan
    return record, plan.run_input


async def _export(session: Session, graph: Any, args: argparse.Namespace) -> int:
    from rich.text import Text

    from recurrentgpt import novels
    from recurrentgpt.cli.registry import NovelRegistry
    from recurrentgpt.export import read_manuscript
    from recurrentgpt.services import long_term_memory_for

    if not args.thread_id:
        raise PlayError("say which story to export: play ID --export")
    record = NovelRegistry(session.data_dir).load(args.thread_id)
    values = (await graph.aget_state(novels.thread_config(record.thread_id))).values or {}
    memory = await long_term_memory_for(session.services, session.context_for(record))
    passages = await read_manuscript(memory, values)
    choices = None
    if args.choices:
        choices = fiction.choices_by_step(
            await novels.history(graph.checkpointer, record.thread_id)
        )
    out = args.out or os.path.join(session.data_dir, "exports", f"{record.thread_id}.md")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(fiction.story_as_read(values, passages, choices))
    session.console.print(Text(f"Exported {record.thread_id!r} to {out}"))
    return 0


def _print_end(session: Session, values: dict[str, Any], thread_id: str) -> None:
    console = session.console
    if values.get("status") == "stopped":
        console.print(f"\nStory {thread_id!r} paused. Continue with: recurrentgpt play {thread_id}")
        return
    ending = fiction.ending_label(values.get("ending") or "")
    console.print(
        f"\nStory {thread_id!r} ended ({ending}) after {values.get('step', 0)} scenes, "
        f"{values.get('words_written', 0)} words."
    )
    console.print(
        f"Play on from an earlier choice: recurrentgpt play {thread_id} --rewind N · "
        f"read it: recurrentgpt play {thread_id} --export --choices"
    )


async def cmd_play(session: Session, args: argparse.Namespace) -> int:
    """Start, resume, rewind or export a story in the fiction form."""
    from recurrentgpt import novels
    from recurrentgpt.cli.pause import StopAtPause
    from recurrentgpt.cli.player import Player

    async with opened_fiction_graph(session) as graph:
        if args.export:
            return await _export(session, graph, args)
        record, first_input = await _first_input(session, graph, args)
        if isinstance(first_input, novels.ResumePlan):
            values = dict((await graph.aget_state(novels.thread_config(record.thread_id))).values)
        else:
            try:
                values = await Player(session, graph, record).play(first_input)
            except StopAtPause:
                values = {"status": "stopped"}
    _print_end(session, values, record.thread_id)
    return 0
