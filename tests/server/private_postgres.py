"""A PostgreSQL cluster of a test's own, to restart or kill without touching the shared one.

Started by the project's ``scripts/start_postgres.sh`` on a free port with its data in
/tmp (the cluster runs as the ``postgres`` user, so root is needed), removed at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.reliability.kills import REPO_ROOT
from tests.server.devserver import free_port

NEEDS_PRIVATE_POSTGRES = pytest.mark.skipif(
    not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl") or os.geteuid() != 0,
    reason="needs apt PostgreSQL and root (the cluster runs as the postgres user)",
)


class PrivatePostgres:
    """A cluster of our own: started by the project's script, restarted on cue."""

    def __init__(self) -> None:
        self.port = free_port()
        self.data = f"/tmp/recurrentgpt-pg-restart-{os.getpid()}"
        env = {**os.environ, "PGTEST_PORT": str(self.port), "PGTEST_DATA": self.data}
        started = subprocess.run(
            ["bash", str(REPO_ROOT / "scripts" / "start_postgres.sh")],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        self.uri = started.stdout.strip().splitlines()[-1]
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]

    def pg_ctl(self, *args: str) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c fsync=off"
        subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{self.bin}/pg_ctl", "-D", self.data,
             "-l", f"{self.data}/server.log", "-m", "fast", "-w", "-o", options, *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=True, timeout=120,
        )  # fmt: skip

    def remove(self) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", f"{self.bin}/pg_ctl", "-D", self.data,
             "-m", "immediate", "stop"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            check=False, timeout=120,
        )  # fmt: skip
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.remove()
