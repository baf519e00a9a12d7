"""The simulated human of auto mode (``human.txt``): reason, choose, revise."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HumanChoice(BaseModel):
    """The reply of the simulated human: the reason comes first, then the choice."""

    reason: str = Field(description="Why, in one sentence.", min_length=1, max_length=400)
    # A Literal becomes an enum in the JSON schema, which a grammar can enforce (ge/le cannot).
    chosen_plan: Literal[1, 2, 3] = Field(description="The plan's number.")
    revised_plan: str = Field(description="The chosen plan, revised.", min_length=5, max_length=600)
