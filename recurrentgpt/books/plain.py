"""Plain text and Markdown manuscripts: paragraphs, chapter headings, title and premise.

Plain text: paragraphs are separated by blank lines (a file with no blank line
at all has one paragraph per line); a short line such as 'Chapter 3: The
Storm' or '第三章' starts a chapter (its title is what follows the number).

Markdown: paragraphs are separated by blank lines; a lone level-1 heading at
the top is the title, an emphasised paragraph right under it the premise (the
layout ``export --format md`` writes); the shallowest remaining headings start
chapters, deeper ones and horizontal rules are dropped. The text of a
paragraph is kept as written (inline markup included).
"""

from __future__ import annotations

import re

from recurrentgpt.books.manuscript import (
    Book,
    BookChapter,
    chapter_title_of,
    reads_as_chapter_heading,
)

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_EMPHASIS = re.compile(r"^(\*|_)(?!\1)(.+)\1$", re.DOTALL)


def _blocks(text: str) -> list[str]:
    """``text`` cut at blank lines; a text without blank lines is cut at every line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    if sum(1 for line in lines if line.strip()) > 1 and all(line.strip() for line in lines):
        return [line.strip() for line in lines]
    return [b.strip() for b in re.split(r"\n\s*\n", "\n".join(lines)) if b.strip()]


def read_plain_text(text: str) -> Book:
    """The book in a plain text manuscript (no title: the caller names it)."""
    chapters = [BookChapter("", [])]
    for block in _blocks(text):
        if reads_as_chapter_heading(block):
            chapters.append(BookChapter(chapter_title_of(block), []))
        else:
            chapters[-1].paragraphs.append(block)
    return Book(chapters=[c for c in chapters if c.paragraphs])


def _markdown_blocks(text: str) -> list[tuple[int, str]]:
    """(heading level, text) per block; level 0 is a paragraph. Headings stand alone."""
    blocks: list[tuple[int, str]] = []
    for block in _blocks(text):
        paragraph: list[str] = []
        for line in block.split("\n"):
            heading = _HEADING.match(line.strip())
            if heading:
                if paragraph:
                    blocks.append((0, "\n".join(paragraph)))
                    paragraph = []
                blocks.append((len(heading.group(1)), heading.group(2)))
            elif not _RULE.match(line):
                paragraph.append(line)
        if paragraph:
            blocks.append((0, "\n".join(paragraph)))
    return blocks


def read_markdown(text: str) -> Book:
    """The book in a Markdown manuscript (see the module docstring for the layout)."""
    blocks = _markdown_blocks(text)
    title = premise = ""
    level_one = [b for b in blocks if b[0] == 1]
    if blocks and blocks[0][0] == 1 and len(level_one) == 1:
        title = blocks.pop(0)[1]
        emphasis = _EMPHASIS.match(blocks[0][1].strip()) if blocks and blocks[0][0] == 0 else None
        if emphasis:
            premise = emphasis.group(2)
            blocks.pop(0)
    levels = [level for level, _ in blocks if level]
    chapter_level = min(levels) if levels else 0
    chapters = [BookChapter("", [])]
    for level, content in blocks:
        if level and level == chapter_level:
            chapters.append(BookChapter(chapter_title_of(content), []))
        elif not level:
            chapters[-1].paragraphs.append(content)
    return Book(title=title, premise=premise, chapters=[c for c in chapters if c.paragraphs])
