"""Short-term memory edited by dropping numbered sentences and adding the summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from recurrentgpt.llm import wire_schema
from recurrentgpt.prompts.memory import MemoryEditsWithoutPlans
from recurrentgpt.story.short_term import apply_edits, numbered
from recurrentgpt.text import count_words, sentences
from tests.fakes import ScriptedChatModel
from tests.unit.helpers import memory_section, run_novel, step_writer_prompts

MEMORY = "Arlo found the key. Mara left at dawn! Is the storm coming?"


def test_sentences_split_at_full_stops_and_lines() -> None:
    assert sentences(MEMORY + "\nA line without a stop") == [
        "Arlo found the key.",
        "Mara left at dawn!",
        "Is the storm coming?",
        "A line without a stop",
    ]
    assert sentences("林海去了村里。沈月不见了！") == ["林海去了村里。", "沈月不见了！"]


def test_the_prompts_number_the_memory_sentences() -> None:
    assert numbered(MEMORY) == (
        "(1) Arlo found the key.\n(2) Mara left at dawn!\n(3) Is the storm coming?"
    )


def test_an_edit_keeps_every_other_sentence_word_for_word() -> None:
    edited = apply_edits(MEMORY, [2, 7, 0], "Arlo opened the cellar.", max_words=100)
    # 7 and 0 name no sentence: ignored, not an error.
    assert edited == "Arlo found the key. Is the storm coming? Arlo opened the cellar."


def test_an_edit_over_the_cap_lets_the_oldest_sentences_go() -> None:
    edited = apply_edits(MEMORY, [], "Arlo opened the cellar at last.", max_words=12)
    assert edited == "Is the storm coming? Arlo opened the cellar at last."
    assert count_words(edited) <= 12
    # A summary alone over the cap is cut, never dropped.
    assert count_words(apply_edits("", [], "word " * 30 + ".", max_words=10)) == 10


def test_a_lone_list_number_in_the_summary_is_not_added() -> None:
    assert apply_edits(MEMORY, [1, 2, 3], "2. Arlo opened the cellar. 3.", 100) == (
        "Arlo opened the cellar."
    )


def test_the_edits_schema_asks_for_numbers_not_a_new_memory() -> None:
    assert list(wire_schema(MemoryEditsWithoutPlans)["properties"]) == [
        "rationale",
        "dropped_sentences",
        "paragraph_summary",
        "bible_changes",
    ]


async def test_a_novel_with_edited_memory_keeps_what_was_not_dropped(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    def edits(schema: str, messages: list, n: int) -> dict[str, Any]:
        return {
            "rationale": f"Drop the first sentence, add event {n}.",
            "dropped_sentences": [1],
            "paragraph_summary": f"Event {n} happened. Arlo kept watch {n}.",
            "bible_changes": [],
        }

    model.overrides["MemoryUpdate"] = edits
    context = context_factory(mode="auto-first", memory_update="edits")
    values = await run_novel(graph, config, context, target_steps=2)

    calls = [n for n, (name, _) in enumerate(model.calls, 1) if name == "MemoryUpdate"]
    opening, first, second = calls
    # The opening's summary started the memory; each step dropped its first sentence.
    assert values["short_term_memory"] == (
        f"Event {first} happened. Arlo kept watch {first}. "
        f"Event {second} happened. Arlo kept watch {second}."
    )
    assert f"watch {opening}" not in values["short_term_memory"]
    # The prompts show the memory's sentences numbered, and ask for numbers.
    writer = step_writer_prompts(model)[-1]
    assert memory_section(writer).startswith(f"(1) Arlo kept watch {opening}.\n(2) Event {first}")
    memory_prompt = model.prompts_for("MemoryUpdate")[-1]
    assert "Dropped sentences: the numbers of the memory's sentences" in memory_prompt
    assert "Updated memory:" not in memory_prompt
    assert values["memory_rationale"] == f"Drop the first sentence, add event {second}."


def edits_adding(summary: Callable[[int], str]) -> Callable[[str, list, int], dict[str, Any]]:
    """A scripted memory update that drops nothing and adds ``summary(call number)``."""

    def edits(schema: str, messages: list, n: int) -> dict[str, Any]:
        return {
            "rationale": "Add the new paragraph.",
            "dropped_sentences": [],
            "paragraph_summary": summary(n),
            "bible_changes": [],
        }

    return edits


async def test_a_summary_that_talks_about_the_task_gives_way_to_the_paragraphs_opening(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    # Seen with the bundled model (2026-11-30): the summary, which an edited memory
    # takes in, repeated the memory task; the next prompts showed it as the story.
    summary = "Dropped sentences: the numbers of the memory's sentences."
    model.overrides["MemoryUpdate"] = edits_adding(lambda n: summary)
    context = context_factory(mode="auto-first", memory_update="edits", max_attempts=2)
    values = await run_novel(graph, config, context, target_steps=1)
    assert "Dropped sentences" not in values["short_term_memory"]
    opening_words = " ".join(values["last_paragraph"].split()[:8])
    assert opening_words in values["short_term_memory"]


async def test_a_small_models_summary_keeps_only_its_story_without_a_retry(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    # The bundled model's summaries on 2026-11-30 went into the memory as they were.
    model.overrides["MemoryUpdate"] = edits_adding(
        lambda n: (
            f"Arlo carried lamp {n} up to the tower and the keeper was with him. "
            "Bible changes: only needed one sentence. A little about the new paragraph."
        )
    )
    context = context_factory(mode="auto-first", prompts="compact", memory_update="edits")
    values = await run_novel(graph, config, context, target_steps=1)
    memory = values["short_term_memory"]
    assert "Arlo carried lamp" in memory
    assert "Bible changes" not in memory and "paragraph" not in memory
    prompts = model.prompts_for("MemoryUpdate")
    assert len(set(prompts)) == len(prompts)  # a retry would send a prompt again
