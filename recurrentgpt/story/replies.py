"""Does a reply read as what was asked? Checks for plans, outlines, facts and opening prose.

A small model's paragraphs are cut to the sentences that tell the story (:func:`story_only`).

Small models sometimes answer a plan with a few symbols ("5(1) { .") or open a
novel by describing it ("This novel is about..."). These checks return the
problem in words (shown to the model on retry), or None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from recurrentgpt.text import count_words, find_loop_start, overlap_ratio, talks_about_task, words

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


_LETTERS = re.compile(r"[^\W_]+")
_ARTICLES = frozenset({"a", "an", "the"})


def _bare_words(text: str) -> list[str]:
    """``text``'s words in lower case without their punctuation ('"The Lamp",' -> the, lamp)."""
    return _LETTERS.findall(text.lower())


def _is_only(text: str, title: str) -> bool:
    """Whether ``text`` is ``title`` and little else (articles, a number, one more word)."""
    title_words = set(_bare_words(title))
    extra = [
        word
        for word in _bare_words(text)
        if word not in title_words and word not in _ARTICLES and not word.isdigit()
    ]
    return bool(title_words) and len(extra) <= 1


MAX_TITLE_WORDS = 12
"""A longer title (in a language that spaces its words) is a sentence or a synopsis: the
bundled model titled a novel "A Lighthouse keeper on a remote island: A mystery novel in
one chapter. In this story, a lighthouse keeper is sent to a" (2026-12-01)."""


def title_problem(title: str, language: str, *, what: str) -> str | None:
    """Why ``title`` (the novel's or a chapter's, named by ``what``) is not a title, or None.

    A title is words, and in a language that spaces its words at most
    :data:`MAX_TITLE_WORDS` of them.
    """
    problem = words_problem(title, language, min_words=MIN_TITLE_WORDS, what=what)
    if problem is None and not is_cjk_language(language) and count_words(title) > MAX_TITLE_WORDS:
        problem = f"{what} is a few words, not a sentence: {title.strip()[:60]!r} is not"
    return problem


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
        or _FORM_FIELD.search(summary)
        or count_words(summary) < MIN_SUMMARY_WORDS
    ):
        return "the summary must tell what happens in the new paragraph, not talk about the task"
    return None


_FORM_FIELD = re.compile(
    r"\b(?:dropped sentences|rationale|updated memory|bible changes|next plans)\s*:", re.IGNORECASE
)
"""Another field of the memory updater's form, echoed where the summary goes, at its start
or after a list number ("2. Dropped sentences: ..."). ("In this paragraph, Arlo..." is a
fair summary and passes.)"""


_ABOUT_THE_TELLING = re.compile(
    r"\b(?:his|her|their|its|the|this|our|my|your|a) (?:story|tale) (?:begins|began|starts|started"
    r"|continues|ends|ended|has begun|is about|so far)\b"
    r"|\b(?:this|one|two|three|next|last|final|previous|first|new) (?:pages?|scenes?)\b"
    r"|\bpages? left\b|\bchapters?\b|\bparagraphs?\b|\bsentences?\b|\bthe reader\b"
    r"|\b\d+ words\b|\bwhat(?:'s| is| happens) next\b|\bnarrative arc\b"
    r"|\bintroduce (?:a|an|the) (?:new )?character\b|\bin one line\b|\bone-line\b"
    r"|\b(?:writ(?:e|es|ing)|craft(?:s|ing)?|shar(?:e|es|ing)|working on) "
    r"(?:a |an |the |this |my )?(?:scenes?|stor(?:y|ies)|novel|tale|essay)\b"
    r"|\bcan'?t stop writing\b|\bfinishing up\b"
    r"|\b(?:is|was) (?:not )?(?:just )?(?:a|an|the) (?:\w+ )?(?:story|tale) (?:of|about)\b"
    r"|\ba (?:thrilling|gripping|captivating|compelling) (?:tale|story)\b"
    r"|\b(?:first|second|third|old|original|other) plans?\b|\b(?:i am|i'm) (?:still )?writing\b"
    r"|\breaders\b|\bnovels\b|\bfirst draft\b|\bshort stor(?:y|ies)\b|\bso many ideas\b"
    r"|\b(?:planning|going|want|plan) to (?:write|create|start) (?:a |an |the |my |two |more "
    r"|another )?(?:\w+ )?(?:novels?|books?|stor(?:y|ies))\b"
    r"|\b(?:my|your) (?:first|last|previous|next) messages?\b|\bevery (?:last )?message\b"
    r"|\bwhat i(?:'ve)? (?:said|been saying)\b"
    r"|\bi (?:added|changed|removed|replaced|corrected) (?:an? |the )?(?:apostrophes?|commas?"
    r"|words?|phrases?|quotes?|quotation marks?|text|lines?)\b|\bi changed\s+to\b"
    r"|\bthe original text\b|\bto indicate possession\b|\bfor clarity\b"
    r"|\bwhat they do next\b|\b(?:a|an) (?:\w+ )?novel\b(?! (?:idea|way|approach|thought))"
    r"|\ba (?:\w+ )?story (?:about|of)\b|\bwe(?:'re| are) (?:not )?(?:just )?talking about\b",
    re.IGNORECASE,
)
"""Talk about the telling rather than the story ("His story begins with this image",
"One scene continues from the previous ending", "we're just two pages left", "What's
next? 289 words", "The end of this narrative arc is marked by an adj.", the writer's own
"Introduce a new character" echoed, "I'm no longer just writing scenes, but crafting a
story"): the bundled model's sentences between its scenes on 2026-11-30; and on 2026-12-01
"I've been working on an essay about the mystery of ..., a thrilling tale set against...",
"It is not just a story of the sea", "The second plan is a different version of the first
one", "there are many others that I am still writing", "every one of those readers", and
a whole novel about writing novels ("I have so many ideas now... write my first draft", "I am
planning to write two more novels!", "I'll start a new book based on Emily's dreams"), or
a chat about its messages ("This is what I said in my previous message") or its edits ("I
added an apostrophe before "Dossier" to indicate possession"); and after a compact opening
plan, "The Lamp by the Sea Show what they do next." (its words echoed), "It is a mystery
novel set in the past", "This is the beginning of a story about a very special case",
"We're not just talking about a murderous story"."""
_SENTENCE_BREAK = re.compile(r"[.!?…]+[\"'\u201d\u2019)]*\s+")


def _split_outside_quotes(line: str) -> list[str]:
    """``line``'s sentences; a break inside a quotation does not end one."""
    found, start = [], 0
    for match in _SENTENCE_BREAK.finditer(line):
        piece = line[start : match.end()]
        if piece.count('"') % 2 or piece.count("“") > piece.count("”"):
            continue
        found.append(piece.strip())
        start = match.end()
    found.append(line[start:].strip())
    return [sentence for sentence in found if sentence]


_HANDLE = re.compile(r"(?<!\w)@\w")
"""A social-media handle ("edited by @SternechterderFuhrei"): a post's credits, not a scene."""

ENGLISH_FUNCTION_WORDS = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "from",
        "with", "as", "that", "this", "was", "were", "is", "are", "be", "been", "had", "has",
        "have", "he", "she", "it", "they", "we", "i", "you", "his", "her", "its", "their", "our",
        "my", "him", "them", "not", "no", "there",
    }
)  # fmt: skip
"""Words nearly every English sentence of some length holds (the bundled model wrote lines
of made-up German into an English novel on 2026-11-30)."""
MIN_WORDS_TO_JUDGE_LANGUAGE = 6
"""A shorter sentence ("Silence, then rain.") may do without function words."""
MIN_FUNCTION_WORD_SHARE = 0.15
"""English prose runs at 30-50 % function words; the made-up German line at 7 %."""


def _in_english(sentence: str) -> bool:
    """Whether ``sentence`` reads as English (a short one always does)."""
    found = [word.lower() for word in words(sentence)]
    if len(found) < MIN_WORDS_TO_JUDGE_LANGUAGE:
        return True
    share = sum(word in ENGLISH_FUNCTION_WORDS for word in found) / len(found)
    return share >= MIN_FUNCTION_WORD_SHARE


_ASIDE = re.compile(r"\([^()]*\)[.!?]?")
"""A sentence wholly in brackets ("(It also goes to the mainland and tells of another
story.)"): the bundled model's aside about its story."""


def _tells_the_story(sentence: str, *, english: bool, to_reader: bool) -> bool:
    """Whether ``sentence`` narrates (its quoted speech aside), not talks about the novel."""
    narration = _QUOTED.sub(" ", sentence)
    return not (
        sentence.rstrip().endswith(":")
        or _ASIDE.fullmatch(sentence.strip())
        or _ABOUT_THE_NOVEL.search(narration)
        or _ABOUT_THE_TELLING.search(narration)
        or _HANDLE.search(narration)
        or (english and not to_reader and _ADDRESSED.search(narration))
        or (english and not _in_english(narration))
    )


MAX_FRAME_ECHO = 0.6
"""A sentence sharing more of its 4-word sequences with a line of the frame (the premise,
a chapter's title and arc) echoes the frame instead of telling the story."""
MIN_ECHO_WORDS = 5
"""A shorter sentence may share a name or a phrase with the frame and still narrate."""


def _echoes(sentence: str, frame: Sequence[str]) -> bool:
    """Whether ``sentence`` mostly repeats one of the ``frame``'s lines."""
    bare = " ".join(_bare_words(sentence))
    return count_words(sentence) >= MIN_ECHO_WORDS and any(
        overlap_ratio(bare, " ".join(_bare_words(line)), n=4) > MAX_FRAME_ECHO for line in frame
    )


def _heading_from(label: str, headings: Sequence[str]) -> bool:
    """Whether ``label`` (two words or more, articles aside) is made of a heading's words."""
    found = set(_bare_words(label)) - _ARTICLES
    return len(found) >= 2 and any(found <= set(_bare_words(line)) for line in headings)


def story_only(
    paragraph: str,
    language: str,
    *,
    told_to_reader: bool = False,
    titles: Sequence[str] = (),
    frame: Sequence[str] = (),
) -> str:
    """``paragraph`` without the sentences that describe the novel or talk to the reader.

    A small model tells a scene between sentences about its telling ("The story
    begins with the first scene of chapter 2", "This is where you come in"): those
    sentences go, and so does a lead-in ending in a colon ("His story begins with
    this image:", the words after it kept); the scene's sentences stay as
    written, line by line. An English novel's sentences that speak to "you"
    outside quotation marks go too, unless the story is ``told_to_reader`` (the
    fiction form, in the second person), and so do its sentences that are not
    English, and a sentence naming a handle ("@name"). The prompt's frame is not
    the story either: a line that is only one of the ``titles`` (the novel's, its
    chapters'; and a number) goes, a sentence that mostly repeats one of the
    ``frame``'s lines (the premise, the chapters' arcs) goes, and so does a
    lead-in made of a title's or a frame line's words ("The Lost Light: ...": the
    bundled model opened paragraph after paragraph with its chapter's heading), a
    line that reads as a heading (capitals, no sentence end), a line of a word or
    two without a sentence end ("The"), a lead-in counting replies ("The next
    one:") and a sentence with a bracket it never opened ("180 days to kill).").
    """
    all_titles = " ".join(titles)
    headings = [all_titles, *frame]
    english = language.strip().lower() == "english"

    def tells(sentence: str) -> bool:
        return not _echoes(sentence, frame) and _tells_the_story(
            sentence, english=english, to_reader=told_to_reader
        )

    def told(sentence: str) -> str:
        # "The story begins with this image: He looks..." keeps what follows the label.
        label, colon, rest = sentence.partition(": ")
        while colon and (
            not tells(label)
            or _heading_from(label, headings)
            or _TALK_LABEL.fullmatch(label)
            or _is_heading(label)
        ):
            sentence = rest
            label, colon, rest = sentence.partition(": ")
        return sentence if tells(sentence) and sentence.count(")") <= sentence.count("(") else ""

    lines = (
        " ".join(filter(None, map(told, _split_outside_quotes(line))))
        for line in paragraph.splitlines()
        if not (all_titles.strip() and _is_only(line, all_titles))
    )
    return "\n".join(
        line for line in lines if line and not _is_heading(line) and not _is_stub(line)
    )


_TALK_LABEL = re.compile(r"\s*(?:(?:the )?(?:next|first|last|new) one|[^\W_])\s*", re.IGNORECASE)
"""A lead-in that counts the model's own replies ("The next one: She walked...") or lists
them by a letter or a digit ("C: In 1987, five men vanished")."""
_SMALL_WORDS = frozenset(
    {"a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "with", "from"}
)
MIN_HEADING_WORDS = 3
"""A shorter line in capitals may be a name called out; a longer one is a heading."""


def _is_heading(line: str) -> bool:
    """Whether ``line`` is a heading.

    A heading has no sentence end, and every word but the small ones is in
    capitals or a number ("180 Days of Haunting the Lighthouse Keeper").
    """
    found = words(line)
    if len(found) < MIN_HEADING_WORDS or line.rstrip()[-1:] in _CLOSING:
        return False
    return all(
        word.lower() in _SMALL_WORDS or not word[:1].isalpha() or word[:1].isupper()
        for word in (w.strip(_WRAPPING) for w in found)
        if word
    )


def _is_stub(line: str) -> bool:
    """Whether ``line`` is a word or two without a sentence end ("The", "narrative")."""
    return len(words(line)) < MIN_HEADING_WORDS and line.rstrip()[-1:] not in _CLOSING


_CLOSING = ".!?\"'\u201d\u2019\u2026\u3002\uff01\uff1f\u300d"
"""What a sentence ends with: its stop (a CJK one too), or a closing quotation mark."""
_WRAPPING = "\"'\u201c\u201d\u2018\u2019([{,;:\u2014-"
"""Quotation marks, brackets and punctuation around a word."""


MAX_SENTENCE_REPEAT = 0.5
"""A sentence sharing more of its 5-word sequences with earlier text retells it."""
MIN_REPEAT_WORDS = 6
"""A shorter sentence ("She smiled.") may recur in any story."""


def unrepeated(paragraph: str, earlier: Sequence[str]) -> str:
    """``paragraph`` without the sentences that retell ``earlier`` text (line by line).

    The bundled model wrote paragraph after paragraph that retold the last one
    with a sentence or two new ("She walked across the room and she saw that her
    family was gone." in eight paragraphs of twenty on 2026-12-01); what is new
    in them stays.
    """
    told = " ".join(" ".join(_bare_words(text)) for text in earlier)

    def new(sentence: str) -> bool:
        bare = " ".join(_bare_words(sentence))
        return count_words(bare) < MIN_REPEAT_WORDS or (
            overlap_ratio(bare, told, n=5) <= MAX_SENTENCE_REPEAT
        )

    lines = (" ".join(filter(new, _split_outside_quotes(line))) for line in paragraph.splitlines())
    return "\n".join(line for line in lines if line)
