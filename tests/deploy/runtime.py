"""Starting the production runtime (``langhost`` from the deploy venv) for tests.

The runtime lives in its own virtualenv, built by ``scripts/deploy_env.sh``
(``DEPLOY_VENV``, default ``.venv-deploy`` in the checkout); tests skip, saying
so, when it is absent. Redis runs on a free loopback port with persistence off
and its folder in the test's temporary folder; PostgreSQL is the apt server the
test helper ``scripts/start_postgres.sh`` starts. Every process runs in its own
process group, so a test can SIGKILL a server with everything it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server.devserver import REPO_ROOT, answers_ok, free_port

DEPLOY_VENV = Path(os.environ.get("DEPLOY_VENV", REPO_ROOT / ".venv-deploy"))
LANGHOST = DEPLOY_VENV / "bin" / "langhost"
STARTUP_SECONDS = 120
JOBS_PER_WORKER = 8
REPORT_LINES: list[str] = []
"""Measurements printed at the end of the test report."""
QUIET = {
    "LANGSMITH_TRACING": "false",
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "true",
}


def require_runtime() -> Path:
    """The ``langhost`` executable, or skip the test saying how to build it."""
    if not LANGHOST.exists():
        pytest.skip(f"production runtime venv absent ({LANGHOST}): bash scripts/deploy_env.sh")
    return LANGHOST


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A throwaway Redis on loopback (no RDB/AOF files; cwd in ``folder``); yields its URI."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server not installed: apt-get install redis-server (.ci/run does)")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(folder)],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


@dataclass
class Runtime:
    """A ``langhost serve`` process group; ``kill()`` is the crash a test simulates."""

    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        """Everything the server printed so far."""
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the server and every process it started (no clean shutdown)."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            self.kill()


def start_runtime(
    config: Path,
    log: Path,
    *,
    database_uri: str,
    redis_uri: str,
    port: int | None = None,
    workers: int = 1,
    jobs_per_worker: int = JOBS_PER_WORKER,
    env: dict[str, str] | None = None,
) -> Runtime:
    """Start ``langhost serve`` for ``config`` and wait until it answers (or fails)."""
    port = port or free_port()
    command = [
        str(require_runtime()), "serve", "-c", str(config), "--host", "127.0.0.1",
        "-p", str(port), "--database-uri", database_uri, "--redis-uri", redis_uri,
        "--n-jobs-per-worker", str(jobs_per_worker), "--workers", str(workers),
    ]  # fmt: skip
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=config.parent,
            env={**os.environ, **QUIET, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    runtime = Runtime(url=f"http://127.0.0.1:{port}", log=log, process=process)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not answers_ok(runtime.url):
        if process.poll() is not None or time.monotonic() > deadline:
            runtime.stop()
            raise RuntimeError(f"langhost did not start:\n{log.read_text()[-4000:]}")
        time.sleep(0.3)
    return runtime


@contextmanager
def running(config: Path, log: Path, **kwargs: object) -> Iterator[Runtime]:
    """:func:`start_runtime` for the length of a block."""
    runtime = start_runtime(config, log, **kwargs)  # type: ignore[arg-type]
    try:
        yield runtime
    finally:
        runtime.stop()
