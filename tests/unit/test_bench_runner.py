"""The benchmark runner's merge: re-running some figures keeps the others."""

from __future__ import annotations

from bench.run import merged


def test_merge_replaces_only_the_figures_run() -> None:
    earlier = {
        "mode": "full",
        "step_overhead": {"rows": ["old"]},
        "token_cost": {"steps": 40},
        "seconds": {"step_overhead": 500.0, "token_cost": 9.0},
        "load": {"token_cost": {"load_before": [1.0, 1.0, 1.0]}},
    }
    new = {
        "mode": "full",
        "step_overhead": {"rows": ["new"]},
        "seconds": {"step_overhead": 300.0},
        "load": {"step_overhead": {"load_before": [0.5, 0.5, 0.5]}},
    }
    result = merged(earlier, new)
    assert result["step_overhead"] == {"rows": ["new"]}
    assert result["token_cost"] == {"steps": 40}
    assert result["seconds"] == {"step_overhead": 300.0, "token_cost": 9.0}
    assert set(result["load"]) == {"step_overhead", "token_cost"}
    assert result["total_seconds"] == 309.0
