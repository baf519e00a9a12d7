"""Interactive fiction as plain data: the form, the reader's actions, endings, the path read.

In the fiction form the reader is the protagonist, "you". Every step writes
the consequence of the reader's action in the second person and offers three
short actions in place of the writer's plans. The story has a target and an
arc like a novel; the actions offered before its last scene lead to different
kinds of ending (a fatal one when the genre allows), and the kind of the action
the reader took is the kind of ending the story reaches. Pure functions, no
graph, no model, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

FICTION = "fiction"
"""The ``form`` of a story in which the reader is the protagonist."""

NOVEL = "novel"
"""The ``form`` of a co-written novel."""

DEFAULT_SCENES = 8
"""Scenes (steps after the opening) of a story started without a target."""

MAX_ACTION_CHARS = 300
"""Longest action a reader may type: one move of the protagonist, not a chapter."""

OFFERED_ACTION_CHARS = 160
"""Longest action the model may offer (a short sentence)."""

MIN_OFFERED_ACTION_WORDS = 2
"""An offered action shorter than this says nothing ("Go.")."""

DEADLY_GENRE_WORDS = frozenset(
    {
        "adventure",
        "crime",
        "dystopia",
        "dystopian",
        "fantasy",
        "gothic",
        "horror",
        "noir",
        "survival",
        "thriller",
        "war",
        "western",
        "zombie",
    }
)
"""Words of a genre in which the protagonist may die at the end."""

OWN_ACTION = "own"
"""Ending kind of a last scene that followed the reader's own action."""

_SECOND_PERSON = frozenset({"you", "your", "yours", "yourself"})


def is_fiction(values: Mapping[str, Any]) -> bool:
    """Tell whether the story whose state (or prompt fields) is ``values`` is fiction."""
    return values.get("form") == FICTION


def default_target(values: Mapping[str, Any]) -> dict[str, int]:
    """The target a new fiction story gets when it was given none (stories end), else ``{}``."""
    if is_fiction(values) and not values.get("target_steps") and not values.get("target_words"):
        return {"target_steps": DEFAULT_SCENES}
    return {}


def ending_kinds(genre: str) -> tuple[str, str, str]:
    """The endings offered by the three actions before the last scene, in action order.

    A genre in which death fits ends badly in death, any other in failure.
    """
    deadly = any(word in DEADLY_GENRE_WORDS for word in genre.lower().replace("-", " ").split())
    return ("triumph", "bittersweet", "death" if deadly else "failure")


def ending_of_choice(plans: Sequence[str], chosen: str, genre: str) -> str:
    """The kind of ending the chosen action leads to: its offered kind, else :data:`OWN_ACTION`."""
    normalised = " ".join(chosen.split())
    for kind, offered in zip(ending_kinds(genre), plans, strict=False):
        if " ".join(offered.split()) == normalised:
            return kind
    return OWN_ACTION


def ending_label(kind: str) -> str:
    """How an ending's kind reads in a sentence: ``"death ending"``, ``"your own ending"``."""
    if kind == OWN_ACTION:
        return "your own ending"
    return f"{kind} ending" if kind else "an ending"


def action_problem(action: str) -> str | None:
    """Why a reader's own action cannot be used (empty, far too long), or None."""
    text = " ".join(action.split())
    if not text:
        return "your action is empty: type what you do, or a number to pick an action"
    if len(text) > MAX_ACTION_CHARS:
        return (
            f"your action has {len(text)} characters; the most is {MAX_ACTION_CHARS}: "
            "say what you do in a sentence or two, the story tells the rest"
        )
    return None


def own_action_problem(values: Mapping[str, Any], plan: str | None) -> str | None:
    """Why the reader's own action ``plan`` cannot be used in a fiction story, or None.

    None too for a novel (its plans are the writer's, checked elsewhere) and
    when no own action was given.
    """
    if plan is None or not is_fiction(values):
        return None
    return action_problem(plan)


def offered_action_problem(action: str, language: str) -> str | None:
    """Why an action the model offered is not one (too short, not words), or None."""
    # Imported here: the reply checks compile their patterns, and every CLI command
    # loads this module to describe `play`.
    from recurrentgpt.story.replies import words_problem

    return words_problem(action, language, min_words=MIN_OFFERED_ACTION_WORDS, what="an action")


def second_person_problem(paragraph: str, language: str) -> str | None:
    """Why an English scene is not told to "you", or None (other languages are not checked)."""
    if language.strip().lower() != "english":
        return None
    words = {word.strip(".,;:!?\"'()—-").lower() for word in paragraph.split()}
    if words & _SECOND_PERSON:
        return None
    return "the reader is the protagonist: tell the scene in the second person, to 'you'"


def choices_by_step(rows: Sequence[Any]) -> dict[int, str]:
    """The action taken before each step of the current timeline, from history rows.

    ``rows`` are :class:`recurrentgpt.novels.HistoryRow` (the row of step ``s``
    holds the plan its paragraph followed: the reader's action).
    """
    return {row.step: row.plan for row in rows if row.on_timeline and row.step > 0 and row.plan}


def story_as_read(
    values: Mapping[str, Any],
    passages: Sequence[Any],
    choices: Mapping[int, str] | None = None,
) -> str:
    """The story as the reader read it, as Markdown: the scenes in order, then its ending.

    Args:
        values: The story's state (title, premise, ending).
        passages: Its paragraphs on the current timeline
            (:class:`recurrentgpt.memory.Passage`), opening included.
        choices: The action taken before each step's scene; when given, each
            scene is preceded by the reader's action.
    """
    lines = [f"# {values.get('title') or 'Untitled'}", ""]
    if values.get("premise"):
        lines += [f"*{values['premise']}*", ""]
    for passage in passages:
        action = (choices or {}).get(passage.step) if passage.step > 0 else None
        if action:
            lines += [f"> **You:** {' '.join(action.split())}", ""]
        lines += [passage.text.strip(), ""]
    if values.get("ending"):
        lines += [f"*The end ({values['ending']}).*", ""]
    return "\n".join(lines).rstrip() + "\n"
