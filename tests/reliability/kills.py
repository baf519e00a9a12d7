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
MAX_DELAY_SECONDS = float(os.environ.get("RELIABILITY_MAX_KILL_DELAY", "6"))
"""Longest wait before a kill: about one CLI start plus a few steps on a loaded 2-core box."""
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


def cli(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start the scripted-model CLI on ``data_dir`` (its own process group)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.cli.scripted_cli", "--data-dir", str(data_dir), *args],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def run_cli(data_dir: Path, *args: str) -> tuple[int, str, str]:
    """Run the CLI to its end; returns (exit code, stdout, stderr)."""
    process = cli(data_dir, *args)
    out, err = process.communicate(timeout=PROCESS_TIMEOUT)
    return process.returncode, out, err


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
    if not values.get("title"):
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
    while report.outcomes["killed"] < kills:
        args = _operation(rng, values)
        delay = rng.uniform(0.2, MAX_DELAY_SECONDS)
        process = cli(data_dir, *args)
        try:
            _, err = process.communicate(timeout=delay)  # reads the pipes while it waits
            outcome = "finished" if process.returncode == 0 else "refused"
            if process.returncode not in (0, 1) or "Traceback" in err:
                raise AssertionError(f"{' '.join(args)} failed:\n{err}")
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            outcome = "killed"
        report.outcomes[outcome] += 1
        report.operations[args[0] if args[0] != "resume" or len(args) == 2 else "resume+"] += 1
        values = check_data_dir(data_dir)
        report.checks += 1
        report.rounds.append(
            f"{' '.join(args[:2])} {' '.join(args[2:3]) if args[0] != 'write' else ''} "
            f"after {delay:.1f} s: {outcome}, step {values.get('step', '-')}"
        )
    report.paragraphs = recover(data_dir)
    report.checks += 1
    report.seconds = time.monotonic() - started
    return report


def recover(data_dir: Path) -> int:
    """Resume (unkilled) to the target and run the full check; returns the paragraphs."""
    if not check_data_dir(data_dir).get("title"):
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
    import tempfile

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
