"""Evaluating a written novel: length against a target, repetition, and an LLM judge.

- :func:`length_score` is LongBench-Write's length score S_l (THUDM/LongWriter,
  ``eval_length.py``): 100 at the target, falling linearly to 0 at four times
  the target (too long) or at a third of it (too short).
- :func:`distinct_n` is the share of distinct word n-grams across paragraphs:
  1.0 means no n-gram is ever repeated; loops and copied passages lower it.
- :func:`judge_pair` asks a judge model which of two texts is more interesting
  and which is more coherent, as the paper's human evaluation did against
  Rolling-ChatGPT, in both orders to cancel the judge's position bias.
- :func:`check_continuity` asks a judge for contradictions, window by
  window, ConStory-Bench style: each must quote both passages, and a
  contradiction whose quotes are not in the text is dropped. The count is
  reported per 10,000 words.
- :func:`evaluate_novel` puts them together; with a judge it writes a
  rolling-window baseline from the same opening (or takes one given) first.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from recurrentgpt.llm import ask_structured, ask_text
from recurrentgpt.prompts import continuity as continuity_prompt
from recurrentgpt.prompts.start import OPENING_PARAGRAPHS
from recurrentgpt.text import count_words, ngrams, truncate_words, words

JUDGE_SYSTEM = """You are an experienced fiction editor judging two excerpts of novels that \
start from the same opening. Judge the writing, not the length. Reply only through the \
requested structured format."""

JUDGE_USER = """Excerpt A:
{text_a}

Excerpt B:
{text_b}

Which excerpt is more interesting (engaging plot, vivid and surprising developments)? \
Which is more coherent (consistent characters and facts, events that follow from each \
other)? Answer "A" or "B" for each, then give a short reason."""

ROLLING_SYSTEM = """You are a novelist. Reply with the next paragraph of the novel and \
nothing else."""

ROLLING_USER = """The most recent part of the novel:
{window}

Write the next paragraph (about {words_per_paragraph} words). Continue naturally and do \
not repeat earlier text."""


class JudgeVerdict(BaseModel):
    """The judge's reply for one pair of excerpts."""

    more_interesting: Literal["A", "B"] = Field(description="The more interesting excerpt.")
    more_coherent: Literal["A", "B"] = Field(description="The more coherent excerpt.")
    reason: str = Field(description="Why, in one or two sentences.", min_length=1, max_length=600)


def length_score(output_words: int, target_words: int) -> float:
    """LongBench-Write's length score S_l of a text of ``output_words`` for ``target_words``.

    Raises:
        ValueError: if ``target_words`` is not positive.
    """
    if target_words <= 0:
        raise ValueError(f"target_words must be positive, got {target_words}")
    if output_words <= 0:
        return 0.0
    y, x = output_words, target_words
    if y > x:
        return 100 * max(0.0, 1 - (y / x - 1) / 3)
    return 100 * max(0.0, 1 - (x / y - 1) / 2)


def distinct_n(paragraphs: Sequence[str], n: int) -> float:
    """Distinct word n-grams over all n-grams of ``paragraphs`` (0.0 when there are none).

    Words are lower-cased; n-grams do not span two paragraphs. CJK characters
    count as words, as everywhere in the package.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    grams: list[tuple[str, ...]] = []
    for paragraph in paragraphs:
        grams.extend(ngrams([w.lower() for w in words(paragraph)], n))
    return len(set(grams)) / len(grams) if grams else 0.0


def leading_paragraphs(paragraphs: Sequence[str], max_words: int) -> list[str]:
    """The first paragraphs holding at most ``max_words`` words (at least one)."""
    kept: list[str] = []
    total = 0
    for paragraph in paragraphs:
        total += count_words(paragraph)
        if kept and total > max_words:
            break
        kept.append(paragraph)
    return kept


def _last_words(text: str, max_words: int) -> str:
    tokens = text.split()
    return " ".join(tokens[-max_words:])


async def rolling_window_baseline(
    opening: Sequence[str],
    paragraphs: int,
    writer: BaseChatModel,
    *,
    words_per_paragraph: int,
    window_words: int = 1000,
    max_attempts: int = 3,
) -> list[str]:
    """Continue ``opening`` to ``paragraphs`` paragraphs, each call seeing only the last words.

    This is the Rolling-ChatGPT baseline of the paper: no memory beyond a
    window of the most recent ``window_words`` words.
    """
    written = list(opening)
    while len(written) < paragraphs:
        window = _last_words("\n\n".join(written), window_words)
        messages = [
            SystemMessage(ROLLING_SYSTEM),
            HumanMessage(
                ROLLING_USER.format(window=window, words_per_paragraph=words_per_paragraph)
            ),
        ]
        paragraph = await ask_text(
            writer,
            messages,
            role="baseline writer",
            min_words=max(5, words_per_paragraph // 8),
            max_attempts=max_attempts,
        )
        written.append(paragraph)
    return written


async def judge_pair(
    judge: BaseChatModel, ours: str, baseline: str, *, max_attempts: int = 3
) -> dict[str, Any]:
    """Ask ``judge`` twice (ours as A, then as B); the share of wins of ours per criterion."""
    verdicts: list[tuple[str, JudgeVerdict]] = []
    for ours_label, text_a, text_b in (("A", ours, baseline), ("B", baseline, ours)):
        verdict = await ask_structured(
            judge,
            JudgeVerdict,
            [
                SystemMessage(JUDGE_SYSTEM),
                HumanMessage(JUDGE_USER.format(text_a=text_a, text_b=text_b)),
            ],
            role="judge",
            max_attempts=max_attempts,
        )
        verdicts.append((ours_label, verdict))
    return {
        "more_interesting": statistics.mean(
            1.0 if v.more_interesting == label else 0.0 for label, v in verdicts
        ),
        "more_coherent": statistics.mean(
            1.0 if v.more_coherent == label else 0.0 for label, v in verdicts
        ),
        "reasons": [v.reason for _, v in verdicts],
    }


CONTINUITY_WINDOW_WORDS = 2500
"""Default size of one continuity window: the judge's prompt stays bounded whatever
the novel's length, and consecutive windows overlap by about half of it."""

MIN_QUOTE_WORDS = 3
"""A quote shorter than this proves nothing ("the key" occurs everywhere)."""

_ELLIPSIS = re.compile(r"\.\.\.|…")
_NOT_WORD = re.compile(r"[^\w]")
_PARAGRAPH_NUMBER = re.compile(r"^\s*\[\d+\]\s*")


@dataclass(frozen=True)
class FoundContradiction:
    """A contradiction whose two quotes were found in the novel."""

    category: str
    earlier_quote: str
    later_quote: str
    earlier_paragraph: int
    """Index (from 0) of the paragraph holding the earlier quote."""
    later_paragraph: int
    """Index (from 0) of the paragraph holding the later quote."""
    explanation: str


def continuity_windows(paragraph_words: Sequence[int], window_words: int) -> list[range]:
    """Split paragraphs (given by their word counts) into overlapping windows.

    Each window holds consecutive paragraphs totalling at most ``window_words``
    (a single longer paragraph makes a window alone; the caller truncates it),
    the next window starts so that it repeats about the last half of the
    previous one, and together they cover every paragraph. Two passages less
    than about half a window apart are therefore seen together at least once.

    Raises:
        ValueError: if ``window_words`` is below 2.
    """
    if window_words < 2:
        raise ValueError(f"window_words must be at least 2, got {window_words}")
    count = len(paragraph_words)
    windows: list[range] = []
    start = 0
    while start < count:
        end, total = start, 0
        while end < count and (end == start or total + paragraph_words[end] <= window_words):
            total += paragraph_words[end]
            end += 1
        windows.append(range(start, end))
        if end >= count:
            break
        kept = total
        next_start = start
        while next_start < end - 1 and (next_start == start or kept > window_words // 2):
            kept -= paragraph_words[next_start]
            next_start += 1
        start = max(next_start, start + 1)
    return windows


def _comparable_words(text: str) -> list[str]:
    """Lower-cased words without punctuation, so typography never decides a match."""
    cleaned = (_NOT_WORD.sub("", w.lower()) for w in words(text))
    return [w for w in cleaned if w]


def _contains_in_order(haystack: list[str], fragments: list[list[str]]) -> bool:
    position = 0
    for fragment in fragments:
        width = len(fragment)
        for start in range(position, len(haystack) - width + 1):
            if haystack[start : start + width] == fragment:
                position = start + width
                break
        else:
            return False
    return True


def locate_quote(quote: str, paragraphs: Sequence[str], candidates: Sequence[int]) -> int | None:
    """The first paragraph among ``candidates`` that holds ``quote``, or None.

    The quote must appear word for word inside one paragraph; case, punctuation
    and spacing do not matter, a leading paragraph number is ignored, and an
    ellipsis ("..." or "…") may stand for omitted words. Quotes of fewer than
    :data:`MIN_QUOTE_WORDS` words are never found.
    """
    quote = _PARAGRAPH_NUMBER.sub("", quote)
    fragments = [f for f in (_comparable_words(part) for part in _ELLIPSIS.split(quote)) if f]
    if sum(len(f) for f in fragments) < MIN_QUOTE_WORDS:
        return None
    for index in candidates:
        if _contains_in_order(_comparable_words(paragraphs[index]), fragments):
            return index
    return None


def _verified(
    claim: continuity_prompt.Contradiction, paragraphs: Sequence[str], window: range
) -> FoundContradiction | None:
    earlier = locate_quote(claim.earlier_quote, paragraphs, window)
    later = locate_quote(claim.later_quote, paragraphs, window)
    if earlier is None or later is None:
        return None
    if _comparable_words(claim.earlier_quote) == _comparable_words(claim.later_quote):
        return None  # one passage cannot contradict itself
    if later < earlier:
        earlier, later = later, earlier
        claim = claim.model_copy(
            update={"earlier_quote": claim.later_quote, "later_quote": claim.earlier_quote}
        )
    return FoundContradiction(
        category=claim.category,
        earlier_quote=claim.earlier_quote,
        later_quote=claim.later_quote,
        earlier_paragraph=earlier,
        later_paragraph=later,
        explanation=claim.explanation,
    )


async def check_continuity(
    paragraphs: Sequence[str],
    judge: BaseChatModel,
    *,
    window_words: int = CONTINUITY_WINDOW_WORDS,
    max_attempts: int = 3,
) -> dict[str, Any]:
    """Ask ``judge`` for the novel's contradictions, one bounded window at a time.

    Every claimed contradiction must quote two passages; it is kept only when
    both quotes occur in the window the judge read (see :func:`locate_quote`)
    and are different passages. The same pair found again in an overlapping
    window counts once. Passages farther apart than about half a window are
    never compared: that is the price of a bounded prompt.

    Args:
        paragraphs: The novel, in order.
        judge: The chat model that reads each window.
        window_words: Words per window (each paragraph is cut to this size).
        max_attempts: Attempts per window for a reply that fits the schema.

    Returns:
        A JSON-serialisable dict: ``windows``, ``window_words``, ``words``,
        ``claimed`` (contradictions the judge listed), ``unverified`` (dropped
        because a quote is not in the text), ``contradictions`` (the verified
        ones, each with its quotes and paragraph indexes) and
        ``per_10k_words``.
    """
    bounded = [truncate_words(p, window_words) for p in paragraphs]
    windows = continuity_windows([count_words(p) for p in bounded], window_words)
    found: dict[tuple[int, int, tuple[str, ...], tuple[str, ...]], FoundContradiction] = {}
    claimed = unverified = 0
    for window in windows:
        excerpt = "\n\n".join(f"[{i + 1}] {bounded[i]}" for i in window)
        findings = await ask_structured(
            judge,
            continuity_prompt.ContinuityFindings,
            [
                SystemMessage(continuity_prompt.SYSTEM),
                HumanMessage(
                    continuity_prompt.USER.format(
                        first=window.start + 1,
                        last=window.stop,
                        excerpt=excerpt,
                        max_contradictions=continuity_prompt.MAX_CONTRADICTIONS_PER_WINDOW,
                    )
                ),
            ],
            role="continuity judge",
            max_attempts=max_attempts,
        )
        for claim in findings.contradictions:
            claimed += 1
            contradiction = _verified(claim, bounded, window)
            if contradiction is None:
                unverified += 1
                continue
            key = (
                contradiction.earlier_paragraph,
                contradiction.later_paragraph,
                tuple(_comparable_words(contradiction.earlier_quote)),
                tuple(_comparable_words(contradiction.later_quote)),
            )
            found.setdefault(key, contradiction)
    total_words = sum(count_words(p) for p in paragraphs)
    return {
        "windows": len(windows),
        "window_words": window_words,
        "words": total_words,
        "claimed": claimed,
        "unverified": unverified,
        "contradictions": [asdict(c) for c in found.values()],
        "per_10k_words": 10_000 * len(found) / total_words if total_words else 0.0,
    }


async def evaluate_novel(
    paragraphs: list[str],
    target_words: int | None,
    judge: BaseChatModel | None,
    *,
    baseline: list[str] | None = None,
    judge_words: int = 3000,
    window_words: int = 1000,
    continuity_judge: BaseChatModel | None = None,
    continuity_window_words: int = CONTINUITY_WINDOW_WORDS,
) -> dict[str, Any]:
    """Length, S_l for ``target_words``, repetition and, with judges, their verdicts.

    Args:
        paragraphs: The novel, opening included, in order.
        target_words: The length asked for; None or 0 skips S_l.
        judge: Chat model that compares the novel with a rolling-window baseline;
            None skips the comparison.
        baseline: Paragraphs of a baseline novel to compare with. Default: the
            judge model writes one from the same opening.
        judge_words: Both texts are compared on their first paragraphs up to
            about this many words (the paper's shorter setting is ~3,000).
        window_words: Context window of the generated baseline, in words.
        continuity_judge: Chat model that lists the novel's contradictions
            (:func:`check_continuity`); None skips the check.
        continuity_window_words: Words per window of the continuity check.

    Returns:
        A JSON-serialisable dict: ``paragraphs``, ``words``, ``target_words``,
        ``length_score`` (None without a target), ``distinct_1`` to
        ``distinct_3``, ``judge`` (None without a judge, else the shares of
        wins of the novel over the baseline, the reasons and the compared sizes)
        and ``continuity`` (None without a continuity judge, else the result of
        :func:`check_continuity`).
    """
    total_words = sum(count_words(p) for p in paragraphs)
    result: dict[str, Any] = {
        "paragraphs": len(paragraphs),
        "words": total_words,
        "target_words": target_words or None,
        "length_score": length_score(total_words, target_words) if target_words else None,
        **{f"distinct_{n}": distinct_n(paragraphs, n) for n in (1, 2, 3)},
        "judge": None,
        "continuity": None,
    }
    if continuity_judge is not None and paragraphs:
        result["continuity"] = await check_continuity(
            paragraphs, continuity_judge, window_words=continuity_window_words
        )
    if judge is None or not paragraphs:
        return result
    ours = leading_paragraphs(paragraphs, judge_words)
    kind = "given" if baseline is not None else "rolling-window"
    if baseline is None:
        baseline = await rolling_window_baseline(
            paragraphs[:OPENING_PARAGRAPHS],
            len(ours),
            judge,
            words_per_paragraph=max(10, round(total_words / len(paragraphs))),
            window_words=window_words,
        )
    theirs = leading_paragraphs(baseline, judge_words)
    comparison = await judge_pair(judge, "\n\n".join(ours), "\n\n".join(theirs))
    result["judge"] = {
        **comparison,
        "baseline": kind,
        "words_compared": sum(count_words(p) for p in ours),
        "baseline_words_compared": sum(count_words(p) for p in theirs),
        "baseline_distinct_3": distinct_n(baseline, 3),
    }
    return result


def format_report(result: dict[str, Any]) -> str:
    """The result of :func:`evaluate_novel` as a few readable lines."""
    lines = [f"Length: {result['words']} words in {result['paragraphs']} paragraphs"]
    if result.get("length_score") is not None:
        lines.append(
            f"Length score S_l for a target of {result['target_words']} words: "
            f"{result['length_score']:.1f} / 100"
        )
    lines.append(
        "Repetition (distinct n-grams across paragraphs, 1.0 = none repeated): "
        + ", ".join(f"distinct-{n} {result[f'distinct_{n}']:.3f}" for n in (1, 2, 3))
    )
    judged = result.get("judge")
    if judged:
        lines.append(
            f"LLM judge vs a {judged['baseline']} baseline on the first "
            f"{judged['words_compared']} words (baseline {judged['baseline_words_compared']}), "
            "both orders: "
            f"more interesting {100 * judged['more_interesting']:.0f}% of the time, "
            f"more coherent {100 * judged['more_coherent']:.0f}%"
        )
        lines.extend(f"  judge: {reason}" for reason in judged["reasons"])
    else:
        lines.append("LLM judge: not run (no judge model configured)")
    continuity = result.get("continuity")
    if continuity:
        found = continuity["contradictions"]
        lines.append(
            f"Continuity: {len(found)} contradiction(s) with both quotes found in the text, "
            f"{continuity['per_10k_words']:.2f} per 10,000 words ({continuity['windows']} "
            f"window(s) of at most {continuity['window_words']} words; "
            f"{continuity['unverified']} of {continuity['claimed']} claimed dropped: a quote "
            "is not in the text)"
        )
        for item in found:
            lines.append(
                f"  [{item['category']}] paragraph {item['earlier_paragraph'] + 1}: "
                f"{item['earlier_quote']!r} vs paragraph {item['later_paragraph'] + 1}: "
                f"{item['later_quote']!r}: {item['explanation']}"
            )
    return "\n".join(lines)
