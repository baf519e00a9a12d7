"""The subcommands. Each parses nothing and decides nothing the package API can do itself.

Commands that only read or move checkpoints (list, history, rewind, export) open
the checkpointer and a graph of the novel's shape, never a model: they import
no model, embedder or server code.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from rich.text import Text

from recurrentgpt import novels
from recurrentgpt.cli.registry import NovelRecord, NovelRegistry
from recurrentgpt.cli.session import Session
from recurrentgpt.persistence import (
    checkpoint_location,
    open_checkpoint_reader,
    open_checkpointer,
)

DEFAULT_STEPS = 10


class CommandLineError(Exception):
    """A mistake in how the command was called."""


@asynccontextmanager
async def opened_graph(session: Session) -> AsyncIterator[Any]:
    """The co-writing graph of the session's data directory, with its checkpointer."""
    from recurrentgpt.graphs.cowriter import build_graph

    async with open_checkpointer(checkpoint_location(session.data_dir)) as saver:
        yield build_graph(session.services).compile(checkpointer=saver, name="recurrentgpt")


def _positive(args: argparse.Namespace, flag: str) -> int | None:
    value: int | None = getattr(args, flag, None)
    if value is not None and value <= 0:
        raise CommandLineError(f"--{flag} must be a positive number, got {value}")
    return value


def _settings_from(args: argparse.Namespace) -> dict[str, Any]:
    from dataclasses import fields

    from recurrentgpt.context import Context

    names = {f.name for f in fields(Context)}
    return {k: v for k, v in vars(args).items() if k in names and v is not None}


def _print_end(session: Session, values: dict[str, Any], thread_id: str) -> None:
    status = values.get("status", "")
    session.console.print(
        f"\nNovel {thread_id!r} {status}: {values.get('step', 0)} steps, "
        f"{values.get('words_written', 0)} words."
    )
    if status == "stopped":
        session.console.print(f"Continue with: recurrentgpt resume {thread_id}")
    session.console.print(f"Export it with: recurrentgpt export {thread_id}")


async def cmd_write(session: Session, args: argparse.Namespace) -> int:
    """Start a novel and write it to its target."""
    from recurrentgpt.nodes.common import templates_for

    premise = args.premise.strip()
    if not premise:
        raise CommandLineError("--premise is empty: say what the novel is about")
    thread_id = args.thread_id = args.thread_id or f"novel-{uuid.uuid4().hex[:8]}"
    registry = NovelRegistry(session.data_dir)
    steps, words = _positive(args, "steps"), _positive(args, "words")
    targets = {"target_steps": steps or 0, "target_words": words or 0}
    if not steps and not words:
        targets["target_steps"] = DEFAULT_STEPS
    record = NovelRecord(thread_id=thread_id, settings=_settings_from(args))
    # Fail early on bad settings and on templates naming unknown fields.
    templates_for(session.context_for(record))
    with registry.hold(thread_id):
        values = await _write_new(session, registry, record, args, premise, targets)
    _print_end(session, values, thread_id)
    return 0


async def _write_new(
    session: Session,
    registry: NovelRegistry,
    record: NovelRecord,
    args: argparse.Namespace,
    premise: str,
    targets: dict[str, int],
) -> dict[str, Any]:
    thread_id = record.thread_id
    async with opened_graph(session) as graph:
        # A record without saved state is a write stopped before its first checkpoint:
        # writing it again is the only way on (resume has no premise to start from).
        if await novels.has_saved_state(graph, thread_id):
            raise CommandLineError(f"novel {thread_id!r} already exists: use resume")
        registry.save(record)
        session.console.print(f"Writing novel {thread_id!r} in {session.data_dir!r}")
        language = {"language": args.language} if args.language else {}
        values: dict[str, Any] = await session.drive(
            graph, {"premise": premise, "genre": args.genre, **language, **targets}, record
        )
    return values


async def cmd_resume(session: Session, args: argparse.Namespace) -> int:
    """Continue a paused, stopped or cut-short novel; ``--steps N`` writes N more."""
    registry = NovelRegistry(session.data_dir)
    record = registry.load(args.thread_id)
    with registry.hold(record.thread_id):
        return await _resume(session, registry, record, args)


async def _resume(
    session: Session, registry: NovelRegistry, record: NovelRecord, args: argparse.Namespace
) -> int:
    if overrides := _settings_from(args):
        record.settings.update(overrides)
        registry.save(record)
    async with opened_graph(session) as graph:
        plan = await novels.prepare_resume(
            graph,
            record.thread_id,
            more_steps=_positive(args, "steps"),
            more_words=_positive(args, "words"),
        )
        if plan.nothing_to_do:
            values = (await graph.aget_state(novels.thread_config(record.thread_id))).values
            session.console.print(
                "This novel is finished; pass --steps N (or --words W) to write N more."
            )
            _print_end(session, dict(values), record.thread_id)
            return 0
        values = await session.drive(graph, plan.run_input, record)
    _print_end(session, values, record.thread_id)
    return 0


async def cmd_list(session: Session, args: argparse.Namespace) -> int:
    """List the novels with premise, progress, dates and their true status."""
    from recurrentgpt.cli.terminal import render_novels

    records = NovelRegistry(session.data_dir).all()
    if not records:
        session.console.print(f"No novels in {session.data_dir!r} yet.")
        return 0
    async with open_checkpoint_reader(checkpoint_location(session.data_dir)) as saver:
        summaries = [await novels.describe_novel(saver, r.thread_id) for r in records]
    session.console.print(
        render_novels(summaries, {r.thread_id: r.created for r in records}, session.console.width)
    )
    return 0


async def cmd_history(session: Session, args: argparse.Namespace) -> int:
    """One row per step of the current timeline (``--all``: every branch), newest first."""
    from recurrentgpt.cli.terminal import render_history

    NovelRegistry(session.data_dir).load(args.thread_id)
    async with open_checkpoint_reader(checkpoint_location(session.data_dir)) as saver:
        rows = await novels.history(saver, args.thread_id, all_branches=args.all)
    session.console.print(render_history(rows, session.console.width))
    return 0


async def cmd_rewind(session: Session, args: argparse.Namespace) -> int:
    """Make the pause after an earlier step current (a fork), keeping the target."""
    registry = NovelRegistry(session.data_dir)
    registry.load(args.thread_id)
    ref = args.to if args.to is not None else args.step
    if ref is None:
        raise CommandLineError("say where to go: rewind ID STEP_OR_CHECKPOINT_ID (see history)")
    with registry.hold(args.thread_id):
        async with opened_graph(session) as graph:
            row = await novels.rewind(graph, args.thread_id, str(ref))
    session.console.print(
        Text(
            f"Rewound {args.thread_id!r} to step {row.step} ({row.checkpoint_id}). Later "
            "paragraphs stay in history --all but not in this timeline. Continue with: "
            f"recurrentgpt resume {args.thread_id}"
        )
    )
    return 0


async def cmd_export(session: Session, args: argparse.Namespace) -> int:
    """Write the novel's current timeline to a Markdown, text, EPUB or DOCX file."""
    from recurrentgpt.export import export_novel
    from recurrentgpt.services import long_term_memory_for

    record = NovelRegistry(session.data_dir).load(args.thread_id)
    async with open_checkpoint_reader(checkpoint_location(session.data_dir)) as saver:
        saved = await novels.read_checkpoint(saver, record.thread_id)
    values = saved.values if saved else {}
    memory = await long_term_memory_for(session.services, session.context_for(record))
    out = args.out or os.path.join(session.data_dir, "exports", f"{record.thread_id}.{args.format}")
    await export_novel(memory, values, args.format, out)
    session.console.print(Text(f"Exported {args.thread_id!r} to {out}"))
    return 0


async def cmd_import(session: Session, args: argparse.Namespace) -> int:
    """Start a novel from a manuscript file; it pauses with three plans, as after an opening.

    The file is read and checked before anything is saved, so a bad file leaves
    no novel behind; an interrupted import continues with ``resume ID``.
    """
    from recurrentgpt.books import read_book_file
    from recurrentgpt.nodes.common import templates_for

    book = read_book_file(args.file)
    thread_id = args.thread_id = args.thread_id or f"novel-{uuid.uuid4().hex[:8]}"
    registry = NovelRegistry(session.data_dir)
    steps, words = _positive(args, "steps"), _positive(args, "words")
    targets = {"target_steps": steps or 0, "target_words": book.words() + words if words else 0}
    if not steps and not words:
        targets["target_steps"] = DEFAULT_STEPS
    record = NovelRecord(thread_id=thread_id, settings=_settings_from(args))
    templates_for(session.context_for(record))
    novel: dict[str, Any] = {"manuscript": book.as_input(), "genre": args.genre, **targets}
    for name in ("premise", "language"):
        if value := (getattr(args, name) or "").strip():
            novel[name] = value
    with registry.hold(thread_id):
        values = await _import_new(session, registry, record, args, book, novel)
    _print_end(session, values, thread_id)
    return 0


async def _import_new(
    session: Session,
    registry: NovelRegistry,
    record: NovelRecord,
    args: argparse.Namespace,
    book: Any,
    novel: dict[str, Any],
) -> dict[str, Any]:
    thread_id = record.thread_id
    async with opened_graph(session) as graph:
        if await novels.has_saved_state(graph, thread_id):  # see _write_new
            raise CommandLineError(f"novel {thread_id!r} already exists: use resume")
        registry.save(record)
        session.console.print(
            Text(
                f"Importing {args.file} as novel {thread_id!r}: {len(book.chapters)} chapters, "
                f"{len(book.paragraphs):,} paragraphs, {book.words():,} words"
            )
        )
        values: dict[str, Any] = await session.drive(graph, novel, record)
    return values


async def cmd_eval(session: Session, args: argparse.Namespace) -> int:
    """Report length, length score and repetition; a judge model adds its judgements.

    With ``--continuity`` the judge also lists the contradictions it finds.
    """
    from recurrentgpt.context import Context
    from recurrentgpt.evaluation import evaluate_novel, format_report
    from recurrentgpt.export import read_manuscript
    from recurrentgpt.services import build_chat_model, long_term_memory_for

    record = NovelRegistry(session.data_dir).load(args.thread_id)
    async with opened_graph(session) as graph:
        values = (await graph.aget_state(novels.thread_config(record.thread_id))).values
    context = session.context_for(record)
    memory = await long_term_memory_for(session.services, context)
    paragraphs = [p.text for p in await read_manuscript(memory, values)]
    if not paragraphs:
        raise CommandLineError(f"novel {record.thread_id!r} has no paragraphs yet")
    target = args.target_words or values.get("target_words") or None
    if args.continuity and not args.judge:
        raise CommandLineError("--continuity needs a judge model: add --judge MODEL")
    judge = None
    if args.judge:
        judge_context = Context(
            **{
                **record.settings,
                "data_dir": session.data_dir,
                "model": args.judge,
                **({"base_url": args.base_url} if args.base_url else {}),
            }
        )
        judge = build_chat_model(args.judge, context=judge_context, max_tokens=1024)
    result = await evaluate_novel(
        paragraphs, target, judge, continuity_judge=judge if args.continuity else None
    )
    session.console.print(Text(format_report(result)))
    return 0


async def cmd_play(session: Session, args: argparse.Namespace) -> int:
    """Play interactive fiction (``recurrentgpt.cli.play``)."""
    from recurrentgpt.cli.play import cmd_play as play

    return await play(session, args)


COMMANDS: dict[str, Callable[[Session, argparse.Namespace], Coroutine[Any, Any, int]]] = {
    "write": cmd_write,
    "resume": cmd_resume,
    "list": cmd_list,
    "history": cmd_history,
    "rewind": cmd_rewind,
    "export": cmd_export,
    "import": cmd_import,
    "eval": cmd_eval,
    "play": cmd_play,
}
