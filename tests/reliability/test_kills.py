"""The command line killed at random moments, and two runs of one novel at once.

The quick form of tests/reliability/kills.py (:data:`~tests.reliability.kills.QUICK_KILLS`
kills); ``make reliability`` runs the fuller one. Timings go to the test report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.kills import (
    NOVEL,
    QUICK_KILLS,
    SETTINGS,
    check_data_dir,
    cli,
    kill_rounds,
    run_cli,
)


def test_a_novel_survives_random_kills_of_write_resume_rewind_and_export(
    tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    report = kill_rounds(tmp_path / "data", QUICK_KILLS, seed=12)

    assert report.outcomes["killed"] == QUICK_KILLS
    assert report.checks == sum(report.outcomes.values()) + 1
    assert report.paragraphs >= 3  # the opening and the steps, each once (checked)
    record_property("kill_rounds", "; ".join(report.rounds))
    record_property("kill_seconds", round(report.seconds))


def test_two_runs_of_one_novel_at_once_one_writes_the_other_is_told(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    code, _, err = run_cli(
        data_dir, "write", "--premise", "A keeper.", "--steps", "1", "--auto-first",
        "--id", NOVEL, *SETTINGS,
    )  # fmt: skip
    assert code == 0, err
    slow = {"SCRIPTED_WRITER_SECONDS": "1"}  # each run takes seconds: they overlap
    first = cli(data_dir, "resume", NOVEL, "--steps", "3", env=slow)
    second = cli(data_dir, "resume", NOVEL, "--steps", "3", env=slow)
    results = [(run.wait(), *run.output()) for run in (first, second)]

    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 1], results
    refused = next(err for code, _, err in results if code == 1)
    assert "is being written by another process" in refused
    assert refused.count("\n") == 1 and "Traceback" not in refused
    values = check_data_dir(data_dir, final=True)
    assert values["step"] == 4  # one run's three steps, not six, each paragraph once
