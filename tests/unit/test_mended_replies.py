"""A small model's stray outline, chapter plan or plans are mended, never a stopped novel.

Each role keeps retrying a reply that does not read as words (bounded); when
every attempt is spent, the last schema-valid reply is mended from what the
story already has, and the novel goes on.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from recurrentgpt.prompts.planner import (
    SHORT_PLAN_CHARACTERS,
    SHORT_REASON_CHARACTERS,
    SPACED_MIN_PLAN_CHARACTERS,
)
from tests.fakes import ScriptedChatModel, _default_answer
from tests.unit.helpers import PREMISE, run_novel


async def test_an_outline_that_is_never_words_keeps_its_good_chapters(
    graph, model: ScriptedChatModel, config, context_factory, caplog: pytest.LogCaptureFixture
) -> None:
    def outline(schema: str, messages: list, n: int) -> dict:
        return {
            "title": "}]{ 12",
            "chapters": [
                {"title": "The Key", "arc": "Arlo finds the key under the stairs."},
                {"title": "'the'}, {", "arc": "1234567890"},
            ],
        }

    model.overrides["BookOutline"] = outline
    with caplog.at_level(logging.WARNING, logger="recurrentgpt.llm"):
        values = await run_novel(
            graph, config, context_factory(paragraphs_per_chapter=1), target_steps=2
        )
    assert len(model.prompts_for("BookOutline")) == context_factory().max_attempts
    assert values["status"] == "finished"
    assert values["title"] == PREMISE
    titles = [chapter["title"] for chapter in values["book_outline"]]
    assert titles[0] == "The Key"
    assert "'the'}, {" not in titles
    assert "kept a mended start reply" in caplog.text


async def test_a_start_with_no_usable_chapter_or_chapter_plan_takes_the_premise_as_its_arc(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    # The bundled model on 2026-12-01: every arc of the book outline and every chapter
    # plan was markup, and the novel stopped at its start.
    def outline(schema: str, messages: list, n: int) -> dict:
        return {"title": "The Key", "chapters": [{"title": "One", "arc": "100584},{},{"}]}

    def chapter(schema: str, messages: list, n: int) -> dict:
        return {
            "title": "The Last Chapter",
            "arc": "1.1-2.3-4.5",
            "outline": "}, {\n content: 1.5 }, {",
        }

    model.overrides["BookOutline"] = outline
    model.overrides["ChapterPlan"] = chapter
    values = await run_novel(graph, config, context_factory(), target_steps=1)
    assert values["status"] == "finished"
    assert values["chapter_outline"] == values["book_outline"][0]["arc"] == PREMISE


async def test_plans_that_are_never_plans_give_way_to_the_chapter_plan(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    def planner(schema: str, messages: list, n: int) -> dict:
        return {
            "plan_1": "5(1) { .",
            "plan_2": "Arlo climbs the tower stairs at dusk.",
            "plan_3": "]][{}]",
        }

    model.overrides["Plans"] = planner
    values = await run_novel(graph, config, context_factory(plans_by="planner"), target_steps=1)
    assert values["status"] == "finished"
    assert values["plans"][0] == values["chapter_outline"]
    assert values["plans"][1] == "Arlo climbs the tower stairs at dusk."
    assert values["plans"][2] == values["chapter_outline"]


async def test_in_auto_mode_plans_that_never_match_the_schema_give_way_to_the_chapter_plan(
    graph, model: ScriptedChatModel, config, context_factory, caplog: pytest.LogCaptureFixture
) -> None:
    def planner(schema: str, messages: list, n: int) -> dict:
        same = "The Last Hour of the keeper begins."
        return {"plan_1": same, "plan_2": same, "plan_3": same}  # the schema wants three

    model.overrides["Plans"] = planner
    # The planner fails in every step; the simulated human picks from the chapter's plan.
    context = context_factory(mode="auto", plans_by="planner")
    with caplog.at_level(logging.WARNING, logger="recurrentgpt.nodes.planner"):
        values = await run_novel(graph, config, context, target_steps=2)
    assert values["status"] == "finished"
    assert values["step"] == 2
    assert values["plans"] == [values["chapter_outline"]] * 3
    assert "the chapter's plan is offered as the plans" in caplog.text


async def test_a_chapter_plan_of_symbols_takes_the_outlined_title_and_arc(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    def chapter(schema: str, messages: list, n: int) -> dict:
        return {"title": "{ } 12", "arc": "1.2.5} }, {", "outline": "=== 1387609044 === {} [] ==="}

    model.overrides["ChapterPlan"] = chapter
    values = await run_novel(
        graph, config, context_factory(paragraphs_per_chapter=1), target_steps=2
    )
    assert values["status"] == "finished"
    assert values["chapter"] == 2
    outlined = values["book_outline"][1]
    assert outlined["title"].startswith("Trial 2")
    assert values["chapter_outline"] == outlined["arc"]


async def test_a_small_models_chapter_plan_keeps_only_its_story(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    # The bundled model's chapter plan on 2026-11-30, which every later prompt showed.
    def chapter(schema: str, messages: list, n: int) -> dict:
        return {
            "title": "The Letter",
            "arc": "Mara finds the letter and opens it at last.",
            "outline": (
                "{ {#4962-3781} In this chapter, we delve into the world of the past. "
                "Mara finds the letter under the stairs of the tower and reads it by the lamp. "
                "We meet a young, To plan it up in one line is"
            ),
        }

    model.overrides["ChapterPlan"] = chapter
    context = context_factory(prompts="compact")
    values = await run_novel(graph, config, context, target_steps=1)
    assert values["chapter_outline"] == (
        "Mara finds the letter under the stairs of the tower and reads it by the lamp."
    )


async def test_a_small_models_chapter_plan_that_is_all_talk_gives_way_to_its_arc(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    # On 2026-12-01 the bundled model's chapter plan (its talk, then the arc mended in)
    # was tidied to nothing, the planner had no chapter's plan to fall back on, and a
    # step failed.
    def chapter(schema: str, messages: list, n: int) -> dict:
        return {
            "title": "The Letter",
            "arc": "The story begins as Mara finds the letter and opens it at last.",
            "outline": "In this chapter, we delve into the story. What's next? Write in English.",
        }

    def planner(schema: str, messages: list, n: int) -> dict:
        return {"plan_1": "3. 4. 5. 6. 7.", "plan_2": "8. 9. 10.", "plan_3": "11. 12. 13."}

    model.overrides["ChapterPlan"] = chapter
    model.overrides["Plans"] = planner
    context = context_factory(
        prompts="compact", mode="auto", human_revises="yes", plans_by="planner"
    )
    values = await run_novel(graph, config, context, target_steps=2)
    assert values["status"] == "finished"
    arc = values["book_outline"][0]["arc"]  # the book outline's, as outlined at the start
    assert values["chapter_outline"] == arc == "Arlo faces trial 1 at the lighthouse."
    assert values["plans"] == [arc] * 3


async def test_a_memory_reply_with_a_loop_is_cut_at_the_loop_not_asked_again(
    graph, model: ScriptedChatModel, config, context_factory, caplog: pytest.LogCaptureFixture
) -> None:
    # Seen with the local model: a sound memory, then a rationale stuck in a loop.
    def memory(schema: str, messages: list, n: int) -> Any:
        answer = dict(_default_answer(schema, messages, n))  # type: ignore[arg-type]
        answer["rationale"] = "Keep the key. Add the storm. " + "The island forever, " * 12
        return answer

    model.overrides["MemoryUpdate"] = memory
    with caplog.at_level(logging.WARNING, logger="recurrentgpt.llm"):
        values = await run_novel(graph, config, context_factory(mode="auto-first"), target_steps=1)
    assert values["status"] == "finished"
    assert len(model.prompts_for("MemoryUpdate")) == 2  # the opening's and step 1's: no retry
    assert values["memory_rationale"] == "Keep the key. Add the storm."
    assert "cut a loop from the reply's rationale" in caplog.text


@pytest.mark.parametrize(
    ("language", "expected"),
    [("English", SPACED_MIN_PLAN_CHARACTERS), ("Chinese", 5)],
)
async def test_the_plans_schema_asks_for_a_plan_of_five_words_where_words_are_spaced(
    graph,
    model: ScriptedChatModel,
    config,
    context_factory,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    expected: int,
) -> None:
    # A local model's grammar enforces minLength: "The Lost One" cannot be a plan in
    # English, while a Chinese plan of ten characters still can.
    sent: list[int] = []
    answer = ScriptedChatModel._answer

    def recording(self: ScriptedChatModel, messages: list, tools: Any) -> Any:
        if tools and tools[0]["function"]["name"] == "Plans":
            plans = tools[0]["function"]["parameters"]["properties"]
            sent.extend(plans[f"plan_{number}"]["minLength"] for number in (1, 2, 3))
        return answer(self, messages, tools)

    monkeypatch.setattr(ScriptedChatModel, "_answer", recording)
    context = context_factory(plans_by="planner", language=language)
    values = await run_novel(graph, config, context, target_steps=1)
    assert values["status"] == "finished"
    assert sent and set(sent) == {expected}


async def test_a_small_models_plans_and_choice_are_capped_and_end_a_sentence(
    graph,
    model: ScriptedChatModel,
    config,
    context_factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The bundled model ran on to 300-600 characters of plans and reasons; its grammar
    # enforces maxLength, and a plan it cut loses its unfinished sentence.
    sent: list[dict[str, Any]] = []
    answer = ScriptedChatModel._answer

    def recording(self: ScriptedChatModel, messages: list, tools: Any) -> Any:
        if tools:
            sent.append(tools[0]["function"])
        return answer(self, messages, tools)

    def planner(schema: str, messages: list, n: int) -> dict:
        return {
            "plan_1": f"Arlo rows out to the wreck at dawn ({n}). The oars creak and the",
            "plan_2": f"Mara reads the letter by the lamp ({n}).",
            "plan_3": f"A gull strikes the lantern glass in the storm ({n}).",
            "reason": "Tension.",
            "chosen_plan": 3,
        }

    monkeypatch.setattr(ScriptedChatModel, "_answer", recording)
    model.overrides["PlansAndChoice"] = planner
    model.overrides["text"] = lambda schema, messages, n: (
        f"Arlo {n} climbed to the lamp and the keeper was in the tower with his dog."
    )
    context = context_factory(
        mode="auto", human_revises="no", prompts="compact", plans_by="planner"
    )
    values = await run_novel(graph, config, context, target_steps=1)
    tools = [tool for tool in sent if tool["name"] == "PlansAndChoice"]
    assert tools and not [tool for tool in sent if tool["name"] in ("Plans", "HumanChoice")]
    properties = tools[0]["parameters"]["properties"]
    assert [properties[f"plan_{n}"]["maxLength"] for n in (1, 2, 3)] == [SHORT_PLAN_CHARACTERS] * 3
    assert properties["reason"]["maxLength"] == SHORT_REASON_CHARACTERS
    assert values["plans"][0].endswith(").") and "oars" not in values["plans"][0]
    assert values["chosen_plan"].startswith("A gull strikes the lantern glass")
