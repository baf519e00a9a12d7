"""Shared set-up of the integration tests (real local LLM server, real embedder)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.environment import clear_deployment_settings

REPORT_PREFIX = "offline_"
"""``record_property`` names starting with this are repeated in the terminal summary."""


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The integration tests run with the package defaults, whatever the shell exports."""
    clear_deployment_settings(monkeypatch)
    monkeypatch.setenv("LANGSMITH_TRACING", "false")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the measurements the offline tests recorded (retry counts, ranks)."""
    lines = []
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", []):
                if str(name).startswith(REPORT_PREFIX):
                    lines.append(f"{report.nodeid}: {name[len(REPORT_PREFIX) :]} = {value}")
    if lines:
        terminalreporter.write_sep("-", "offline model measurements")
        for line in lines:
            terminalreporter.write_line(line)
