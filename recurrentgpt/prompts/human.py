"""The simulated human of auto mode: pick the most promising plan and improve it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SYSTEM = """You are an editor co-writing the {genre} novel "{title}" with an AI. Write in \
{language}. Reply only through the requested structured format."""

USER = """Short-term memory:
{short_term_memory}

The last paragraph:
{paragraph}

Three plans for the next paragraph:
1. {plan_1}
2. {plan_2}
3. {plan_3}

Choose the plan that makes the most interesting and coherent continuation, then write a \
revised version of it (a few sentences in {language}) that fixes anything inconsistent."""


class HumanChoice(BaseModel):
    """The reply of the simulated human."""

    # A Literal becomes an enum in the JSON schema, which a grammar can enforce (ge/le cannot).
    chosen_plan: Literal[1, 2, 3] = Field(description="Number of the chosen plan: 1, 2 or 3.")
    reason: str = Field(description="Why this plan.", min_length=1, max_length=400)
    revised_plan: str = Field(description="The chosen plan, revised.", min_length=5, max_length=600)
