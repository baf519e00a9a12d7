"""Interactive fiction's own schemas: the reader's actions, the simulated reader's choice.

``fiction_planner.txt`` asks for :class:`ReaderActions` and ``fiction_human.txt``
for :class:`ReaderChoice`. Those and the other fiction templates
(``fiction_system.txt``, ``fiction_frame.txt``, ``fiction_start.txt``,
``fiction_opening_plan.txt``, ``fiction_writer.txt``) take the place of the
novel's templates of the same role for a story in the fiction form, with the
same fields; see ``templates.py``.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from recurrentgpt.story.fiction import OFFERED_ACTION_CHARS

ACTIONS_GO_ON = ""
"""The actions' note while the end is not near: any three different actions."""

ACTIONS_NEAR_END = (
    " The story ends in {left} scenes: let the actions lead toward different endings."
)

ACTIONS_LAST = (
    " The next scene is the last of the story: each action leads to a different ending. "
    "Action 1 leads to a {first} ending, action 2 to a {second} ending, action 3 to a "
    "{third} ending."
)
"""The actions' note before the last scene; the kinds come from the genre
(:func:`recurrentgpt.story.fiction.ending_kinds`)."""

NEXT_SCENE = "\nDo not decide your next move: end the scene at a moment where you must choose."
"""Added to the reader's action for every scene but the last."""

ENDING_SCENE = "\nThis scene ends the story: write its {kind} ending, and end it there."
"""Added to the reader's action for the last scene, so the writer writes that ending."""

OWN_ENDING_SCENE = "\nThis scene ends the story: write the ending this action leads to."
"""Added to the reader's own action (not one offered) for the last scene."""


class ReaderActions(BaseModel):
    """The reply of the planner in the fiction form: three things the reader could do."""

    action_1: str = Field(
        description="First thing you could do next: one short sentence, second person.",
        min_length=5,
        max_length=OFFERED_ACTION_CHARS,
    )
    action_2: str = Field(
        description="Second, different thing you could do.",
        min_length=5,
        max_length=OFFERED_ACTION_CHARS,
    )
    action_3: str = Field(
        description="Third, different thing you could do.",
        min_length=5,
        max_length=OFFERED_ACTION_CHARS,
    )

    @model_validator(mode="after")
    def _actions_differ(self) -> Self:
        if len({" ".join(a.lower().split()) for a in self.actions}) < 3:
            raise ValueError("the three actions must be different")
        return self

    @property
    def actions(self) -> list[str]:
        """The three actions, in order."""
        return [self.action_1, self.action_2, self.action_3]


class ReaderChoice(BaseModel):
    """The reply of the simulated reader: the reason first, then the action taken.

    The reader takes an action as offered (no revision), so the kind of ending
    each last action leads to is the kind the story reaches.
    """

    reason: str = Field(description="Why you would do this.", min_length=1, max_length=200)
    # A Literal becomes an enum in the JSON schema, which a grammar can enforce.
    chosen_action: Literal[1, 2, 3] = Field(description="Number of the action: 1, 2 or 3.")
