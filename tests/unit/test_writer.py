"""The writer's defences against small-model prose: chatter, markup and copies."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from recurrentgpt.graphs.cowriter import build_graph
from recurrentgpt.services import max_tokens_for
from recurrentgpt.text import clean_paragraph, overlap_ratio
from tests.fakes import FakeServices, ScriptedChatModel, fake_words, is_opening
from tests.unit.helpers import run_novel, step_writer_prompts


def test_clean_paragraph_drops_chatter_notes_and_markup() -> None:
    raw = (
        "Sure! Here's the next paragraph:\n"
        "**The storm** came in {fast}. It was [cold] (180 words).\n"
        "- The lamp held.\n"
        "How does this sound?"
    )
    assert clean_paragraph(raw) == "The storm came in fast. It was cold.\nThe lamp held."


def test_clean_paragraph_drops_sentences_about_the_task() -> None:
    raw = "The tide turned. The next paragraph continues the chapter. Arlo ran to the lamp."
    assert clean_paragraph(raw) == "The tide turned. Arlo ran to the lamp."


def test_clean_paragraph_drops_lines_that_restate_an_earlier_line() -> None:
    first = "I promise you can always sleep through tomorrow but I want you to keep going."
    again = "I promise you can always sleep through tomorrow but I want you to keep trying."
    other = "The lamp went dark and Arlo climbed the stairs with the brass key in his hand."
    assert clean_paragraph(f"{first}\n{again}\n{other}") == f"{first}\n{other}"


def test_clean_paragraph_keeps_ordinary_prose() -> None:
    prose = "Here is the harbour where Arlo was born. Sure enough, the tide was out."
    assert clean_paragraph(prose) == prose


def test_overlap_ratio() -> None:
    text = fake_words(1, 20)
    assert overlap_ratio(text, text) == 1.0
    assert overlap_ratio(text, fake_words(2, 20)) < 0.2
    assert overlap_ratio("too short", text) == 0.0


async def test_a_copy_of_the_last_paragraph_is_retried(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    copies: list[str] = []

    def writer(schema: str, messages: list, n: int) -> str:
        prompt = "\n".join(str(m.content) for m in messages)
        last = re.search(r"The last paragraph:\n(.*?)\n\nRelated", prompt, re.S)
        if last and not is_opening(prompt) and not copies:
            copies.append(last.group(1))
            return last.group(1)  # the small model's favourite: repeat its input
        return f"Paragraph {n}: Arlo {fake_words(n)}."

    model.overrides["text"] = writer
    values = await run_novel(graph, config, context_factory(mode="auto-first"), target_steps=1)
    assert copies, "the scripted writer never offered a copy"
    assert values["step"] == 1
    assert values["last_paragraph"] != copies[0]
    assert values["last_paragraph"].startswith("Paragraph ")


async def test_a_writer_that_only_copies_is_kept_rather_than_stopping_the_novel(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    def writer(schema: str, messages: list, n: int) -> str:
        prompt = "\n".join(str(m.content) for m in messages)
        last = re.search(r"The last paragraph:\n(.*?)\n\nRelated", prompt, re.S)
        if last and not is_opening(prompt):
            return last.group(1)
        return f"Paragraph {n}: Arlo {fake_words(n)}."

    model.overrides["text"] = writer
    context = context_factory(mode="auto-first", max_attempts=2)
    values = await run_novel(graph, config, context, target_steps=1)
    assert values["step"] == 1
    # The opening, then two tries at step 1 and a second round of two (only copies).
    assert len(model.prompts_for("text")) == 3 + 2 + 2


async def test_one_reply_that_is_not_prose_does_not_make_later_copies_fatal(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    # Seen in CI with the local model: attempt 1 was one word, attempts 2 and 3 copied
    # an earlier paragraph, and the novel stopped although a paragraph was at hand.
    attempts: list[str] = []

    def writer(schema: str, messages: list, n: int) -> str:
        prompt = "\n".join(str(m.content) for m in messages)
        last = re.search(r"The last paragraph:\n(.*?)\n\nRelated", prompt, re.S)
        if not last or is_opening(prompt):
            return f"Paragraph {n}: Arlo {fake_words(n)}."
        attempts.append(prompt)
        return "Lighthouse." if len(attempts) == 1 else last.group(1)

    model.overrides["text"] = writer
    values = await run_novel(graph, config, context_factory(mode="auto-first"), target_steps=1)
    assert len(attempts) == 3 + 3  # a second round, since the copies were prose
    assert values["step"] == 1
    assert values["last_paragraph"].startswith("Paragraph ")


async def test_an_opening_that_describes_the_novel_is_retried(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    described: list[int] = []

    def writer(schema: str, messages: list, n: int) -> str:
        prompt = "\n".join(str(m.content) for m in messages)
        if is_opening(prompt) and not described:
            described.append(n)
            return "This novel is about a keeper. The story follows him as the protagonist."
        return f"Paragraph {n}: Arlo {fake_words(n)}."

    model.overrides["text"] = writer
    values = await run_novel(graph, config, context_factory(), target_steps=1)
    assert described
    retry = model.prompts_for("text")[1]
    assert "describes the novel instead of telling the story" in retry
    assert "This novel is about" not in values["last_paragraph"]


async def test_a_plan_that_is_not_a_plan_is_retried(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    bad: list[int] = []

    def planner(schema: str, messages: list, n: int) -> dict:
        if not bad:
            bad.append(n)
            return {"plan_1": "5(1) { .", "plan_2": "Arlo waits.", "plan_3": "Rain falls."}
        return {
            "plan_1": f"Arlo climbs the tower at call {n}.",
            "plan_2": "A ship appears in the fog.",
            "plan_3": "The key glows in the dark.",
        }

    model.overrides["Plans"] = planner
    values = await run_novel(graph, config, context_factory(plans_by="planner"), target_steps=1)
    assert bad
    assert "a plan needs at least 5 words" in model.prompts_for("Plans")[1]
    assert "5(1) { ." not in values["plans"]


def test_the_writer_cap_leaves_room_for_the_kept_words_and_no_more(context_factory) -> None:
    # An English word is about 1.3 tokens; a CJK character (one word) up to two.
    assert max_tokens_for("writer", context_factory(words_per_paragraph=180)) == 360
    chinese = context_factory(words_per_paragraph=180, language="Chinese")
    assert max_tokens_for("writer", chinese) == 540
    assert max_tokens_for("writer", context_factory(words_per_paragraph=50)) == 256
    # A small model runs on to its cap; the sentence the cap cuts is dropped (ask_text).
    compact = context_factory(words_per_paragraph=180, prompts="compact")
    assert max_tokens_for("writer", compact) == 288


async def test_the_writer_is_sized_for_the_novels_language_not_the_default(
    model: ScriptedChatModel, memory, config, context_factory
) -> None:
    languages: list[str] = []

    class RecordingServices(FakeServices):
        def chat_model(self, role, context):
            if role == "writer":
                languages.append(context.language)
            return super().chat_model(role, context)

    graph = build_graph(RecordingServices(model, memory)).compile(checkpointer=InMemorySaver())
    # The context's language is that of a new novel; this one names its own.
    context = context_factory(mode="auto-first", language="Japanese")
    await run_novel(graph, config, context, target_steps=1, language="English")
    assert len(languages) >= 2  # the opening's paragraphs and step 1
    assert set(languages) == {"English"}


async def test_a_paragraph_that_breaks_a_rule_gets_a_second_round_before_it_is_kept() -> None:
    """Imperfect prose is retried for a second round; only then is the last one kept."""
    from langchain_core.messages import HumanMessage

    from recurrentgpt.llm import LLMReplyError, ask_text

    meta = "This novel tells how the keeper of the lighthouse finds a letter in the lamp room."
    good = "Arlo climbed the tower stairs while the storm gathered over the dark grey sea."

    def scripted(replies: list[str]) -> ScriptedChatModel:
        answers = iter(replies)
        return ScriptedChatModel(overrides={"text": lambda schema, messages, n: next(answers)})

    def reject(text: str) -> str | None:
        return "it talks about the novel" if text.startswith("This novel") else None

    async def ask(model: ScriptedChatModel) -> str:
        return await ask_text(
            model,
            [HumanMessage("Write.")],
            role="writer",
            min_words=5,
            max_attempts=2,
            reject=reject,
        )

    second_round = scripted([meta, meta, meta, good])
    assert await ask(second_round) == good
    assert len(second_round.calls) == 4
    kept = scripted([meta] * 4)
    assert await ask(kept) == meta  # both rounds spent: the last imperfect reply is kept
    assert len(kept.calls) == 4
    hard = scripted(["", ""])  # nothing that is prose: no second round, the call fails
    with pytest.raises(LLMReplyError, match="after 2 attempt"):
        await ask(hard)
    assert len(hard.calls) == 2


def test_clean_paragraph_drops_the_frame_echoed_back() -> None:
    # Seen with the bundled model (2026-11-30): whole paragraphs of the prompt's frame.
    raw = (
        "Premise: A lighthouse keeper found a letter addressed to someone long gone.\n"
        "The keeper climbed the stairs. The story bible is going to be told again.\n"
        "Story bible (what must stay true): none yet\n"
        "Task: write the next paragraph.\n"
        "He read the letter twice by the lamp."
    )
    assert (
        clean_paragraph(raw)
        == "The keeper climbed the stairs.\nHe read the letter twice by the lamp."
    )
    prose = "Progress was slow on the cliff path. Her plan: wait for the tide, then run."
    assert clean_paragraph(prose) == prose  # ordinary words at a line's start stay


def test_clean_paragraph_drops_talk_to_the_writer_and_list_numbering() -> None:
    # Seen with the bundled model (2026-11-30): paragraphs of talk about the task,
    # numbered restatements of the plans and the frame's stand-ins echoed back.
    raw = (
        "1\n"
        "You're a professional. You've helped me craft a story with multiple paragraphs.\n"
        "Your answer must contain exactly two sentences and be formatted using markdown.\n"
        "(Nothing has happened yet.) The keeper lit the lamp.\n"
        "The story so far:\n"
        "[2] The tide came in.\n"
        "2 A gull struck the glass at dawn.\n"
        "Sentence 3: She read the letter twice.\n"
        "The story begins:\n"
        "(This is also the 3rd sentence in the beginning chapter.)\n"
        "1 1"
    )
    assert clean_paragraph(raw) == (
        "The keeper lit the lamp.\nThe tide came in.\nA gull struck the glass at dawn.\n"
        "She read the letter twice."
    )


def test_clean_paragraph_drops_numbering_inside_a_line_and_table_borders() -> None:
    # The bundled model's on 2026-11-30: "...unchanged. 2 This morning..." and "sailor, 5 |".
    raw = "The sea was unchanged. 2 This morning she woke early.\nA keeper and a sailor, 5 |"
    assert clean_paragraph(raw) == (
        "The sea was unchanged. This morning she woke early.\nA keeper and a sailor"
    )
    # And on 2026-12-01: "She: 4 Her eyes...", "...a dream. 2. He has no idea... 3. 4."
    raw = "She: 4 Her eyes wandered.\nIt was a dream. 2. He has no idea how. 3. 4.\n6 He ran."
    assert (
        clean_paragraph(raw) == "Her eyes wandered.\nIt was a dream. He has no idea how.\nHe ran."
    )


def test_clean_paragraph_keeps_second_person_narration_and_numbers_in_prose() -> None:
    prose = (
        "You open the door and step into the storm. Your hands shake as you read the letter.\n"
        "In 1890 the light burned for 12 nights without rest."
    )
    assert clean_paragraph(prose) == prose


async def test_a_small_models_later_paragraph_that_describes_the_novel_is_retried(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    described: list[int] = []

    def writer(schema: str, messages: list, n: int) -> str:
        prompt = "\n".join(str(m.content) for m in messages)
        if not is_opening(prompt) and not described:
            described.append(n)
            return (
                "Your story is the last chapter of a long narrative about the sea. "
                "The story follows the keeper as the protagonist of this novel."
            )
        return f"Paragraph {n}: {english_prose(n)}"

    model.overrides["text"] = writer
    context = context_factory(mode="auto-first", prompts="compact")
    values = await run_novel(graph, config, context, target_steps=1)
    assert described, "the scripted writer never described the novel after the opening"
    assert len(step_writer_prompts(model)) == 2  # nothing but talk, so retried
    # The retry's label ("Paragraph 3:") is talk about the telling too.
    assert values["last_paragraph"].startswith("Arlo ")


def english_prose(n: int) -> str:
    """A sentence of call ``n`` that reads as English (the scripted words alone do not:
    a small model's sentences with too few English function words are cut)."""
    return f"Arlo {fake_words(n, 12)} and the keeper was in the tower of the island with his lamp."


def after_the_opening(
    step: Callable[[str, int], str], opening: Callable[[int], str] = english_prose
) -> Callable[[str, list, int], str]:
    """A scripted writer: ``opening(n)`` for the opening's paragraphs, then ``step(prompt, n)``."""

    def writer(schema: str, messages: list, n: int) -> str:
        prompt = "\n".join(str(m.content) for m in messages)
        return opening(n) if is_opening(prompt) else step(prompt, n)

    return writer


def labelled(n: int) -> str:
    """An opening paragraph with the scripted label a small model's paragraph loses."""
    return f"Paragraph {n}: Arlo {fake_words(n)}."


async def test_a_small_models_talk_between_its_scenes_is_cut_without_a_retry(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    def talking(prompt: str, n: int) -> str:
        return (
            f"The story begins with the first scene of chapter 2. {english_prose(n)}\n"
            "What's next? This is where you come in. Mara rowed out to the rocks at dusk."
        )

    model.overrides["text"] = after_the_opening(talking)
    context = context_factory(mode="auto-first", prompts="compact")
    values = await run_novel(graph, config, context, target_steps=1)
    assert len(step_writer_prompts(model)) == 1
    paragraph = values["last_paragraph"]
    assert paragraph.startswith("Arlo ")
    assert paragraph.endswith("\nMara rowed out to the rocks at dusk.")
    assert "story" not in paragraph and "you" not in paragraph


async def test_a_small_models_opening_is_planned_by_the_chapters_plan_not_by_talk_of_the_novel(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    # SmolLM2-135M told of "Paragraph 1 of 3 of the novel's opening" wrote about writing
    # novels; the chapter's plan itself as the plan made it narrate more often.
    model.overrides["text"] = lambda schema, messages, n: english_prose(n)
    context = context_factory(mode="auto-first", prompts="compact")
    values = await run_novel(graph, config, context, target_steps=1)
    openings = [p for p in model.prompts_for("text") if is_opening(p)]
    assert len(openings) == 3
    for prompt in openings:
        plan = prompt.rsplit("in English: ", 1)[1]
        assert plan.startswith(values["chapter_outline"])
        assert "novel" not in plan and "paragraph" not in plan.lower()


async def test_a_small_models_paragraph_loses_its_echoed_chapter_heading(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    def headed(prompt: str, n: int) -> str:
        heading = re.search(r"Now chapter \d+, (.+?): ", prompt)
        assert heading, "the compact frame names the chapter"
        return f"{heading.group(1)}: {english_prose(n)}\n{english_prose(n + 1)}"

    model.overrides["text"] = after_the_opening(headed)
    context = context_factory(mode="auto-first", prompts="compact")
    values = await run_novel(graph, config, context, target_steps=1)
    title = values["book_outline"][0]["title"]
    paragraph = values["last_paragraph"]
    assert paragraph.startswith("Arlo ") and title not in paragraph
    assert len(step_writer_prompts(model)) == 1


async def test_a_small_models_paragraph_loses_what_retells_the_last_one_without_a_retry(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    retold: list[str] = []

    def retelling(prompt: str, n: int) -> str:
        last = prompt.split("The last paragraph:\n")[-1].split("\n")[0]
        retold.append(last.removeprefix("\u2026").split(". ")[0])
        return f"{retold[-1]}. {english_prose(n)}"

    model.overrides["text"] = after_the_opening(retelling)
    context = context_factory(mode="auto-first", prompts="compact")
    values = await run_novel(graph, config, context, target_steps=1)
    assert len(step_writer_prompts(model)) == 1
    assert len(retold[0].split()) > 8 and retold[0] not in values["last_paragraph"]
    assert values["last_paragraph"].startswith("Arlo ")


async def test_a_small_model_that_only_talks_about_the_novel_does_not_stop_it(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    talk = "The story begins with chapter 2 and its first scene, as the outline says it should."

    def writer(schema: str, messages: list, n: int) -> str:
        prompt = "\n".join(str(m.content) for m in messages)
        return f"Arlo {fake_words(n)}." if is_opening(prompt) else talk

    model.overrides["text"] = writer
    context = context_factory(mode="auto-first", prompts="compact", max_attempts=2)
    values = await run_novel(graph, config, context, target_steps=1)
    # Two rounds of attempts, then the last reply, cleaned only, rather than a stop.
    assert len(step_writer_prompts(model)) == 4
    assert values["step"] == 1
    assert values["last_paragraph"] == talk


async def test_a_small_models_plans_are_kept_when_one_is_usable(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    def planner(schema: str, messages: list, n: int) -> dict:
        return {
            "plan_1": "5(1) { .",
            "plan_2": f"Arlo climbs the tower at call {n} and finds the brass key.",
            "plan_3": "Your plan has three sentences.",
        }

    model.overrides["Plans"] = planner
    context = context_factory(prompts="compact", plans_by="planner")
    values = await run_novel(graph, config, context, target_steps=1)
    prompts = model.prompts_for("Plans")
    assert len(set(prompts)) == len(prompts)  # a retry would send a prompt again
    usable = [plan for plan in values["plans"] if plan.startswith("Arlo climbs")]
    assert len(usable) == 1
    # The others give way to the chapter's own plan, which its planner checked.
    chapter = " ".join(values["chapter_outline"].split())
    assert [plan for plan in values["plans"] if plan not in usable] == [chapter, chapter]


async def test_a_reply_kept_although_short_is_its_prose_not_its_chatter(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    chatter = (
        "Sure! Here's the next paragraph:\nArlo lit the lamp and waited.\n"
        "How does this sound? Let me know if you want any changes at all, I am always "
        "happy to help with anything else you might need for your novel today."
    )

    model.overrides["text"] = after_the_opening(lambda prompt, n: chatter, labelled)
    context = context_factory(mode="auto-first", max_attempts=1)
    values = await run_novel(graph, config, context, target_steps=1)
    assert values["last_paragraph"] == "Arlo lit the lamp and waited."


@pytest.mark.parametrize(("prompts", "told"), [("full", True), ("compact", False)])
async def test_a_retry_tells_the_model_what_was_wrong_unless_prompts_are_compact(
    graph, model: ScriptedChatModel, config, context_factory, prompts: str, told: bool
) -> None:
    # A small model answers the feedback ("I'm sorry, I didn't meet the instructions")
    # instead of the task, so with compact prompts the same prompt is sent again.
    copies: list[int] = []

    def writer(schema: str, messages: list, n: int) -> str:
        prompt = "\n".join(str(m.content) for m in messages)
        if not is_opening(prompt) and not copies:
            copies.append(n)
            return "Lighthouse."
        return f"Paragraph {n}: Arlo {fake_words(n)}."

    model.overrides["text"] = writer
    context = context_factory(mode="auto-first", prompts=prompts)
    await run_novel(graph, config, context, target_steps=1)
    first, retry = model.prompts_for("text")[-2:]
    assert ("Your previous reply could not be used" in retry) is told
    assert (retry == first) is not told


async def test_a_hosted_writers_later_paragraph_about_a_book_is_kept(
    graph, model: ScriptedChatModel, config, context_factory
) -> None:
    # A novel about a book says "the book" often; only the opening is checked for
    # describing the novel (a small model's paragraphs lose such sentences instead).
    about = "Arlo opened the book. The book smelled of salt. He read the story twice by the lamp."

    model.overrides["text"] = after_the_opening(
        lambda prompt, n: f"{about} {fake_words(n)}.", labelled
    )
    values = await run_novel(graph, config, context_factory(mode="auto-first"), target_steps=1)
    assert values["last_paragraph"].startswith(about)
    assert len(model.prompts_for("text")) == 3 + 1  # the opening, then one attempt
