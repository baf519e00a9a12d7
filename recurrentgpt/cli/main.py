"""``recurrentgpt``: write, resume, list, rewind and export novels from a terminal.

Every step is checkpointed to SQLite in the data directory (durability "sync"),
so a crash, a bad model reply or Ctrl-C loses at most the step in progress, and
``recurrentgpt resume ID`` carries on from there.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
import uuid
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, StreamMode

from recurrentgpt.cli.registry import NovelRecord, NovelRegistry, UnknownNovelError
from recurrentgpt.cli.terminal import InputFunction, ask_decision, render_pause, wrap
from recurrentgpt.context import Context
from recurrentgpt.embeddings import EmbedderConfigError
from recurrentgpt.evaluation import evaluate_novel, format_report
from recurrentgpt.export import export_markdown, read_manuscript
from recurrentgpt.graphs.cowriter import build_graph
from recurrentgpt.llm import LLMReplyError, ModelUnreachableError
from recurrentgpt.local_llm import LocalLLMError
from recurrentgpt.long_term_memory import MemoryConfigError
from recurrentgpt.nodes.start import InvalidNovelInputError
from recurrentgpt.persistence import checkpoint_location, open_checkpointer
from recurrentgpt.services import (
    DefaultServices,
    Services,
    build_chat_model,
    long_term_memory_for,
)

DEFAULT_STEPS = 10
STREAM_MODES: list[StreamMode] = ["messages", "updates"]
CONTEXT_FIELDS = {f.name for f in fields(Context)}


class CommandLineError(Exception):
    """A mistake in how the command was called."""


USER_ERRORS: tuple[type[Exception], ...] = (
    CommandLineError,
    LLMReplyError,
    ModelUnreachableError,
    LocalLLMError,
    InvalidNovelInputError,
    MemoryConfigError,
    EmbedderConfigError,
    UnknownNovelError,
    ValueError,
    OSError,  # includes a full disk while writing exports or embedded Qdrant
    sqlite3.Error,  # e.g. "database or disk is full" while checkpointing
)


def _settings_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="chat model for every role, e.g. openai:gpt-4o-mini")
    parser.add_argument("--base-url", dest="base_url", help="OpenAI-compatible endpoint URL")
    parser.add_argument("--embedder", help="embedder, e.g. local:all-MiniLM-L6-v2 or hash:256")
    parser.add_argument(
        "--words-per-paragraph", dest="words_per_paragraph", type=int, help="target words"
    )
    parser.add_argument("--k", dest="retrieval_k", type=int, help="passages retrieved per step")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--interactive", dest="mode", action="store_const", const="interactive")
    mode.add_argument(
        "--auto", dest="mode", action="store_const", const="auto", help="an LLM plays the human"
    )
    mode.add_argument(
        "--auto-first",
        dest="mode",
        action="store_const",
        const="auto-first",
        help="always take plan 1 (deterministic)",
    )


def _target_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, help="paragraphs to write after the opening")
    parser.add_argument("--words", type=int, help="stop once the novel has this many words")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="recurrentgpt", description="Write arbitrarily long novels, one paragraph a step."
    )
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("RECURRENTGPT_DATA_DIR", "novels"),
        help="folder of checkpoints, long-term memory and exports (default: ./novels)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    write = commands.add_parser("write", help="start a new novel")
    write.add_argument("--premise", required=True, help="what the novel is about")
    write.add_argument("--genre", default="fiction")
    write.add_argument(
        "--language", help="language of the novel (default: English, env RECURRENTGPT_LANGUAGE)"
    )
    write.add_argument("--id", dest="thread_id", help="novel id (default: generated)")
    _target_flags(write)
    _settings_flags(write)

    resume = commands.add_parser("resume", help="continue a novel (or extend a finished one)")
    resume.add_argument("thread_id")
    _target_flags(resume)
    _settings_flags(resume)

    commands.add_parser("list", help="list the novels in the data directory")

    history = commands.add_parser("history", help="the steps of a novel you can rewind to")
    history.add_argument("thread_id")

    rewind = commands.add_parser("rewind", help="go back to the pause after step K")
    rewind.add_argument("thread_id")
    rewind.add_argument("--step", type=int, required=True)

    export = commands.add_parser("export", help="write the novel to a file")
    export.add_argument("thread_id")
    export.add_argument("--format", choices=("md", "txt"), default="md")
    export.add_argument("--out", help="output file (default: <data dir>/exports/<id>.<format>)")
    evaluate = commands.add_parser(
        "eval", help="length score, repetition and (with --judge) an LLM-judge comparison"
    )
    evaluate.add_argument("thread_id")
    evaluate.add_argument(
        "--target-words",
        dest="target_words",
        type=int,
        help="target length for the length score (default: the novel's)",
    )
    evaluate.add_argument(
        "--judge",
        help="chat model that judges the novel against a rolling-window baseline it writes, "
        "e.g. openai:gpt-4o (uses --base-url / OPENAI_* like any model)",
    )
    evaluate.add_argument(
        "--continuity",
        action="store_true",
        help="also ask the --judge model for contradictions, each quoting both passages "
        "(quotes not found in the text are dropped); reported per 10,000 words",
    )
    evaluate.add_argument("--base-url", dest="base_url", help="OpenAI-compatible endpoint URL")
    return parser


def _settings_from(args: argparse.Namespace) -> dict[str, Any]:
    return {
        name: value
        for name, value in vars(args).items()
        if name in CONTEXT_FIELDS and value is not None
    }


def _check_data_dir(data_dir: str) -> None:
    try:
        os.makedirs(data_dir, exist_ok=True)
    except OSError as error:
        raise CommandLineError(f"cannot create data dir {data_dir!r}: {error}") from error
    if not os.access(data_dir, os.R_OK | os.W_OK | os.X_OK):
        raise CommandLineError(f"data dir {data_dir!r} is not readable and writable")


class Session:
    """A data directory opened for one command: registry, graph, services."""

    def __init__(self, data_dir: str, services: Services, read: InputFunction) -> None:
        self.data_dir = data_dir
        self.registry = NovelRegistry(data_dir)
        self.services = services
        self.read = read

    def context_for(self, record: NovelRecord) -> Context:
        """The run context of a novel: its saved settings in this data directory."""
        return Context(**{**record.settings, "data_dir": self.data_dir})

    @staticmethod
    def config_for(thread_id: str) -> RunnableConfig:
        """The LangGraph config of a novel's thread."""
        return {"configurable": {"thread_id": thread_id}}

    async def drive(
        self,
        graph: CompiledStateGraph[Any, Any, Any, Any],
        first_input: Any,
        record: NovelRecord,
    ) -> dict[str, Any]:
        """Run the novel until it ends, asking the person at every pause.

        Streams the writer's tokens and prints progress after every step.
        """
        context = self.context_for(record)
        config = self.config_for(record.thread_id)
        next_input = first_input
        while True:
            stream: Any = graph.astream(
                next_input, config, context=context, stream_mode=STREAM_MODES, durability="sync"
            )
            async for mode, chunk in stream:
                if mode == "messages":
                    message, metadata = chunk
                    if metadata.get("langgraph_node") == "writer" and message.content:
                        sys.stdout.write(str(message.content))
                        sys.stdout.flush()
                elif mode == "updates":
                    self._report(chunk)
            state = await graph.aget_state(config)
            if not state.interrupts:
                return dict(state.values)
            payload = state.interrupts[0].value
            print(render_pause(payload))
            next_input = Command(resume=ask_decision(payload, self.read))

    @staticmethod
    def _report(update: dict[str, Any]) -> None:
        for node, values in update.items():
            if not isinstance(values, dict):
                continue
            if node == "start":
                print(f"\n# {values.get('title', '')}\n")
                print(wrap(values.get("outline", "")), "\n")
            elif node == "writer":
                print()
            elif node == "memory_updater":
                print(f"\n[step {values.get('step')} · {values.get('words_written')} words]\n")
            elif node == "human" and "chosen_plan" in values:
                print(f"Plan: {values['chosen_plan']}\n")


async def _with_graph(session: Session, command: str, args: argparse.Namespace) -> int:
    async with open_checkpointer(checkpoint_location(session.data_dir)) as saver:
        graph = build_graph(session.services).compile(checkpointer=saver, name="recurrentgpt")
        handler = COMMANDS[command]
        return await handler(session, graph, args)


def _targets(args: argparse.Namespace) -> dict[str, int]:
    targets = {}
    for flag, key in (("steps", "target_steps"), ("words", "target_words")):
        value = getattr(args, flag)
        if value is not None:
            if value <= 0:
                raise CommandLineError(f"--{flag} must be a positive number, got {value}")
            targets[key] = value
    return targets


def _print_finish(values: dict[str, Any], thread_id: str) -> None:
    status = values.get("status", "")
    print(
        f"\nNovel {thread_id!r} {status}: {values.get('step', 0)} steps, "
        f"{values.get('words_written', 0)} words."
    )
    print(f"Export it with: recurrentgpt export {thread_id}")


async def cmd_write(session: Session, graph: Any, args: argparse.Namespace) -> int:
    """Start a novel and write it to its target."""
    premise = args.premise.strip()
    if not premise:
        raise CommandLineError("--premise is empty: say what the novel is about")
    thread_id = args.thread_id = args.thread_id or f"novel-{uuid.uuid4().hex[:8]}"
    already_checkpointed = (await graph.aget_state(session.config_for(thread_id))).values
    if session.registry.exists(thread_id) or already_checkpointed:
        raise CommandLineError(f"novel {thread_id!r} already exists: use resume")
    targets = _targets(args) or {"target_steps": DEFAULT_STEPS}
    record = NovelRecord(thread_id=thread_id, settings=_settings_from(args))
    Context(**{**record.settings, "data_dir": session.data_dir})  # fail early on bad settings
    session.registry.save(record)
    print(f"Writing novel {thread_id!r} in {session.data_dir!r}")
    values = await session.drive(
        graph,
        {
            "premise": premise,
            "genre": args.genre,
            **({"language": args.language} if args.language else {}),
            **targets,
        },
        record,
    )
    _print_finish(values, thread_id)
    return 0


async def cmd_resume(session: Session, graph: Any, args: argparse.Namespace) -> int:
    """Continue a paused, failed or finished novel."""
    record = session.registry.load(args.thread_id)
    overrides = _settings_from(args)
    if overrides:
        record.settings.update(overrides)
        session.registry.save(record)
    config = session.config_for(record.thread_id)
    state = await graph.aget_state(config)
    if not state.values:
        raise CommandLineError(f"novel {record.thread_id!r} has no saved state yet")
    targets = _targets(args)
    next_input: Any
    if not state.next:
        if not targets:
            print("This novel is complete; pass --steps or --words to extend it.")
            _print_finish(dict(state.values), record.thread_id)
            return 0
        next_input = targets
    else:
        if targets:
            await graph.aupdate_state(config, targets)
            state = await graph.aget_state(config)
        if state.interrupts:
            payload = state.interrupts[0].value
            print(render_pause(payload))
            next_input = Command(resume=ask_decision(payload, session.read))
        else:
            next_input = None
    values = await session.drive(graph, next_input, record)
    _print_finish(values, record.thread_id)
    return 0


async def cmd_list(session: Session, graph: Any, args: argparse.Namespace) -> int:
    """List the novels with their progress."""
    records = session.registry.all()
    if not records:
        print(f"No novels in {session.data_dir!r} yet.")
    for record in records:
        values = (await graph.aget_state(session.config_for(record.thread_id))).values
        print(
            f"{record.thread_id}\t{values.get('status', 'new')}\tstep {values.get('step', 0)}"
            f"\t{values.get('words_written', 0)} words\t{values.get('title', '')}"
        )
    return 0


async def _pauses(graph: Any, thread_id: str) -> list[Any]:
    # A pause is a checkpoint whose next task is the human turn: one per step.
    return [
        snapshot
        async for snapshot in graph.aget_state_history(Session.config_for(thread_id))
        if snapshot.next == ("human",)
    ]


async def cmd_history(session: Session, graph: Any, args: argparse.Namespace) -> int:
    """Show the steps a novel can be rewound to, newest first."""
    session.registry.load(args.thread_id)
    for snapshot in await _pauses(graph, args.thread_id):
        values = snapshot.values
        plan = (values.get("chosen_plan") or "")[:60]
        print(
            f"step {values.get('step', 0):>4}  {values.get('words_written', 0):>7} words  "
            f"{snapshot.config['configurable']['checkpoint_id']}  {plan}"
        )
    return 0


async def cmd_rewind(session: Session, graph: Any, args: argparse.Namespace) -> int:
    """Make the pause after step K the novel's current state (a fork)."""
    session.registry.load(args.thread_id)
    pauses = await _pauses(graph, args.thread_id)
    target = next((p for p in pauses if p.values.get("step") == args.step), None)
    if target is None:
        steps = sorted({p.values.get("step", 0) for p in pauses})
        available = f"{steps[0]}..{steps[-1]}" if steps else "none"
        raise CommandLineError(f"no step {args.step} to rewind to (available: {available})")
    await graph.aupdate_state(target.config, {"status": "writing"}, as_node="planner")
    print(
        f"Rewound {args.thread_id!r} to step {args.step}. Later paragraphs stay in the history "
        f"but not in this timeline. Continue with: recurrentgpt resume {args.thread_id}"
    )
    return 0


async def cmd_export(session: Session, graph: Any, args: argparse.Namespace) -> int:
    """Write the novel's current timeline to a Markdown or text file."""
    record = session.registry.load(args.thread_id)
    values = (await graph.aget_state(session.config_for(record.thread_id))).values
    memory = await long_term_memory_for(session.services, session.context_for(record))
    if args.format == "md":
        text = await export_markdown(memory, values)
    else:
        text = "\n\n".join(p.text for p in await read_manuscript(memory, values)) + "\n"
    out = args.out or os.path.join(session.data_dir, "exports", f"{record.thread_id}.{args.format}")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(f"Exported {args.thread_id!r} to {out}")
    return 0


async def cmd_eval(session: Session, graph: Any, args: argparse.Namespace) -> int:
    """Report length, length score, repetition and, with a judge model, a pairwise judgement."""
    record = session.registry.load(args.thread_id)
    values = (await graph.aget_state(session.config_for(record.thread_id))).values
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
    print(format_report(result))
    return 0


COMMANDS = {
    "write": cmd_write,
    "resume": cmd_resume,
    "list": cmd_list,
    "history": cmd_history,
    "rewind": cmd_rewind,
    "export": cmd_export,
    "eval": cmd_eval,
}


def main(
    argv: Sequence[str] | None = None,
    *,
    services: Services | None = None,
    read: InputFunction = input,
) -> int:
    """Run the command line; returns the exit code (0 on success).

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).
        services: Models and memory to use (default: real ones from the settings).
        read: How to read a line from the person (default: ``input``).
    """
    args = build_parser().parse_args(argv)
    # Retries of unusable model replies are worth seeing, one line each.
    logging.basicConfig(level=logging.WARNING, format="recurrentgpt: %(message)s")
    try:
        _check_data_dir(args.data_dir)
        session = Session(args.data_dir, services or DefaultServices(), read)
        return asyncio.run(_with_graph(session, args.command, args))
    except KeyboardInterrupt:
        thread = getattr(args, "thread_id", None) or "<id>"
        print(f"\nStopped. Nothing is lost: recurrentgpt resume {thread}", file=sys.stderr)
        return 130
    except USER_ERRORS as error:
        print(f"recurrentgpt: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
