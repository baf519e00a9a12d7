"""Starting the real `langgraph dev` server for tests.

Each server runs in its own process group on a free loopback port, with
tracing, analytics, version checks and file persistence off (nothing leaves the
machine, nothing is left behind), and is killed with its group at teardown.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVER_TESTS = Path(__file__).resolve().parent
LANGGRAPH = Path(sys.executable).with_name("langgraph")
STARTUP_SECONDS = 60
CONCURRENT_JOBS = 8
"""Runs the server executes at once (`langgraph dev` defaults to one)."""
AUTH_TOKENS = {"alice": "token-of-alice", "bob": "token-of-bob"}
"""The users of the server with authentication on (``auth_server``): user to token."""
REPORT_LINES: list[str] = []
"""Measurements printed at the end of the test report."""


@dataclass(frozen=True)
class DevServer:
    """A running `langgraph dev`."""

    url: str
    log: Path
    pid: int = 0
    """The server's process id (its process group's too)."""

    def log_text(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace")


def free_port() -> int:
    """A loopback port nobody listens on (the server silently moves if its port is taken)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers_ok(url: str) -> bool:
    """Whether a LangGraph server at ``url`` answers its health check."""
    try:
        with urllib.request.urlopen(f"{url}/ok", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def langgraph_dev(
    config: Path, log: Path, env: dict[str, str] | None = None, jobs: int = CONCURRENT_JOBS
) -> Iterator[DevServer]:
    """Run `langgraph dev --config config` from the config's folder until the block ends.

    ``jobs`` is how many runs the server executes at once.
    """
    if not LANGGRAPH.exists():
        pytest.skip("langgraph CLI not installed (pip install 'recurrentgpt[server]')")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        str(LANGGRAPH), "dev", "--config", config.name, "--host", "127.0.0.1",
        "--port", str(port), "--no-browser", "--no-reload",
        "--n-jobs-per-worker", str(jobs),
    ]  # fmt: skip
    quiet = {
        "LANGSMITH_TRACING": "false",
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGGRAPH_DISABLE_FILE_PERSISTENCE": "true",
        # Tests that serve the real graph only read drawings: no embedder load behind them.
        "RECURRENTGPT_WARM_START": "0",
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=config.parent,
            env={**os.environ, **quiet, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not answers_ok(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"langgraph dev did not start:\n{log.read_text()[-4000:]}")
            time.sleep(0.2)
        yield DevServer(url=url, log=log, pid=process.pid)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The CLI starts worker processes of its own: the whole group must go.
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
