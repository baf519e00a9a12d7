"""The pure evaluation functions, and the judges with the scripted fake model."""

from __future__ import annotations

import itertools

import pytest
from qdrant_client import QdrantClient

from recurrentgpt.cli import main
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.evaluation import (
    check_continuity,
    continuity_windows,
    distinct_n,
    evaluate_novel,
    format_report,
    leading_paragraphs,
    length_score,
    locate_quote,
)
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.text import count_words
from tests.fakes import FakeServices, ScriptedChatModel


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


# The continuity check: windows, quote verification and the scripted judge.

EYES_BLUE = "Mara looked up at the keeper with her clear blue eyes and said nothing."
EYES_BROWN = "The keeper stared into Mara's dark brown eyes, waiting for an answer."


def filler(i: int) -> str:
    return f"Filler paragraph {i} where the tide turns and the gulls cry over the harbour."


def contradiction_judge(invented: bool = False) -> ScriptedChatModel:
    """A judge that reports the eye-colour contradiction whenever its window holds both
    passages; with ``invented`` it also claims one whose quote is not in the novel."""

    def answer(schema: str, messages: list, n: int) -> dict:
        excerpt = str(messages[-1].content)
        found = []
        if "clear blue eyes" in excerpt and "dark brown eyes" in excerpt:
            found.append(
                {
                    "category": "factual_detail",
                    # Typography differs from the text on purpose: quotes are compared by words.
                    "earlier_quote": "with her clear BLUE eyes ... said nothing",
                    "later_quote": "stared into Mara’s dark brown eyes",
                    "explanation": "Her eyes change colour.",
                }
            )
        if invented:
            found.append(
                {
                    "category": "characterization",
                    "earlier_quote": "Mara hated the sea with all her heart",
                    "later_quote": "the gulls cry over the harbour",
                    "explanation": "Invented.",
                }
            )
        return {"contradictions": found}

    return ScriptedChatModel(overrides={"ContinuityFindings": answer})


@pytest.mark.parametrize("window_words", [2, 7, 30, 100])
def test_continuity_windows_are_bounded_overlapping_and_cover_the_novel(window_words):
    sizes = [3, 12, 1, 5, 5, 40, 2, 2, 9, 4, 6, 1, 1, 8]
    windows = continuity_windows(sizes, window_words)
    covered = [i for window in windows for i in window]
    assert set(covered) == set(range(len(sizes)))
    for window in windows:
        assert len(window) == 1 or sum(sizes[i] for i in window) <= window_words
    for previous, current in itertools.pairwise(windows):
        assert previous.start < current.start <= previous.stop  # progress, no gap
    with pytest.raises(ValueError, match="at least 2"):
        continuity_windows(sizes, 1)


def test_continuity_windows_repeat_about_half_of_the_previous_window():
    windows = continuity_windows([10] * 20, 100)
    assert windows[0] == range(10)
    assert windows[1].start == 5  # the second half of the first window is read again
    assert windows[-1].stop == 20


def test_locate_quote_ignores_typography_and_rejects_what_is_not_there():
    paragraphs = [filler(0), EYES_BLUE, EYES_BROWN]
    everywhere = range(3)
    assert locate_quote("her clear BLUE eyes, and said", paragraphs, everywhere) == 1
    assert locate_quote("[2] Mara looked up … said nothing.", paragraphs, everywhere) == 1
    assert locate_quote("“dark brown eyes, waiting”", paragraphs, everywhere) == 2
    assert locate_quote("dark brown eyes", paragraphs, range(2)) is None  # outside the window
    assert locate_quote("her green eyes", paragraphs, everywhere) is None
    assert locate_quote("said nothing ... Mara looked", paragraphs, everywhere) is None  # order
    assert locate_quote("blue eyes", paragraphs, everywhere) is None  # too short to prove much


async def test_check_continuity_keeps_quoted_contradictions_and_drops_invented_ones():
    novel = [filler(i) for i in range(40)]
    novel[12], novel[14] = EYES_BLUE, EYES_BROWN
    judge = contradiction_judge(invented=True)
    result = await check_continuity(novel, judge, window_words=100)
    prompts = judge.prompts_for("ContinuityFindings")
    assert result["windows"] == len(prompts) > 4
    # Each prompt holds one bounded window, never the whole novel.
    assert all(count_words(p) < 100 + 250 for p in prompts)
    # Two overlapping windows saw the pair; it counts once, in novel order.
    assert sum(EYES_BLUE in p and EYES_BROWN in p for p in prompts) >= 2
    assert len(result["contradictions"]) == 1
    found = result["contradictions"][0]
    assert (found["earlier_paragraph"], found["later_paragraph"]) == (12, 14)
    assert found["category"] == "factual_detail"
    assert result["unverified"] == result["windows"]  # the invented claim, once per window
    assert result["claimed"] == result["unverified"] + sum(
        EYES_BLUE in p and EYES_BROWN in p for p in prompts
    )
    assert result["per_10k_words"] == pytest.approx(10_000 / result["words"])


async def test_check_continuity_puts_the_earlier_quote_first_and_ignores_self_contradiction():
    def answer(schema: str, messages: list, n: int) -> dict:
        return {
            "contradictions": [
                {
                    "category": "factual_detail",
                    "earlier_quote": "dark brown eyes, waiting",
                    "later_quote": "clear blue eyes and said",
                    "explanation": "Eyes.",
                },
                {
                    "category": "factual_detail",
                    "earlier_quote": "clear blue eyes and said",
                    "later_quote": "clear blue eyes and said",
                    "explanation": "Same passage twice.",
                },
            ]
        }

    judge = ScriptedChatModel(overrides={"ContinuityFindings": answer})
    result = await check_continuity([EYES_BLUE, EYES_BROWN], judge)
    assert result["windows"] == 1
    assert [(c["earlier_paragraph"], c["later_paragraph"]) for c in result["contradictions"]] == [
        (0, 1)
    ]
    assert result["contradictions"][0]["earlier_quote"] == "clear blue eyes and said"
    assert result["unverified"] == 1


async def test_evaluate_novel_reports_continuity_per_10k_words():
    novel = [filler(0), EYES_BLUE, filler(1), EYES_BROWN]
    result = await evaluate_novel(novel, None, None, continuity_judge=contradiction_judge())
    assert result["judge"] is None
    assert result["continuity"]["per_10k_words"] == pytest.approx(10_000 / result["words"])
    report = format_report(result)
    assert "Continuity: 1 contradiction(s)" in report
    assert "paragraph 2: 'with her clear BLUE eyes ... said nothing'" in report
    no_check = await evaluate_novel(novel, None, None)
    assert no_check["continuity"] is None and "Continuity" not in format_report(no_check)


def test_cli_continuity_needs_a_judge(tmp_path, capsys):
    services = FakeServices(
        ScriptedChatModel(), LongTermMemory(QdrantClient(":memory:"), HashingEmbeddings(64))
    )
    data_dir = str(tmp_path / "data")
    write = ["--data-dir", data_dir, "write", "--premise", "x", "--steps", "1", "--auto-first"]
    assert main([*write, "--id", "c1", "--words-per-paragraph", "40"], services=services) == 0
    capsys.readouterr()
    assert main(["--data-dir", data_dir, "eval", "c1", "--continuity"], services=services) == 1
    assert "--continuity needs a judge model" in capsys.readouterr().err
