"""Run every benchmark, then write BENCHMARKS.md, bench/plots/*.png and the raw results.

    python -m bench.run --quick   # make bench: about 5 minutes on 2 cores
    python -m bench.run --full    # make bench-full: larger sizes, more repeats

Each figure compares ours with its baseline inside one process and one run,
so the ratios hold on a busy machine even when absolute times do not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    checkpoint_growth,
    length_control,
    memory_fidelity,
    planted_fact,
    report,
    retrieval_latency,
    step_overhead,
    token_cost,
)
from bench.common import machine

FIGURES = {
    "step_overhead": step_overhead.run,
    "checkpoint_growth": checkpoint_growth.run,
    "retrieval_latency": retrieval_latency.run,
    "memory_fidelity": memory_fidelity.run,
    "length_control": length_control.run,
    "token_cost": token_cost.run,
    "planted_fact": planted_fact.run,
}
ROOT = Path(__file__).resolve().parent.parent


async def run_all(quick: bool, only: list[str]) -> dict[str, Any]:
    """Every selected figure, timed, with the machine description."""
    results: dict[str, Any] = {"mode": "quick" if quick else "full", "machine": machine()}
    seconds: dict[str, float] = {}
    loads: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    for name, run in FIGURES.items():
        if only and name not in only:
            continue
        print(f"[bench] {name} ...", flush=True)
        figure_start = time.perf_counter()
        # How busy the machine was: absolute times only mean something beside it.
        before, started = os.getloadavg(), datetime.now(UTC)
        results[name] = await run(quick)
        seconds[name] = time.perf_counter() - figure_start
        loads[name] = {
            "started": started.strftime("%Y-%m-%d %H:%M UTC"),
            "load_before": [round(x, 2) for x in before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }
        print(f"[bench] {name}: {seconds[name]:.1f} s", flush=True)
    results["seconds"] = seconds
    results["load"] = loads
    results["total_seconds"] = time.perf_counter() - start
    return results


def merged(earlier: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``earlier`` with the figures of ``new`` (and their seconds and load) replaced."""
    result = dict(earlier)
    for name in FIGURES:
        if name in new:
            result[name] = new[name]
    for key in ("seconds", "load"):
        result[key] = {**earlier.get(key, {}), **new.get(key, {})}
    result["total_seconds"] = sum(result["seconds"].values())
    return result


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, run, write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes (default)")
    size.add_argument("--full", action="store_true", help="the documented full run")
    parser.add_argument(
        "--only", nargs="*", choices=sorted(FIGURES), default=[], help="run only these figures"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT, help="folder for BENCHMARKS.md and bench/plots"
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="with --only: replace those figures in the existing results JSON, keep the others",
    )
    parser.add_argument(
        "--report-from",
        type=Path,
        help="only rewrite BENCHMARKS.md and the plots from a results JSON of an earlier run",
    )
    args = parser.parse_args(argv)
    if args.report_from:
        report.write(json.loads(args.report_from.read_text(encoding="utf-8")), args.out)
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    warnings.filterwarnings("ignore", category=UserWarning, module="qdrant_client")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    results = asyncio.run(run_all(quick=not args.full, only=args.only))
    raw = args.out / "bench" / f"results-{results['mode']}.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    if args.merge and raw.exists():
        results = merged(json.loads(raw.read_text(encoding="utf-8")), results)
    raw.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    if not args.only:
        report.write(results, args.out)
        print(f"[bench] wrote {args.out / 'BENCHMARKS.md'} and {args.out / 'bench' / 'plots'}")
    print(f"[bench] raw results: {raw}; total {results['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
