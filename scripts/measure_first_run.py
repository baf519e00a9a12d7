"""Time a fresh `langgraph dev` serving the real graph with an instant model.

The package's served graph (real OpenAI client, the configured embedder, the
embedded Qdrant store) talks to :mod:`tests.scripted_provider`, which answers at
once, so the figures are the server's and the package's own time:

- ``ready``: from starting `langgraph dev` until it answers ``/ok``;
- ``first_run``: the first novel's first run (the opening, up to its first pause)
  on the fresh server, and the same for a second novel afterwards;
- ``step``: each later step (resume with plan 1 up to the next pause).

Run from the repository root, once with the warm start and once without::

    python scripts/measure_first_run.py            # RECURRENTGPT_WARM_START default (on)
    RECURRENTGPT_WARM_START=0 python scripts/measure_first_run.py
    DEPLOY_VENV=.venv-deploy python scripts/measure_first_run.py langhost   # production runtime
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langgraph_sdk import get_sync_client

from recurrentgpt.warm import warm_start_enabled
from tests.scripted_provider import serve
from tests.server.devserver import REPO_ROOT, langgraph_dev

CONTEXT = {"mode": "interactive", "words_per_paragraph": 40}
STEPS = 6
SERVER = sys.argv[1] if len(sys.argv) > 1 else "dev"
"""'dev' (`langgraph dev`) or 'langhost' (the production runtime, DEPLOY_VENV)."""
WARM_WAIT_SECONDS = 300


@contextmanager
def serving(folder: Path, env: dict[str, str]) -> Iterator[Any]:
    """The real graph on `langgraph dev`, or on the production runtime (``langhost``)."""
    config = REPO_ROOT / "langgraph.json"
    if SERVER != "langhost":
        with langgraph_dev(config, folder / "server.log", env) as server:
            yield server
        return
    from tests.deploy.runtime import redis_server, running

    database = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "start_postgres.sh")],
        env={**os.environ, "PGTEST_DB": "recurrentgpt_measure"},
        capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    (folder / "redis").mkdir()
    with (
        redis_server(folder / "redis") as redis,
        running(
            # The PyPI runtime serves deploy/langgraph.json (no page: see deploy/README.md).
            REPO_ROOT / "deploy" / "langgraph.json",
            folder / "server.log",
            database_uri=database,
            redis_uri=redis,
            env=env,
        ) as server,
    ):
        yield server


def main() -> None:
    """Serve, time and print one JSON line."""
    provider = serve(0)
    with tempfile.TemporaryDirectory() as folder:
        env = {
            "OPENAI_BASE_URL": f"http://127.0.0.1:{provider.server_address[1]}/v1",
            "OPENAI_API_KEY": "scripted",
            "RECURRENTGPT_MODEL": "openai:scripted",
            "RECURRENTGPT_DATA_DIR": folder,
            "RECURRENTGPT_WARM_START": "1" if warm_start_enabled() else "0",
        }
        started = time.perf_counter()
        with serving(Path(folder), env) as server:
            ready = time.perf_counter() - started
            warmed = None
            if warm_start_enabled():
                # A server is started before its first caller: let the warm start finish.
                while "warm start done" not in server.log_text():
                    if time.perf_counter() - started > WARM_WAIT_SECONDS:
                        raise RuntimeError("the warm start did not finish")
                    time.sleep(0.2)
                warmed = time.perf_counter() - started
            client = get_sync_client(url=server.url)
            first_runs, steps = [], []
            for _ in range(2):
                thread = client.threads.create()["thread_id"]
                began = time.perf_counter()
                client.runs.wait(
                    thread, "recurrentgpt", input={"premise": "A keeper finds a key."},
                    context=CONTEXT,
                )  # fmt: skip
                first_runs.append(time.perf_counter() - began)
                for _ in range(STEPS if not steps else 0):
                    began = time.perf_counter()
                    client.runs.wait(thread, "recurrentgpt", command={"resume": 1}, context=CONTEXT)
                    steps.append(time.perf_counter() - began)
                state = client.threads.get_state(thread)
                assert state["interrupts"], "the run did not pause"
    print(
        json.dumps(
            {
                "server": SERVER,
                "warm_start": os.environ.get("RECURRENTGPT_WARM_START", "default"),
                "ready_s": round(ready, 2),
                "warmed_s": round(warmed, 2) if warmed else None,
                "first_run_s": [round(t, 2) for t in first_runs],
                "step_s": [round(t, 3) for t in steps],
                "step_median_s": round(statistics.median(steps), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
