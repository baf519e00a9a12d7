"""Interactive fiction with the scripted model: the whole loop of a story the reader plays.

Choices, the reader's own action, unusable actions, endings by the action taken,
rewinding after an ending, resuming after a crash (real SQLite checkpoints),
the simulated reader, and the pure rules of ``recurrentgpt.story.fiction``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from recurrentgpt import build_graph, novels
from recurrentgpt.export import read_manuscript
from recurrentgpt.graphs.fiction import build_fiction_graph
from recurrentgpt.llm import LLMReplyError
from recurrentgpt.persistence import open_checkpointer
from recurrentgpt.prompts.templates import TemplateError, load_templates
from recurrentgpt.story import fiction
from tests.fakes import FakeServices, ScriptedChatModel, _default_answer
from tests.unit.helpers import PREMISE, all_texts, thread

ACTION_HEADING = "What you do now (the reader's action):"


@pytest.fixture
def fiction_graph(model: ScriptedChatModel, memory) -> Any:
    return build_fiction_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())


async def pause(graph: Any, config: dict[str, Any]) -> dict[str, Any]:
    snapshot = await graph.aget_state(config)
    assert snapshot.interrupts, f"not paused (next: {snapshot.next})"
    payload: dict[str, Any] = snapshot.interrupts[0].value
    return payload


async def answer(graph: Any, config: dict[str, Any], context: Any, value: Any) -> dict[str, Any]:
    """Resume the pause with ``value``; return the next pause."""
    await graph.ainvoke(Command(resume=value), config, context=context)
    return await pause(graph, config)


def action_of(writer_prompt: str) -> str:
    return writer_prompt.split(ACTION_HEADING, 1)[1].split("\n\nTask:", 1)[0].strip()


async def test_a_story_is_told_to_you_and_pauses_with_three_actions(
    fiction_graph, model: ScriptedChatModel, config, context_factory
) -> None:
    context = context_factory(mode="interactive")
    await fiction_graph.ainvoke({"premise": PREMISE, "target_steps": 3}, config, context=context)

    first = await pause(fiction_graph, config)
    assert first["form"] == "fiction"
    assert first["kind"] == "choose_plan"
    assert first["plans"][0].startswith("You climb the tower stairs")
    assert len(set(first["plans"])) == 3
    # The same recurrence: an opening in the second person, the reader's actions in
    # place of plans, and no novel planner call.
    assert "second person" in str(model.calls[0][1][0].content)
    assert model.prompts_for("ReaderActions") and not model.prompts_for("Plans")
    opening = model.prompts_for("text")[0]
    assert "of the story's opening" in opening and "to you, the reader" in opening

    second = await answer(fiction_graph, config, context, 2)
    writer = model.prompts_for("text")[-1]
    assert action_of(writer).startswith(first["plans"][1])
    assert "end the scene at a moment where you must choose" in writer
    assert second["step"] == 1 and second["paragraph"].startswith("Paragraph")


async def test_your_own_action_is_followed_and_unusable_ones_pause_again(
    fiction_graph, model: ScriptedChatModel, config, context_factory
) -> None:
    context = context_factory(mode="interactive")
    await fiction_graph.ainvoke({"premise": PREMISE, "target_steps": 3}, config, context=context)
    before = await pause(fiction_graph, config)
    calls = len(model.calls)

    empty = await answer(fiction_graph, config, context, {"plan": "   "})
    too_long = await answer(fiction_graph, config, context, "You run. " * 60)
    assert empty["error"] and "empty" in empty["error"]
    assert too_long["error"] and str(fiction.MAX_ACTION_CHARS) in too_long["error"]
    # Nothing lost and nothing written: the same scene, the same actions, no model call.
    assert too_long["step"] == 0 and too_long["plans"] == before["plans"]
    assert len(model.calls) == calls

    own = "You light a flare and wave it at the ship."
    after = await answer(fiction_graph, config, context, own)
    assert after["error"] is None and after["step"] == 1
    assert action_of(model.prompts_for("text")[-1]).startswith(own)
    rows = await novels.history(fiction_graph.checkpointer, "novel-1")
    assert fiction.choices_by_step(rows) == {1: own}


async def test_the_last_choices_lead_to_endings_and_the_one_taken_ends_the_story(
    fiction_graph, model: ScriptedChatModel, config, context_factory
) -> None:
    context = context_factory(mode="interactive")
    await fiction_graph.ainvoke(
        {"premise": PREMISE, "genre": "horror", "target_steps": 2}, config, context=context
    )
    await answer(fiction_graph, config, context, 1)
    last_actions = model.prompts_for("ReaderActions")[-1]
    assert "the last of the story" in last_actions
    assert "action 3 to a death ending" in last_actions
    before_last = await pause(fiction_graph, config)
    actions_asked = len(model.prompts_for("ReaderActions"))

    end = await answer(fiction_graph, config, context, 3)
    assert end["kind"] == "review_ending"
    assert end["ending"] == "death"
    assert end["plans"] == []  # nothing left to choose: no actions asked for
    assert len(model.prompts_for("ReaderActions")) == actions_asked
    assert "write its death ending" in model.prompts_for("text")[-1]
    assert action_of(model.prompts_for("text")[-1]).startswith(before_last["plans"][2])

    await fiction_graph.ainvoke(Command(resume={"stop": True}), config, context=context)
    values = (await fiction_graph.aget_state(config)).values
    assert values["status"] == "finished" and values["ending"] == "death"


async def test_rewind_after_a_death_ending_plays_on_without_the_abandoned_path(
    fiction_graph, model: ScriptedChatModel, memory, config, context_factory
) -> None:
    context = context_factory(mode="interactive")
    await fiction_graph.ainvoke(
        {"premise": PREMISE, "genre": "horror", "target_steps": 3}, config, context=context
    )
    await answer(fiction_graph, config, context, 1)
    await answer(fiction_graph, config, context, "You follow the drowned man into the sea.")
    await answer(fiction_graph, config, context, 3)
    await fiction_graph.ainvoke(Command(resume={"stop": True}), config, context=context)
    died = (await fiction_graph.aget_state(config)).values
    assert died["ending"] == "death"
    abandoned = (await read_manuscript(memory, died))[-2:]

    row = await novels.rewind(fiction_graph, "novel-1", 1)
    assert row.step == 1
    replay_from = len(model.calls)
    await fiction_graph.ainvoke(None, config, context=context)
    await answer(fiction_graph, config, context, 2)
    await answer(fiction_graph, config, context, 1)
    await fiction_graph.ainvoke(Command(resume={"stop": True}), config, context=context)
    lived = (await fiction_graph.aget_state(config)).values

    assert lived["ending"] == "triumph" and lived["step"] == 3
    replay_prompts = "\n".join(
        "\n".join(str(m.content) for m in messages) for _, messages in model.calls[replay_from:]
    )
    for passage in abandoned:
        assert passage.text not in replay_prompts
        assert passage.text in all_texts(memory, died["novel_id"])  # kept, just not on this path
    read = [p.text for p in await read_manuscript(memory, lived)]
    assert not {p.text for p in abandoned} & set(read)
    rows = await novels.history(fiction_graph.checkpointer, "novel-1")
    choices = fiction.choices_by_step(rows)
    assert "drowned man" not in " ".join(choices.values())
    story = fiction.story_as_read(lived, await read_manuscript(memory, lived), choices)
    assert story.count("> **You:**") == 3 and story.endswith("*The end (triumph).*\n")


async def test_a_crash_mid_scene_resumes_from_the_last_checkpoint(
    model: ScriptedChatModel, memory, context_factory, tmp_path: Path
) -> None:
    server_down = {"now": False}

    def memory_fails_while_down(schema: str, messages: list[Any], n: int) -> Any:
        if server_down["now"]:
            raise RuntimeError("the model server went away")
        return _default_answer(schema, messages, n)

    model.overrides["MemoryUpdate"] = memory_fails_while_down
    context = context_factory(mode="interactive")
    config = {"configurable": {"thread_id": "story-crash"}}
    location = str(tmp_path / "checkpoints.sqlite")
    async with open_checkpointer(location) as saver:
        graph = build_fiction_graph(FakeServices(model, memory)).compile(checkpointer=saver)
        await graph.ainvoke({"premise": PREMISE, "target_steps": 2}, config, context=context)
        chosen = (await pause(graph, config))["plans"][0]
        server_down["now"] = True
        with pytest.raises(LLMReplyError):
            await graph.ainvoke(Command(resume=1), config, context=context)
    scenes_written = len(model.prompts_for("text"))
    server_down["now"] = False
    async with open_checkpointer(location) as saver:
        graph = build_fiction_graph(FakeServices(model, memory)).compile(checkpointer=saver)
        assert (await novels.describe_novel(saver, "story-crash")).status == "running"
        plan = await novels.prepare_resume(graph, "story-crash")
        await graph.ainvoke(plan.run_input, config, context=context)
        resumed = await pause(graph, config)
        values = (await graph.aget_state(config)).values

    assert resumed["step"] == 1 and resumed["error"] is None
    # The scene written before the crash was kept: resuming did not write it again.
    assert len(model.prompts_for("text")) == scenes_written
    assert action_of(model.prompts_for("text")[-1]).startswith(chosen)
    assert [p.step for p in await read_manuscript(memory, values)] == [0, 0, 0, 1]


async def test_a_simulated_reader_plays_to_an_ending(
    fiction_graph, model: ScriptedChatModel, memory, config, context_factory
) -> None:
    await fiction_graph.ainvoke(
        {"premise": PREMISE, "genre": "romance"}, config, context=context_factory(mode="auto")
    )
    values = (await fiction_graph.aget_state(config)).values

    assert values["status"] == "finished"
    assert values["target_steps"] == fiction.DEFAULT_SCENES == values["step"]
    reader_prompts = model.prompts_for("ReaderChoice")
    assert len(reader_prompts) == fiction.DEFAULT_SCENES
    assert not model.prompts_for("HumanChoice")
    assert "you are the reader playing this story" in reader_prompts[0]
    # The scripted reader always takes action 2, as offered: the bittersweet ending.
    assert values["ending"] == "bittersweet"
    assert "action 3 to a failure ending" in model.prompts_for("ReaderActions")[-1]
    rows = await novels.history(fiction_graph.checkpointer, "novel-1")
    assert all(
        choice.startswith("You row out") for choice in fiction.choices_by_step(rows).values()
    )


async def test_the_co_writing_graph_plays_fiction_when_the_context_says_so(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    context = context_factory(story_form="fiction", mode="auto-first")
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context)
    values = (await graph.aget_state(config)).values

    assert values["form"] == "fiction" and values["ending"] == "triumph"
    # A story keeps its form: resumed with the novel default it is still fiction.
    await graph.ainvoke({"target_steps": 2}, config, context=context_factory(mode="auto-first"))
    assert model.prompts_for("ReaderActions") and not model.prompts_for("Plans")


async def test_a_novel_is_untouched_by_the_fiction_form(
    model: ScriptedChatModel, memory, config, context_factory
) -> None:
    graph = build_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context_factory())
    values = (await graph.aget_state(config)).values

    assert values["form"] == "novel" and values["ending"] == ""
    assert not model.prompts_for("ReaderActions")
    assert all("second person" not in prompt for prompt in model.prompts_for("text"))


async def test_a_users_fiction_template_overrides_ours_for_fiction_only(
    model: ScriptedChatModel, memory, config, context_factory, tmp_path: Path
) -> None:
    load_templates.cache_clear()
    (tmp_path / "fiction_planner.txt").write_text(
        "Task: MY OWN ACTIONS PROMPT for $language readers.$actions_note", encoding="utf-8"
    )
    context = context_factory(templates_dir=str(tmp_path))
    fiction_graph = build_fiction_graph(FakeServices(model, memory)).compile(
        checkpointer=InMemorySaver()
    )
    await fiction_graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context)
    novel_graph = build_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())
    await novel_graph.ainvoke(
        {"premise": PREMISE, "target_steps": 1}, thread("novel-2"), context=context
    )

    actions = model.prompts_for("ReaderActions")
    assert actions and all("MY OWN ACTIONS PROMPT for English readers." in p for p in actions)
    assert all("MY OWN ACTIONS PROMPT" not in p for p in model.prompts_for("Plans"))
    (tmp_path / "fiction_writer.txt").write_text("Write about $plan and $mood.", encoding="utf-8")
    load_templates.cache_clear()
    with pytest.raises(TemplateError, match=r"fiction_writer\.txt names unknown field \$mood"):
        load_templates(str(tmp_path))
    load_templates.cache_clear()


@pytest.mark.parametrize(
    ("genre", "worst"),
    [
        ("horror", "death"),
        ("dark fantasy", "death"),
        ("Sci-fi thriller", "death"),
        ("romance", "failure"),
        ("", "failure"),
    ],
)
def test_the_genre_decides_whether_the_worst_ending_is_death(genre: str, worst: str) -> None:
    assert fiction.ending_kinds(genre) == ("triumph", "bittersweet", worst)


def test_ending_of_a_choice_matches_the_offered_action_or_is_your_own() -> None:
    offered = ["You run.", "You  hide.", "You fight."]
    assert fiction.ending_of_choice(offered, "You hide.", "horror") == "bittersweet"
    assert fiction.ending_of_choice(offered, "You fight.", "horror") == "death"
    assert fiction.ending_of_choice(offered, "You sing.", "horror") == fiction.OWN_ACTION


def test_actions_a_reader_cannot_use() -> None:
    assert fiction.action_problem("") is not None
    assert fiction.action_problem("x" * (fiction.MAX_ACTION_CHARS + 1)) is not None
    assert fiction.action_problem("You open the door.") is None
    assert fiction.own_action_problem({"form": "novel"}, "") is None
    assert fiction.own_action_problem({"form": "fiction"}, None) is None


def test_a_scene_must_speak_to_you_in_english_only() -> None:
    assert fiction.second_person_problem("She opens the door.", "English") is not None
    assert fiction.second_person_problem("You open the door.", "English") is None
    assert fiction.second_person_problem("Elle ouvre la porte.", "French") is None


def test_the_story_as_read_without_choices_is_just_the_scenes() -> None:
    passages = [SimpleNamespace(step=0, text="Opening."), SimpleNamespace(step=1, text="Scene.")]
    story = fiction.story_as_read({"title": "T", "ending": ""}, passages)
    assert story == "# T\n\nOpening.\n\nScene.\n"
