"""Whole runs of the cycle in auto-first mode: targets, bad replies, languages, bad input."""

from __future__ import annotations

import random

import pytest

from recurrentgpt.export import export_markdown, read_manuscript
from recurrentgpt.llm import LLMReplyError
from recurrentgpt.nodes.start import InvalidNovelInputError
from recurrentgpt.text import count_words, is_looping
from tests.fakes import ScriptedChatModel
from tests.unit.helpers import (
    PREMISE,
    last_paragraph_section,
    point_count,
    retrieved_section,
    run_novel,
    step_writer_prompts,
    thread,
)


def chinese_text(characters: int) -> str:
    """Varied (non-looping) Chinese text: random ideographs, a full stop every 12."""
    rng = random.Random(characters)
    chars = [chr(rng.randrange(0x4E00, 0x9FA5)) for _ in range(characters)]
    return "".join(c + ("。" if i % 12 == 11 else "") for i, c in enumerate(chars))


def english_text(count: int) -> str:
    """Varied (non-looping) English text of ``count`` words, sentences of 10 words."""
    rng = random.Random(count)
    vocabulary = [f"w{i}" for i in range(500)]
    chosen = [rng.choice(vocabulary) for _ in range(count)]
    return " ".join(w + ("." if i % 10 == 9 else "") for i, w in enumerate(chosen))


@pytest.mark.parametrize("steps", [1, 4])
async def test_n_cycles_finish_with_the_opening_and_n_paragraphs_in_order(
    graph, model: ScriptedChatModel, memory, config, context_factory, steps: int
) -> None:
    values = await run_novel(graph, config, context_factory(), target_steps=steps)

    assert values["status"] == "finished"
    assert values["step"] == steps
    assert (await graph.aget_state(config)).next == ()
    passages = await read_manuscript(memory, values)
    assert [p.position for p in passages] == list(range(3 + steps))
    assert [p.step for p in passages] == [0, 0, 0, *range(1, steps + 1)]
    assert len(step_writer_prompts(model)) == steps
    assert passages[-1].text == values["last_paragraph"]
    # Each step's paragraph is the one the writer produced at that step, in order: the
    # writer of step i saw the paragraph of step i-1 as its last paragraph.
    prompts = step_writer_prompts(model)
    for i in range(1, steps):
        assert last_paragraph_section(prompts[i]) == passages[3 + i - 1].text
    assert len({p.text for p in passages}) == len(passages)
    assert values["words_written"] == sum(count_words(p.text) for p in passages)

    markdown = await export_markdown(memory, values)
    assert markdown.startswith(f"# {values['title']}\n")
    offsets = [markdown.index(p.text) for p in passages]
    assert offsets == sorted(offsets)


async def test_word_target_ends_the_run_at_the_first_step_past_it(
    graph, memory, config, context_factory
) -> None:
    values = await run_novel(graph, config, context_factory(), target_words=150)

    assert values["status"] == "finished"
    assert values["words_written"] >= 150
    # One paragraph fewer would not have reached the target.
    assert values["words_written"] - count_words(values["last_paragraph"]) < 150
    assert values["step"] >= 1
    passages = await read_manuscript(memory, values)
    assert len(passages) == 3 + values["step"]


async def test_novel_id_is_derived_from_the_thread_or_given(graph, config, context_factory) -> None:
    first = await run_novel(graph, config, context_factory(), target_steps=1)
    other = await run_novel(graph, thread("novel-2"), context_factory(), target_steps=1)
    given = await run_novel(
        graph, thread("novel-3"), context_factory(), novel_id="mine", target_steps=1
    )
    assert first["novel_id"] and other["novel_id"]
    assert first["novel_id"] != other["novel_id"]
    assert given["novel_id"] == "mine"


async def test_writer_sees_bounded_retrieval_without_its_last_paragraph(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    values = await run_novel(graph, config, context_factory(retrieval_k=2), target_steps=5)
    assert 0 < len(values["retrieved_passages"]) <= 2
    for prompt in step_writer_prompts(model):
        assert last_paragraph_section(prompt) not in retrieved_section(prompt)
    assert "[1]" in retrieved_section(step_writer_prompts(model)[-1])
    assert "[3]" not in retrieved_section(step_writer_prompts(model)[-1])


@pytest.mark.parametrize(
    "bad_plans",
    [
        # A loop from the first word: cutting it off leaves too little to be a plan.
        {"plan_1": "go, " * 60, "plan_2": "A ship arrives.", "plan_3": "The key."},
        {"plan_1": "Only one plan is given here."},
        {"plan_1": "Same plan here.", "plan_2": "same  plan here.", "plan_3": "SAME PLAN HERE."},
    ],
    ids=["looping", "missing-fields", "not-different"],
)
async def test_bad_planner_replies_are_retried_then_fail_resumably(
    graph, model: ScriptedChatModel, config, context_factory, bad_plans: dict
) -> None:
    # The planner makes every plan (not the memory updater), so its replies are tested.
    context = context_factory(max_attempts=2, plans_by="planner")
    # Let the opening through, then break the planner of step 1.
    await graph.ainvoke({"premise": PREMISE, "target_steps": 2}, config, context=context)
    before = len(model.prompts_for("Plans"))
    model.overrides["Plans"] = lambda schema, messages, n: bad_plans

    with pytest.raises(LLMReplyError) as raised:
        # Continuing a thread: only the new target is given.
        await graph.ainvoke({"target_steps": 3}, config, context=context)

    error = raised.value
    assert error.role == "planner"
    assert "planner" in str(error)
    assert "after 2 attempt" in str(error)
    assert "plan_1" in error.raw_reply
    assert repr(error.raw_reply[:100])[1:-1] in str(error)
    assert len(model.prompts_for("Plans")) - before == 2
    # The retry tells the model what was wrong.
    assert "could not be used" in model.prompts_for("Plans")[-1]
    # Extending the finished novel planned a new chapter, then asked the planner.
    state = await graph.aget_state(config)
    assert state.next == ("planner",)
    assert state.values["step"] == 2
    assert state.values["chapter"] == 2

    model.overrides.clear()
    await graph.ainvoke(None, config, context=context)
    values = (await graph.aget_state(config)).values
    assert values["status"] == "finished"
    assert values["step"] == 3
    assert len(model.prompts_for("Plans")) - before == 4
    assert not any(is_looping(p) for p in values["plans"])


async def test_bad_first_planner_reply_fails_the_run_before_anything_is_lost(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    model.overrides["Plans"] = lambda schema, messages, n: {"plan_1": "x" * 30}
    with pytest.raises(LLMReplyError) as raised:
        await run_novel(
            graph, config, context_factory(max_attempts=3, plans_by="planner"), target_steps=1
        )
    assert raised.value.role == "planner"
    assert len(model.prompts_for("Plans")) == 3
    model.overrides.clear()
    await graph.ainvoke(None, config, context=context_factory(plans_by="planner"))
    values = (await graph.aget_state(config)).values
    assert values["status"] == "finished"
    assert values["step"] == 1


async def test_looping_writer_reply_is_cut_before_the_loop(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    context = context_factory()
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, context=context, config=config)
    loop = "the light, the light, the light, " * 20
    model.overrides["text"] = lambda schema, messages, n: (
        f"Arlo climbed the tower stairs slowly in the dark of night. He saw {loop}"
    )
    await graph.ainvoke({"target_steps": 2}, config, context=context)
    values = (await graph.aget_state(config)).values
    assert values["last_paragraph"] == "Arlo climbed the tower stairs slowly in the dark of night."
    assert not is_looping(values["last_paragraph"])


async def test_too_short_writer_reply_fails_with_the_writer_role(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    context = context_factory(max_attempts=3)
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context)
    before = len(model.prompts_for("text"))
    model.overrides["text"] = lambda schema, messages, n: "Too short."
    with pytest.raises(LLMReplyError, match="writer") as raised:
        await graph.ainvoke({"target_steps": 2}, config, context=context)
    assert raised.value.role == "writer"
    assert "Too short." in str(raised.value)
    assert len(model.prompts_for("text")) - before == 3
    assert (await graph.aget_state(config)).next == ("writer",)


async def test_chinese_novel_prompts_counts_and_memory_cap(
    graph, model: ScriptedChatModel, memory, config, context_factory
) -> None:
    long_memory = chinese_text(2400)

    def memory_update(schema: str, messages: list, n: int) -> dict:
        return {
            "rationale": "保留钥匙和信，加上新的事件。",
            "updated_memory": long_memory,
            "paragraph_summary": "林海走上楼梯，想起了沈月的信。",
        }

    model.overrides["MemoryUpdate"] = memory_update
    context = context_factory(short_term_memory_words=50)
    values = await run_novel(graph, config, context, language="Chinese", target_steps=3)

    for schema in ("text", "MemoryUpdate", "Plans"):
        prompts = model.prompts_for(schema)
        assert prompts, schema
        assert all("Chinese" in prompt for prompt in prompts), schema
    assert values["status"] == "finished"

    passages = await read_manuscript(memory, values)
    assert len(passages) == 6
    assert values["words_written"] == sum(count_words(p.text) for p in passages)
    # Whitespace splitting would see about one word per paragraph.
    assert values["words_written"] > 5 * sum(len(p.text.split()) for p in passages)

    short_term = values["short_term_memory"]
    assert 0 < count_words(short_term) <= 50
    assert short_term.endswith("。")
    assert long_memory.startswith(short_term)
    # The capped memory is what the next prompts received.
    assert long_memory not in "\n".join(model.prompts_for("text"))


async def test_context_language_applies_to_new_novels_only(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    await graph.ainvoke(
        {"premise": PREMISE, "target_steps": 1}, config, context=context_factory(language="Chinese")
    )
    assert (await graph.aget_state(config)).values["language"] == "Chinese"
    calls = len(model.calls)

    # Continuing the novel under another default keeps the language it started with.
    await graph.ainvoke({"target_steps": 2}, config, context=context_factory(language="English"))
    values = (await graph.aget_state(config)).values
    assert values["language"] == "Chinese"
    assert values["step"] == 2
    later = ["\n".join(str(m.content) for m in messages) for _, messages in model.calls[calls:]]
    assert later and all("Chinese" in prompt and "English" not in prompt for prompt in later)


async def test_first_pause_shows_a_capped_memory(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    long_memory = english_text(300)

    def memory_update(schema: str, messages: list, n: int) -> dict:
        return {
            "rationale": "Keep everything.",
            "updated_memory": long_memory,
            "paragraph_summary": "Arlo keeps the light.",
        }

    model.overrides["MemoryUpdate"] = memory_update
    context = context_factory(mode="interactive", short_term_memory_words=30)
    await graph.ainvoke({"premise": PREMISE}, config, context=context)
    state = await graph.aget_state(config)
    assert 0 < count_words(state.values["short_term_memory"]) <= 30
    assert count_words(state.interrupts[0].value["short_term_memory"]) <= 30


@pytest.mark.parametrize("novel", [{"premise": "   \n "}, {"premise": ""}, {}])
async def test_empty_premise_is_a_clear_error_and_writes_nothing(
    graph, model: ScriptedChatModel, memory, config, context_factory, novel: dict
) -> None:
    with pytest.raises(InvalidNovelInputError, match="premise"):
        await graph.ainvoke({**novel, "target_steps": 1}, config, context=context_factory())
    assert model.calls == []
    assert memory.backend.dimensions() is None
    state = await graph.aget_state(config)
    assert state.next == ("start",)
    assert not state.values.get("title")


async def test_premise_can_be_given_after_the_error(graph, memory, config, context_factory) -> None:
    with pytest.raises(InvalidNovelInputError):
        await graph.ainvoke({"premise": " "}, config, context=context_factory())
    await graph.aupdate_state(config, {"premise": PREMISE, "target_steps": 1})
    await graph.ainvoke(None, config, context=context_factory())
    values = (await graph.aget_state(config)).values
    assert values["status"] == "finished"
    assert values["premise"] == PREMISE
    assert point_count(memory, values["novel_id"]) == 4
