"""The opening: title, book outline, chapter 1's plan, first paragraphs, memory and bible."""

from __future__ import annotations

from typing import Any, cast

from langgraph.runtime import Runtime

from recurrentgpt.context import Context
from recurrentgpt.llm import ask_structured
from recurrentgpt.nodes.branching import opening_passages
from recurrentgpt.nodes.chapter_planner import plan_chapter
from recurrentgpt.nodes.common import (
    chapters_total,
    frame_fields,
    in_novel_language,
    novel_fields,
    progress_note,
    resolve_novel_id,
    templates_for,
)
from recurrentgpt.nodes.memory_updater import memory_changes, rewrite_memory
from recurrentgpt.nodes.reader import scene_check
from recurrentgpt.nodes.writer import compose_paragraph
from recurrentgpt.prompts import start as prompt
from recurrentgpt.services import Services, chat_model_for, long_term_memory_for
from recurrentgpt.state import State
from recurrentgpt.story import outline as story_outline
from recurrentgpt.story.fiction import default_target
from recurrentgpt.story.replies import arc_problem, narration_problem, title_problem
from recurrentgpt.text import count_words, truncate_words

TITLE_FROM_PREMISE_WORDS = 8
"""Words of the premise that title a novel whose model gave no usable title."""


class InvalidNovelInputError(ValueError):
    """The input cannot start a novel."""


def outline_problem(reply: prompt.BookOutline, language: str) -> str | None:
    """Why a book outline does not read as one (a title or an arc that is not words), or None."""
    checks = [title_problem(reply.title, language, what="the title")]
    checks += [sketch_problem(chapter, language) for chapter in reply.chapters]
    return next(filter(None, checks), None)


def sketch_problem(chapter: prompt.ChapterSketch, language: str) -> str | None:
    """Why one chapter of a book outline does not read as one, or None."""
    return title_problem(chapter.title, language, what="a chapter title") or arc_problem(
        chapter.arc, language, what="a chapter arc"
    )


def mend_outline(reply: prompt.BookOutline, premise: str, language: str) -> prompt.BookOutline:
    """``reply`` without its chapters that are not words, titled by the premise if need be.

    A title that is not words becomes the premise's first words. The chapters
    left out are outlined when the story reaches them (by the chapter planner),
    so the opening never stops over them.
    """
    title = reply.title
    if title_problem(title, language, what="the title"):
        title = truncate_words(" ".join(premise.split()), TITLE_FROM_PREMISE_WORDS)
    chapters = [chapter for chapter in reply.chapters if not sketch_problem(chapter, language)]
    return reply.model_copy(update={"title": title, "chapters": chapters})


async def write_book_outline(services: Services, context: Context, novel: State) -> State:
    """``novel`` with its title and book outline, sized from its target."""
    total = chapters_total(novel, context)
    wanted = story_outline.chapters_to_outline_first(total)
    language = novel.get("language") or context.language
    reply = await ask_structured(
        await chat_model_for(services, "start", context),
        prompt.BookOutline,
        templates_for(context).messages(
            "start",
            {
                **novel_fields(novel),
                "chapters": wanted,
                "ending": prompt.ENDING if total else prompt.OPEN_ENDED,
                "paragraphs_per_chapter": context.paragraphs_per_chapter,
            },
        ),
        role="start",
        method=context.structured_output_method,
        max_attempts=context.max_attempts,
        outage_seconds=context.model_outage_seconds,
        feedback=context.retry_feedback,
        reject=lambda reply: outline_problem(reply, language),
        repair=lambda reply: mend_outline(reply, novel.get("premise", ""), language),
    )
    chapters = [story_outline.clean_chapter(c.title, c.arc) for c in reply.chapters[:wanted]]
    return {**novel, "title": reply.title.strip(), "book_outline": chapters}


async def write_opening_paragraphs(services: Services, context: Context, novel: State) -> list[str]:
    """The opening's paragraphs, each told from the frame and the ones before it."""
    writer = await chat_model_for(services, "writer", in_novel_language(context, novel))
    templates = templates_for(context)
    paragraphs: list[str] = []
    told_to_reader = scene_check(novel)

    def opening_problem(paragraph: str) -> str | None:
        return narration_problem(paragraph) or (
            told_to_reader(paragraph) if told_to_reader else None
        )

    for number in range(1, story_outline.OPENING_PARAGRAPHS + 1):
        so_far: State = {
            **novel,
            "last_paragraph": paragraphs[-1] if paragraphs else prompt.NOTHING_YET,
        }
        plan = templates.render(
            "opening_plan",
            {
                **frame_fields(so_far, context),
                "number": number,
                "total": story_outline.OPENING_PARAGRAPHS,
            },
        )
        paragraphs.append(
            await compose_paragraph(
                writer,
                context,
                so_far,
                passages=paragraphs[:-1],
                plan=plan,
                reject=opening_problem,
            )
        )
    return paragraphs


def make_start_node(services: Services) -> Any:
    """Build the node that writes the opening and seeds long-term memory."""

    async def start_novel(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the opening and store its paragraphs in long-term memory.

        The prompt templates are loaded first, so a bad template fails before any
        model is called; long-term memory is opened next, so a store that refuses
        the configured embedder does too. Long-term memory is written last, at ids
        derived from the thread, so a re-run after a crash overwrites the same points.
        """
        context = runtime.context or Context()
        templates_for(context)
        premise = (state.get("premise") or "").strip()
        if not premise:
            raise InvalidNovelInputError("A new novel needs a premise: it is empty.")
        memory = await long_term_memory_for(services, context)
        novel_id = resolve_novel_id(state)
        language = state.get("language") or context.language
        form = state.get("form") or context.story_form
        targets = default_target({**state, "form": form})
        novel = await write_book_outline(
            services,
            context,
            cast(
                State, {**state, **targets, "premise": premise, "language": language, "form": form}
            ),
        )
        chapter_model = await chat_model_for(services, "chapter", context)
        chapter_one = await plan_chapter(chapter_model, context, novel, 1)
        novel = cast(State, {**novel, **chapter_one, "short_term_memory": prompt.NO_MEMORY_YET})
        paragraphs = await write_opening_paragraphs(services, context, novel)
        memory_update = await rewrite_memory(
            await chat_model_for(services, "memory", context),
            context,
            {**novel, "last_paragraph": prompt.NOTHING_YET},
            new_paragraph="\n\n".join(paragraphs),
            next_progress=progress_note(novel, context),
        )
        opened = memory_changes({**novel, "bible": []}, memory_update, "\n\n".join(paragraphs))
        opening = await opening_passages(memory, novel_id, paragraphs)
        await memory.store_many(opening)
        return {
            **opened,
            "novel_id": novel_id,
            "premise": premise,
            "language": language,
            "form": form,
            "ending": "",
            **targets,
            "status": "writing",
            "title": novel["title"],
            "book_outline": novel["book_outline"],
            "chapter": 1,
            "chapter_start_step": 0,
            "chapter_outline": novel["chapter_outline"],
            "step": 0,
            "position": len(paragraphs) - 1,
            "words_written": sum(count_words(p) for p in paragraphs),
            "last_paragraph": paragraphs[-1],
            "plans": [],
            "chosen_plan": "",
            "retrieved_passages": [],
            "retrieved_summaries": [],
            "draft_paragraph": "",
            "branch_id": opening[0].branch_id,
            "inherited_segments": [],
        }

    return start_novel
