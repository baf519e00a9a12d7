"""Reading a manuscript file (txt, md, docx, epub) into a :class:`Book`, or a clear error.

Checks, in order, each with its own :class:`ManuscriptError`: the file exists
and is at most ``MAX_FILE_BYTES``; its extension is a supported format; a text
file is text (no NUL bytes) in UTF-8 (or UTF-16 with a byte-order mark); a
DOCX or EPUB file opens as one; the manuscript holds some text and at most
``MAX_MANUSCRIPT_WORDS`` words. The file is only read, never changed.
"""

from __future__ import annotations

import os

from recurrentgpt.books.manuscript import (
    Book,
    BookChapter,
    ManuscriptError,
    check_book,
    language_name,
)
from recurrentgpt.books.plain import read_markdown, read_plain_text

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Largest manuscript file accepted (an EPUB or DOCX may carry images)."""
FORMATS = ("txt", "md", "docx", "epub")
"""Extensions of the formats a manuscript may be in."""
_SUFFIXES = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md"}


def manuscript_format(path: str) -> str:
    """The format of ``path`` from its extension, or :class:`ManuscriptError`."""
    suffix = os.path.splitext(path)[1].lower()
    fmt = _SUFFIXES.get(suffix, suffix.lstrip("."))
    if fmt not in FORMATS:
        raise ManuscriptError(
            f"{path}: unsupported format {suffix or '(no extension)'}; "
            f"import reads {', '.join('.' + f for f in FORMATS)}"
        )
    return fmt


def decode_text(data: bytes, source: str) -> str:
    """``data`` as text, or :class:`ManuscriptError` for binary data or another encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ManuscriptError(f"{source} is not valid UTF-16 text ({error})") from error
    if b"\x00" in data:
        raise ManuscriptError(f"{source} is a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ManuscriptError(
            f"{source} is not UTF-8 text (byte {error.start}): save it as UTF-8 and try again"
        ) from error


def read_book_file(path: str) -> Book:
    """The book in the manuscript file at ``path``, cleaned and checked.

    A book without a title takes the file's name (without its extension).

    Raises:
        ManuscriptError: the file is missing, too big, empty, binary, in an
            unsupported format or not readable as its format.
    """
    fmt = manuscript_format(path)
    try:
        size = os.path.getsize(path)
    except OSError as error:
        raise ManuscriptError(f"cannot read {path}: {error.strerror or error}") from error
    if size > MAX_FILE_BYTES:
        raise ManuscriptError(
            f"{path} is {size / 2**20:.1f} MB, over the {MAX_FILE_BYTES // 2**20} MB limit "
            "of a manuscript file"
        )
    if size == 0:
        raise ManuscriptError(f"{path} has no text to import: it is empty")
    if fmt == "docx":
        from recurrentgpt.books.docx_book import read_docx

        book = read_docx(path)
    elif fmt == "epub":
        from recurrentgpt.books.epub_book import read_epub

        book = read_epub(path)
    else:
        with open(path, "rb") as handle:
            text = decode_text(handle.read(), path)
        book = read_markdown(text) if fmt == "md" else read_plain_text(text)
    if not book.title:
        book.title = os.path.splitext(os.path.basename(path))[0].replace("_", " ").strip()
    return check_book(book, path)


def book_from_input(value: object) -> Book:
    """The book a graph input's ``manuscript`` holds, cleaned and checked.

    ``value`` is Markdown or plain text (read as Markdown: a text without
    headings is one chapter), or a :class:`~recurrentgpt.books.manuscript.Manuscript`
    dict, e.g. ``Book.as_input()``.

    Raises:
        ManuscriptError: it is neither, or it is empty or over the size limit.
    """
    if isinstance(value, str):
        if "\x00" in value:
            raise ManuscriptError("the manuscript is binary data, not text")
        return check_book(read_markdown(value), "the manuscript")
    if not isinstance(value, dict) or not isinstance(value.get("chapters"), list):
        raise ManuscriptError(
            "the manuscript must be Markdown text or {'chapters': [{'title', 'paragraphs'}], "
            "'title', 'premise', 'language'}"
        )
    chapters = []
    for number, chapter in enumerate(value["chapters"], 1):
        paragraphs = chapter.get("paragraphs") if isinstance(chapter, dict) else None
        if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
            raise ManuscriptError(f"chapter {number} of the manuscript needs a list of paragraphs")
        chapters.append(BookChapter(str(chapter.get("title") or ""), paragraphs))
    language = str(value.get("language") or "")
    book = Book(
        title=str(value.get("title") or ""),
        premise=str(value.get("premise") or ""),
        language=language_name(language) or language.strip(),
        chapters=chapters,
    )
    return check_book(book, "the manuscript")
