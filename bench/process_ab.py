"""Figure 3's default search timed in fresh processes: two code trees, turn about.

    python -m bench.process_ab STORE --before TREE [--after TREE] [--pairs 6] [--out FILE]

On this machine a search's time moves by up to a third from one process to the
next (the same code, the same store, minutes apart: where the host places the
process), more than most changes measured in one process. Each pair here runs the
``--before`` tree, then the ``--after`` tree (default: this checkout), each in a new
process that opens ``STORE`` (an indexed store of 100,000 paragraphs, e.g. from
``python -m bench.request_ab build``) and times figure 3's default search as figure 3
does (one untimed query, then 50, through ``LongTermMemory.search``). It reports every
process's p50 and CPU p50 and the median of each side. A tree is any checkout of the
project (``git worktree add /tmp/before <commit>``), imported through ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.common import write_json

HERE = Path(__file__).resolve().parents[1]
MEASURE = """
import asyncio, json, sys
from bench.common import NOVEL_ID, filler_passages
from bench.latency_ab import _open
from bench.retrieval_latency import K, _latencies, _summary

async def main():
    memory = await _open(100_000, sys.argv[1], {}, True)
    plans = [p.text[:300] for p in filler_passages(500, seed=7)[:50]]

    async def query(i):
        found = await memory.search(
            plans[i % len(plans)], novel_id=NOVEL_ID, branch_id="main", segments=[],
            before_position=100_000, k=K,
        )
        assert len(found) == K

    print(json.dumps(_summary(await _latencies(query, 50))))

asyncio.run(main())
"""


def measure(tree: str, store: str) -> dict[str, float]:
    """Figure 3's p50 and CPU p50 of the default search, in a new process running ``tree``."""
    environment = {**os.environ, "PYTHONPATH": tree}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, store],
        # In the tree: ``-c`` puts the working directory first on the import path.
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(store: str, before: str, after: str, pairs: int) -> dict[str, Any]:
    """Every process's figures, pair by pair, and each side's median."""
    store, before, after = (os.path.abspath(path) for path in (store, before, after))
    sides: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    for _ in range(pairs):
        for side, tree in (("before", before), ("after", after)):
            sides[side].append(measure(tree, store))
            print(side, json.dumps(sides[side][-1]), flush=True)
    return {
        "store": store,
        "trees": {"before": before, "after": after},
        "pairs": pairs,
        "load_after": os.getloadavg(),
        "processes": sides,
        "median_p50_ms": {
            s: statistics.median(r["p50_ms"] for r in rows) for s, rows in sides.items()
        },
        "median_cpu_p50_ms": {
            s: statistics.median(r["cpu_p50_ms"] for r in rows) for s, rows in sides.items()
        },
    }


def main(argv: list[str] | None = None) -> None:
    """``STORE --before TREE [--after TREE] [--pairs N] [--out FILE]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", help="an indexed store of 100,000 paragraphs")
    parser.add_argument("--before", required=True, help="the code tree measured first")
    parser.add_argument("--after", default=str(HERE), help="default: this checkout")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--out", help="JSON results file (default: stdout)")
    args = parser.parse_args(argv)
    write_json(run(args.store, args.before, args.after, args.pairs), args.out)


if __name__ == "__main__":
    main()
