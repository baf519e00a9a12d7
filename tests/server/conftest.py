"""Fixtures of the server tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.devserver import (
    AUTH_TOKENS,
    REPORT_LINES,
    SERVER_TESTS,
    DevServer,
    langgraph_dev,
)


@pytest.fixture(scope="session")
def fake_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """`langgraph dev` serving the scripted-model graph, memory in an on-disk Qdrant folder.

    The on-disk folder is the case that allows one Qdrant client per process, so
    every concurrent thread of the server must go through the shared client.
    """
    folder = tmp_path_factory.mktemp("fake-server")
    with langgraph_dev(
        SERVER_TESTS / "langgraph.test.json",
        folder / "server.log",
        env={"RECURRENTGPT_QDRANT": str(folder / "qdrant")},
    ) as server:
        yield server


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """`langgraph dev` with the project's authentication and the page: users ``AUTH_TOKENS``."""
    folder = tmp_path_factory.mktemp("auth-server")
    users = ",".join(f"{token}:{user}" for user, token in AUTH_TOKENS.items())
    with langgraph_dev(
        SERVER_TESTS / "langgraph.auth.json",
        folder / "server.log",
        env={"RECURRENTGPT_USERS": users, "RECURRENTGPT_QDRANT": str(folder / "qdrant")},
    ) as server:
        yield server


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the server measurements (round trips, concurrency) after the results."""
    if REPORT_LINES:
        terminalreporter.section("langgraph dev measurements")
        for line in REPORT_LINES:
            terminalreporter.write_line(line)
