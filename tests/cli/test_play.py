"""``recurrentgpt play`` in a real pseudo-terminal (pexpect), as a reader plays a story.

The command runs as its own process with the scripted model (tests/cli/scripted_cli.py);
checkpoints and long-term memory are real and on disk, so leaving and resuming cross
process boundaries. Timeouts are generous and nothing is timed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli.test_terminal_session import SMALL, Terminal

pexpect = pytest.importorskip("pexpect")
pytestmark = pytest.mark.terminal

PROMPT = "you>"


@pytest.fixture
def terminal(tmp_path: Path) -> Terminal:
    return Terminal(tmp_path)


def play(terminal: Terminal, story: str, scenes: int, *more: str):
    child = terminal.spawn(
        "play",
        story,
        "--premise",
        "a lighthouse keeper",
        "--genre",
        "horror",
        "--scenes",
        str(scenes),
        *more,
        *SMALL,
    )
    child.expect(PROMPT)
    return child


def test_play_to_a_death_then_rewind_and_play_on_to_another_ending(terminal):
    child = play(terminal, "s1", 2)
    assert "scene 0 of 2" in child.before
    assert "You climb the tower stairs" in child.before
    child.sendline("")
    child.expect("your action is empty")
    child.sendline("You run. " * 40)
    child.expect("the most is 300")
    child.sendline("7")
    child.expect("no action 7")
    child.sendline("You light a flare and wave it at the ship.")
    child.expect(r"\[scene 1 of 2\]")
    child.expect(PROMPT)
    child.sendline("3")
    child.expect(r"THE END \(death ending\)")
    child.expect(PROMPT)
    child.sendline("/path")
    child.expect("scene 1: You light a flare")
    child.expect(PROMPT)
    child.sendline("/rewind 1")
    child.expect("Back to the choice after scene 1")
    child.expect(PROMPT)
    child.sendline("1")
    child.expect(r"THE END \(triumph ending\)")
    child.expect(PROMPT)
    child.sendline("")
    child.expect(r"ended \(triumph ending\) after 2 scenes")
    child.expect(pexpect.EOF)

    export = terminal.run(
        "play", "s1", "--export", "--choices", "--out", terminal.data_dir + "/s.md"
    )
    assert "Exported 's1'" in export
    story = Path(terminal.data_dir, "s.md").read_text()
    assert story.count("> **You:**") == 2
    assert "flare" in story and story.endswith("*The end (triumph).*\n")
    history = terminal.run("history", "s1", "--all")
    assert len(re.findall(r"\bother\b", history)) == 1  # the path that died


@pytest.mark.parametrize("leave", ["\x03", "\x04"], ids=["ctrl-c", "ctrl-d"])
def test_leave_at_a_choice_and_resume_the_story_by_its_id(terminal, leave):
    child = play(terminal, "s2", 3)
    child.sendline("2")
    child.expect(r"\[scene 1 of 3\]")
    child.expect(PROMPT)
    child.send(leave)
    child.expect("Continue with: recurrentgpt play s2")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert re.search(r"s2\s+paused\s+1/3", terminal.run("list"))

    child = terminal.spawn("play", "s2")
    child.expect(PROMPT)
    assert "scene 1 of 3" in child.before
    assert "Where you are" in child.before  # the scene is shown again on resume
    child.sendline("/stop")
    child.expect("paused")
    child.expect(pexpect.EOF)


def test_a_simulated_reader_plays_to_the_end_and_a_novel_is_not_played(terminal):
    output = terminal.run(
        "play", "s3", "--premise", "a keeper", "--scenes", "2", "--auto-first", *SMALL
    )
    assert "> You climb the tower stairs" in output
    assert "ended (triumph ending) after 2 scenes" in output
    assert "has ended" not in output
    again = terminal.run("play", "s3")
    assert "ended (triumph ending)" in again
    terminal.run(
        "write", "--premise", "a keeper", "--steps", "1", "--id", "n1", "--auto-first", *SMALL
    )
    child = terminal.spawn("play", "n1")
    child.expect("is a novel, not a story to play")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
