"""SIGKILL the command line at random moments and check that the novel survives each kill.

The real CLI runs as its own process with the scripted model
(tests/cli/scripted_cli.py), the real SQLite checkpointer and the embedded Qdrant
engine in a data dir. Each round picks an operation the novel's state allows
(write, resume, resume --steps N, rewind to an earlier step, export), starts it and
kills it (SIGKILL, no clean-up) after a random delay; a process that ends before
its kill counts as "finished". After every kill the data dir is opened in-process
and the current timeline checked (tests/invariants.py: paragraphs contiguous, each
exactly once, ending at the state's last paragraph). At the end, plain ``resume``
runs unkilled to the target and the full check runs: nothing stored past the last
paragraph, an export with every paragraph once, ``list`` and ``history`` working.

Run the fuller form with ``make reliability`` (or
``python -m tests.reliability.kills --kills 60 --seed 1``); the test suite runs
:data:`QUICK_KILLS` kills.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recurrentgpt.cli.registry import NovelRegistry
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory, close_stores, open_store
from recurrentgpt.novels import thread_config
from recurrentgpt.persistence import checkpoint_location, open_checkpointer
from tests.invariants import check_timeline

REPO_ROOT = Path(__file__).resolve().parents[2]
NOVEL = "killed"
TARGET_STEPS = 8
QUICK_KILLS = 10
SETTINGS = ["--embedder", "hash:64", "--words-per-paragraph", "40"]
MAX_DELAY_SECONDS = 8.0
"""Longest wait before killing a read-only command that has not ended unkilled yet."""
WRITING_SECONDS = 2.0
"""Longest wait, after a writing command's first line, before its kill (the scripted model
writes a step in a fraction of a second, so some runs finish first)."""
PROCESS_TIMEOUT = 300


@dataclass
class KillReport:
    """What the harness did and saw."""

    rounds: list[str] = field(default_factory=list)
    """One line per round: operation, delay, outcome."""
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    """How each round ended: killed, finished, refused (exit 1 with a message)."""
    operations: collections.Counter[str] = field(default_factory=collections.Counter)
    checks: int = 0
    """In-process invariant checks passed."""
    paragraphs: int = 0
    """Paragraphs on the final timeline."""
    seconds: float = 0.0


class CliRun:
    """One CLI process on ``data_dir``, its own process group; stdout read as it comes."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 - read after the process ends
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.cli.scripted_cli", "--data-dir", str(data_dir), *args],
            cwd=REPO_ROOT,
            # Unbuffered, so the first line arrives when it is printed.
            env={
                **os.environ,
                "PYTHONPATH": str(REPO_ROOT),
                "PYTHONUNBUFFERED": "1",
                **(env or {}),
            },
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.first_line = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            self.first_line.set()
        self.first_line.set()  # ended without a line

    def wait(self, timeout: float = PROCESS_TIMEOUT) -> int | None:
        """The exit code, or None if the process still runs after ``timeout`` seconds."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGKILL the process group: no clean-up runs."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def output(self) -> tuple[str, str]:
        """Everything printed (stdout, stderr), once the process has ended."""
        self.reader.join(timeout=30)
        self.errors.seek(0)
        return "".join(self.lines), self.errors.read()


def cli(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> CliRun:
    """Start the scripted-model CLI on ``data_dir``."""
    return CliRun(data_dir, *args, env=env)


def run_cli(data_dir: Path, *args: str) -> tuple[int, str, str]:
    """Run the CLI to its end; returns (exit code, stdout, stderr)."""
    run = cli(data_dir, *args)
    code = run.wait()
    assert code is not None, f"{args} did not end in {PROCESS_TIMEOUT} s"
    return code, *run.output()


async def _saved_state(data_dir: Path) -> tuple[dict[str, Any], LongTermMemory] | None:
    registry = NovelRegistry(str(data_dir))
    if not registry.exists(NOVEL):
        return None
    thread_id = registry.load(NOVEL).thread_id
    async with open_checkpointer(checkpoint_location(str(data_dir))) as saver:
        saved = await saver.aget_tuple(thread_config(thread_id))  # type: ignore[arg-type]
    if saved is None:
        return None
    values = dict(saved.checkpoint["channel_values"])
    memory = LongTermMemory(open_store(str(data_dir / "qdrant")), HashingEmbeddings(64))
    return values, memory


def check_data_dir(data_dir: Path, *, final: bool = False) -> dict[str, Any]:
    """Open the data dir in this process and check the saved novel; returns its state.

    Between kills a paragraph may be stored ahead of the last checkpoint (the
    step that stored it was killed before its checkpoint); the step's re-run
    overwrites it, so "nothing stored past the last paragraph" is checked at the end.
    """

    async def check() -> dict[str, Any]:
        saved = await _saved_state(data_dir)
        if saved is None:
            return {}
        values, memory = saved
        if values.get("title"):
            passages = await check_timeline(memory, values, stray_allowed=not final)
            values["paragraphs"] = len(passages)
        return values

    try:
        return asyncio.run(check())
    finally:
        close_stores()  # the next CLI process needs the embedded store


def _operation(rng: random.Random, values: dict[str, Any]) -> list[str]:
    if not values:  # nothing saved yet (an opening cut short has its input saved)
        return [
            "write", "--premise", "A lighthouse keeper finds a brass key.", "--steps",
            str(TARGET_STEPS), "--auto-first", "--id", NOVEL, *SETTINGS,
        ]  # fmt: skip
    choice = rng.choices(["resume", "resume+", "rewind", "export"], [4, 3, 2, 1])[0]
    if choice == "resume+":
        return ["resume", NOVEL, "--steps", str(rng.randint(1, 2))]
    if choice == "rewind":
        return ["rewind", NOVEL, str(rng.randint(0, max(0, int(values.get("step", 0)))))]
    if choice == "export":
        return ["export", NOVEL, "--format", rng.choice(["md", "txt"])]
    return ["resume", NOVEL]


def kill_rounds(data_dir: Path, kills: int, seed: int) -> KillReport:
    """Kill ``kills`` CLI processes at random moments; check after each; recover; check."""
    rng = random.Random(seed)
    report = KillReport()
    started = time.monotonic()
    values: dict[str, Any] = {}
    durations: dict[str, float] = {}
    while report.outcomes["killed"] < kills:
        if sum(report.outcomes.values()) > 4 * kills:
            raise AssertionError(f"no way on after {report.rounds[-5:]}")
        args = _operation(rng, values)
        operation = args[0] if args[0] != "resume" or len(args) == 2 else "resume+"
        run = cli(data_dir, *args)
        began = time.monotonic()
        if args[0] in ("write", "resume"):
            # Killed while it writes: some time after its first line (startup under load
            # varies by seconds, the steps of the scripted model take a fraction of one).
            run.first_line.wait(timeout=PROCESS_TIMEOUT)
            delay = rng.uniform(0.0, WRITING_SECONDS)
        else:
            # Killed anywhere in its run, as long as its last unkilled run took.
            delay = rng.uniform(0.0, 1.2 * durations.get(operation, MAX_DELAY_SECONDS))
        code = run.wait(timeout=delay)
        if code is None:
            run.kill()
            outcome = "killed"
        else:
            durations[operation] = time.monotonic() - began
            outcome = "finished" if code == 0 else "refused"
        _, err = run.output()
        if code not in (None, 0, 1) or "Traceback" in err:
            raise AssertionError(f"{' '.join(args)} failed ({code}):\n{err}")
        report.outcomes[outcome] += 1
        report.operations[operation] += 1
        values = check_data_dir(data_dir)
        report.checks += 1
        report.rounds.append(
            f"{operation} after {delay:.1f} s: {outcome}"
            + (f" ({err.strip()[:80]})" if outcome == "refused" else "")
            + f", step {values.get('step', '-')}"
        )
    report.paragraphs = recover(data_dir)
    report.checks += 1
    report.seconds = time.monotonic() - started
    return report


def recover(data_dir: Path) -> int:
    """Resume (unkilled) to the target and run the full check; returns the paragraphs."""
    if not check_data_dir(data_dir):
        code, _, err = run_cli(data_dir, *_operation(random.Random(0), {}))
        assert code == 0, err
    for _ in range(3):  # a cut-short step first, then the rest of the novel
        code, out, err = run_cli(data_dir, "resume", NOVEL)
        assert code == 0 and "Traceback" not in err, err
        if re.search(r"finished: \d+ steps", out):
            break
    values = check_data_dir(data_dir, final=True)
    assert values["status"] == "finished", values.get("status")
    for command in (["list"], ["history", NOVEL], ["export", NOVEL, "--format", "txt"]):
        code, _, err = run_cli(data_dir, *command)
        assert code == 0, f"{command}: {err}"
    exported = (data_dir / "exports" / f"{NOVEL}.txt").read_text(encoding="utf-8")
    paragraphs = [p for p in exported.split("\n\n") if p.strip()]
    assert len(paragraphs) == values["paragraphs"] == len(set(paragraphs)), (
        len(paragraphs),
        values["paragraphs"],
    )
    return int(values["paragraphs"])


def main() -> None:
    """Command line of the fuller run: prints one line per round and a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report = kill_rounds(Path(folder) / "data", args.kills, args.seed)
    for line in report.rounds:
        print(line)
    print(
        f"{sum(report.outcomes.values())} rounds, outcomes {dict(report.outcomes)}, "
        f"operations {dict(report.operations)}, {report.checks} checks passed, "
        f"{report.paragraphs} paragraphs at the end, each once, in {report.seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
