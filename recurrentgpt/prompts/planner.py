"""The planner (``planner.txt``): three different plans for the next paragraph."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator


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
