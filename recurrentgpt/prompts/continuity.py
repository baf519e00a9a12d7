"""The continuity judge: contradictions inside one window of the novel, each with its evidence.

In the style of ConStory-Bench's checker (Li et al., 2026, "Lost in Stories"):
a contradiction counts only when the judge quotes both passages that
contradict each other, word for word, so that the quotes can be checked
against the text. The categories are that benchmark's five.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SYSTEM = """You are a continuity editor reading an excerpt of a novel. You find places \
where the story contradicts itself, and you prove each one by quoting the text exactly. \
Reply only through the requested structured format."""

USER = """Excerpt of the novel (paragraphs {first} to {last}, numbered):

{excerpt}

List every contradiction inside this excerpt: a character, fact, time, place, object or \
rule of the world that the text states one way and later another way (eye colour, a name, \
who knows what, a number, the day, where someone is, what an object is, a rule of magic). \
A change that the story itself explains is not a contradiction; neither is anything that \
is merely vague or surprising.

For each contradiction, copy the two passages that contradict each other word for word \
from the excerpt (a short sentence or clause each, without the paragraph number), the \
earlier one first, and explain the contradiction in one sentence. List at most \
{max_contradictions}, the clearest first. If there is none, return an empty list: do not \
invent one."""

Category = Literal[
    "characterization",
    "factual_detail",
    "narrative_style",
    "timeline_and_plot",
    "world_building_and_setting",
]

MAX_CONTRADICTIONS_PER_WINDOW = 5
"""Bound on one reply: a judge that finds more lists the clearest."""


class Contradiction(BaseModel):
    """Two passages of the novel that cannot both be true."""

    category: Category = Field(description="What kind of continuity the contradiction breaks.")
    earlier_quote: str = Field(
        description="The earlier passage, copied word for word from the excerpt.",
        min_length=3,
        max_length=300,
    )
    later_quote: str = Field(
        description="The later passage that contradicts it, copied word for word.",
        min_length=3,
        max_length=300,
    )
    explanation: str = Field(
        description="Why the two passages contradict each other, in one sentence.",
        min_length=3,
        max_length=300,
    )


class ContinuityFindings(BaseModel):
    """The reply of the continuity judge for one window."""

    contradictions: list[Contradiction] = Field(
        default_factory=list,
        description="Every contradiction found in the excerpt (empty if none).",
        max_length=MAX_CONTRADICTIONS_PER_WINDOW,
    )
