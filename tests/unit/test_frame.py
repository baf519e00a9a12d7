"""The story frame through the real graph: chapters, the ending, the bible, edits, prefixes."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from recurrentgpt.export import read_manuscript
from recurrentgpt.graphs.cowriter import build_graph
from recurrentgpt.llm import wire_schema
from recurrentgpt.prompts import chapter as chapter_prompt
from recurrentgpt.prompts import frame as frame_prompt
from recurrentgpt.prompts import memory as memory_prompt
from recurrentgpt.story.bible import MAX_ENTRIES, MAX_PROMPT_ENTRIES
from tests.fakes import FakeServices, ScriptedChatModel, _default_answer
from tests.unit.helpers import (
    OPENING_MARK,
    PREMISE,
    frame_of,
    memory_section,
    run_novel,
    snapshot_at,
    step_writer_prompts,
)

FINAL = frame_prompt.FINAL_PARAGRAPH.strip()
ENDING_NEAR = frame_prompt.ENDING_NEAR.split("{left}")[1].strip()
LAST_CHAPTER = frame_prompt.LAST_CHAPTER.strip()


def bible_of(prompt: str) -> str:
    return prompt.split("Story bible (what must stay true):", 1)[1].split("Short-term memory", 1)[0]


def new_thing_each_call(schema: str, messages: list, n: int) -> dict[str, Any]:
    """A memory updater that names a new thing at every call, and mentions it in the memory."""
    return {
        "rationale": f"Add thing {n}.",
        "updated_memory": f"Arlo keeps Thing{n} near the lamp.",
        "paragraph_summary": f"Arlo finds Thing{n}.",
        "bible_changes": [{"name": f"Thing{n}", "kind": "object", "fact": f"Thing{n} glows."}],
    }


async def test_chapters_are_planned_at_their_boundaries_and_recorded_per_paragraph(
    graph, model: ScriptedChatModel, memory, config, context_factory
) -> None:
    context = context_factory(paragraphs_per_chapter=2)
    values = await run_novel(graph, config, context, target_steps=5)

    assert values["status"] == "finished"
    # 5 paragraphs at 2 a chapter: 3 chapters, outlined by the opening.
    assert len(values["book_outline"]) == 3
    chapter_plans = model.prompts_for("ChapterPlan")
    assert len(chapter_plans) == 3  # chapter 1 in the opening, then after steps 2 and 4
    assert ["Task: plan chapter 1 of 3" in p for p in chapter_plans] == [True, False, False]
    assert "Task: plan chapter 3 of 3" in chapter_plans[2]
    assert values["chapter"] == 3
    assert values["chapter_start_step"] == 4
    passages = await read_manuscript(memory, values)
    assert [p.chapter for p in passages] == [1, 1, 1, 1, 1, 2, 2, 3]
    # The chapter planner runs between the memory updater and the planner.
    names = [name for name, _ in model.calls]
    first = names.index("ChapterPlan", names.index("ChapterPlan") + 1)
    assert names[first - 1 : first + 2] == ["MemoryUpdate", "ChapterPlan", "Plans"]
    # Each writer prompt shows its chapter's plan, and the book outline's window.
    writer = step_writer_prompts(model)
    assert values["chapter_outline"] in writer[-1]
    assert "Chapter 3 (this chapter):" in writer[-1]


async def test_the_last_chapter_and_the_last_paragraphs_steer_to_the_ending(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    context = context_factory(paragraphs_per_chapter=4)
    values = await run_novel(graph, config, context, target_steps=12)

    assert values["step"] == 12
    writer = step_writer_prompts(model)
    assert len(writer) == 12
    for prompt in writer[:8]:
        assert FINAL not in prompt and ENDING_NEAR not in prompt and LAST_CHAPTER not in prompt
    assert LAST_CHAPTER in writer[8]  # paragraph 9 opens the last chapter
    assert all(ENDING_NEAR in prompt for prompt in writer[9:11])
    assert FINAL in writer[11] and ENDING_NEAR not in writer[11]
    assert chapter_prompt.LAST_CHAPTER in model.prompts_for("ChapterPlan")[-1]
    # The plans for the last paragraph were asked for an ending too: the memory updater
    # of step 11 proposed them, told where the paragraph they are for stands.
    memory = model.prompts_for("MemoryUpdate")[1:]  # the opening's comes first
    assert "Next plans:" in memory[10]
    assert FINAL in memory[10].split("Next plans:")[1]
    assert FINAL not in memory[9].split("Next plans:")[1]


async def test_extending_a_finished_novel_extends_the_outline_first(
    graph, model: ScriptedChatModel, memory, config, context_factory
) -> None:
    context = context_factory()
    finished = await run_novel(graph, config, context, target_steps=2)
    assert finished["status"] == "finished"
    assert len(finished["book_outline"]) == 1
    calls = len(model.calls)

    await graph.ainvoke({"target_steps": 4}, config, context=context)

    values = (await graph.aget_state(config)).values
    assert values["status"] == "finished"
    assert values["step"] == 4
    assert [name for name, _ in model.calls[calls : calls + 2]] == ["ChapterPlan", "Plans"]
    plan_prompt = model.prompts_for("ChapterPlan")[-1]
    assert chapter_prompt.NOT_OUTLINED in plan_prompt
    assert len(values["book_outline"]) == 2
    assert values["chapter"] == 2
    assert values["chapter_start_step"] == 2
    passages = await read_manuscript(memory, values)
    assert [p.chapter for p in passages] == [1, 1, 1, 1, 1, 2, 2]


async def test_the_memory_updater_keeps_the_bible_and_prompts_show_named_entries(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    model.overrides["MemoryUpdate"] = new_thing_each_call
    values = await run_novel(graph, config, context_factory(), target_steps=4)

    names = [entry["name"] for entry in values["bible"]]
    assert len(names) == 5  # one thing from the opening, one per step
    assert values["memory_rationale"].startswith("Add thing")
    memory_calls = [n for n, (name, _) in enumerate(model.calls, 1) if name == "MemoryUpdate"]
    last_thing = f"Thing{memory_calls[-2]}"  # named by the memory the last writer saw
    writer = step_writer_prompts(model)[-1]
    assert f"- {last_thing} (object): {last_thing} glows." in bible_of(writer)
    # Things the memory no longer names stay out of the prompt.
    assert f"Thing{memory_calls[0]}" not in bible_of(writer)


async def test_a_large_bible_keeps_prompts_flat(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    def crowded(schema: str, messages: list, n: int) -> dict[str, Any]:
        named = " ".join(f"Thing{i}" for i in range(n - 20, n + 1))
        return {**new_thing_each_call(schema, messages, n), "updated_memory": f"Arlo: {named}."}

    model.overrides["MemoryUpdate"] = crowded
    context = context_factory(paragraphs_per_chapter=5, short_term_memory_words=400)
    values = await run_novel(graph, config, context, target_steps=45)

    assert len(values["bible"]) == MAX_ENTRIES
    writer = step_writer_prompts(model)
    assert bible_of(writer[-1]).count("- Thing") == MAX_PROMPT_ENTRIES
    # Steps 10 and 35 (before the ending notes) differ only by names of equal shape.
    assert len(writer[34]) / len(writer[9]) <= 1.1
    planner = model.prompts_for("Plans")
    assert len(planner[34]) / len(planner[9]) <= 1.1


async def test_a_fork_sees_the_bible_as_it_was_at_its_fork_point(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    model.overrides["MemoryUpdate"] = new_thing_each_call
    context = context_factory()
    original = await run_novel(graph, config, context, target_steps=4)
    at_two = await snapshot_at(graph, config, 2)
    later = {e["name"] for e in original["bible"]} - {e["name"] for e in at_two.values["bible"]}
    assert len(later) == 2

    fork = await graph.aupdate_state(at_two.config, {"target_steps": 3}, as_node="planner")
    await graph.ainvoke(None, fork, context=context)

    forked = (await graph.aget_state(config)).values
    assert forked["step"] == 3
    names = {e["name"] for e in forked["bible"]}
    assert {e["name"] for e in at_two.values["bible"]} < names
    assert not names & later


async def test_a_step_shares_one_system_message_and_frame_across_its_calls(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    await run_novel(graph, config, context_factory(mode="auto"), target_steps=3)

    calls = [(name, messages) for name, messages in model.calls]
    groups = []
    for index, (name, _) in enumerate(calls):
        if name == "HumanChoice" and index + 2 < len(calls):
            group = calls[index : index + 3]
            assert [n for n, _ in group] == ["HumanChoice", "text", "MemoryUpdate"]
            groups.append(group)
    assert len(groups) == 3
    # The memory updater proposed every step's plans: the planner was never called.
    assert "Plans" not in [name for name, _ in calls[calls.index(groups[0][0]) :]]
    for _, writer, memory in groups:
        # The memory updater's prompt repeats the writer's up to the end of the passages.
        writer_text, memory_text = str(writer[1][1].content), str(memory[1][1].content)
        passages_end = writer_text.index("Related earlier passages")
        passages_end = writer_text.index("\n\n", writer_text.index("[1]", passages_end))
        assert memory_text[:passages_end] == writer_text[:passages_end]
    systems = {str(messages[0].content) for _, messages in calls}
    assert len(systems) == 1  # one system message for every call of the novel
    for group in groups:
        frames = {frame_of(str(messages[1].content)) for _, messages in group}
        assert len(frames) == 1
        (frame,) = frames
        assert frame.startswith('Novel: "The Lighthouse"')
        for part in ("Premise: " + PREMISE, "Book outline:", "Story bible", "Progress:"):
            assert part in frame
        assert OPENING_MARK not in frame


async def test_update_state_edits_of_the_bible_and_outlines_reach_the_prompts(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    context = context_factory(mode="interactive")
    await graph.ainvoke({"premise": PREMISE, "target_steps": 3}, config, context=context)
    bible = [
        {"name": "Mara", "kind": "character", "facts": "Mara owns the red boat.", "last_step": 0}
    ]
    await graph.aupdate_state(
        config,
        {
            "bible": bible,
            "short_term_memory": "Mara waits at the harbour.",
            "chapter_outline": "Mara and Arlo row out to the wreck.",
        },
    )
    await graph.ainvoke(Command(resume=1), config, context=context)
    writer = step_writer_prompts(model)[-1]
    assert "- Mara (character): Mara owns the red boat." in bible_of(writer)
    assert "Mara and Arlo row out to the wreck." in writer
    assert memory_section(writer) == "Mara waits at the harbour."


async def test_outlines_and_bible_facts_that_are_not_words_are_kept_out(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    """What the tiny default model once gave: numbers and field names as arcs and facts."""
    garbage = {"outline": 0, "chapter": 0}

    def outline(schema: str, messages: list, n: int) -> dict[str, Any]:
        garbage["outline"] += 1
        arc = "1.2.5} }, {" if garbage["outline"] == 1 else "Arlo finds the lost letter."
        return {"title": "The Lighthouse", "chapters": [{"title": "Letters", "arc": arc}]}

    def chapter(schema: str, messages: list, n: int) -> dict[str, Any]:
        garbage["chapter"] += 1
        if garbage["chapter"] == 1:
            return {"title": "How to Write", "arc": "1387609044", "outline": "x " * 12}
        return {
            "title": "The Letter",
            "arc": "Arlo reads the letter at night.",
            "outline": "Arlo reads the letter by the lamp and decides to find its owner.",
        }

    def memory_update(schema: str, messages: list, n: int) -> dict[str, Any]:
        return {
            "rationale": "Add the letter.",
            "updated_memory": "Arlo holds the letter; Premise and revised_memory are noise.",
            "paragraph_summary": "Arlo reads the letter.",
            "bible_changes": [
                {"name": "Premise", "kind": "place", "fact": "1387609042"},
                {"name": "revised_memory", "kind": "thread", "fact": "updated_memary"},
                {"name": "the letter", "kind": "object", "fact": "It is addressed to Wren."},
            ],
        }

    model.overrides.update(BookOutline=outline, ChapterPlan=chapter, MemoryUpdate=memory_update)
    values = await run_novel(graph, config, context_factory(), target_steps=1)

    assert garbage == {"outline": 2, "chapter": 2}
    assert "a chapter arc needs at least 4 words" in model.prompts_for("BookOutline")[1]
    assert values["book_outline"] == [{"title": "Letters", "arc": "Arlo finds the lost letter."}]
    assert values["chapter_outline"].startswith("Arlo reads the letter by the lamp")
    assert [entry["name"] for entry in values["bible"]] == ["the letter"]


async def test_each_chapter_plan_is_asked_of_the_chapter_model(
    model: ScriptedChatModel, memory, config, context_factory
) -> None:
    roles: list[str] = []

    class RecordingServices(FakeServices):
        def chat_model(self, role, context):
            roles.append(role)
            return super().chat_model(role, context)

    graph = build_graph(RecordingServices(model, memory)).compile(checkpointer=InMemorySaver())
    await run_novel(graph, config, context_factory(paragraphs_per_chapter=2), target_steps=3)

    chapter_plans = len(model.prompts_for("ChapterPlan"))
    assert chapter_plans == 2  # chapter 1 in the opening, chapter 2 after step 2
    assert roles.count("chapter") == chapter_plans


async def test_a_bundled_local_memory_model_is_not_asked_for_plans_the_planner_plans(
    model: ScriptedChatModel, graph, config, context_factory
) -> None:
    # The scripted model answers whatever the name; the name decides what is asked.
    # It sends plans anyway (its default memory reply has them): they are not used.
    await run_novel(graph, config, context_factory(model="local:smollm2"), target_steps=2)
    memory_prompts = model.prompts_for("MemoryUpdate")
    assert memory_prompts
    assert not any("Next plans:" in text for text in memory_prompts)
    assert len(model.prompts_for("Plans")) >= 3  # after the opening and after each step

    model.calls.clear()
    await run_novel(
        graph, {"configurable": {"thread_id": "hosted"}}, context_factory(), target_steps=1
    )
    assert any("Next plans:" in text for text in model.prompts_for("MemoryUpdate"))


def test_the_memory_schema_without_plans_keeps_the_role_name_and_drops_the_field() -> None:
    with_plans = wire_schema(memory_prompt.MemoryUpdate)
    without = wire_schema(memory_prompt.MemoryUpdateWithoutPlans)
    assert with_plans["title"] == without["title"] == "MemoryUpdate"
    assert "next_plans" in with_plans["properties"]
    assert "next_plans" not in without["properties"]
    assert set(without["properties"]) == set(with_plans["properties"]) - {"next_plans"}


async def test_the_planner_reads_the_retrieved_passages_summaries_not_their_prose(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    context = context_factory(plans_by="planner", retrieval_k=4)
    values = await run_novel(graph, config, context, target_steps=6)

    passages, summaries = values["retrieved_passages"], values["retrieved_summaries"]
    assert len(summaries) == len(passages) == 4
    # The opening's paragraphs are stored without a summary: they are shown whole.
    assert any(summaries) and not all(summaries)
    briefs = model.prompts_for("Plans")[-1].split(
        "Related earlier passages (long-term memory), in brief:", 1
    )[1]
    for passage, summary in zip(passages, summaries, strict=True):
        if summary:
            assert summary in briefs and passage not in briefs
        else:
            assert passage in briefs
    # The writer still reads the passages themselves.
    writer = step_writer_prompts(model)[-1]
    assert all(passage in writer for passage in passages)


@pytest.mark.parametrize(
    ("prompts", "marker", "plan_heading"),
    [
        ("full", "Related earlier passages (long-term memory):", "Plan for the next"),
        ("compact", "Earlier in the story:", "Write the next paragraph"),
    ],
)
async def test_a_local_writer_reads_the_passages_summaries_and_the_memory_updater_the_same(
    graph, model: ScriptedChatModel, config, context_factory, prompts, marker, plan_heading
) -> None:
    # The scripted model answers whatever the name; the name decides what is shown.
    def memory_update(schema: str, messages: list, n: int) -> Any:
        # A summary that tells the story: a small model's summary about "the
        # paragraph" gives way to the paragraph's own opening words.
        answer = dict(_default_answer(schema, messages, n))  # type: ignore[arg-type]
        answer["paragraph_summary"] = f"Arlo kept the lamp of the tower lit at call {n}."
        return answer

    model.overrides["MemoryUpdate"] = memory_update
    context = context_factory(model="local:smollm2", retrieval_k=4, prompts=prompts)
    assert context.writer_reads_summaries
    values = await run_novel(graph, config, context, target_steps=6)

    passages, summaries = values["retrieved_passages"], values["retrieved_summaries"]
    assert any(summaries)
    writer = step_writer_prompts(model)[-1].split(marker, 1)[1].split(plan_heading, 1)[0]
    memory = model.prompts_for("MemoryUpdate")[-1].split(marker, 1)[1].split("New paragraph:")[0]
    assert writer.strip() == memory.strip()
    for passage, summary in zip(passages, summaries, strict=True):
        if summary:
            assert summary in writer and passage not in writer
        else:
            assert passage in writer


def test_which_writers_read_summaries(context_factory) -> None:
    assert context_factory(model="local:smollm2").writer_reads_summaries
    assert not context_factory(model="openai:gpt-4o-mini").writer_reads_summaries
    assert not context_factory(
        model="local:smollm2", writer_model="openai:gpt-4o-mini"
    ).writer_reads_summaries
    assert context_factory(writer_passages="summaries").writer_reads_summaries
    assert not context_factory(model="local:smollm2", writer_passages="full").writer_reads_summaries
