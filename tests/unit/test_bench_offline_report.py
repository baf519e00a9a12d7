"""BENCHMARKS.md's offline section is read from bench/results/offline_model.md."""

from __future__ import annotations

from pathlib import Path

from bench import report

OFFLINE_REPORT = """# Offline defaults

Measured 2026-11-30 09:00 UTC by `bench/offline_model.py`.

## b. Speed

| novel | wall time | s / step | steps, words | requests (timed) | generated tokens | decode tok/s | prompt tokens, tok/s | generated tok / wall s |
|---|---|---|---|---|---|---|---|---|
| long: 20 steps x 180 words | 600 s | 30.0 | 20, 5000 | 90 (90) | 19000 | 105 | 50000, 150 | 31.7 |

## c. Parse success

| long | **unusable / total attempts** | | | **3 / 90 (3.3 %)** | | |

- long: exit codes [0]; steps that failed after all retries: **0**.

## d. Peak memory (RSS)

| long | 644 MB | 489 MB | 1133 MB |

## e. Prompt processing per step

| novel | prompt cache | sent |
|---|---|---|
| long | off | 149185 |

Per role:

| novel | role | requests |
|---|---|---|
| long | writer | 23 |
| long | planner | 21 |
"""  # noqa: E501


def test_the_offline_section_keeps_the_per_novel_and_per_role_tables_apart(
    tmp_path: Path,
) -> None:
    results = tmp_path / report.OFFLINE_RESULTS
    results.parent.mkdir(parents=True)
    results.write_text(OFFLINE_REPORT, encoding="utf-8")

    section = report._offline_model(tmp_path)

    assert "measured 2026-11-30 09:00 UTC" in section
    assert "| long: 20 steps x 180 words | 600 s | 30.0 | 105 | 3 / 90 (3.3 %) | 0 |" in section
    assert "| long | off | 149185 |\n\n| novel | role | requests |" in section
    assert section.rstrip().endswith("| long | planner | 21 |")
