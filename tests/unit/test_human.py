"""The human turn in interactive mode: the resume contract, and edits reaching the prompts."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.types import Command
from rich.console import Console

from recurrentgpt.cli.terminal import render_pause
from recurrentgpt.export import export_markdown, read_manuscript
from recurrentgpt.llm import wire_schema
from recurrentgpt.nodes.human import PLANS_REFRESHED, parse_decision
from recurrentgpt.prompts.human import HumanChoice, HumanChoiceWithoutRevision
from recurrentgpt.state import HumanDecision
from recurrentgpt.text import count_words
from tests.fakes import ScriptedChatModel
from tests.unit.helpers import (
    PREMISE,
    last_paragraph_section,
    memory_section,
    plan_section,
    step_writer_prompts,
)

PAYLOAD_KEYS = {
    "kind",
    "novel_id",
    "title",
    "step",
    "words_written",
    "target_steps",
    "target_words",
    "paragraph",
    "short_term_memory",
    "memory_rationale",
    "retrieved_passages",
    "chapter",
    "chapter_outline",
    "book_outline",
    "bible",
    "plans",
    "pending_edits",
    "form",
    "ending",
    "error",
    "notice",
}
NEW_MEMORY = "Arlo now owns a red rowing boat and fears the spring tide."
NEW_PARAGRAPH = (
    "EDITED: Arlo sat by the lamp and wrote a long letter to his sister about the key, "
    "the cellar door and the strange ship he had seen from the gallery."
)


@pytest.fixture
def interactive(context_factory) -> Any:
    return context_factory(mode="interactive")


async def start(graph, config, context, **novel: Any) -> Any:
    """Start an interactive novel; return the state at the first pause."""
    await graph.ainvoke({"premise": PREMISE, "target_steps": 5, **novel}, config, context=context)
    return await graph.aget_state(config)


async def answer(graph, config, context, value: Any) -> Any:
    """Resume the pause with ``value``; return the state afterwards."""
    await graph.ainvoke(Command(resume=value), config, context=context)
    return await graph.aget_state(config)


def plan_of(prompt: str) -> str:
    return plan_section(prompt)


def memory_of(prompt: str) -> str:
    return memory_section(prompt)


async def test_pause_payload_describes_the_novel(graph, config, interactive) -> None:
    state = await start(graph, config, interactive, target_words=5000)

    assert state.next == ("human",)
    assert len(state.interrupts) == 1
    payload = state.interrupts[0].value
    assert set(payload) == PAYLOAD_KEYS
    values = state.values
    assert payload["kind"] == "choose_plan"
    assert payload["error"] is None
    assert payload["novel_id"] == values["novel_id"]
    assert payload["title"] == values["title"]
    assert payload["step"] == 0
    assert payload["words_written"] == values["words_written"] > 0
    assert payload["target_steps"] == 5
    assert payload["target_words"] == 5000
    assert payload["paragraph"] == values["last_paragraph"]
    assert payload["short_term_memory"] == values["short_term_memory"]
    assert payload["plans"] == values["plans"]
    assert len(payload["plans"]) == 3
    assert payload["memory_rationale"] == values["memory_rationale"] != ""
    assert payload["retrieved_passages"] == []
    assert payload["chapter"] == 1
    assert payload["chapter_outline"] == values["chapter_outline"] != ""
    assert payload["book_outline"] == values["book_outline"]
    assert payload["book_outline"][0]["title"] and payload["book_outline"][0]["arc"]
    assert payload["bible"] == values["bible"]
    assert payload["bible"][0]["name"] == "Arlo"


async def test_pause_after_a_step_shows_its_passages_and_history_keeps_them(
    graph, config, interactive
) -> None:
    await start(graph, config, interactive)
    state = await answer(graph, config, interactive, 1)
    payload = state.interrupts[0].value
    assert payload["retrieved_passages"] == state.values["retrieved_passages"] != []
    assert payload["memory_rationale"] == state.values["memory_rationale"]
    rationales = [
        snapshot.values.get("memory_rationale")
        async for snapshot in graph.aget_state_history(config)
        if snapshot.next == ("human",)
    ]
    assert len(set(rationales)) == 2  # the opening's and the step's, both kept


@pytest.mark.parametrize(
    ("value", "index"),
    [({"plan_index": 2}, 2), ({"plan_index": 3}, 3), (3, 3), (1, 1), ({"stop": False}, 1)],
)
async def test_choosing_a_plan_sends_it_to_the_writer(
    graph, model: ScriptedChatModel, config, interactive, value: Any, index: int
) -> None:
    plans = (await start(graph, config, interactive)).values["plans"]

    state = await answer(graph, config, interactive, value)

    assert state.next == ("human",)
    assert state.values["step"] == 1
    assert state.values["chosen_plan"] == plans[index - 1]
    assert state.values["last_decision"]["plan_index"] in (index, None)
    prompt = step_writer_prompts(model)[-1]
    assert plan_of(prompt) == plans[index - 1]
    for other, plan in enumerate(plans, 1):
        if other != index:
            assert plan not in prompt
    # The next pause offers the planner's new plans for the new paragraph.
    assert state.interrupts[0].value["plans"] != plans
    assert state.interrupts[0].value["error"] is None


@pytest.mark.parametrize(
    "value",
    [
        {"plan": "  Arlo burns the letter in the lamp.  "},
        "Arlo burns the letter in the lamp.",
        {"plan_index": 2, "plan": "Arlo burns the letter in the lamp."},
    ],
    ids=["dict", "string-shortcut", "edits-chosen-plan"],
)
async def test_plan_text_replaces_the_plans(
    graph, model: ScriptedChatModel, config, interactive, value: Any
) -> None:
    plans = (await start(graph, config, interactive)).values["plans"]

    state = await answer(graph, config, interactive, value)

    assert state.values["chosen_plan"] == "Arlo burns the letter in the lamp."
    prompt = step_writer_prompts(model)[-1]
    assert plan_of(prompt) == "Arlo burns the letter in the lamp."
    assert not any(plan in prompt for plan in plans)


async def test_edited_memory_reaches_the_writer_and_the_memory_updater(
    graph, model: ScriptedChatModel, config, interactive
) -> None:
    old_memory = (await start(graph, config, interactive)).values["short_term_memory"]
    memory_prompts_before = len(model.prompts_for("MemoryUpdate"))

    state = await answer(graph, config, interactive, {"short_term_memory": f"  {NEW_MEMORY} "})

    writer_prompt = step_writer_prompts(model)[-1]
    assert memory_of(writer_prompt) == NEW_MEMORY
    assert old_memory not in writer_prompt
    memory_prompts = model.prompts_for("MemoryUpdate")[memory_prompts_before:]
    assert len(memory_prompts) == 1
    assert NEW_MEMORY in memory_prompts[0]
    assert old_memory not in memory_prompts[0]
    assert state.values["last_decision"]["edited"] == ["short_term_memory"]
    assert state.values["step"] == 1


async def test_edited_paragraph_reaches_the_writer_and_replaces_long_term_memory(
    graph, model: ScriptedChatModel, memory, config, interactive
) -> None:
    before = (await start(graph, config, interactive)).values
    old = before["last_paragraph"]

    again = await answer(graph, config, interactive, {"paragraph": NEW_PARAGRAPH})
    state = await answer(graph, config, interactive, 1)

    assert again.interrupts[0].value["paragraph"] == NEW_PARAGRAPH
    values = state.values
    assert last_paragraph_section(step_writer_prompts(model)[-1]) == NEW_PARAGRAPH
    stored = await memory.get(values["novel_id"], values["branch_id"], before["position"])
    assert stored is not None
    assert stored.text == NEW_PARAGRAPH
    passages = await read_manuscript(memory, values)
    texts = [p.text for p in passages]
    assert texts[before["position"]] == NEW_PARAGRAPH
    assert old not in texts
    assert len(texts) == before["position"] + 2
    markdown = await export_markdown(memory, values)
    assert NEW_PARAGRAPH in markdown and old not in markdown
    expected = (
        before["words_written"]
        - count_words(old)
        + count_words(NEW_PARAGRAPH)
        + count_words(values["last_paragraph"])
    )
    assert values["words_written"] == expected
    assert values["words_written"] == sum(count_words(t) for t in texts)


async def test_edited_paragraph_refreshes_memory_bible_and_plans_before_the_next_step(
    graph, model: ScriptedChatModel, config, interactive
) -> None:
    before = (await start(graph, config, interactive)).values
    memory_calls = len(model.prompts_for("MemoryUpdate"))

    def learns_of_the_sister(schema: str, messages: list, n: int) -> dict:
        return {
            "rationale": "The paragraph now tells of the letter to his sister.",
            "updated_memory": "Arlo wrote to his sister about the key and the strange ship.",
            "paragraph_summary": "Arlo writes to his sister.",
            "bible_changes": [
                {"name": "Arlo", "kind": "character", "fact": "Arlo has a sister, Wren."}
            ],
        }

    model.overrides["MemoryUpdate"] = learns_of_the_sister
    writer_calls = len(model.prompts_for("text"))
    again = await answer(graph, config, interactive, {"paragraph": NEW_PARAGRAPH, "plan_index": 1})

    # The person chose plan 1 among plans written for the old paragraph: they are
    # shown the refreshed plans and the refreshed memory before anything is written.
    assert len(model.prompts_for("text")) == writer_calls
    payload = again.interrupts[0].value
    assert payload["notice"] == PLANS_REFRESHED
    assert payload["plans"] != before["plans"]
    assert payload["short_term_memory"] == (
        "Arlo wrote to his sister about the key and the strange ship."
    )
    assert again.values["step"] == before["step"]
    refresh = model.prompts_for("MemoryUpdate")[memory_calls]
    assert NEW_PARAGRAPH in refresh
    assert before["short_term_memory"] in refresh

    state = await answer(graph, config, interactive, 2)

    writer = step_writer_prompts(model)[-1]
    assert memory_of(writer) == "Arlo wrote to his sister about the key and the strange ship."
    assert "Arlo has a sister, Wren." in writer
    assert plan_of(writer) == payload["plans"][1]
    assert state.interrupts[0].value["notice"] is None
    assert (
        state.values["memory_rationale"] == "The paragraph now tells of the letter to his sister."
    )


async def test_paragraph_edit_with_the_persons_own_plan_writes_at_once(
    graph, model: ScriptedChatModel, config, interactive
) -> None:
    await start(graph, config, interactive)
    own_plan = "Arlo rows out to the strange ship before the storm breaks."

    state = await answer(graph, config, interactive, {"paragraph": NEW_PARAGRAPH, "plan": own_plan})

    assert state.values["step"] == 1
    writer = step_writer_prompts(model)[-1]
    assert plan_of(writer) == own_plan
    assert last_paragraph_section(writer) == NEW_PARAGRAPH


async def test_edits_of_the_outlines_and_the_bible_at_the_pause_reach_the_next_prompts(
    graph, model: ScriptedChatModel, config, interactive
) -> None:
    await start(graph, config, interactive)
    value = {
        "plan": "Mara rows Arlo out to the wreck at dawn.",
        "chapter_outline": "Mara and Arlo search the wreck for the logbook.",
        "book_outline": [
            {"title": "The Wreck", "arc": "Mara and Arlo find the drowned ship."},
            {"title": "The Logbook", "arc": "The logbook names the keeper who vanished."},
        ],
        "bible": [
            {"name": "Mara", "kind": "character", "facts": "Mara rows the red boat."},
            {"name": "the logbook", "kind": "object", "facts": "It was lost in 1890."},
        ],
    }
    state = await answer(graph, config, interactive, value)

    writer = step_writer_prompts(model)[-1]
    assert "Mara and Arlo search the wreck for the logbook." in writer
    assert "Chapter 1 (this chapter): The Wreck — Mara and Arlo find the drowned ship." in writer
    assert "- Mara (character): Mara rows the red boat." in writer
    assert "- the logbook (object): It was lost in 1890." in writer
    assert [c["title"] for c in state.values["book_outline"]] == ["The Wreck", "The Logbook"]
    assert sorted(state.values["last_decision"]["edited"]) == [
        "bible",
        "book_outline",
        "chapter_outline",
        "plan",
    ]
    # The memory updater and the next plans see the edits too.
    assert "Mara rows the red boat." in model.prompts_for("MemoryUpdate")[-1]
    assert "The Wreck" in model.prompts_for("MemoryUpdate")[-1].split("New paragraph:")[0]


async def test_paragraph_edit_at_a_later_step_adjusts_the_word_count(
    graph, memory, config, interactive
) -> None:
    await start(graph, config, interactive)
    before = (await answer(graph, config, interactive, 1)).values
    assert before["step"] == 1

    state = await answer(graph, config, interactive, {"paragraph": NEW_PARAGRAPH, "stop": True})

    values = state.values
    assert values["status"] == "stopped"
    assert values["last_paragraph"] == NEW_PARAGRAPH
    assert values["words_written"] == (
        before["words_written"] - count_words(before["last_paragraph"]) + count_words(NEW_PARAGRAPH)
    )
    passages = await read_manuscript(memory, values)
    assert [p.text for p in passages][-1] == NEW_PARAGRAPH
    assert values["words_written"] == sum(count_words(p.text) for p in passages)


async def test_unchanged_paragraph_is_not_stored_again(graph, memory, config, interactive) -> None:
    before = (await start(graph, config, interactive)).values
    calls = memory.embedding_calls
    state = await answer(
        graph, config, interactive, {"paragraph": before["last_paragraph"], "stop": True}
    )
    assert memory.embedding_calls == calls
    assert state.values["words_written"] == before["words_written"]


async def test_combined_answer_applies_every_field(
    graph, model: ScriptedChatModel, memory, config, interactive
) -> None:
    plans = (await start(graph, config, interactive)).values["plans"]

    again = await answer(
        graph,
        config,
        interactive,
        {"plan_index": 3, "short_term_memory": NEW_MEMORY, "paragraph": NEW_PARAGRAPH},
    )
    edited = sorted(again.values["last_decision"]["edited"])
    state = await answer(graph, config, interactive, 3)

    prompt = step_writer_prompts(model)[-1]
    # The edited paragraph got fresh plans (from the memory refresh); plan 3 is the third.
    refreshed = [p for p in model.prompts_for("MemoryUpdate") if NEW_PARAGRAPH in p]
    assert len(refreshed) == 2  # the refresh after the edit, then the step's own update
    assert "Next plans:" in refreshed[0]
    assert plan_of(prompt) != plans[2]
    assert plan_of(prompt) == state.values["chosen_plan"]
    assert plan_of(prompt).startswith("Plan three of call")
    # The person's memory wins over the refreshed one.
    assert memory_of(prompt) == NEW_MEMORY
    assert last_paragraph_section(prompt) == NEW_PARAGRAPH
    assert edited == ["paragraph", "short_term_memory"]
    texts = [p.text for p in await read_manuscript(memory, state.values)]
    assert NEW_PARAGRAPH in texts


@pytest.mark.parametrize("value", ["stop", " STOP ", {"stop": True}])
async def test_stop_ends_the_novel_and_it_can_be_resumed(
    graph, model: ScriptedChatModel, config, interactive, value: Any
) -> None:
    await start(graph, config, interactive)
    writer_calls = len(model.prompts_for("text"))

    output = await graph.ainvoke(Command(resume=value), config, context=interactive)

    assert output["status"] == "stopped"
    state = await graph.aget_state(config)
    assert state.next == ()
    assert state.values["status"] == "stopped"
    assert state.values["step"] == 0
    assert len(model.prompts_for("text")) == writer_calls

    # A stopped novel continues from its human turn.
    await graph.ainvoke({}, config, context=interactive)
    state = await graph.aget_state(config)
    assert state.next == ("human",)
    assert state.interrupts[0].value["step"] == 0
    state = await answer(graph, config, interactive, 2)
    assert state.values["step"] == 1
    assert state.values["status"] == "writing"


async def test_stop_with_edits_keeps_the_edits(graph, config, interactive) -> None:
    await start(graph, config, interactive)
    state = await answer(
        graph, config, interactive, {"stop": True, "short_term_memory": NEW_MEMORY}
    )
    assert state.values["status"] == "stopped"
    assert state.values["short_term_memory"] == NEW_MEMORY


BAD_ANSWERS = [
    {"plan_index": 7},
    {"plan_index": 0},
    0,
    -1,
    4,
    {"plan_index": "two"},
    {"plan": ""},
    {"plan": "   "},
    {"short_term_memory": " "},
    {"paragraph": ""},
    {"plan": "x" * 5000},
    "",
    "   ",
    3.5,
    [1],
    True,
    {"stop": "maybe"},
    {"chapter_outline": "  "},
    {"book_outline": []},
    {"book_outline": [{"title": "Only a title"}]},
    {"bible": [{"name": "Mara"}]},
    {"bible": [{"name": " ", "facts": "Rows."}]},
    {"bible": [{"name": "Mara", "facts": " . "}]},
]


@pytest.mark.parametrize("bad", BAD_ANSWERS, ids=repr)
async def test_unusable_answer_pauses_again_with_an_error_and_loses_nothing(
    graph, model: ScriptedChatModel, memory, config, interactive, bad: Any
) -> None:
    first = await start(graph, config, interactive)
    calls = len(model.calls)
    embeddings = memory.embedding_calls

    state = await answer(graph, config, interactive, bad)

    assert state.next == ("human",)
    payload = state.interrupts[0].value
    assert isinstance(payload["error"], str) and payload["error"]
    assert set(payload) == PAYLOAD_KEYS
    assert payload["plans"] == first.values["plans"]
    assert payload["paragraph"] == first.values["last_paragraph"]
    assert state.values == first.values
    assert len(model.calls) == calls
    assert memory.embedding_calls == embeddings

    state = await answer(graph, config, interactive, 2)
    assert state.values["step"] == 1
    assert state.values["chosen_plan"] == first.values["plans"][1]
    assert state.interrupts[0].value["error"] is None


async def test_several_unusable_answers_in_a_row_then_a_good_one(
    graph, model: ScriptedChatModel, config, interactive
) -> None:
    first = await start(graph, config, interactive)
    errors = []
    for bad in ({"plan_index": 9}, "", [2]):
        state = await answer(graph, config, interactive, bad)
        errors.append(state.interrupts[0].value["error"])
    assert all(errors)
    assert "9" in errors[0]
    assert state.values == first.values

    state = await answer(graph, config, interactive, {"plan": "Arlo rows out to the ship."})
    assert state.values["step"] == 1
    assert plan_of(step_writer_prompts(model)[-1]) == "Arlo rows out to the ship."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, HumanDecision(plan_index=2)),
        (" 2 ", HumanDecision(plan_index=2)),
        ("stop", HumanDecision(stop=True)),
        ("Go north.", HumanDecision(plan="Go north.")),
        (None, HumanDecision()),
        ({"plan_index": "3"}, HumanDecision(plan_index=3)),
        (HumanDecision(plan_index=1), HumanDecision(plan_index=1)),
    ],
)
def test_parse_decision_shortcuts(value: Any, expected: HumanDecision) -> None:
    assert parse_decision(value, 3, 400) == expected


def test_a_book_outline_shorter_than_the_chapters_begun_is_refused() -> None:
    outline = [{"title": "One", "arc": "It starts."}]
    with pytest.raises(ValueError, match="keep at least the 2"):
        parse_decision({"book_outline": outline}, 3, 400, current_chapter=2)
    assert parse_decision({"book_outline": outline}, 3, 400, current_chapter=1).book_outline


def test_parse_decision_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="between 1 and 3"):
        parse_decision(5, 3, 400)
    with pytest.raises(ValueError, match="plan"):
        parse_decision({"plan": " "}, 3, 400)
    with pytest.raises(ValueError, match="float"):
        parse_decision(1.0, 3, 400)
    with pytest.raises(ValueError, match="plan_index"):
        parse_decision({"plan_index": "x"}, 3, 400)


async def test_auto_mode_lets_the_model_choose_and_revise(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    context = context_factory(mode="auto")
    await graph.ainvoke({"premise": PREMISE, "target_steps": 2}, config, context=context)
    values = (await graph.aget_state(config)).values
    assert values["status"] == "finished"
    assert len(model.prompts_for("HumanChoice")) == 2
    # The simulated human's revised plan is the plan the writer follows.
    assert values["chosen_plan"] == values["chosen_plan"].strip()
    assert plan_of(step_writer_prompts(model)[-1]) == values["chosen_plan"]
    assert values["last_decision"]["plan_index"] in (1, 2, 3)


async def test_a_simulated_human_without_a_usable_reply_takes_plan_1_and_the_novel_goes_on(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    model.overrides["HumanChoice"] = lambda schema, messages, n: {"reason": "", "chosen_plan": 7}
    context = context_factory(mode="auto", max_attempts=2)
    await graph.ainvoke({"premise": PREMISE, "target_steps": 2}, config, context=context)
    values = (await graph.aget_state(config)).values
    assert values["status"] == "finished"
    assert len(model.prompts_for("HumanChoice")) == 2 * 2  # two steps, two attempts each
    assert values["last_decision"]["plan_index"] == 1
    assert plan_of(step_writer_prompts(model)[-1]) == values["chosen_plan"]


async def test_empty_dict_answer_is_no_answer_and_loses_nothing(
    graph, model: ScriptedChatModel, config, interactive
) -> None:
    # LangGraph reads {} as an empty map of interrupt answers: the pause stays (documented).
    first = await start(graph, config, interactive)
    state = await answer(graph, config, interactive, {})
    assert state.values["step"] == 0
    assert state.interrupts
    assert state.values["plans"] == first.values["plans"]
    state = await answer(graph, config, interactive, 1)
    assert state.values["step"] == 1


async def test_edited_memory_over_the_cap_is_not_kept_uncapped(
    graph, config, context_factory
) -> None:
    context = context_factory(mode="interactive", short_term_memory_words=30)
    first = await start(graph, config, context)
    long_memory = " ".join(f"fact{i}." for i in range(300))

    state = await answer(graph, config, context, {"short_term_memory": long_memory, "stop": True})

    payload_error = state.interrupts[0].value["error"] if state.interrupts else None
    if payload_error:  # Rejected at the pause: nothing changed.
        assert state.values == first.values
    else:
        assert count_words(state.values["short_term_memory"]) <= 30


def test_the_simulated_human_gives_its_reason_before_its_choice() -> None:
    assert list(wire_schema(HumanChoice)["properties"]) == ["reason", "chosen_plan", "revised_plan"]


async def test_a_revised_plan_that_is_not_a_plan_falls_back_to_the_chosen_plan(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    model.overrides["HumanChoice"] = lambda schema, messages, n: {
        "reason": "Tension.",
        "chosen_plan": 3,
        "revised_plan": "5(1) { .",
    }
    context = context_factory(mode="auto")
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context)
    values = (await graph.aget_state(config)).values
    # Plan 3 as proposed with the opening's memory update, not the unusable revision.
    assert values["chosen_plan"].startswith("Plan three of call")
    assert plan_of(step_writer_prompts(model)[-1]) == values["chosen_plan"]
    # The simulated human saw the last paragraph and the frame.
    human_prompt = model.prompts_for("HumanChoice")[0]
    assert "The last paragraph:\nOpening paragraph three" in human_prompt
    assert "Story bible" in human_prompt


async def test_a_simulated_human_that_does_not_revise_only_chooses(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    assert list(wire_schema(HumanChoiceWithoutRevision)["properties"]) == [
        "reason",
        "chosen_plan",
    ]
    model.overrides["HumanChoice"] = lambda schema, messages, n: {
        "reason": "Tension.",
        "chosen_plan": 2,
    }
    # A simulated human on a model of its own chooses in a call of its own.
    context = context_factory(mode="auto", human_revises="no", human_model="openai:editor")
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context)
    values = (await graph.aget_state(config)).values
    assert values["chosen_plan"].startswith("Plan two of call")
    assert plan_of(step_writer_prompts(model)[-1]) == values["chosen_plan"]
    human_prompt = model.prompts_for("HumanChoice")[0]
    assert "continues the last paragraph." in human_prompt
    assert "revise" not in human_prompt.split("Task:")[-1]
    assert not model.prompts_for("PlansAndChoice")


async def test_a_simulated_human_on_the_planners_model_chooses_in_the_planners_call(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    # plans_by="planner": the memory updater's own plans would come without a choice.
    context = context_factory(mode="auto", human_revises="no", plans_by="planner")
    await graph.ainvoke({"premise": PREMISE, "target_steps": 2}, config, context=context)
    values = (await graph.aget_state(config)).values
    assert not model.prompts_for("HumanChoice")  # one call a step fewer
    planner_prompts = model.prompts_for("PlansAndChoice")
    assert len(planner_prompts) == 3  # after the opening and after each step
    assert "give your reason in one short sentence and choose the plan" in planner_prompts[0]
    assert values["last_decision"]["plan_index"] == 2
    assert values["chosen_plan"].startswith("Plan two of call")
    assert plan_of(step_writer_prompts(model)[-1]) == values["chosen_plan"]


async def test_a_choice_of_a_plan_that_gave_way_is_the_chapters_plan_in_its_place(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    def planner(schema: str, messages: list, n: int) -> dict:
        return {
            "plan_1": f"Arlo rows out to the wreck at dawn ({n}).",
            "plan_2": "5(1) { .",
            "plan_3": f"Mara reads the letter by the lamp ({n}).",
            "reason": "Plan two.",
            "chosen_plan": 2,
        }

    model.overrides["PlansAndChoice"] = planner
    # One attempt: the unusable plan then gives way to the chapter's plan at once.
    context = context_factory(mode="auto", human_revises="no", plans_by="planner", max_attempts=1)
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context)
    values = (await graph.aget_state(config)).values
    assert values["last_decision"]["plan_index"] == 2
    assert values["chosen_plan"] == values["chapter_outline"] != "5(1) { ."


def test_the_terminal_pause_shows_the_rationale_passages_and_chapter() -> None:
    console = Console(record=True, width=100)
    console.print(
        render_pause(
            {
                "title": "T",
                "paragraph": "Para.",
                "short_term_memory": "Mem.",
                "memory_rationale": "Dropped the storm; added the key.",
                "retrieved_passages": ["Arlo found the key under the stairs. " * 5],
                "chapter": 2,
                "chapter_outline": "Arlo opens the cellar.",
                "plans": ["A", "B", "C"],
            }
        )
    )
    text = console.export_text()
    for expected in (
        "Why the memory changed",
        "Dropped the storm; added the key.",
        "- Arlo found the key under the stairs.",
        "Chapter 2",
        "Arlo opens the cellar.",
    ):
        assert expected in text
