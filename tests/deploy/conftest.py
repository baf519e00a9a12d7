"""Fixtures of the production-runtime tests: apt PostgreSQL and a throwaway Redis."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from tests.deploy.runtime import REPORT_LINES, redis_server, require_runtime
from tests.server.devserver import REPO_ROOT

RUNTIME_DB = "recurrentgpt_runtime"
"""The runtime's own database, apart from the checkpointer tests' one (other table versions)."""


@pytest.fixture(scope="session")
def database_uri() -> str:
    """A database for the runtime on the test PostgreSQL (scripts/start_postgres.sh)."""
    require_runtime()
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "start_postgres.sh")],
        env={**os.environ, "PGTEST_DB": RUNTIME_DB},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/start_postgres.sh failed:\n{result.stderr[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def redis_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis that writes nothing, for the whole session."""
    require_runtime()
    with redis_server(tmp_path_factory.mktemp("redis")) as uri:
        yield uri


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the runtime measurements (recovery after a kill) after the results."""
    if REPORT_LINES:
        terminalreporter.section("production runtime measurements")
        for line in REPORT_LINES:
            terminalreporter.write_line(line)
