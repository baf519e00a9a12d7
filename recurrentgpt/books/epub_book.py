"""EPUB 3 books, written and read with ebooklib.

Written: a title page (title and premise), a navigation document and an NCX
table of contents, then one XHTML file per chapter headed 'Chapter N: Title';
the metadata holds the title, the language's BCP 47 code, the premise as the
description and a stable identifier. ``epubcheck`` accepts the result (a test
runs it when it is installed).

Read: the spine's documents in order; each document starts a chapter, and so
does each heading that follows paragraphs; ``<p>`` elements are paragraphs.
Title pages, tables of contents, covers and copyright pages (by their
``epub:type``) are skipped, as is the navigation document.
"""

from __future__ import annotations

import html
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

from recurrentgpt.books.manuscript import (
    Book,
    BookChapter,
    ManuscriptError,
    chapter_heading,
    chapter_title_of,
    language_code,
    language_name,
    normalise,
)

SKIPPED_TYPES = {"titlepage", "toc", "landmarks", "cover", "copyright-page", "halftitlepage"}
"""``epub:type`` values of front matter that is not the story."""
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_OPS = "http://www.idpf.org/2007/ops"
_BOOK_NAMESPACE = uuid.UUID("2a4e6f3c-1b7d-4c1e-8e5a-6d9b0c3f7a12")


def write_epub(book: Book, path: str, *, identifier: str) -> None:
    """Write ``book`` to ``path`` as EPUB 3.

    Args:
        book: The book; its chapters' titles head their sections.
        path: Where to write the file (overwritten).
        identifier: A stable name of the book (the novel id): the EPUB's
            identifier is derived from it, so re-exports stay the same book.
    """
    from ebooklib import epub

    code = language_code(book.language or "English")
    title = book.title or "Untitled"
    out = epub.EpubBook()
    out.set_identifier(f"urn:uuid:{uuid.uuid5(_BOOK_NAMESPACE, identifier)}")
    out.set_title(title)
    out.set_language(code)
    if book.premise:
        out.add_metadata("DC", "description", book.premise)
    title_page = epub.EpubHtml(title="Title page", file_name="title.xhtml", lang=code)
    premise = f"<p>{html.escape(book.premise)}</p>" if book.premise else ""
    title_page.content = (
        f'<section epub:type="titlepage"><h1>{html.escape(title)}</h1>{premise}</section>'
    )
    out.add_item(title_page)
    sections = []
    for number, chapter in enumerate(book.chapters, 1):
        heading = chapter_heading(number, chapter.title)
        section = epub.EpubHtml(title=heading, file_name=f"chapter-{number:04d}.xhtml", lang=code)
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in chapter.paragraphs)
        section.content = (
            f'<section epub:type="chapter"><h1>{html.escape(heading)}</h1>{paragraphs}</section>'
        )
        out.add_item(section)
        sections.append(section)
    out.toc = sections
    out.add_item(epub.EpubNcx())
    out.add_item(epub.EpubNav())
    out.spine = [title_page, "nav", *sections]
    epub.write_epub(path, out)


def _local(name: Any) -> str:
    return str(name).rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _types(element: Any) -> set[str]:
    """The ``epub:type`` values of ``element`` (whichever way the parser named the attribute)."""
    values = [v for k, v in element.attrib.items() if str(k) in ("epub:type", f"{{{_OPS}}}type")]
    return {t for value in values for t in value.split()}


def _walk(element: Any) -> Iterator[tuple[str, str]]:
    """('heading' | 'paragraph', text) for the story elements under ``element``, in order."""
    if _types(element) & SKIPPED_TYPES:
        return
    tag = _local(element.tag) if isinstance(element.tag, str) else ""
    if tag in _HEADINGS:
        yield "heading", normalise(element.text_content())
    elif tag == "p":
        yield "paragraph", normalise(element.text_content())
    else:
        for child in element:
            yield from _walk(child)


def _metadata(book: Any, name: str) -> str:
    values = book.get_metadata("DC", name)
    return normalise(str(values[0][0])) if values and values[0][0] else ""


def read_epub(path: str) -> Book:
    """The book in the EPUB at ``path``.

    Raises:
        ManuscriptError: the file is not a readable EPUB.
    """
    import ebooklib
    import lxml.html
    from ebooklib import epub

    try:
        source = epub.read_epub(path, {"ignore_ncx": True})
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, epub.EpubException) as error:
        raise ManuscriptError(f"{path} is not a readable EPUB file ({error})") from error
    chapters: list[BookChapter] = []
    for item_id, _linear in source.spine:
        item = source.get_item_with_id(item_id)
        if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        content = item.get_content()
        if not content.strip():
            continue
        try:
            root = lxml.html.document_fromstring(content)
        except Exception as error:  # lxml raises several parser errors
            raise ManuscriptError(f"{path}: {item.get_name()} cannot be read ({error})") from error
        current: BookChapter | None = None
        for kind, text in _walk(root):
            if not text:
                continue
            if kind == "heading":
                if current is None or current.paragraphs:
                    current = BookChapter(chapter_title_of(text), [])
                    chapters.append(current)
                else:  # headings in a row ('Part One', 'Chapter 1'): the last one titles it
                    current.title = chapter_title_of(text) or current.title
            else:
                if current is None:
                    current = BookChapter("", [])
                    chapters.append(current)
                current.paragraphs.append(text)
    return Book(
        title=_metadata(source, "title"),
        premise=_metadata(source, "description"),
        language=language_name(_metadata(source, "language")),
        chapters=[c for c in chapters if c.paragraphs],
    )
