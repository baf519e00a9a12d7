"""The simulated human of auto mode (``human.txt``): reason, choose, revise."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema


class HumanChoice(BaseModel):
    """The reply of the simulated human: the reason comes first, then the choice."""

    WIRE_FIELD_DESCRIPTIONS: ClassVar[bool] = False
    """``human.txt`` names every field: the tool schema goes without the descriptions below."""

    reason: str = Field(description="Why this plan.", min_length=1, max_length=400)
    # A Literal becomes an enum in the JSON schema, which a grammar can enforce (ge/le cannot).
    chosen_plan: Literal[1, 2, 3] = Field(description="Number of the chosen plan: 1, 2 or 3.")
    revised_plan: str = Field(description="The chosen plan, revised.", min_length=5, max_length=600)


class HumanChoiceWithoutRevision(HumanChoice):
    """The reply of a simulated human that chooses without revising (``human_revises``)."""

    WIRE_NAME: ClassVar[str] = "HumanChoice"
    """Sent under the same tool name: the same role, asked for one field fewer."""

    revised_plan: SkipJsonSchema[str] = Field(default="", max_length=600)
    """Left out of the tool schema: a model generates every field a schema offers."""


REVISE_TASK = (
    ", and revise it in one or two sentences in {language}, fixing anything that breaks the "
    "outline, the bible or the memory."
)
"""The human template's ``$revise_task`` when the simulated human revises its choice;
a period otherwise."""
