"""Language-aware text helpers: counting words, capping length, catching loops.

Chinese and Japanese text has no spaces, so each CJK character counts as one
word; other scripts count whitespace-separated tokens that hold a letter or a
digit. Punctuation alone is never a word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_CJK = (
    r"\u3040-\u30ff"  # Hiragana, Katakana
    r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    r"\uac00-\ud7af"  # Hangul syllables
)
# A non-CJK word must hold a letter or digit, so stray punctuation ("-", "，") is not a word.
_LETTER = rf"(?:(?![{_CJK}])[^\W_])"
_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]*{_LETTER}[^\s{_CJK}]*")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？…])[\"'”’」』)]*\s*")
_ENDS_SENTENCE = re.compile(r"[.!?。！？…—][\"'”’」』)]*$")
_SENTENCE = re.compile(r"[^.!?。！？…\n]+(?:[.!?。！？…]+[\"'”’」』)]*|$)")


def words(text: str) -> list[str]:
    """Split ``text`` into words (each CJK character is one word)."""
    return _WORD.findall(text)


def sentences(text: str) -> list[str]:
    """Split ``text`` into its sentences, in order (a line without a full stop is one)."""
    return [found.strip() for found in _SENTENCE.findall(text) if found.strip()]


def count_words(text: str) -> int:
    """Count words in ``text``; a CJK character counts as one word."""
    return len(_WORD.findall(text))


def truncate_words(text: str, max_words: int) -> str:
    """Return ``text`` cut to at most ``max_words`` words, at a sentence end if possible.

    Text within the cap is returned unchanged.
    """
    matches = list(_WORD.finditer(text))
    if len(matches) <= max_words:
        return text
    cut = matches[max_words - 1].end()
    head = text[:cut]
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    # Keep whole sentences unless that would throw away more than half the budget.
    if sentence_ends and sentence_ends[-1] >= cut // 2:
        return head[: sentence_ends[-1]].rstrip()
    return head.rstrip()


def last_words(text: str, max_words: int) -> str:
    """The end of ``text`` in at most ``max_words`` words, from a sentence start if possible.

    Text within the cap is returned unchanged; a cut one starts with "…".
    """
    if count_words(text) <= max_words:
        return text
    kept: list[str] = []
    for sentence in reversed(sentences(text)):
        if count_words(" ".join([sentence, *kept])) > max_words:
            break
        kept.insert(0, sentence)
    if not kept:
        # One long last sentence: its last words.
        tail = _WORD.findall(text)[-max_words:]
        return "…" + " ".join(tail)
    return "…" + " ".join(kept)


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """Every run of ``n`` consecutive tokens, in order."""
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def find_loop_start(text: str, n: int = 6, max_repeats: int = 3) -> int | None:
    """Return where ``text`` starts looping, or None if it does not.

    Small models fall into loops ("a beacon of light, a beacon of light, ...").
    A loop is an ``n``-word sequence seen more than ``max_repeats`` times; the
    returned offset is the start of its second occurrence, so everything before
    it is the text without the loop.
    """
    matches = list(_WORD.finditer(text))
    tokens = [m.group(0).lower() for m in matches]
    if len(tokens) < n * (max_repeats + 1):
        return None
    seen: dict[tuple[str, ...], list[int]] = {}
    for index, gram in enumerate(ngrams(tokens, n)):
        seen.setdefault(gram, []).append(index)
        occurrences = seen[gram]
        if len(occurrences) > max_repeats:
            return matches[occurrences[1]].start()
    return None


def strip_loop(text: str) -> str:
    """Return ``text`` without a trailing loop (unchanged if it does not loop)."""
    start = find_loop_start(text)
    if start is None:
        return text.strip()
    head = text[:start]
    sentence_ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    return (head[: sentence_ends[-1]] if sentence_ends else head).strip()


def is_looping(text: str) -> bool:
    """Tell whether ``text`` repeats itself the way a stuck small model does."""
    return find_loop_start(text) is not None


# Assistant talk that small models wrap around a paragraph; a matching line is dropped.
_CHATTER_LINE = re.compile(
    r"^\s*(?:"
    r"(?:sure|certainly|of course|absolutely)\b[,!.]"
    r"|here(?:'s| is) (?:the|a|your|my) (?:next |new |revised )?"
    r"(?:paragraph|continuation|story|version)"
    r"|(?:i'?m|i am) (?:ready|happy|glad) to"
    r"|(?:next )?paragraph\s*\d*\s*:\s*$"
    r"|\(?\s*(?:about |approximately )?\d+\s*words?\s*\)?\s*$"
    r")"
    r"|how does (?:this|that) sound|let me know if",
    re.IGNORECASE,
)
_WORD_COUNT_NOTE = re.compile(r"\s*\(\s*(?:about |approximately )?\d+\s*words?\s*\)", re.IGNORECASE)
# Sentences about the task rather than the story: they name the prompt's own parts.
_META_SENTENCE = re.compile(
    r"\b(?:next|last|final|previous|following|this|new|first|second|third) paragraph\b"
    r"|\b(?:short|long)-term memory\b|\bstory bible\b|\bnew character who fits the story\b",
    re.IGNORECASE,
)
_FRAME_LINE = re.compile(
    r"^\s*(?:novel|premise|book outline|story bible|progress|task|plans?"
    r"|related earlier passages|(?:the )?last paragraph|the story so far|earlier in the story"
    r"|who and what matters|where we are|dropped sentences|rationale|summary|bible changes)"
    r"(?:\s*\([^)\n]{0,40}\))?\s*:",
    re.IGNORECASE,
)
"""A line that starts like a section of the prompt's frame ("Premise: ..."): the frame
echoed back, not the story (the bundled model did it in a whole novel on 2026-11-30)."""
_TALK_SENTENCE = re.compile(
    r"\byour (?:\w+ )?(?:answer|response|reply|task|writing)\b|\bthis task\b"
    r"|\byour (?:next (?:chapter|sentence|paragraph)|creative)\b"
    r"|\b(?:you'?re|you are) (?:a |an )?(?:professional|expert|assistant|working on|crafting)\b"
    r"|\b(?:you'?ve|you have) (?:helped|been asked)\b"
    r"|\bhelp(?:ed|ing)? (?:me|you) (?:craft|write)\b"
    r"|\bcreative writing\b|\bmarkdown\b|\bbullet points?\b|\bP\.P\.S\b|\bpostscript\b"
    r"|\b(?:must|should) (?:contain|appear|be formatted)\b|\bin all capital letters\b",
    re.IGNORECASE,
)
"""A sentence that talks to the writer about the task ("Your answer must contain...",
"You're a professional. You've helped me craft a story..."): the bundled model wrote
whole paragraphs of them on 2026-11-30. Second-person narration ("You open the door")
does not match: each pattern names the task, not the story."""
_PLACEHOLDER_LINE = re.compile(
    r"^\s*\((?:none yet|nothing has happened yet|the novel begins here)\.?\)\s*", re.IGNORECASE
)
"""The frame's stand-ins for an empty section, echoed back."""
_LABEL_LINE = re.compile(
    r"^\s*(?:the story (?:begins|continues)\s*:?|\([^()\n]*\)\.?)\s*$", re.IGNORECASE
)
"""A line that is a label ("The story begins:") or an aside wholly in brackets ("(This is
the 3rd sentence of the chapter.)"): the bundled model's, not the story's."""
_NUMBER_LINE = re.compile(r"^[\W_]*\d[\W\d_]*$")
"""A line of numbers and punctuation only ("1", "1 1", "3."): a list's numbering, not prose."""
_LINE_LABEL = re.compile(
    r"^\s*(?:(?:sentence|step|part|plan|option)\s*\d+\s*[:.)-]"
    r"|(?:[^\W\d_]+:\s*)?\d{1,2}[.)]?(?=\s+[A-Z])|[(\[]\d{1,2}[)\]])\s*",
    re.IGNORECASE,
)
"""A numbered restatement's label ("Sentence 2:", "2 A lighthouse keeper...", "2. He has",
"She: 4 Her eyes...", "(1) ..." or "[2] ...", the frame's numbering of the memory and the
passages): the label goes, the line stays and is judged as prose."""
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?。！？])\s+")
_MARKUP = re.compile(r"[{}\[\]|]|\*\*|^\s*(?:[-*•]|\d+[.)])\s+", re.MULTILINE)
_TABLE_TAIL = re.compile(r"[\s,;:]*\d*\s*\|[\s|\d]*$", re.MULTILINE)
"""A table's cell border at a line's end, with the column's number before it ("...keeper a
sailor, 5 |": the bundled model's outline and paragraphs on 2026-11-30)."""


def without_markup(text: str) -> str:
    """``text`` without braces, brackets, bold markers, table borders and list bullets."""
    return _MARKUP.sub("", _TABLE_TAIL.sub("", text))


def drop_unfinished_sentence(text: str) -> str:
    """``text`` without a last sentence that breaks off (a reply cut by its token cap).

    Text that ends a sentence is returned unchanged, and so is text whose whole
    sentences would be less than half of it: a cut sentence loses less than that.
    """
    text = text.rstrip()
    if not text or _ENDS_SENTENCE.search(text):
        return text
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]
    if not ends or count_words(text[: ends[-1]]) * 2 < count_words(text):
        return text
    return text[: ends[-1]].rstrip()


MAX_LINE_OVERLAP = 0.5
"""A line sharing more of its 8-word sequences with the lines before it is a restatement."""


def _unlabelled(line: str) -> str:
    """``line`` without a list label or an echoed stand-in at its start."""
    return _LINE_LABEL.sub("", _PLACEHOLDER_LINE.sub("", line))


def clean_paragraph(text: str) -> str:
    """Remove assistant chatter, word-count notes and stray markup from model prose.

    Lines that are talk to the user ("Here's the next paragraph:", "How does this
    sound?"), the prompt's frame echoed back ("Premise: ...") or only numbers, and
    sentences about the task instead of the story ("The next paragraph continues
    the chapter.", anything about the story bible, "Your answer must contain...")
    are dropped, and so are lines that restate an earlier line; a line's list
    label ("Sentence 2:") goes; braces, brackets, bold markers and list bullets are removed;
    the rest is kept as written.
    """
    kept = [
        " ".join(
            sentence
            for sentence in map(_unlabelled, _SENTENCE_SPLIT.split(_unlabelled(line)))
            if not _META_SENTENCE.search(sentence)
            and not _TALK_SENTENCE.search(sentence)
            and not _NUMBER_LINE.match(sentence)
        )
        for line in text.splitlines()
        if not _CHATTER_LINE.search(line)
        and not _FRAME_LINE.search(line)
        and not _NUMBER_LINE.match(line)
        and not _LABEL_LINE.match(line)
    ]
    cleaned = without_markup(_WORD_COUNT_NOTE.sub("", "\n".join(kept)))
    lines: list[str] = []
    for line in cleaned.splitlines():
        line = " ".join(line.split())
        # Small models restate a line with a word changed; the first telling stays.
        if line and overlap_ratio(line, "\n".join(lines)) > MAX_LINE_OVERLAP:
            continue
        lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def talks_about_task(text: str) -> bool:
    """Whether ``text`` talks to the writer about the task ("Your answer must...")."""
    return bool(_TALK_SENTENCE.search(text))


def overlap_ratio(text: str, other: str, n: int = 8) -> float:
    """Share of ``text``'s ``n``-word sequences that also occur in ``other`` (0 to 1)."""
    grams = ngrams([w.lower() for w in words(text)], n)
    if not grams:
        return 0.0
    seen = set(ngrams([w.lower() for w in words(other)], n))
    return sum(gram in seen for gram in grams) / len(grams)
