"""Many novels at once on one `langgraph dev`: the short form of bench/server_load.py.

Five novels of two auto steps each are written at once through the SDK on the
scripted-model graph whose writer names every novel token its prompt holds
(tests/server/load_graph.py). Each must finish, hold positions 0..n-1 once in
long-term memory, and name only its own token. The fuller run (20 novels x 5
steps, also on the Postgres runtime) is ``python -m bench.server_load``; its
figures are in RELIABILITY.md. tests/deploy/test_load.py is the same on the runtime.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

pytest.importorskip("langgraph_sdk")

from bench.server_load import check_memory, on_dev_server
from tests.server.devserver import REPORT_LINES

pytestmark = pytest.mark.server

NOVELS = 5
STEPS = 2


def test_five_novels_at_once_each_finish_with_their_own_paragraphs_only(tmp_path: Path) -> None:
    result = on_dev_server(tmp_path, NOVELS, STEPS, jobs=NOVELS)

    assert result.problems == []
    assert result.steps_written == NOVELS * STEPS
    assert len({run.novel_id for run in result.runs}) == NOVELS
    REPORT_LINES.append(
        f"load: {NOVELS} novels x {STEPS} steps at once on langgraph dev: "
        f"{result.steps_per_second:.2f} steps/s, step p95 {result.step_p95:.2f} s"
    )
    # The checks can fail: two novels' tokens swapped is what paragraphs written
    # into the wrong novel would look like to them.
    first, second = result.runs[:2]
    swapped = [
        dataclasses.replace(first, token=second.token),
        dataclasses.replace(second, token=first.token),
    ]
    problems = check_memory(tmp_path / "qdrant", swapped, STEPS)
    assert len(problems) == 2 * STEPS
    assert all("tokens" in problem for problem in problems)
