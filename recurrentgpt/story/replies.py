"""Does a reply read as what was asked? Checks for plans, outlines, facts and opening prose.

Small models sometimes answer a plan with a few symbols ("5(1) { .") or open a
novel by describing it ("This novel is about..."). These checks return the
problem in words (shown to the model on retry), or None.
"""

from __future__ import annotations

import re

from recurrentgpt.text import count_words, find_loop_start, talks_about_task, words

MIN_PLAN_WORDS = 5
"""A plan shorter than this is not a plan (a CJK character counts as a word)."""

MIN_TITLE_WORDS = 1
"""A title needs at least one word."""

MIN_ARC_WORDS = 4
"""A chapter's one-line arc shorter than this says nothing."""

MIN_CHAPTER_OUTLINE_WORDS = 8
"""A chapter's detailed plan shorter than this plans nothing."""

MIN_LANGUAGE_SHARE = 0.6
"""Share of a plan's words that must be written in the novel's script."""

CJK_LANGUAGES = frozenset({"chinese", "japanese", "korean", "mandarin", "cantonese"})
"""Languages written in CJK characters (each character counts as one word)."""

_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_TWO_LETTERS = re.compile(r"[^\W\d_].*[^\W\d_]")
_MARKUP_CHARS = re.compile(r"[{}\[\]<>=_|\\/@#*]")
_NUMBER = re.compile(r"^[\W\d_]+$")
_ABOUT_THE_NOVEL = re.compile(
    r"\b(?:this|the|our|my|your) (?:novel|story|book|chapter|opening)\b"
    r"|\b(?:first|next|last|final) chapter\b"
    r"|\bchapter \d+\b|\b(?:protagonist|main character|outline|genre)\b",
    re.IGNORECASE,
)


_ABOUT_THE_PLAN = re.compile(
    r"\b(?:your|this|the new) plan\b|\b(?:first|second|third|last|one|two|three|\d+) sentences?\b"
    r"|\bwhat happens\W+who acts\b",
    re.IGNORECASE,
)
"""A plan about the plan ("Your plan has three sentences, but you must keep the first
sentence...", "What happens; who acts, what changes": the bundled model on 2026-11-30),
not about the story."""


def is_cjk_language(language: str) -> bool:
    """Whether ``language`` (a name such as "Chinese") is written in CJK characters."""
    return language.strip().lower() in CJK_LANGUAGES


LATIN_LANGUAGES = frozenset(
    {
        "english", "french", "german", "spanish", "italian", "portuguese", "dutch", "swedish",
        "norwegian", "danish", "finnish", "polish", "czech", "slovak", "hungarian", "romanian",
        "croatian", "slovenian", "turkish", "indonesian", "malay", "vietnamese", "catalan",
        "estonian", "latvian", "lithuanian", "icelandic", "irish", "welsh", "basque",
        "galician", "tagalog", "filipino", "swahili", "afrikaans", "albanian", "latin",
    }
)  # fmt: skip
"""Languages written in Latin letters: a word of theirs in another script is not theirs."""

_NON_LATIN_LETTER = re.compile(r"[^\W\d_a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")
"""A letter outside the Latin alphabets (Hebrew, Cyrillic, Greek, ...)."""


def _in_language(word: str, cjk: bool, latin: bool = False) -> bool:
    if cjk:
        return bool(_CJK_CHAR.fullmatch(word))
    return (
        bool(_TWO_LETTERS.search(word))
        and not _MARKUP_CHARS.search(word)
        and not _CJK_CHAR.search(word)
        and not (latin and _NON_LATIN_LETTER.search(word))
    )


def words_problem(text: str, language: str, *, min_words: int, what: str) -> str | None:
    """Why ``text`` is not ``what`` written in words of ``language``, or None.

    It needs at least ``min_words`` words, and most of its words that are not
    numbers must be words of the novel's script (not markup, not identifiers; in
    Latin letters for a language in :data:`LATIN_LANGUAGES`).
    """
    found = words(text)
    quoted = repr(text.strip()[:60])
    if len(found) < min_words:
        return f"{what} needs at least {min_words} words; {quoted} has {len(found)}"
    cjk = is_cjk_language(language)
    latin = language.strip().lower() in LATIN_LANGUAGES
    # Numbers ("Chapter 2", "1890") neither count for nor against the language.
    lettered = [word for word in found if not _NUMBER.match(word)]
    share = (
        sum(_in_language(word, cjk, latin) for word in lettered) / len(lettered) if lettered else 0
    )
    if share < MIN_LANGUAGE_SHARE:
        return f"{what} must be written in words of {language}: {quoted} is not"
    return None


def plan_problem(plan: str, language: str, *, title: str = "") -> str | None:
    """Why ``plan`` is not a plan in ``language`` (too short, not words, looping, talk), or None.

    A plan is a sentence or two: a phrase of five words said three times in it is a
    small model stuck in a loop, and a writer given that plan loops too.
    """
    problem = words_problem(plan, language, min_words=MIN_PLAN_WORDS, what="a plan")
    if problem is None and find_loop_start(plan, n=5, max_repeats=2) is not None:
        return f"a plan must not repeat itself: {plan.strip()[:60]!r} does"
    if problem is None and (talks_about_task(plan) or _ABOUT_THE_PLAN.search(plan)):
        return f"a plan tells what happens in the story, not how to answer: {plan.strip()[:60]!r}"
    if problem is None and title and _is_only(plan, title):
        return f"a plan tells what happens next, not the novel's title: {plan.strip()[:60]!r}"
    return problem


def _is_only(text: str, title: str) -> bool:
    """Whether ``text`` is ``title`` and little else (a number, one more word)."""
    title_words = {word.lower() for word in words(title)}
    extra = [
        word for word in words(text) if word.lower() not in title_words and not _NUMBER.match(word)
    ]
    return bool(title_words) and len(extra) <= 1


def title_problem(title: str, language: str, *, what: str) -> str | None:
    """Why ``title`` (the novel's or a chapter's, named by ``what``) is not words, or None."""
    return words_problem(title, language, min_words=MIN_TITLE_WORDS, what=what)


def arc_problem(arc: str, language: str, *, what: str) -> str | None:
    """Why ``arc`` is not a chapter's one-line arc in ``language``, or None."""
    return words_problem(arc, language, min_words=MIN_ARC_WORDS, what=what)


def chapter_outline_problem(outline: str, language: str) -> str | None:
    """Why ``outline`` is not a chapter's detailed plan in ``language``, or None."""
    return words_problem(
        outline, language, min_words=MIN_CHAPTER_OUTLINE_WORDS, what="the chapter outline"
    )


_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
_ADDRESSED = re.compile(r"\byou(?:r|rs|rself|'re|'ve|'ll|'d)?\b", re.IGNORECASE)
MAX_ADDRESSED_SHARE = 0.5
"""Share of an English novel paragraph's sentences (outside quotes) that may speak to "you"."""


def address_problem(paragraph: str, language: str) -> str | None:
    """Why an English novel paragraph talks to "you" instead of telling the story, or None.

    The bundled model, its context full of chat, answered with thanks and praise
    ("Thank you for sharing your work... I'm so proud of you!") in place of a
    scene on 2026-11-30. A novel narrates in the third or first person; speech
    in quotation marks is not counted. Stories in the fiction form, told to the
    reader, and other languages are not checked.
    """
    if language.strip().lower() != "english":
        return None
    narration = _QUOTED.sub(" ", paragraph)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", narration) if count_words(s) >= 2]
    addressed = [s for s in sentences if _ADDRESSED.search(s)]
    if sentences and len(addressed) > MAX_ADDRESSED_SHARE * len(sentences):
        return "it talks to 'you' instead of telling the story: narrate the scene itself"
    return None


def narration_problem(paragraph: str) -> str | None:
    """Why a paragraph describes the novel instead of telling it, or None.

    A paragraph that talks about "the novel", "this chapter" or "the
    protagonist" is a summary, not the story itself.
    """
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", paragraph) if s.strip()]
    about = [s for s in sentences if _ABOUT_THE_NOVEL.search(s)]
    if sentences and len(about) * 3 >= len(sentences) and count_words(" ".join(about)) >= 5:
        return "it describes the novel instead of telling the story: narrate the scene itself"
    return None


MIN_SUMMARY_WORDS = 3
"""A summary shorter than this, once the talk about the task is cut, summarises nothing."""


def summary_problem(summary: str) -> str | None:
    """Why a paragraph's summary talks about the task instead of the story, or None.

    The summary is stored with the paragraph and, when the memory is edited,
    becomes the memory itself: the bundled model once summarised a paragraph with
    the memory task's own words ("Dropped sentences: the numbers of..."), which
    the next prompts then showed as the story so far.
    """
    if (
        talks_about_task(summary)
        or _FORM_FIELD.match(summary)
        or count_words(summary) < MIN_SUMMARY_WORDS
    ):
        return "the summary must tell what happens in the new paragraph, not talk about the task"
    return None


_FORM_FIELD = re.compile(
    r"\s*(?:dropped sentences|rationale|updated memory|bible changes|next plans)\s*:", re.IGNORECASE
)
"""Another field of the memory updater's form, echoed where the summary goes. ("In this
paragraph, Arlo..." is a fair summary and passes.)"""
