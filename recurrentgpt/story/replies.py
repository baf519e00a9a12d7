"""Does a reply read as what was asked? Checks for plans and opening prose.

Small models sometimes answer a plan with a few symbols ("5(1) { .") or open a
novel by describing it ("This novel is about..."). These checks return the
problem in words (shown to the model on retry), or None.
"""

from __future__ import annotations

import re

from recurrentgpt.text import count_words, words

MIN_PLAN_WORDS = 5
"""A plan shorter than this is not a plan (a CJK character counts as a word)."""

MIN_LANGUAGE_SHARE = 0.6
"""Share of a plan's words that must be written in the novel's script."""

CJK_LANGUAGES = frozenset({"chinese", "japanese", "korean", "mandarin", "cantonese"})
"""Languages written in CJK characters (each character counts as one word)."""

_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_ALPHABETIC_WORD = re.compile(r"^[^\W\d_]{2,}[\W_]*$|^[^\W\d_]+(?:['\u2019-][^\W\d_]+)+[\W_]*$")
_ABOUT_THE_NOVEL = re.compile(
    r"\b(?:this|the|our|my) (?:novel|story|book|chapter|opening)\b"
    r"|\bchapter \d+\b|\b(?:protagonist|main character|outline|genre)\b",
    re.IGNORECASE,
)


def _in_language(word: str, cjk: bool) -> bool:
    if cjk:
        return bool(_CJK_CHAR.fullmatch(word))
    return bool(_ALPHABETIC_WORD.match(word)) and not _CJK_CHAR.search(word)


def plan_problem(plan: str, language: str) -> str | None:
    """Why ``plan`` is not a plan in ``language`` (too short, not words), or None."""
    found = words(plan)
    if len(found) < MIN_PLAN_WORDS:
        return (
            f"a plan needs at least {MIN_PLAN_WORDS} words; {plan.strip()[:60]!r} has {len(found)}"
        )
    cjk = language.strip().lower() in CJK_LANGUAGES
    share = sum(_in_language(word, cjk) for word in found) / len(found)
    if share < MIN_LANGUAGE_SHARE:
        return f"a plan must be written in words of {language}: {plan.strip()[:60]!r} is not"
    return None


def narration_problem(paragraph: str) -> str | None:
    """Why an opening paragraph describes the novel instead of telling it, or None.

    A paragraph that talks about "the novel", "this chapter" or "the
    protagonist" is a summary, not the story itself.
    """
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", paragraph) if s.strip()]
    about = [s for s in sentences if _ABOUT_THE_NOVEL.search(s)]
    if sentences and len(about) * 3 >= len(sentences) and count_words(" ".join(about)) >= 5:
        return "it describes the novel instead of telling the story: narrate the scene itself"
    return None
