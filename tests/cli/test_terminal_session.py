"""The interactive command line in a real pseudo-terminal (pexpect), as a novelist uses it.

The CLI runs as its own process with the scripted model (tests/cli/scripted_cli.py)
and a scripted $EDITOR (tests/cli/editor.py); checkpoints and long-term memory are
real and on disk, so stopping and resuming cross process boundaries. Timeouts are
generous and nothing is timed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.terminal

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 30
PROMPT = "choice>"
SMALL = ["--words-per-paragraph", "40", "--embedder", "hash:64"]


class Terminal:
    """Runs ``recurrentgpt`` commands in a pseudo-terminal over one data dir."""

    def __init__(self, tmp_path: Path) -> None:
        self.data_dir = str(tmp_path / "data")
        self.actions = tmp_path / "editor-actions.txt"
        self.log = tmp_path / "editor-log.txt"
        self.actions.write_text("")
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("RECURRENTGPT_", "QDRANT_", "OPENAI_", "VISUAL"))
        }
        self.env.update(
            PYTHONPATH=str(REPO),
            EDITOR=f"{sys.executable} {REPO / 'tests/cli/editor.py'}",
            EDITOR_ACTIONS=str(self.actions),
            EDITOR_LOG=str(self.log),
            NO_COLOR="1",
            TERM="xterm",
            PROMPT_TOOLKIT_NO_CPR="1",
        )

    def editor_will(self, *actions: str) -> None:
        """Script the next runs of the editor."""
        self.actions.write_text("\n".join(actions))

    def opened_texts(self) -> list[str]:
        """Every text the editor was opened on, in order."""
        return [t.strip() for t in self.log.read_text().split("\n---\n") if t.strip()]

    def spawn(self, *args: str, **env: str):
        child = pexpect.spawn(
            sys.executable,
            ["-m", "tests.cli.scripted_cli", "--data-dir", self.data_dir, *args],
            cwd=str(REPO),
            env={**self.env, **env},
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(60, 220),
        )
        return child

    def run(self, *args: str) -> str:
        """Run a command that asks nothing; return its output (it must succeed)."""
        child = self.spawn(*args)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
        return str(child.before)


@pytest.fixture
def terminal(tmp_path: Path) -> Terminal:
    return Terminal(tmp_path)


def write(terminal: Terminal, novel: str, steps: int = 3, **env: str):
    child = terminal.spawn(
        "write",
        "--premise",
        "a lighthouse keeper",
        "--steps",
        str(steps),
        "--id",
        novel,
        *SMALL,
        **env,
    )
    child.expect(PROMPT)
    return child


def test_whole_opening_edits_that_stick_and_a_mistyped_command(terminal):
    terminal.editor_will("append FIRST-EDIT", "append SECOND-EDIT", "fail", "keep")
    child = write(terminal, "n1")
    opening = child.before
    # The served default is the bundled model, whose paragraphs lose their labels
    # ("Opening paragraph two:"): the scene each one tells is what is shown.
    for scene in ("lighthouse keeper Arlo", "Arlo finds a brass key", "a storm gathers"):
        assert scene in opening
    child.sendline("x")
    child.expect("'x' is not a choice")
    child.sendline("m")
    child.expect("Saved your edit of the short-term memory")
    child.sendline("m")  # opens the text just saved, not the original
    child.expect("Saved your edit")
    child.sendline("m")
    child.expect("the editor exited with status 1: edit cancelled")
    child.sendline("m")
    child.expect("no change saved: edit cancelled")
    child.sendline("1")
    child.expect(r"\[step 1 · \d+ words\]")
    child.expect(PROMPT)
    child.sendline("s")
    child.expect(pexpect.EOF)
    opened = terminal.opened_texts()
    assert "FIRST-EDIT" not in opened[0]
    assert opened[1].endswith("FIRST-EDIT")
    assert opened[2].endswith("FIRST-EDIT SECOND-EDIT")
    assert opened[3].endswith("FIRST-EDIT SECOND-EDIT")  # the failed edit changed nothing
    export = terminal.run("export", "n1", "--format", "txt")
    assert "Exported 'n1'" in export


@pytest.mark.parametrize("leave", ["\x03", "\x04"], ids=["ctrl-c", "ctrl-d"])
def test_leaving_the_prompt_keeps_pending_edits_and_resume_continues(terminal, leave):
    terminal.editor_will("append KEPT-EDIT")
    child = write(terminal, "n2")
    child.sendline("m")
    child.expect("Saved your edit")
    child.expect(PROMPT)
    child.send(leave)
    child.expect("your edits there are saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert re.search(r"n2\s+paused\s+0/3", terminal.run("list"))
    child = terminal.spawn("resume", "n2")
    child.expect("your edit, applied with your next choice")
    child.expect(PROMPT)
    assert "KEPT-EDIT" in child.before
    child.sendline("2")
    child.expect(r"\[step 1 · ")
    child.expect(PROMPT)
    child.sendline("s")
    child.expect("stopped")
    child.expect(pexpect.EOF)
    child = terminal.spawn("resume", "n2")  # stop means resume later
    child.expect(PROMPT)
    assert "step 1 of 3" in child.before
    child.sendline("s")
    child.expect(pexpect.EOF)


def test_rejected_attempt_is_replaced_and_the_ending_is_reviewed(terminal):
    child = write(terminal, "n3", steps=1, SCRIPTED_REJECT_FIRST_WRITER="1")
    assert "writer attempt 1 not used" in child.before
    child.sendline("1")
    child.expect("reached its target")
    child.expect(PROMPT)
    child.sendline("+2")
    child.expect(r"Plan for the next paragraph")
    child.sendline("3")
    child.expect(r"step 2 of 3")
    child.expect(PROMPT)
    child.sendline("1")
    child.expect("reached its target")
    child.expect(PROMPT)
    child.sendline("")
    child.expect("finished: 3 steps")
    child.expect(pexpect.EOF)


def test_history_ids_rewind_after_an_extension(terminal):
    terminal.run(
        "write", "--premise", "a keeper", "--steps", "2", "--id", "n4", "--auto-first", *SMALL
    )
    terminal.run("resume", "n4", "--steps", "2", "--auto-first")
    history = terminal.run("history", "n4")
    steps = re.findall(r"^\s*(\d+)\s+\d+\s+(\S+)\s+current", history, re.MULTILINE)
    assert [int(step) for step, _ in steps] == [4, 3, 2, 1, 0]
    checkpoint = dict(steps)["2"]
    assert "step 2" in terminal.run("rewind", "n4", checkpoint)
    listed = terminal.run("list")
    assert re.search(r"n4\s+paused\s+2/4", listed)
    assert "a keeper" in listed
    every = terminal.run("history", "n4", "--all")
    assert len(re.findall(r"\bother\b", every)) == 2
    child = terminal.spawn("rewind", "n4", "9")
    child.expect("no step or checkpoint '9'")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1


def test_the_built_in_editor_when_no_editor_is_set(terminal):
    child = write(terminal, "n5", EDITOR="")
    child.sendline("m")
    child.expect("Editing the short-term memory")
    child.send(" BUILT-IN-EDIT")
    child.send("\x1b\r")  # Esc then Enter saves
    child.expect("Saved your edit")
    child.expect(PROMPT)
    child.sendline("p")
    child.expect("Editing paragraph")
    child.send("\x03")  # Ctrl-C cancels the edit, not the session
    child.expect("edit cancelled, nothing changed")
    child.expect(PROMPT)
    child.sendline("s")
    child.expect(pexpect.EOF)
    child = terminal.spawn("resume", "n5")
    child.expect(PROMPT)
    assert "BUILT-IN-EDIT" in child.before
    child.sendline("s")
    child.expect(pexpect.EOF)


def test_a_paragraph_edit_shows_the_refreshed_plans_before_anything_is_written(terminal):
    terminal.editor_will("append PARAGRAPH-EDIT")
    child = write(terminal, "n6")
    child.sendline("p")
    child.expect("Saved your edit of paragraph")
    child.expect(PROMPT)
    child.sendline("1")  # chosen among plans written for the paragraph before the edit
    child.expect("Your paragraph edit refreshed the memory and the plans")
    child.expect(PROMPT)
    assert "[step 1 ·" not in child.before
    child.sendline("2")
    child.expect(r"\[step 1 · \d+ words\]")
    child.expect(PROMPT)
    child.sendline("s")
    child.expect(pexpect.EOF)
    export = terminal.run("export", "n6", "--format", "txt", "--out", terminal.data_dir + "/n6.txt")
    assert "Exported 'n6'" in export
    assert "PARAGRAPH-EDIT" in Path(terminal.data_dir, "n6.txt").read_text()
