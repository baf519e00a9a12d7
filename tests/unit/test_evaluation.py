"""The pure evaluation functions, and the judge with the scripted fake model."""

from __future__ import annotations

import pytest

from recurrentgpt.evaluation import (
    distinct_n,
    evaluate_novel,
    format_report,
    leading_paragraphs,
    length_score,
)
from tests.fakes import ScriptedChatModel


@pytest.mark.parametrize(
    ("words", "target", "expected"),
    [
        (3000, 3000, 100.0),
        (6000, 3000, 100 * (1 - 1 / 3)),  # twice too long
        (12000, 3000, 0.0),  # four times too long
        (20000, 3000, 0.0),
        (1500, 3000, 50.0),  # half as long
        (1000, 3000, 0.0),  # a third as long
        (3090, 3000, 99.0),
        (0, 3000, 0.0),
    ],
)
def test_length_score_matches_longbench_write(words, target, expected):
    assert length_score(words, target) == pytest.approx(expected)


def test_length_score_needs_a_target():
    with pytest.raises(ValueError, match="positive"):
        length_score(100, 0)


def test_distinct_n_counts_repeats_across_paragraphs_but_not_across_boundaries():
    assert distinct_n(["a b c", "d e f"], 2) == 1.0
    assert distinct_n(["a b", "A B"], 2) == 0.5  # case-insensitive
    assert distinct_n(["a b", "c d"], 3) == 0.0  # no trigram inside a paragraph
    assert distinct_n(["the the the the"], 1) == 0.25
    assert distinct_n(["灯塔灯塔"], 2) == pytest.approx(2 / 3)  # CJK characters are words
    with pytest.raises(ValueError):
        distinct_n(["a"], 0)


def test_leading_paragraphs_keeps_whole_paragraphs_within_the_budget():
    paragraphs = ["one two three", "four five", "six seven eight nine"]
    assert leading_paragraphs(paragraphs, 5) == paragraphs[:2]
    assert leading_paragraphs(paragraphs, 1) == paragraphs[:1]


async def test_evaluate_without_judge_reports_length_and_repetition():
    result = await evaluate_novel(["one two three", "four five six"], 6, None)
    assert result["words"] == 6
    assert result["length_score"] == 100.0
    assert result["distinct_1"] == 1.0
    assert result["judge"] is None
    report = format_report(result)
    assert "S_l" in report and "not run" in report


async def test_evaluate_with_judge_writes_a_rolling_baseline_and_asks_both_orders():
    # The judge always prefers excerpt A: ours wins once (as A) and loses once (as B).
    judge = ScriptedChatModel(
        overrides={
            "JudgeVerdict": lambda schema, messages, n: {
                "more_interesting": "A",
                "more_coherent": "A",
                "reason": f"verdict {n}",
            }
        }
    )
    novel = [f"Paragraph {i} of the novel, where Arlo keeps the light." for i in range(5)]
    result = await evaluate_novel(novel, None, judge)
    assert result["length_score"] is None
    judged = result["judge"]
    assert judged["more_interesting"] == 0.5 and judged["more_coherent"] == 0.5
    assert judged["baseline"] == "rolling-window"
    # Two of the five paragraphs were written by the baseline, then two judge calls.
    assert [schema for schema, _ in judge.calls] == ["text", "text", "JudgeVerdict", "JudgeVerdict"]
    first_excerpt_a = str(judge.calls[2][1][-1].content)
    assert first_excerpt_a.index("Paragraph 4 of the novel") < first_excerpt_a.index("Excerpt B")
    assert "50%" in format_report(result)


async def test_evaluate_with_a_given_baseline_writes_nothing():
    judge = ScriptedChatModel(
        overrides={
            "JudgeVerdict": lambda schema, messages, n: {
                "more_interesting": "B",
                "more_coherent": "B",
                "reason": "ok",
            }
        }
    )
    result = await evaluate_novel(["ours one", "ours two"], 4, judge, baseline=["theirs"])
    assert [schema for schema, _ in judge.calls] == ["JudgeVerdict", "JudgeVerdict"]
    assert result["judge"]["baseline"] == "given"
    assert result["judge"]["baseline_words_compared"] == 1
    assert "theirs" in str(judge.calls[0][1][-1].content)
