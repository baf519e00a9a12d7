"""A book as plain data: title, premise, language and chapters of paragraphs.

Every reader (text, Markdown, DOCX, EPUB) produces a :class:`Book`, every
writer consumes one, and the graph takes one as its ``manuscript`` input (as a
:class:`Manuscript` dict, or as Markdown / plain text). Nothing here does I/O.

Limits (checked by :func:`check_book`): a manuscript holds at most
``MAX_MANUSCRIPT_WORDS`` words; a paragraph longer than ``MAX_PARAGRAPH_WORDS``
is split at sentence ends, so every stored paragraph fits a model's prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NotRequired

from typing_extensions import TypedDict

from recurrentgpt.text import count_words, truncate_words

MAX_MANUSCRIPT_WORDS = 1_000_000
"""Most words a manuscript may hold (about ten novels)."""
MAX_PARAGRAPH_WORDS = 600
"""A longer paragraph is split at sentence ends into pieces of at most this many words."""
FALLBACK_TITLE_WORDS = 6
"""Words of its first sentence that title a chapter without a heading."""
ARC_WORDS = 40
"""Words of its first sentences that stand for a chapter's arc (no model call)."""
PREMISE_WORDS = 60
"""Words of the opening that stand for the premise when none is given."""

_SENTENCE = re.compile(r".+?(?:[.!?。！？…]+[\"'”’」』)]*(?=\s|$)|$)", re.DOTALL)
_NUMBER = (
    r"(?:\d+|[ivxlcdm]+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty)"
)
_CHAPTER_HEADING = re.compile(
    rf"^\s*(?:(?:chapter|part|book)\s+{_NUMBER}\b|第\s*[\d〇一二三四五六七八九十百千]+\s*[章回节部])"
    r"\s*[:.\-—–·]*\s*",
    re.IGNORECASE,
)
_HEADING_WORDS = 12
"""A plain-text line is a chapter heading only if it is this short (and reads as one)."""


class ManuscriptError(ValueError):
    """A manuscript cannot be imported (the message says why and what to do)."""


class ManuscriptChapter(TypedDict):
    """One chapter of a manuscript handed to the graph."""

    title: str
    """The chapter's title ('' when the manuscript has none)."""
    paragraphs: list[str]
    """Its paragraphs, in order."""


class Manuscript(TypedDict):
    """A manuscript handed to the graph as structured data (see :func:`book_from_input`)."""

    chapters: list[ManuscriptChapter]
    """The chapters in order (a manuscript without chapters: one chapter, title '')."""
    title: NotRequired[str]
    """The book's title."""
    premise: NotRequired[str]
    """What the book is about (EPUB/DOCX description)."""
    language: NotRequired[str]
    """The book's language, as a name ('English') or a code ('en')."""


@dataclass
class BookChapter:
    """One chapter: its title ('' if none) and its paragraphs."""

    title: str
    paragraphs: list[str]


@dataclass
class Book:
    """A whole book; ``language`` is a name such as 'English' ('' when unknown)."""

    title: str = ""
    premise: str = ""
    language: str = ""
    chapters: list[BookChapter] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[str]:
        """Every paragraph, in order."""
        return [p for chapter in self.chapters for p in chapter.paragraphs]

    def words(self) -> int:
        """Words in the book's paragraphs."""
        return sum(count_words(p) for p in self.paragraphs)

    def as_input(self) -> Manuscript:
        """The book as the graph's ``manuscript`` input."""
        manuscript = Manuscript(
            chapters=[
                ManuscriptChapter(title=c.title, paragraphs=list(c.paragraphs))
                for c in self.chapters
            ]
        )
        for name in ("title", "premise", "language"):
            if value := getattr(self, name):
                manuscript[name] = value
        return manuscript


LANGUAGE_CODES = {
    "English": "en",
    "Chinese": "zh",
    "Japanese": "ja",
    "Korean": "ko",
    "French": "fr",
    "German": "de",
    "Spanish": "es",
    "Italian": "it",
    "Portuguese": "pt",
    "Russian": "ru",
    "Dutch": "nl",
    "Polish": "pl",
    "Swedish": "sv",
    "Czech": "cs",
    "Greek": "el",
    "Turkish": "tr",
    "Arabic": "ar",
    "Hebrew": "he",
    "Hindi": "hi",
}
"""Language names the prompts use, and their BCP 47 codes (EPUB and DOCX metadata)."""


def language_code(name: str) -> str:
    """The BCP 47 code of a language name ('und', undetermined, when unknown)."""
    if name in LANGUAGE_CODES.values():
        return name
    return LANGUAGE_CODES.get(name.strip().title(), "und")


def language_name(value: str) -> str:
    """The language name of a name or a code such as 'en' or 'en-GB' ('' when unknown)."""
    value = value.strip()
    if value.title() in LANGUAGE_CODES:
        return value.title()
    names = {code: name for name, code in LANGUAGE_CODES.items()}
    return names.get(value.lower().split("-")[0], "")


def guess_language(paragraphs: list[str]) -> str:
    """'Chinese', 'Japanese' or 'Korean' when most of the sample's letters are in that script.

    '' otherwise: alphabetic scripts are not told apart (the caller's default or
    the person's ``--language`` decides). Reads the first few thousand characters.
    """
    sample = "".join(paragraphs)[:4000]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return ""
    kana = sum("\u3040" <= c <= "\u30ff" for c in letters)
    hangul = sum("\uac00" <= c <= "\ud7af" for c in letters)
    han = sum("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in letters)
    if (kana + hangul + han) * 2 < len(letters):
        return ""
    if kana:
        return "Japanese"
    return "Korean" if hangul > han else "Chinese"


def normalise(text: str) -> str:
    """``text`` with its runs of whitespace (line breaks too) made single spaces."""
    return " ".join(text.split())


def sentences(text: str) -> list[str]:
    """``text`` cut after each sentence end (the last piece may have none)."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def split_long_paragraph(text: str, max_words: int = MAX_PARAGRAPH_WORDS) -> list[str]:
    """``text`` as pieces of at most ``max_words`` words, cut at sentence ends.

    A single sentence over the cap is cut at the cap.
    """
    if count_words(text) <= max_words:
        return [text]
    pieces: list[str] = []
    current = ""
    for sentence in sentences(text):
        while count_words(sentence) > max_words:
            head = truncate_words(sentence, max_words)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
            sentence = sentence[len(head) :].strip()
        candidate = f"{current} {sentence}".strip()
        if current and count_words(candidate) > max_words:
            pieces.append(current)
            candidate = sentence
        current = candidate
    if current:
        pieces.append(current)
    return pieces


def chapter_heading(number: int, title: str) -> str:
    """The heading of chapter ``number`` in an exported book ('Chapter 3: The Storm')."""
    return f"Chapter {number}: {title}" if title else f"Chapter {number}"


def chapter_title_of(heading: str) -> str:
    """The title in a chapter heading: 'Chapter 3: The Storm' gives 'The Storm'."""
    return normalise(_CHAPTER_HEADING.sub("", heading, count=1))


def reads_as_chapter_heading(line: str) -> bool:
    """Tell whether a line of plain text is a chapter heading ('Chapter 3', 'CHAPTER IV: …').

    A short line that starts with a chapter number and whose title does not end
    like a sentence ('Book two was missing.' is a paragraph).
    """
    if not _CHAPTER_HEADING.match(line) or count_words(line) > _HEADING_WORDS:
        return False
    return not re.search(r"[.!?。！？]$", chapter_title_of(line))


def first_words(paragraphs: list[str], max_words: int) -> str:
    """The first sentences of ``paragraphs``, at most ``max_words`` words."""
    return truncate_words(normalise(" ".join(paragraphs[:2])), max_words)


def chapter_arc(paragraphs: list[str]) -> str:
    """A chapter's arc without a model: its first sentence, capped."""
    opening = sentences(normalise(" ".join(paragraphs[:1])))
    return truncate_words(opening[0] if opening else "", ARC_WORDS)


def fallback_title(paragraphs: list[str]) -> str:
    """A title for a chapter without one: the first words of its first sentence."""
    return truncate_words(chapter_arc(paragraphs), FALLBACK_TITLE_WORDS).rstrip(".,;:!?")


def cleaned(book: Book) -> Book:
    """``book`` with whitespace normalised, long paragraphs split and empty chapters dropped."""
    chapters = []
    for chapter in book.chapters:
        paragraphs = [
            piece
            for paragraph in chapter.paragraphs
            if (text := normalise(paragraph))
            for piece in split_long_paragraph(text)
        ]
        if paragraphs:
            chapters.append(BookChapter(normalise(chapter.title), paragraphs))
    return Book(
        title=normalise(book.title),
        premise=normalise(book.premise),
        language=book.language.strip(),
        chapters=chapters,
    )


def check_book(book: Book, source: str) -> Book:
    """``book`` cleaned, or :class:`ManuscriptError` if it is empty or over the size limit.

    Args:
        book: What a reader found.
        source: What to call the manuscript in an error (a file name).
    """
    book = cleaned(book)
    if not book.chapters:
        raise ManuscriptError(f"{source} has no text to import: it is empty")
    words = book.words()
    if words > MAX_MANUSCRIPT_WORDS:
        raise ManuscriptError(
            f"{source} holds {words:,} words, more than the {MAX_MANUSCRIPT_WORDS:,} a "
            "manuscript may have: split it and import the part you want to continue"
        )
    return book


def grouped(book: Book, paragraphs_per_chapter: int) -> Book:
    """``book`` with its chapters titled; a book without chapter titles is grouped.

    A manuscript with no chapter headings at all (one untitled chapter) is cut
    into chapters of ``paragraphs_per_chapter`` paragraphs, the grouping the
    graph writes in. Each chapter without a title gets the first words of its
    first sentence.
    """
    chapters = book.chapters
    if len(chapters) == 1 and not chapters[0].title:
        paragraphs = chapters[0].paragraphs
        size = max(1, paragraphs_per_chapter)
        chapters = [
            BookChapter("", paragraphs[i : i + size]) for i in range(0, len(paragraphs), size)
        ]
    titled = [BookChapter(c.title or fallback_title(c.paragraphs), c.paragraphs) for c in chapters]
    return Book(book.title, book.premise, book.language, titled)
