"""The planner (``planner.txt``): three different plans for the next paragraph."""

from __future__ import annotations

from typing import ClassVar, Literal, Self, cast

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict


class Plans(BaseModel):
    """The reply of the planner."""

    plan_1: str = Field(
        description="First plan for the next paragraph.", min_length=5, max_length=600
    )
    plan_2: str = Field(description="Second, different plan.", min_length=5, max_length=600)
    plan_3: str = Field(description="Third, different plan.", min_length=5, max_length=600)

    @model_validator(mode="after")
    def _plans_differ(self) -> Self:
        if len({" ".join(p.lower().split()) for p in self.plans}) < 3:
            raise ValueError("the three plans must be different")
        return self

    @property
    def plans(self) -> list[str]:
        """The three plans, in order."""
        return [self.plan_1, self.plan_2, self.plan_3]


SPACED_MIN_PLAN_CHARACTERS = 24
"""The shortest plan the tool schema allows in a language that spaces its words: about
the five words a plan needs (``story.replies.MIN_PLAN_WORDS``)."""


def _plans_of_five_words(schema: JsonDict) -> None:
    properties = cast("dict[str, JsonDict]", schema["properties"])
    for name in ("plan_1", "plan_2", "plan_3"):
        properties[name]["minLength"] = SPACED_MIN_PLAN_CHARACTERS


# Only the tool schema differs from Plans: it asks for at least
# SPACED_MIN_PLAN_CHARACTERS a plan, which a local model's grammar enforces, so the bundled
# model cannot stop at a three-word title (its commonest unusable plan, "The Lost One",
# attempt after attempt). Replies are still checked as Plans checks them, and by
# story.replies.plan_problem. The docstring is the tool's description on the wire: short.
class SpacedPlans(Plans):
    """The reply of the planner."""

    model_config = ConfigDict(json_schema_extra=_plans_of_five_words)

    WIRE_NAME: ClassVar[str] = "Plans"
    """Sent under the same tool name: the same role."""


CHOICE_TASK = (
    " Then, as the novel's editor, give your reason in one short sentence and choose the plan "
    "that best continues the last paragraph."
)
"""The planner template's ``$choice_task`` when its call also makes the simulated human's
choice (:func:`~recurrentgpt.nodes.planner.chooses_for_simulated_human`); empty otherwise."""


class PlansAndChoice(Plans):
    """The reply of the planner, with the simulated human's choice among its plans."""

    reason: str = Field(
        description="Why the chosen plan, in one short sentence.", min_length=1, max_length=300
    )
    # A Literal becomes an enum in the JSON schema, which a grammar can enforce.
    chosen_plan: Literal[1, 2, 3] = Field(description="Number of the chosen plan: 1, 2 or 3.")


class SpacedPlansAndChoice(PlansAndChoice):
    """The reply of the planner, with the simulated human's choice among its plans."""

    model_config = ConfigDict(json_schema_extra=_plans_of_five_words)

    WIRE_NAME: ClassVar[str] = "PlansAndChoice"
    """Sent under the same tool name: the same role."""


SHORT_PLAN_CHARACTERS = 240
"""The longest plan a small model's tool schema allows (compact prompts): two sentences.
It ran on to 300-600 characters of plans that retell the last paragraph, about 1 s of
decoding a step on a CPU; a plan its grammar cuts loses its unfinished sentence."""
SHORT_REASON_CHARACTERS = 120
"""The longest reason a small model's tool schema allows for its choice: one sentence."""


def _short_plans_of_five_words(schema: JsonDict) -> None:
    _plans_of_five_words(schema)
    properties = cast("dict[str, JsonDict]", schema["properties"])
    for name in ("plan_1", "plan_2", "plan_3"):
        properties[name]["maxLength"] = SHORT_PLAN_CHARACTERS
    if "reason" in properties:
        properties["reason"]["maxLength"] = SHORT_REASON_CHARACTERS


# Only the tool schema differs, as for SpacedPlans: a local model's grammar enforces the caps.
class ShortSpacedPlans(SpacedPlans):
    """The reply of the planner."""

    model_config = ConfigDict(json_schema_extra=_short_plans_of_five_words)


class ShortSpacedPlansAndChoice(SpacedPlansAndChoice):
    """The reply of the planner, with the simulated human's choice among its plans."""

    model_config = ConfigDict(json_schema_extra=_short_plans_of_five_words)


def planner_schema(*, spaced: bool, choose: bool, short: bool) -> type[Plans]:
    """The planner's reply schema.

    Its plans are at least five words long in a language that spaces its words
    (``spaced``), come with the simulated human's choice (``choose``) and are capped
    for a small model (``short``).
    """
    if not spaced:
        return PlansAndChoice if choose else Plans
    if short:
        return ShortSpacedPlansAndChoice if choose else ShortSpacedPlans
    return SpacedPlansAndChoice if choose else SpacedPlans
