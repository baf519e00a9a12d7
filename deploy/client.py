"""Drive a recurrentgpt server with the SDK: one novel by hand, or many at once (a load test).

    python deploy/client.py --url http://127.0.0.1:8123 --novels 10 --steps 4

Each novel opens a thread, writes the opening (one run), then takes plan 1 at
every pause for ``--steps`` runs; the seconds of every run are reported as p50 /
p95 per step. A thread whose run the server is still recovering after a crash
answers 409: :func:`run_step` says "the novel is recovering, retry in N s" and
retries, instead of surfacing a raw 409.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

RETRY_SECONDS = 10.0
"""Wait between retries of a busy thread: about the runtime's heartbeat period
(LG_BG_JOB_HEARTBEAT, 5 s in deploy/README.md's settings), after which a run of a
killed server has been swept and re-queued."""
GIVE_UP_SECONDS = 600.0


def run_step(
    client: SyncLangGraphClient,
    thread_id: str,
    *,
    retry_seconds: float = RETRY_SECONDS,
    say: Any = print,
    **request: Any,
) -> dict[str, Any]:
    """One run to the next pause; a busy (recovering) thread is retried, not an error.

    Runs are sent with ``multitask_strategy="reject"``: while the thread is busy
    (another run, or a run of a killed server not yet swept) the server answers
    409, and ``say`` is told "retry in N s" before each retry.
    """
    waited = 0.0
    while True:
        try:
            # "reject": a busy thread answers 409 at once, so the person is told, instead
            # of a request that silently waits in the thread's queue behind a dead run.
            result = client.runs.wait(
                thread_id,
                "recurrentgpt",
                raise_error=True,
                multitask_strategy="reject",
                **request,
            )
            assert isinstance(result, dict)
            return result
        except httpx.HTTPStatusError as error:  # the SDK's ConflictError is one too
            if error.response.status_code != 409 or waited >= GIVE_UP_SECONDS:
                raise
            say(
                f"the novel is busy or recovering after a server restart; "
                f"retry in {retry_seconds:.0f} s"
            )
            time.sleep(retry_seconds)
            waited += retry_seconds


def write_novel(url: str, steps: int, context: dict[str, Any], timings: list[float]) -> int:
    """Open one novel and take ``steps`` steps; append each run's seconds; return the step."""
    client = get_sync_client(url=url)
    thread_id = client.threads.create()["thread_id"]
    started = time.perf_counter()
    output = run_step(
        client, thread_id, input={"premise": "A keeper finds a brass key."}, context=context
    )
    timings.append(time.perf_counter() - started)
    for _ in range(steps):
        started = time.perf_counter()
        output = run_step(client, thread_id, command={"resume": {"plan_index": 1}}, context=context)
        timings.append(time.perf_counter() - started)
    return int(output.get("step", 0))


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> None:
    """Write ``--novels`` novels at once and print p50 / p95 seconds per run."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--novels", type=int, default=1, help="novels written at once")
    parser.add_argument("--steps", type=int, default=4, help="steps after the opening")
    parser.add_argument("--embedder", default="", help="e.g. hash:64 (default: the server's)")
    parser.add_argument("--words", type=int, default=0, help="words per paragraph (0: default)")
    args = parser.parse_args(argv)
    context: dict[str, Any] = {"mode": "interactive"}
    if args.embedder:
        context["embedder"] = args.embedder
    if args.words:
        context["words_per_paragraph"] = args.words
    timings: list[float] = []
    started = time.perf_counter()
    with ThreadPoolExecutor(args.novels) as pool:
        futures = [
            pool.submit(write_novel, args.url, args.steps, context, timings)
            for _ in range(args.novels)
        ]
        steps = [future.result() for future in futures]
    wall = time.perf_counter() - started
    if any(step != args.steps for step in steps):
        sys.exit(f"a novel stopped early: steps {steps}")
    print(
        f"{args.novels} novels x {args.steps + 1} runs in {wall:.1f} s: per run p50 "
        f"{statistics.median(timings):.2f} s, p95 {percentile(timings, 0.95):.2f} s, "
        f"max {max(timings):.2f} s"
    )


if __name__ == "__main__":
    main()
