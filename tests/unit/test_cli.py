"""The command line end to end, with the scripted fake model and a real SQLite + Qdrant."""

from __future__ import annotations

import re
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from qdrant_client import QdrantClient
from rich.console import Console

from recurrentgpt.cli import main
from recurrentgpt.cli.terminal import render_pause
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory
from tests.fakes import FakeServices, ScriptedChatModel, _default_answer, is_opening

SMALL = ["--words-per-paragraph", "40"]


@pytest.fixture
def services() -> FakeServices:
    return FakeServices(
        ScriptedChatModel(), LongTermMemory(QdrantClient(":memory:"), HashingEmbeddings(64))
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> str:
    return str(tmp_path / "data")


def run(data_dir: str, services: FakeServices, *args: str, answers: Iterator[str] | None = None):
    read = (lambda prompt: next(answers)) if answers is not None else input
    return main(["--data-dir", data_dir, *args], services=services, read=read)


def write_auto(data_dir: str, services: FakeServices, novel_id: str, steps: int) -> int:
    """Write a small novel in deterministic auto mode."""
    return run(
        data_dir,
        services,
        "write",
        "--premise",
        "x",
        "--steps",
        str(steps),
        "--auto-first",
        "--id",
        novel_id,
        *SMALL,
    )


def test_write_auto_then_export_markdown(data_dir, services, capsys):
    code = run(
        data_dir,
        services,
        "write",
        "--premise",
        "a lighthouse",
        "--steps",
        "3",
        "--auto-first",
        "--id",
        "n1",
        *SMALL,
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "[step 3 · " in out  # progress after each step
    assert "Paragraph " in out  # streamed writer tokens
    assert run(data_dir, services, "export", "n1") == 0
    exported = Path(data_dir, "exports", "n1.md").read_text(encoding="utf-8")
    assert exported.startswith("# The Lighthouse")
    assert exported.count("Paragraph ") == 3
    assert "Opening paragraph one" in exported


def test_interactive_choices_edits_and_stop(data_dir, services, tmp_path, monkeypatch, capsys):
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\np = sys.argv[1]\nopen(p, 'w').write('EDITED by the novelist.')\n"
    )
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    # A hosted model's memory updater proposes the plans (a bundled one's would not).
    monkeypatch.setenv("RECURRENTGPT_MODEL", "openai:scripted")
    answers = iter(["9", "2", "m", "1", "s"])
    code = run(
        data_dir,
        services,
        "write",
        "--premise",
        "x",
        "--steps",
        "5",
        "--id",
        "n2",
        *SMALL,
        answers=answers,
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "'9' is not a choice" in out
    assert "stopped" in out
    writer_prompts = services.model.prompts_for("text")
    # Three opening paragraphs come first; then step 1 (plan 2) and step 2 (edited memory).
    # The opening's memory update proposed the first plans; plan 2 was chosen.
    assert "Plan two of call" in writer_prompts[3] and "a ship appears" in writer_prompts[3]
    assert "EDITED by the novelist." in writer_prompts[4]


def test_resume_after_stop_extends_the_novel(data_dir, services):
    write_auto(data_dir, services, "n3", steps=2)
    assert run(data_dir, services, "resume", "n3") == 0  # complete: nothing to do
    assert run(data_dir, services, "resume", "n3", "--steps", "2") == 0  # two more
    assert run(data_dir, services, "export", "n3", "--format", "txt") == 0
    text = Path(data_dir, "exports", "n3.txt").read_text(encoding="utf-8")
    assert text.count("Paragraph ") == 4


def test_list_history_rewind_and_resume(data_dir, services, capsys):
    write_auto(data_dir, services, "n4", steps=4)
    capsys.readouterr()
    assert run(data_dir, services, "list") == 0
    listed = capsys.readouterr().out
    row = r"n4\s+finished\s+4/4\s+\d+\s+[-\d]+\s+[-\d]+ [:\d]+\s+The Lighthouse\s+x$"
    assert re.search(row, listed, re.MULTILINE)
    assert run(data_dir, services, "history", "n4") == 0
    history = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[0] for line in history] == ["4", "3", "2", "1", "0"]
    assert run(data_dir, services, "rewind", "n4", "--step", "2") == 0
    assert run(data_dir, services, "resume", "n4") == 0
    assert run(data_dir, services, "export", "n4") == 0
    exported = Path(data_dir, "exports", "n4.md").read_text(encoding="utf-8")
    assert exported.count("Paragraph ") == 4  # steps 1-2 kept, 3-4 rewritten, none doubled


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["write", "--premise", "   ", "--steps", "2"], "--premise is empty"),
        (["resume", "nope"], "no novel 'nope'"),
        (["export", "nope"], "no novel 'nope'"),
        (["write", "--premise", "x", "--steps", "0"], "--steps must be a positive number"),
        (["write", "--premise", "x", "--id", "../evil"], "invalid novel id"),
    ],
)
def test_bad_input_gets_one_clear_line_and_nonzero_exit(data_dir, services, capsys, args, message):
    assert run(data_dir, services, *args) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert message in err


def test_rewind_to_a_missing_step_is_refused(data_dir, services, capsys):
    write_auto(data_dir, services, "n5", steps=1)
    assert run(data_dir, services, "rewind", "n5", "--step", "7") == 1
    assert "no step or checkpoint '7' to rewind to (steps 0..1" in capsys.readouterr().err


def test_data_dir_that_is_a_file(tmp_path, services, capsys):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert run(str(not_a_dir), services, "list") == 1
    assert "cannot create data dir" in capsys.readouterr().err


def test_model_failure_is_reported_and_resumable(data_dir, services, capsys):
    services.model.overrides["MemoryUpdate"] = lambda schema, messages, n: {"rationale": "x"}
    code = write_auto(data_dir, services, "n6", steps=2)
    assert code == 1
    err = capsys.readouterr().err
    assert "The memory model gave no usable reply" in err
    del services.model.overrides["MemoryUpdate"]
    assert run(data_dir, services, "resume", "n6") == 0
    assert "finished" in capsys.readouterr().out


def test_render_pause_shows_everything_the_person_needs():
    console = Console(record=True, width=100)
    console.print(
        render_pause(
            {
                "title": "T",
                "step": 2,
                "target_steps": 5,
                "words_written": 99,
                "paragraph": "Para.",
                "short_term_memory": "Mem.",
                "plans": ["A", "B", "C"],
                "pending_edits": {"short_term_memory": "Edited mem."},
                "error": "plan_index must be between 1 and 3, got 4",
            }
        )
    )
    text = console.export_text()
    for expected in ("step 2 of 5", "99 words", "Para.", "Edited mem.", "your edit", "1. A"):
        assert expected in text
    assert "3. C" in text
    assert "! plan_index" in text
    assert "Mem." not in text.replace("Edited mem.", "")


def test_eval_reports_length_score_and_repetition(data_dir, services, capsys):
    write_auto(data_dir, services, "n7", steps=3)
    capsys.readouterr()
    assert run(data_dir, services, "eval", "n7", "--target-words", "100") == 0
    out = capsys.readouterr().out
    assert "in 6 paragraphs" in out
    assert "Length score S_l for a target of 100 words:" in out
    assert "distinct-2" in out
    assert "LLM judge: not run" in out


def test_write_refuses_an_id_whose_checkpoints_exist(data_dir, services, capsys):
    write_auto(data_dir, services, "n8", steps=1)
    Path(data_dir, "novels", "n8.json").unlink()  # the registry lost it; checkpoints did not
    assert write_auto(data_dir, services, "n8", steps=1) == 1
    assert "novel 'n8' already exists" in capsys.readouterr().err


def test_a_rejected_attempt_never_shows_as_story_text(data_dir, services, capsys):
    rejected = iter(["Rejected draft."])

    def writer(schema, messages, n):
        if is_opening(str(messages[-1].content)):
            return _default_answer(schema, messages, n)
        return next(rejected, None) or _default_answer(schema, messages, n)

    services.model.overrides["text"] = writer
    assert write_auto(data_dir, services, "r1", steps=1) == 0
    out = capsys.readouterr().out
    assert "Rejected draft." not in out
    assert "writer attempt 1 not used" in out
    assert re.search(r"Paragraph \d+: Arlo", out)


def test_a_trimmed_reply_is_shown_as_kept(data_dir, services, capsys):
    def writer(schema, messages, n):
        paragraph = _default_answer(schema, messages, n)
        if is_opening(str(messages[-1].content)):
            return paragraph
        return f"Sure! Here is the next paragraph:\n{paragraph}"

    services.model.overrides["text"] = writer
    assert write_auto(data_dir, services, "r2", steps=1) == 0
    out = capsys.readouterr().out
    assert "Here is the next paragraph" not in out
    assert "(shown as kept: the model's reply was trimmed)" in out


def test_default_data_dir_is_found_from_any_folder(services, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    assert (
        main(
            ["write", "--premise", "x", "--steps", "1", "--auto-first", "--id", "d1", *SMALL],
            services=services,
        )
        == 0
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert main(["list"], services=services) == 0
    assert "d1" in capsys.readouterr().out
    assert (home / "recurrentgpt" / "checkpoints.sqlite").exists()
    assert not (elsewhere / "novels").exists()


def test_an_old_novels_folder_gets_a_notice(services, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "novels" / "novels").mkdir(parents=True)
    assert main(["list"], services=services) == 0
    out = capsys.readouterr().out
    assert "./novels holds novels of an earlier version" in out
    assert "--data-dir novels" in out
    monkeypatch.setenv("RECURRENTGPT_DATA_DIR", str(tmp_path / "chosen"))
    assert main(["list"], services=services) == 0
    assert "earlier version" not in capsys.readouterr().out


def test_step_view_names_the_working_role_and_keeps_only_the_kept_paragraph():
    from langchain_core.messages import AIMessageChunk

    from recurrentgpt.cli.progress import StepView
    from recurrentgpt.llm import REPLY_REJECTED

    console = Console(record=True, width=100)
    view = StepView(console)
    writer = {"langgraph_node": "writer"}
    view.handle("tasks", {"id": "t1", "name": "retriever", "input": {}, "triggers": []})
    live = Console(record=True, width=100)
    live.print(view.live.get_renderable())
    assert "retrieving related passages · 0 s" in live.export_text()
    view.handle("tasks", {"id": "t2", "name": "writer", "input": {}, "triggers": []})
    view.handle("messages", (AIMessageChunk(content="Rejected draft.", id="a"), writer))
    problem = "reply has 2 usable words, fewer than 5"
    event = {"event": REPLY_REJECTED, "role": "writer", "attempt": 1, "problem": problem}
    view.handle("custom", event)
    view.handle("messages", (AIMessageChunk(content="The kept paragraph.", id="b"), writer))
    live = Console(record=True, width=100)
    live.print(view.live.get_renderable())
    shown = live.export_text()
    assert "Rejected draft." not in shown
    assert "writer attempt 1 not used" in shown
    assert "The kept paragraph." in shown
    view.handle("updates", {"writer": {"draft_paragraph": "The kept paragraph."}})
    view.stop()
    kept = console.export_text()
    assert "The kept paragraph." in kept
    assert "Rejected draft." not in kept
    assert "trimmed" not in kept
