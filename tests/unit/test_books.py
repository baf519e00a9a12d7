"""Books in and out: each format both ways, the graph's import path, a crash mid-import, bad files.

The novels are written and imported by the real graph with the scripted model,
stored in the real embedded Qdrant engine; checkpoints of the crash test are in
a real SQLite file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.types import Command

from recurrentgpt import build_graph
from recurrentgpt.books import Book, BookChapter, ManuscriptError, book_from_input, read_book_file
from recurrentgpt.books.manuscript import MAX_PARAGRAPH_WORDS, grouped, split_long_paragraph
from recurrentgpt.books.plain import read_markdown, read_plain_text
from recurrentgpt.books.reading import MAX_FILE_BYTES
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.export import EXPORT_FORMATS, export_novel, read_manuscript
from recurrentgpt.memory import LongTermMemory, Passage
from recurrentgpt.memory.edge_store import EdgeStore
from recurrentgpt.nodes.common import chapters_total
from recurrentgpt.nodes.importer import DIGEST_WINDOWS, IMPORT_BATCH
from recurrentgpt.text import count_words
from tests.fakes import FakeServices, ScriptedChatModel
from tests.unit.helpers import all_texts, thread

NAMES = ["Arlo", "Mira", "Tomas", "Ilse", "Petra", "Jonah"]


def sample_book(chapters: int = 3, per_chapter: int = 4) -> Book:
    """A book whose paragraphs are all different and hold text that needs escaping."""
    return Book(
        title="The Harbour & the Key",
        premise="A keeper finds a key that opens <nothing> he knows.",
        language="English",
        chapters=[
            BookChapter(
                f"Storm {c}",
                [
                    f"{NAMES[(c + i) % 6]} walked to the quay in chapter {c}, scene {i}. "
                    f'"Is it {c * i} o\'clock?" asked {NAMES[i % 6]} & the tide rose.'
                    for i in range(1, per_chapter + 1)
                ],
            )
            for c in range(1, chapters + 1)
        ],
    )


def interactive(context_factory: Any, **overrides: Any) -> Any:
    return context_factory(mode="interactive", **overrides)


async def import_into(graph: Any, config: dict[str, Any], context: Any, manuscript: Any) -> Any:
    await graph.ainvoke({"manuscript": manuscript, "target_steps": 2}, config, context=context)
    return await graph.aget_state(config)


async def texts_of(memory: LongTermMemory, values: dict[str, Any]) -> list[str]:
    return [p.text for p in await read_manuscript(memory, values)]


async def test_import_pauses_with_three_plans_as_after_an_opening(
    graph, model, memory, context_factory
):
    book = sample_book()
    snapshot = await import_into(graph, thread("i1"), interactive(context_factory), book.as_input())
    values = snapshot.values
    pause = snapshot.interrupts[0].value
    assert snapshot.next == ("human",)
    assert pause["kind"] == "choose_plan" and len(pause["plans"]) == 3
    assert await texts_of(memory, values) == book.paragraphs
    assert values["manuscript"] == ""  # the state never keeps the manuscript
    assert values["title"] == book.title and values["premise"] == book.premise
    assert [c["title"] for c in values["book_outline"]] == ["Storm 1", "Storm 2", "Storm 3"]
    assert values["chapter"] == 3 and values["chapter_start_step"] == -4
    assert values["last_paragraph"] == book.paragraphs[-1]
    assert values["words_written"] == book.words()
    assert values["short_term_memory"].startswith("Memory after call")
    assert values["bible"] and values["chapter_outline"]
    assert [name for name, _ in model.calls] == ["MemoryUpdate", "ChapterPlan", "Plans"]
    memory_prompt = model.prompts_for("MemoryUpdate")[0]
    assert book.paragraphs[-1] in memory_prompt  # the short-term memory reads the last part


async def test_the_next_step_continues_the_manuscript(graph, model, memory, context_factory):
    context = interactive(context_factory)
    book = sample_book()
    await import_into(graph, thread("i2"), context, book.as_input())
    await graph.ainvoke(Command(resume=1), thread("i2"), context=context)
    values = (await graph.aget_state(thread("i2"))).values
    assert values["step"] == 1 and values["position"] == len(book.paragraphs)
    writer_prompt = model.prompts_for("text")[-1]
    assert book.paragraphs[-1] in writer_prompt  # the last paragraph of the manuscript
    assert "paragraph 5 of about 20 in this chapter" in writer_prompt
    stored = await texts_of(memory, values)
    assert stored[:-1] == book.paragraphs and len(set(stored)) == len(stored)


async def test_markdown_text_is_a_manuscript_too(graph, memory, context_factory):
    text = (
        "# Tide\n\n*A keeper waits.*\n\n## Chapter 1: Low\n\nOne. Two.\n\nThree.\n\n"
        "## High\n\nFour."
    )
    snapshot = await import_into(graph, thread("i3"), interactive(context_factory), text)
    values = snapshot.values
    assert values["title"] == "Tide" and values["premise"] == "A keeper waits."
    assert [c["title"] for c in values["book_outline"]] == ["Low", "High"]
    assert await texts_of(memory, values) == ["One. Two.", "Three.", "Four."]


async def test_a_chinese_manuscript_is_continued_in_chinese(graph, model, context_factory):
    text = "## 第一章 灯塔\n\n海边有一座古老的灯塔。\n\n守塔人名叫林海，他在楼梯下发现了一封旧信。"
    snapshot = await import_into(graph, thread("zh"), interactive(context_factory), text)
    assert snapshot.values["language"] == "Chinese"
    assert [c["title"] for c in snapshot.values["book_outline"]] == ["灯塔"]
    assert "Chinese" in model.prompts_for("Plans")[0]


async def test_model_calls_do_not_grow_with_the_manuscript(memory, context_factory):
    calls, embedded = [], []
    for paragraphs in (30, 600):
        model = ScriptedChatModel()
        graph = build_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())
        before = memory.embedding_calls
        book = sample_book(chapters=paragraphs // 30, per_chapter=30)
        await import_into(
            graph, thread(f"n{paragraphs}"), interactive(context_factory), book.as_input()
        )
        calls.append(len(model.calls))
        embedded.append(memory.embedding_calls - before)
    # Memory updater on one window (the short book) or on DIGEST_WINDOWS + 1, chapter plan, plans.
    assert calls == [1 + 1 + 1, DIGEST_WINDOWS + 1 + 1 + 1]
    assert embedded == [30, 600]  # each paragraph embedded once


class FlakyMemory(LongTermMemory):
    """Long-term memory whose ``fail_at``-th batch write fails (a crash mid-import)."""

    fail_at = 0
    batches = 0

    async def store_many(self, passages: Any) -> None:
        self.batches += 1
        if self.batches == self.fail_at:
            raise OSError("disk unplugged")
        await super().store_many(passages)


async def test_a_crash_mid_import_resumes_without_duplicates(tmp_path, context_factory):
    store = EdgeStore(str(tmp_path / "edge"))
    memory = FlakyMemory(store, HashingEmbeddings(64))
    memory.fail_at = 3
    book = sample_book(chapters=5, per_chapter=40)
    context = interactive(context_factory)
    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        graph = build_graph(FakeServices(ScriptedChatModel(), memory)).compile(checkpointer=saver)
        with pytest.raises(OSError, match="disk unplugged"):
            await import_into(graph, thread("crash"), context, book.as_input())
        novel_id = (await graph.aget_state(thread("crash"))).values.get("novel_id")
        assert novel_id is None  # nothing half-imported in the state
        memory.fail_at = 0
        embedded_before = memory.embedding_calls
        await graph.ainvoke(None, thread("crash"), context=context)
        snapshot = await graph.aget_state(thread("crash"))
    values = snapshot.values
    texts = all_texts(memory, values["novel_id"])
    assert snapshot.next == ("human",)
    assert len(texts) == len(set(texts)) == len(book.paragraphs) == 200
    assert await texts_of(memory, values) == book.paragraphs
    # The two batches stored before the crash were not embedded again.
    assert memory.embedding_calls - embedded_before == 200 - 2 * IMPORT_BATCH
    store.close()


async def write_novel(graph: Any, config: dict[str, Any], context: Any) -> dict[str, Any]:
    await graph.ainvoke(
        {"premise": "a keeper finds a key", "target_steps": 5}, config, context=context
    )
    return dict((await graph.aget_state(config)).values)


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
async def test_export_then_import_gives_the_same_paragraphs(
    graph, memory, context_factory, tmp_path, fmt
):
    written = await write_novel(graph, thread("w"), context_factory(paragraphs_per_chapter=3))
    paragraphs = await texts_of(memory, written)
    path = str(tmp_path / f"novel.{fmt}")
    await export_novel(memory, written, fmt, path)

    book = read_book_file(path)
    assert book.paragraphs == paragraphs
    chapters = [p.chapter for p in await read_manuscript(memory, written)]
    if fmt != "txt":  # plain text holds the paragraphs alone
        outline = [c["title"] for c in written["book_outline"]]
        assert [c.title for c in book.chapters] == outline[: max(chapters)]
        assert [len(c.paragraphs) for c in book.chapters] == [
            chapters.count(n) for n in range(1, max(chapters) + 1)
        ]
        assert book.title == written["title"] and book.premise == written["premise"]
    if fmt in ("epub", "docx"):
        assert book.language == "English"

    context = interactive(context_factory, paragraphs_per_chapter=3)
    snapshot = await import_into(graph, thread("back"), context, book.as_input())
    assert await texts_of(memory, snapshot.values) == paragraphs


async def exported(memory: LongTermMemory, tmp_path: Path, fmt: str) -> tuple[str, Book]:
    book = sample_book()
    passages = [
        Passage("n", "main", position, 0, chapter, text, "")
        for position, (chapter, text) in enumerate(
            (n, p) for n, c in enumerate(book.chapters, 1) for p in c.paragraphs
        )
    ]
    await memory.store_many(passages)
    values = {
        "novel_id": "n",
        "title": book.title,
        "premise": book.premise,
        "language": "French",
        "position": len(passages) - 1,
        "book_outline": [{"title": c.title, "arc": "x"} for c in book.chapters],
    }
    path = str(tmp_path / f"book.{fmt}")
    await export_novel(memory, values, fmt, path)
    return path, book


def epubcheck_command() -> list[str]:
    """How to run epubcheck here (Debian installs it as an executable jar), or [] if absent."""
    found = shutil.which("epubcheck")
    if not found:
        return []
    target = os.path.realpath(found)
    return ["java", "-jar", target] if target.endswith(".jar") else [found]


@pytest.mark.skipif(not epubcheck_command(), reason="epubcheck is not installed (apt: epubcheck)")
async def test_exported_epub_passes_epubcheck(memory, tmp_path):
    path, _ = await exported(memory, tmp_path, "epub")
    command = [*epubcheck_command(), path]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors or warnings detected" in result.stdout


async def test_exported_epub_has_title_page_contents_and_metadata(memory, tmp_path):
    path, _ = await exported(memory, tmp_path, "epub")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        opf = archive.read(next(n for n in names if n.endswith(".opf"))).decode()
        nav = archive.read(next(n for n in names if n.endswith("nav.xhtml"))).decode()
        title_page = archive.read(next(n for n in names if n.endswith("title.xhtml"))).decode()
    assert names[0] == "mimetype"
    assert "<dc:language>fr</dc:language>" in opf
    assert "The Harbour &amp; the Key" in opf and "&lt;nothing&gt;" in opf
    assert all(f"Chapter {n}: Storm {n}" in nav for n in (1, 2, 3))
    assert 'epub:type="titlepage"' in title_page and "&lt;nothing&gt;" in title_page
    assert read_book_file(path).language == "French"


async def test_exported_docx_opens_with_a_heading_per_chapter(memory, tmp_path):
    path, book = await exported(memory, tmp_path, "docx")
    document = docx.Document(path)
    styles = [(p.style.name, p.text) for p in document.paragraphs if p.text]
    assert styles[0] == ("Title", book.title)
    assert styles[1] == ("Subtitle", book.premise)
    headings = [text for style, text in styles if style == "Heading 1"]
    assert headings == ["Chapter 1: Storm 1", "Chapter 2: Storm 2", "Chapter 3: Storm 3"]
    assert document.core_properties.language == "fr"
    assert document.core_properties.comments == book.premise
    fields = document.element.body.xpath(".//w:instrText")
    assert any(f.text.startswith("TOC") for f in fields)  # Word's table of contents


def test_plain_text_paragraphs_and_chapter_headings():
    text = "CHAPTER I\n\nIt rained.\nStill raining.\n\nThe end.\n\nChapter 2: Dry\n\nSun."
    book = read_plain_text(text)
    assert [(c.title, c.paragraphs) for c in book.chapters] == [
        ("", ["It rained.\nStill raining.", "The end."]),
        ("Dry", ["Sun."]),
    ]
    prose = read_plain_text("Part of the crew went ashore.\n\nBook two was missing.")
    assert [(c.title, len(c.paragraphs)) for c in prose.chapters] == [("", 2)]
    one_per_line = read_plain_text("First line.\nSecond line.\nThird line.\n")
    assert one_per_line.paragraphs == ["First line.", "Second line.", "Third line."]


def test_markdown_layout():
    book = read_markdown(
        "# Book\n\n_About it._\n\nPrologue text.\n\n## One\n\nA.\n\n### Scene\n\nB.\n\n"
        "---\n\n## Two\n\nC."
    )
    assert (book.title, book.premise) == ("Book", "About it.")
    assert [(c.title, c.paragraphs) for c in book.chapters] == [
        ("", ["Prologue text."]),
        ("One", ["A.", "B."]),
        ("Two", ["C."]),
    ]
    several_titles = read_markdown("# One\n\nA.\n\n# Two\n\nB.")
    assert several_titles.title == "" and [c.title for c in several_titles.chapters] == [
        "One",
        "Two",
    ]


def test_long_paragraphs_are_split_and_headless_books_grouped():
    long = " ".join(f"Sentence number {i} goes here." for i in range(400))
    pieces = split_long_paragraph(long)
    assert all(count_words(p) <= MAX_PARAGRAPH_WORDS for p in pieces)
    assert " ".join(pieces) == long
    book = grouped(book_from_input({"chapters": [{"title": "", "paragraphs": ["A b."] * 45}]}), 20)
    assert [len(c.paragraphs) for c in book.chapters] == [20, 20, 5]
    assert all(c.title == "A b" for c in book.chapters)


def test_chapters_total_of_an_imported_novel(context_factory):
    context = context_factory(paragraphs_per_chapter=10)
    imported = {"chapters": 7, "paragraphs": 70, "words": 7000, "last_chapter_paragraphs": 6}
    state: Any = {"imported": imported, "target_steps": 4}
    assert chapters_total(state, context) == 7  # four more paragraphs fit in chapter 7
    assert chapters_total({**state, "target_steps": 15}, context) == 9
    assert chapters_total({**state, "target_steps": 0}, context) == 0  # open-ended
    words = {**state, "target_steps": 0, "target_words": 7000 + 40 * 14}  # 14 paragraphs more
    assert chapters_total(words, context) == 8


def write_bytes(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def too_big(tmp_path: Path) -> str:
    path = tmp_path / "huge.txt"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: takes no disk space
    return str(path)


def corrupt_epub(tmp_path: Path) -> str:
    path = tmp_path / "broken.epub"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
    return str(path)


BAD_FILES = {
    "empty": (lambda tmp: write_bytes(tmp, "empty.txt", b""), "it is empty"),
    "blank": (lambda tmp: write_bytes(tmp, "blank.md", b"# Title\n\n   \n"), "it is empty"),
    "binary": (lambda tmp: write_bytes(tmp, "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00"), "binary"),
    "not utf-8": (lambda tmp: write_bytes(tmp, "latin.txt", "café".encode("cp1252")), "UTF-8"),
    "unsupported": (lambda tmp: write_bytes(tmp, "novel.pdf", b"%PDF-1.7"), "unsupported format"),
    "corrupt docx": (
        lambda tmp: write_bytes(tmp, "novel.docx", b"plain text"),
        "not a readable Word",
    ),
    "corrupt epub": (corrupt_epub, "not a readable EPUB"),
    "too big": (too_big, "over the 50 MB limit"),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_bad_files_get_clear_errors(tmp_path, kind):
    make, message = BAD_FILES[kind]
    path = make(tmp_path)
    with pytest.raises(ManuscriptError, match=message):
        read_book_file(path)


@pytest.mark.parametrize("manuscript", ["", "   \n", {"chapters": "x"}, {"title": "no chapters"}])
async def test_a_bad_graph_manuscript_fails_before_anything_is_stored(
    graph, memory, context_factory, manuscript
):
    with pytest.raises(ManuscriptError):
        await import_into(graph, thread("bad"), interactive(context_factory), manuscript)
    assert memory.backend.dimensions() is None  # nothing stored at all
    values = (await graph.aget_state(thread("bad"))).values
    assert "title" not in values and "novel_id" not in values


def test_cli_import_then_export(tmp_path, capsys):
    from qdrant_client import QdrantClient

    from recurrentgpt.cli import main

    services = FakeServices(
        ScriptedChatModel(), LongTermMemory(QdrantClient(":memory:"), HashingEmbeddings(64))
    )
    data_dir = str(tmp_path / "data")
    source = tmp_path / "draft.md"
    book = sample_book()
    source.write_text(
        "\n\n".join(f"## {c.title}\n\n" + "\n\n".join(c.paragraphs) for c in book.chapters),
        encoding="utf-8",
    )
    common = ["--data-dir", data_dir]
    args = ["import", str(source), "--id", "mine", "--auto-first", "--steps", "1"]
    assert main([*common, *args, "--words-per-paragraph", "40"], services=services) == 0
    out = capsys.readouterr().out
    assert "Importing" in out and "12 paragraphs" in out and "[step 1 · " in out
    assert main([*common, "export", "mine", "--format", "docx"], services=services) == 0
    exported_book = read_book_file(os.path.join(data_dir, "exports", "mine.docx"))
    assert exported_book.paragraphs[:12] == book.paragraphs
    assert len(exported_book.paragraphs) == 13
    assert exported_book.title == "draft"  # the file's name titles a book without one


@pytest.mark.parametrize("kind", ["empty", "corrupt epub", "unsupported"])
def test_cli_import_of_a_bad_file_leaves_no_novel(tmp_path, capsys, kind):
    from recurrentgpt.cli import main

    data_dir = str(tmp_path / "data")
    path = BAD_FILES[kind][0](tmp_path)
    assert main(["--data-dir", data_dir, "import", path, "--id", "bad"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and BAD_FILES[kind][1] in err
    assert main(["--data-dir", data_dir, "list"]) == 0
    assert "No novels" in capsys.readouterr().out


def test_the_terminal_shows_import_progress_as_a_bar():
    from rich.console import Console

    from recurrentgpt.cli.progress import StepView
    from recurrentgpt.nodes.importer import IMPORT_PROGRESS

    view = StepView(Console(record=True, width=100))
    view.handle("tasks", {"id": "t1", "name": "import_manuscript", "input": {}, "triggers": []})
    view.handle("custom", {"event": IMPORT_PROGRESS, "stored": 128, "total": 653})
    live = Console(record=True, width=100)
    live.print(view.live.get_renderable())
    shown = live.export_text()
    view.stop()
    assert "importing the manuscript" in shown
    assert "128 of 653 paragraphs stored" in shown
    assert "━" in shown  # the bar


def test_cli_import_cut_short_resumes_with_resume(tmp_path, capsys):
    from recurrentgpt.cli import main

    store = EdgeStore(str(tmp_path / "edge"))
    memory = FlakyMemory(store, HashingEmbeddings(64))
    memory.fail_at = 2
    services = FakeServices(ScriptedChatModel(), memory)
    source = tmp_path / "draft.txt"
    book = sample_book(chapters=1, per_chapter=150)
    source.write_text("\n\n".join(book.paragraphs), encoding="utf-8")
    data_dir = str(tmp_path / "data")
    args = ["import", str(source), "--id", "cut", "--auto-first", "--steps", "1"]
    assert main(["--data-dir", data_dir, *args], services=services) == 1
    assert "disk unplugged" in capsys.readouterr().err
    memory.fail_at = 0
    assert main(["--data-dir", data_dir, "resume", "cut"], services=services) == 0
    assert "Imported 'draft': 8 chapters, 150 paragraphs" in capsys.readouterr().out
    novel_id = next(iter({p["novel_id"] for page in store.scroll(None) for p in page}))
    texts = all_texts(memory, novel_id)
    assert len(texts) == len(set(texts)) == 151  # the manuscript once, then one new paragraph
    store.close()
