"""Many novels at once on the production runtime: the short form of bench/server_load.py.

Five novels of two auto steps each, written at once through the SDK on ``langhost``
(PostgreSQL, Redis, one worker) serving the scripted-model graph whose writer names
every novel token its prompt holds (tests/server/load_graph.py). Each must finish,
hold positions 0..n-1 once in long-term memory and name only its own token. The
fuller run (20 novels x 5 steps) is ``python -m bench.server_load``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("langgraph_sdk")

from bench.server_load import on_production_runtime
from tests.deploy.runtime import REPORT_LINES, require_runtime

pytestmark = pytest.mark.deploy

NOVELS = 5
STEPS = 2


def test_five_novels_at_once_on_the_production_runtime_each_finish_with_their_own_paragraphs(
    tmp_path: Path,
) -> None:
    require_runtime()
    result = on_production_runtime(tmp_path, NOVELS, STEPS, jobs=NOVELS)

    assert result.problems == []
    assert result.steps_written == NOVELS * STEPS
    assert len({run.novel_id for run in result.runs}) == NOVELS
    REPORT_LINES.append(
        f"load: {NOVELS} novels x {STEPS} steps at once on the production runtime: "
        f"{result.steps_per_second:.2f} steps/s, step p95 {result.step_p95:.2f} s"
    )
