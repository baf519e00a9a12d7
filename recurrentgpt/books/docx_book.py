"""Word (DOCX) books, written and read with python-docx.

Written: a title page (Title style, then the premise in Subtitle style), a
table of contents (Word's own TOC field, which Word and LibreOffice fill from
the headings when the file is opened: the file asks to update its fields),
then each chapter under a 'Heading 1' 'Chapter N: Title' starting a new page.
The document properties hold the title, the premise (as description) and the
language's code.

Read: the body's paragraphs in order. Title and Subtitle paragraphs give the
title and premise (else the document properties do); the shallowest heading
level starts chapters, deeper headings are dropped; tables of contents and
empty paragraphs are skipped.
"""

from __future__ import annotations

import zipfile
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

TOC_INSTRUCTION = 'TOC \\o "1-1" \\h \\z \\u'
"""Word's field code for a table of contents of the level-1 headings, as links."""
TOC_PLACEHOLDER = "Open in Word or LibreOffice and update fields to show the contents."
"""What the contents show until a word processor fills them."""


def _add_toc_field(document: Any) -> None:
    """Add Word's TOC field (begin, instruction, placeholder, end) as one paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = document.add_paragraph()

    def field_char(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = TOC_INSTRUCTION
    for part in (field_char("begin"), instruction, field_char("separate")):
        paragraph.add_run()._r.append(part)
    paragraph.add_run(TOC_PLACEHOLDER)
    paragraph.add_run()._r.append(field_char("end"))
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    document.settings.element.append(update)


def write_docx(book: Book, path: str) -> None:
    """Write ``book`` to ``path`` as a Word document (see the module docstring)."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    properties = document.core_properties
    properties.title = book.title or "Untitled"
    properties.comments = book.premise
    properties.language = language_code(book.language or "English")
    document.add_paragraph(book.title or "Untitled", style="Title")
    if book.premise:
        document.add_paragraph(book.premise, style="Subtitle")
    document.add_paragraph("Contents", style="TOC Heading")
    _add_toc_field(document)
    for number, chapter in enumerate(book.chapters, 1):
        heading = document.add_heading(chapter_heading(number, chapter.title), level=1)
        if number == 1:
            heading.insert_paragraph_before().add_run().add_break(WD_BREAK.PAGE)
        else:
            heading.paragraph_format.page_break_before = True
        for paragraph in chapter.paragraphs:
            document.add_paragraph(paragraph)
    document.save(path)


def _heading_level(style_name: str) -> int:
    """The level of a 'Heading N' style (0 for any other style)."""
    name = style_name.strip().lower()
    if name.startswith("heading ") and name[8:].isdigit():
        return int(name[8:])
    return 0


def _is_contents(paragraph: Any, style_name: str) -> bool:
    name = style_name.lower()
    if name == "toc heading" or name.startswith("toc "):
        return True
    return any("TOC" in (text.text or "") for text in paragraph._p.xpath(".//w:instrText"))


def read_docx(path: str) -> Book:
    """The book in the Word document at ``path``.

    Raises:
        ManuscriptError: the file is not a readable Word document.
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    try:
        document = docx.Document(path)
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError, LxmlError) as error:
        raise ManuscriptError(f"{path} is not a readable Word (.docx) file ({error})") from error
    entries: list[tuple[str, int, str]] = []
    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        text = normalise(paragraph.text)
        if text and not _is_contents(paragraph, style or ""):
            entries.append((style or "", _heading_level(style or ""), text))
    title = next((text for style, _, text in entries if style == "Title"), "")
    premise = next((text for style, _, text in entries if style == "Subtitle"), "")
    levels = [level for _, level, _ in entries if level]
    chapter_level = min(levels) if levels else 0
    chapters = [BookChapter("", [])]
    for style, level, text in entries:
        if style in ("Title", "Subtitle") or (level and level != chapter_level):
            continue
        if level:
            chapters.append(BookChapter(chapter_title_of(text), []))
        else:
            chapters[-1].paragraphs.append(text)
    properties = document.core_properties
    return Book(
        title=title or normalise(properties.title or ""),
        premise=premise or normalise(properties.comments or ""),
        language=language_name(properties.language or ""),
        chapters=[c for c in chapters if c.paragraphs],
    )
