"""Many novels at once on one server (issue 12): nothing lost, nothing crossed, how fast.

Starts a server with the package's graph on the scripted model
(``tests/server/load_graph.py``: no model time, so what is timed is the server,
the graph, the checkpointer and long-term memory), then writes ``--novels``
novels at once through the SDK, each in auto mode (the simulated human picks a
plan) for ``--steps`` steps in one run. Two servers:

- ``dev``: one ``langgraph dev`` (in-memory runtime, the default setup);
- ``runtime``: the production runtime (``langhost`` from ``.venv-deploy``, or
  ``DEPLOY_VENV``) on the test PostgreSQL (``scripts/start_postgres.sh``) and a
  throwaway Redis, one worker.

Every premise carries a token of its own, which the scripted writer repeats with
every other token its prompt holds. After the runs the server is stopped and
long-term memory is read per novel. A novel passes when its run succeeded, it
finished at its target, its stored paragraphs are positions 0..n-1 each once
(the opening's three plus one a step), and every paragraph after the opening
names its own token and no other. Reported: steps per second over the wall time,
p50 / p95 step latency (between the ends of two steps of one novel, read from
the run's update stream), errors, and the 1-minute load average while it ran::

    nice -n 10 python -m bench.server_load --server both --novels 20 --steps 5

writes ``bench/results/server_load.json``; the test suite runs a short form on
each server (``tests/server/test_load.py``, ``tests/deploy/test_load.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.common import percentile
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory, close_stores, open_store
from tests.deploy.runtime import LANGHOST, redis_server, start_runtime
from tests.server.devserver import REPO_ROOT, SERVER_TESTS, langgraph_dev
from tests.server.fake_graph import EMBEDDING_DIMS
from tests.server.load_graph import NOVEL_TOKEN

CONFIG = SERVER_TESTS / "langgraph.load.json"
RESULTS = Path(__file__).resolve().parent / "results" / "server_load.json"
OPENING_PARAGRAPHS = 3
CONTEXT = {"mode": "auto", "embedder": f"hash:{EMBEDDING_DIMS}", "words_per_paragraph": 40}
"""The simulated human picks the plan at every step: one run writes the whole novel."""
TABLE_HEADER = (
    "| server | novels x steps | wall | steps/s | p50 step | p95 step | errors "
    "| failed checks | load avg (max) |\n|---|---|---|---|---|---|---|---|---|"
)
RUNTIME_DB = "recurrentgpt_load"
"""The runtime's database on the test PostgreSQL, apart from the test suite's."""


@dataclass
class NovelRun:
    """One novel of the load: what its run streamed and where it ended."""

    index: int
    token: str
    thread_id: str = ""
    novel_id: str = ""
    status: str = ""
    step: int = 0
    step_seconds: list[float] = field(default_factory=list)
    error: str = ""


@dataclass
class LoadResult:
    """The figures of one load run on one server, and what its checks found."""

    server: str
    novels: int
    steps: int
    wall_seconds: float
    steps_written: int
    steps_per_second: float
    step_p50: float
    step_p95: float
    step_max: float
    errors: list[str]
    problems: list[str]
    load_average_max: float
    load_average_mean: float
    runs: list[NovelRun]

    def row(self) -> str:
        """A Markdown table row: server, novels x steps, throughput, latency, failures, load."""
        return (
            f"| {self.server} | {self.novels} x {self.steps} | {self.wall_seconds:.1f} s | "
            f"{self.steps_per_second:.2f} | {self.step_p50:.2f} s | {self.step_p95:.2f} s | "
            f"{len(self.errors)} | {len(self.problems)} | {self.load_average_max:.1f} |"
        )


def novel_token(index: int) -> str:
    """A token no other novel's premise holds (matches ``load_graph.NOVEL_TOKEN``)."""
    return f"LOAD-{index}-{uuid.uuid4().hex[:8]}"


async def write_novel(url: str, run: NovelRun, steps: int) -> NovelRun:
    """Write one novel in one auto run; time each step from the run's update stream."""
    from langgraph_sdk import get_client

    client = get_client(url=url)
    try:
        run.thread_id = (await client.threads.create())["thread_id"]
        novel = {"premise": f"A keeper finds a brass key. Seal {run.token}.", "target_steps": steps}
        last_end: float | None = None
        async for part in client.runs.stream(
            run.thread_id,
            "recurrentgpt",
            input=novel,
            context=CONTEXT,
            stream_mode="updates",
        ):
            now = time.perf_counter()
            if part.event == "error":
                run.error = json.dumps(part.data)[:300]
            if part.event != "updates" or not isinstance(part.data, dict):
                continue
            if "start" in part.data:
                last_end = now
            if "memory_updater" in part.data and last_end is not None:
                run.step_seconds.append(now - last_end)
                last_end = now
        values = (await client.threads.get_state(run.thread_id)).get("values") or {}
        if isinstance(values, dict):
            run.novel_id = str(values.get("novel_id", ""))
            run.status = str(values.get("status", ""))
            run.step = int(values.get("step", 0))
    except Exception as error:  # a failed novel is a finding, not the end of the load run
        run.error = f"{type(error).__name__}: {error}"[:300]
    return run


async def write_novels(url: str, novels: int, steps: int) -> list[NovelRun]:
    """Write ``novels`` novels at once."""
    runs = [NovelRun(index=i, token=novel_token(i)) for i in range(novels)]
    return list(await asyncio.gather(*(write_novel(url, run, steps) for run in runs)))


def check_runs(runs: list[NovelRun], steps: int) -> list[str]:
    """What the server said that is wrong: a run that failed or stopped short."""
    problems = []
    for run in runs:
        if run.error:
            problems.append(f"novel {run.index}: {run.error}")
        elif (run.status, run.step) != ("finished", steps):
            problems.append(f"novel {run.index}: ended {run.status!r} at step {run.step}")
    return problems


def check_memory(folder: Path, runs: list[NovelRun], steps: int) -> list[str]:
    """What long-term memory holds that is wrong (the server must be stopped).

    Each novel: positions 0..n-1 each once on one branch, n = opening + steps; every
    paragraph after the opening names its own token and no other.
    """
    memory = LongTermMemory(open_store(str(folder)), HashingEmbeddings(EMBEDDING_DIMS))
    problems = []
    try:
        for run in runs:
            if not run.novel_id:
                continue
            passages = asyncio.run(memory.all_passages(run.novel_id))
            positions = [p.position for p in passages]
            expected = list(range(OPENING_PARAGRAPHS + steps))
            if positions != expected:
                problems.append(f"novel {run.index}: stored positions {positions}")
            for passage in passages[OPENING_PARAGRAPHS:]:
                tokens = set(NOVEL_TOKEN.findall(passage.text))
                if tokens != {run.token}:
                    problems.append(
                        f"novel {run.index} position {passage.position}: tokens {sorted(tokens)}"
                    )
    finally:
        close_stores()
    return problems


@contextmanager
def load_average_sampled(samples: list[float]) -> Iterator[None]:
    """Append the 1-minute load average to ``samples`` every second while the block runs."""
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            samples.append(os.getloadavg()[0])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield
    finally:
        done.set()
        sampler.join()


def measure(
    server: str, url: str, novels: int, steps: int
) -> tuple[list[NovelRun], float, list[float]]:
    """Run the load against a running server: the runs, the wall seconds, load samples."""
    samples = [os.getloadavg()[0]]
    with load_average_sampled(samples):
        started = time.perf_counter()
        runs = asyncio.run(write_novels(url, novels, steps))
        wall = time.perf_counter() - started
    return runs, wall, samples


def result_of(
    server: str,
    novels: int,
    steps: int,
    measured: tuple[list[NovelRun], float, list[float]],
    memory_problems: list[str],
) -> LoadResult:
    """The figures of a finished load run and everything its checks found."""
    runs, wall, samples = measured
    seconds = [s for run in runs for s in run.step_seconds]
    written = sum(len(run.step_seconds) for run in runs)
    return LoadResult(
        server=server,
        novels=novels,
        steps=steps,
        wall_seconds=wall,
        steps_written=written,
        steps_per_second=written / wall,
        step_p50=percentile(seconds, 50) if seconds else 0.0,
        step_p95=percentile(seconds, 95) if seconds else 0.0,
        step_max=max(seconds, default=0.0),
        errors=[f"novel {run.index}: {run.error}" for run in runs if run.error],
        problems=check_runs(runs, steps) + memory_problems,
        load_average_max=max(samples),
        load_average_mean=sum(samples) / len(samples),
        runs=runs,
    )


def on_dev_server(folder: Path, novels: int, steps: int, jobs: int) -> LoadResult:
    """The load on one ``langgraph dev`` (in-memory runtime), memory in ``folder``."""
    memory = folder / "qdrant"
    env = {"RECURRENTGPT_QDRANT": str(memory)}
    with langgraph_dev(CONFIG, folder / "dev.log", env=env, jobs=jobs) as server:
        measured = measure("dev", server.url, novels, steps)
    return result_of(
        "langgraph dev", novels, steps, measured, check_memory(memory, measured[0], steps)
    )


def runtime_database_uri() -> str:
    """A database for the runtime on the test PostgreSQL (started if it is not running)."""
    script = REPO_ROOT / "scripts" / "start_postgres.sh"
    output = subprocess.run(
        ["bash", str(script)],
        env={**os.environ, "PGTEST_DB": RUNTIME_DB},
        capture_output=True,
        text=True,
        check=True,
    )
    return output.stdout.strip().splitlines()[-1]


def on_production_runtime(folder: Path, novels: int, steps: int, jobs: int) -> LoadResult:
    """The load on ``langhost`` (PostgreSQL + Redis, one worker), memory in ``folder``."""
    memory = folder / "qdrant"
    with redis_server(folder / "redis") as redis_uri:
        server = start_runtime(
            CONFIG,
            folder / "runtime.log",
            database_uri=runtime_database_uri(),
            redis_uri=redis_uri,
            jobs_per_worker=jobs,
            env={"RECURRENTGPT_QDRANT": str(memory)},
        )
        try:
            measured = measure("runtime", server.url, novels, steps)
        finally:
            server.stop()
    return result_of(
        "production runtime (Postgres, Redis, 1 worker)",
        novels,
        steps,
        measured,
        check_memory(memory, measured[0], steps),
    )


def main(argv: list[str] | None = None) -> int:
    """Run the load on the chosen servers; print a table; exit 1 if any check failed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--server", choices=["dev", "runtime", "both"], default="both")
    parser.add_argument("--novels", type=int, default=20, help="novels written at once")
    parser.add_argument("--steps", type=int, default=5, help="steps per novel")
    parser.add_argument(
        "--jobs", type=int, default=0, help="runs a server executes at once (0: --novels)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    jobs = args.jobs or args.novels
    servers = ["dev", "runtime"] if args.server == "both" else [args.server]
    results = []
    for server in servers:
        if server == "runtime" and not LANGHOST.exists():
            print(f"production runtime skipped: no {LANGHOST} (bash scripts/deploy_env.sh)")
            continue
        with tempfile.TemporaryDirectory(prefix=f"load-{server}-") as folder:
            load = on_dev_server if server == "dev" else on_production_runtime
            results.append(load(Path(folder), args.novels, args.steps, jobs))
    print(TABLE_HEADER)
    for result in results:
        print(result.row())
        for problem in result.problems:
            print(f"  {result.server}: {problem}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"cpus": os.cpu_count(), "results": [asdict(r) for r in results]}, indent=1)
        + "\n"
    )
    return 1 if any(result.problems for result in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
