"""The simulated human of auto mode (``human.txt``): reason, choose, revise."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field


class HumanChoice(BaseModel):
    """The reply of the simulated human: the reason comes first, then the choice."""

    WIRE_FIELD_DESCRIPTIONS: ClassVar[bool] = False
    """``human.txt`` names every field: the tool schema goes without the descriptions below."""

    reason: str = Field(description="Why this plan.", min_length=1, max_length=400)
    # A Literal becomes an enum in the JSON schema, which a grammar can enforce (ge/le cannot).
    chosen_plan: Literal[1, 2, 3] = Field(description="Number of the chosen plan: 1, 2 or 3.")
    revised_plan: str = Field(description="The chosen plan, revised.", min_length=5, max_length=600)
