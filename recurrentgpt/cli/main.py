"""``recurrentgpt``: write, import, resume, list, rewind and export novels from a terminal.

Every step is checkpointed to SQLite in the data directory (durability "sync"),
so a crash, a bad model reply or Ctrl-C loses at most the step in progress, and
``recurrentgpt resume ID`` carries on from there. Edits made at a pause are in
the checkpoint as soon as they are saved.

Heavy modules (models, embedders, the graph) are imported by the commands that
need them, so commands that only read answer quickly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from recurrentgpt.cli.play import add_play_parser
from recurrentgpt.cli.registry import NovelBusyError, UnknownNovelError
from recurrentgpt.novels import NovelStateError

if TYPE_CHECKING:
    from recurrentgpt.services import Services

InputFunction = Callable[[str], str]
"""Reads one line given a prompt, like ``input`` (tests pass a scripted one)."""

LAZY_USER_ERRORS = (
    ("recurrentgpt.llm", "LLMReplyError"),
    ("recurrentgpt.llm", "ModelUnreachableError"),
    ("recurrentgpt.llm", "ModelRequestError"),
    ("recurrentgpt.local_llm", "LocalLLMError"),
    ("recurrentgpt.memory", "MemoryConfigError"),
)
"""Errors of modules a command may not have imported: reported as one line when raised."""

ERROR_LOG = "recurrentgpt.log"
"""File in the data dir where the traceback of every error a command ends with is kept."""
ERROR_LOG_BYTES = 1_000_000
"""The log is moved to ``recurrentgpt.log.1`` when it grows past this."""
INTERNAL_ERROR_EXIT = 70
"""Exit code of an internal error (sysexits EX_SOFTWARE; argparse uses 2 for usage)."""


def _settings_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="chat model for every role, e.g. openai:gpt-4o-mini")
    parser.add_argument("--base-url", dest="base_url", help="OpenAI-compatible endpoint URL")
    parser.add_argument(
        "--embedder",
        help="embedder, e.g. local:all-mpnet-base-v2 (default), local:all-MiniLM-L6-v2 or hash:256",
    )
    parser.add_argument(
        "--words-per-paragraph", dest="words_per_paragraph", type=int, help="target words"
    )
    parser.add_argument("--k", dest="retrieval_k", type=int, help="passages retrieved per step")
    parser.add_argument(
        "--paragraphs-per-chapter",
        dest="paragraphs_per_chapter",
        type=int,
        help="paragraphs (steps) per chapter",
    )
    parser.add_argument(
        "--templates",
        dest="templates_dir",
        help="folder of your own prompt templates (<role>.txt) overriding ours",
    )
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="recurrentgpt", description="Write arbitrarily long novels, one paragraph a step."
    )
    parser.add_argument(
        "--data-dir",
        help="folder of checkpoints, long-term memory and exports "
        "(default: env RECURRENTGPT_DATA_DIR, else your user data folder)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help=f"print the traceback of an error (it is always kept in <data dir>/{ERROR_LOG})",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    write = commands.add_parser("write", help="start a new novel")
    write.add_argument("--premise", required=True, help="what the novel is about")
    write.add_argument("--genre", default="fiction")
    write.add_argument(
        "--language", help="language of the novel (default: English, env RECURRENTGPT_LANGUAGE)"
    )
    write.add_argument("--id", dest="thread_id", help="novel id (default: generated)")
    write.add_argument("--steps", type=int, help="paragraphs to write after the opening")
    write.add_argument("--words", type=int, help="stop once the novel has this many words")
    _settings_flags(write)

    resume = commands.add_parser("resume", help="continue a novel, or write more of it")
    resume.add_argument("thread_id")
    resume.add_argument("--steps", type=int, help="write this many more paragraphs")
    resume.add_argument("--words", type=int, help="write about this many more words")
    _settings_flags(resume)

    commands.add_parser("list", help="the novels in the data directory")

    history = commands.add_parser("history", help="the steps of a novel you can rewind to")
    history.add_argument("thread_id")
    history.add_argument("--all", action="store_true", help="include abandoned branches")

    rewind = commands.add_parser("rewind", help="go back to the pause after an earlier step")
    rewind.add_argument("thread_id")
    rewind.add_argument("to", nargs="?", help="a step number or a checkpoint id from history")
    rewind.add_argument("--step", type=int, help="the step to go back to")

    export = commands.add_parser("export", help="write the novel to a file")
    export.add_argument("thread_id")
    export.add_argument("--format", choices=("md", "txt", "epub", "docx"), default="md")
    export.add_argument("--out", help="output file (default: <data dir>/exports/<id>.<format>)")

    imports = commands.add_parser(
        "import", help="start a novel from your manuscript (txt, md, docx, epub) and continue it"
    )
    imports.add_argument("file", help="the manuscript: .txt, .md, .docx or .epub")
    imports.add_argument("--premise", help="what the novel is about (default: from the file)")
    imports.add_argument("--genre", default="fiction")
    imports.add_argument("--language", help="language of the novel (default: from the file)")
    imports.add_argument("--id", dest="thread_id", help="novel id (default: generated)")
    imports.add_argument("--steps", type=int, help="paragraphs to write after the manuscript")
    imports.add_argument("--words", type=int, help="words to write after the manuscript")
    _settings_flags(imports)

    add_play_parser(commands, _settings_flags)

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


def _user_error_types() -> tuple[type[BaseException], ...]:
    from recurrentgpt.cli.commands import CommandLineError

    lazy = [
        getattr(sys.modules[module], name)
        for module, name in LAZY_USER_ERRORS
        if module in sys.modules
    ]
    return (
        CommandLineError,
        UnknownNovelError,
        NovelBusyError,
        NovelStateError,
        *lazy,
        ValueError,  # includes bad settings, an unknown embedder, a bad novel input
        OSError,  # includes a full disk while writing exports or embedded Qdrant
        sqlite3.Error,  # e.g. "database or disk is full" while checkpointing
    )


def keep_traceback(data_dir: str | None, error: BaseException) -> str | None:
    """Append ``error``'s traceback to the data dir's error log; return the log's path.

    Returns None when there is no data dir yet (an error must not create one) or the
    log cannot be written (a full disk must not hide the error itself).
    """
    if not data_dir or not os.path.isdir(data_dir):
        return None
    path = os.path.join(data_dir, ERROR_LOG)
    try:
        if os.path.exists(path) and os.path.getsize(path) > ERROR_LOG_BYTES:
            os.replace(path, path + ".1")
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(sys.argv)}\n")
            log.write("".join(traceback.format_exception(error)))
    except OSError:
        return None
    return path


def _async_reader(read: InputFunction | None) -> tuple[Callable[[str], Awaitable[str]], bool]:
    """How to read a line, and whether the built-in full-screen editor can be used."""
    if read is None and sys.stdin.isatty() and sys.stdout.isatty():
        from prompt_toolkit import PromptSession

        prompt_session: Any = PromptSession()
        return prompt_session.prompt_async, True
    line_reader = read or input

    async def read_line(prompt: str) -> str:
        # In a thread, so Ctrl-C reaches the event loop at once (and cancels the wait).
        return await asyncio.to_thread(line_reader, prompt)

    return read_line, False


def main(
    argv: Sequence[str] | None = None,
    *,
    services: Services | None = None,
    read: InputFunction | None = None,
) -> int:
    """Run the command line; returns the exit code (0 on success).

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).
        services: Models and memory to use (default: real ones from the settings).
        read: How to read a line from the person (default: an editable prompt in a
            terminal, else ``input``).
    """
    from recurrentgpt.cli.data_dir import resolve_data_dir
    from recurrentgpt.cli.terminal import make_console

    args = build_parser().parse_args(argv)
    console = make_console()
    logging.basicConfig(level=logging.WARNING, format="recurrentgpt: %(message)s")
    # Unusable model replies are shown by the step view, in place, not as log lines.
    llm_log = logging.getLogger("recurrentgpt.llm")
    if llm_log.level == logging.NOTSET:
        llm_log.setLevel(logging.ERROR)
    thread = getattr(args, "thread_id", None) or "<id>"
    data_dir: str | None = None
    try:
        data_dir = resolve_data_dir(args.data_dir, console)
        from recurrentgpt.cli.commands import COMMANDS
        from recurrentgpt.cli.pause import StopAtPause
        from recurrentgpt.cli.session import Session

        reader, terminal_editor = _async_reader(read)
        session = Session(data_dir, services, console, reader, terminal_editor=terminal_editor)
        try:
            return asyncio.run(COMMANDS[args.command](session, args))
        except StopAtPause:
            console.print(
                f"\nStopped at the pause; your edits there are saved. "
                f"Continue with: recurrentgpt resume {thread}"
            )
            return 0
    except KeyboardInterrupt:
        print(
            f"\nStopped mid-step; everything up to the last finished role is saved. "
            f"Continue with: recurrentgpt resume {thread}",
            file=sys.stderr,
        )
        return 130
    except Exception as error:
        log = keep_traceback(data_dir, error)
        if args.debug:
            traceback.print_exception(error)
        if isinstance(error, _user_error_types()):
            print(f"recurrentgpt: error: {error}", file=sys.stderr)
            return 1
        # A bug of ours, not the person's input: say so, and where the traceback is.
        kept = f"the traceback is in {log}" if log else "the traceback could not be saved"
        print(
            f"recurrentgpt: internal error (a bug, not your input): "
            f"{type(error).__name__}: {error}\n{kept}; run with --debug to print it. "
            f"The novel is saved at its last checkpoint.",
            file=sys.stderr,
        )
        return INTERNAL_ERROR_EXIT


if __name__ == "__main__":
    sys.exit(main())
