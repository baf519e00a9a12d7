"""PostgreSQL restarted under a running novel: one clear line, and the novel resumes.

A private throwaway cluster (``scripts/start_postgres.sh`` on a free port, its data
in /tmp) is restarted while the command line writes a novel with its checkpoints
there; the shared test server is never touched. Before, the person got "internal
error (a bug, not your input): OperationalError: consuming input failed: server
closed the connection unexpectedly" over three lines.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("langgraph.checkpoint.postgres")

from tests.reliability.kills import NOVEL, SETTINGS, check_data_dir, cli
from tests.server.devserver import free_port
from tests.server.private_postgres import NEEDS_PRIVATE_POSTGRES, PrivatePostgres, postgres

pytestmark = [pytest.mark.postgres, NEEDS_PRIVATE_POSTGRES]
__all__ = ["postgres"]  # a fixture


def test_a_postgres_restart_mid_run_is_one_line_and_the_novel_resumes(
    tmp_path: Path, postgres: PrivatePostgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECURRENTGPT_CHECKPOINTS", postgres.uri)
    slow = {"SCRIPTED_WRITER_SECONDS": "1"}  # eight steps take about ten seconds
    write = ["write", "--premise", "A keeper.", "--auto-first", "--id", NOVEL, *SETTINGS]
    run = cli(tmp_path, *write, "--steps", "8", env=slow)
    assert run.first_line.wait(60)
    time.sleep(4)  # a few steps in
    postgres.pg_ctl("restart")
    code = run.wait()
    _, errors = run.output()
    assert code == 1, errors
    lines = errors.strip().splitlines()
    assert len(lines) == 1 and "went away mid-run" in lines[0], errors
    assert postgres.uri.split("@")[0] not in lines[0]  # the password is never printed
    cut = check_data_dir(tmp_path)
    assert cut.get("step", 0) < 8  # cut short (how far it got depends on the load)

    resumed = cli(tmp_path, "resume", NOVEL)
    assert resumed.wait() == 0, resumed.output()
    values = check_data_dir(tmp_path, final=True)
    assert values["step"] == 8 and values["paragraphs"] == values["position"] + 1


def test_an_unreachable_postgres_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "RECURRENTGPT_CHECKPOINTS", f"postgresql://u:secret@127.0.0.1:{free_port()}/x"
    )
    run = cli(tmp_path, "write", "--premise", "A keeper.", "--auto-first", "--id", NOVEL, *SETTINGS)
    assert run.wait() == 1
    errors = run.output()[1].strip().splitlines()
    assert len(errors) == 1 and "cannot reach the checkpoint database" in errors[0], errors
    assert "secret" not in errors[0]
