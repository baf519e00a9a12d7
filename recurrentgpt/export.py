"""Export a novel from long-term memory (the graph state never holds the manuscript).

Markdown and plain text are rendered here; EPUB and DOCX by :mod:`recurrentgpt.books`
(imported only when asked for, so a Markdown export loads neither library).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from recurrentgpt.memory import LongTermMemory, Passage
from recurrentgpt.memory.passage import MAIN_BRANCH

if TYPE_CHECKING:
    from recurrentgpt.books.manuscript import Book

ExportFormat = Literal["md", "txt", "epub", "docx"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("md", "txt", "epub", "docx")


async def read_manuscript(memory: LongTermMemory, values: Mapping[str, Any]) -> list[Passage]:
    """Return the paragraphs of the novel whose state is ``values``, in order.

    Only the branch that state is on (and what it inherited) is read, up to the
    state's last paragraph: a rewound novel exports its current timeline.
    """
    if not values.get("novel_id"):
        return []
    return await memory.read_novel(
        novel_id=values["novel_id"],
        branch_id=values.get("branch_id") or MAIN_BRANCH,
        segments=values.get("inherited_segments") or [],
        up_to_position=values.get("position", -1),
    )


def to_markdown(values: Mapping[str, Any], passages: list[Passage]) -> str:
    """Render the novel as Markdown: title, premise, then chapters (titled from the outline)."""
    lines = [f"# {values.get('title') or 'Untitled'}", ""]
    if values.get("premise"):
        lines += [f"*{values['premise']}*", ""]
    titles = [chapter.get("title", "") for chapter in values.get("book_outline") or []]
    chapter = 0
    for passage in passages:
        if passage.chapter != chapter:
            chapter = passage.chapter
            title = titles[chapter - 1] if 0 < chapter <= len(titles) else ""
            lines += [f"## Chapter {chapter}" + (f": {title}" if title else ""), ""]
        lines += [passage.text.strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


async def export_markdown(memory: LongTermMemory, values: Mapping[str, Any]) -> str:
    """Return the novel whose state is ``values`` as Markdown."""
    return to_markdown(values, await read_manuscript(memory, values))


def book_of(values: Mapping[str, Any], passages: list[Passage]) -> Book:
    """The novel as a :class:`Book`: one chapter per chapter number of its paragraphs.

    Chapter titles come from the book outline (a chapter past its end has none).
    """
    titles = [chapter.get("title", "") for chapter in values.get("book_outline") or []]
    from recurrentgpt.books.manuscript import Book, BookChapter

    chapters: list[BookChapter] = []
    number = None
    for passage in passages:
        if passage.chapter != number:
            number = passage.chapter
            title = titles[number - 1] if 0 < number <= len(titles) else ""
            chapters.append(BookChapter(title, []))
        chapters[-1].paragraphs.append(passage.text.strip())
    return Book(
        title=values.get("title") or "Untitled",
        premise=values.get("premise") or "",
        language=values.get("language") or "English",
        chapters=chapters,
    )


async def export_novel(
    memory: LongTermMemory, values: Mapping[str, Any], fmt: ExportFormat, path: str
) -> None:
    """Write the novel whose state is ``values`` to ``path`` in format ``fmt``.

    ``md``: Markdown with chapter headings; ``txt``: the paragraphs alone;
    ``epub``: EPUB 3; ``docx``: a Word document (see :mod:`recurrentgpt.books`).
    The file is written aside and renamed into place, so a failed export never
    leaves half a file where an earlier export was.
    """
    passages = await read_manuscript(memory, values)
    write_export(values, passages, fmt, path)


def write_export(
    values: Mapping[str, Any], passages: list[Passage], fmt: ExportFormat, path: str
) -> None:
    """Write the novel of ``values`` whose paragraphs are ``passages`` (see :func:`export_novel`).

    Blocking file work with no memory access: a server runs it off its event loop.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    partial = os.path.join(folder, f".{os.path.basename(path)}.partial")
    try:
        if fmt in ("md", "txt"):
            text = to_markdown(values, passages) if fmt == "md" else to_text(passages)
            with open(partial, "w", encoding="utf-8") as handle:
                handle.write(text)
        elif fmt == "epub":
            from recurrentgpt.books.epub_book import write_epub

            write_epub(book_of(values, passages), partial, identifier=values.get("novel_id", ""))
        else:
            from recurrentgpt.books.docx_book import write_docx

            write_docx(book_of(values, passages), partial)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def to_text(passages: list[Passage]) -> str:
    """The paragraphs alone, separated by blank lines."""
    return "\n\n".join(p.text.strip() for p in passages) + "\n"
