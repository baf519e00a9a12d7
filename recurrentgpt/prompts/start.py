"""The opening: title, outline, first paragraphs, first memory and first plans."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator

SYSTEM = """You are a novelist starting a new {genre} novel. Write everything in {language}.
Reply only through the requested structured format."""

USER = """Start a {genre} novel about: {premise}

Give:
- a title;
- an outline of the first chapter (a few sentences);
- the first three paragraphs of the novel (about {words_per_paragraph} words each), vivid and \
concrete, in {language};
- a summary of those paragraphs (the story so far, the characters, where things stand);
- three different plans for what the next paragraph could do (a few sentences each).
Write all of it in {language}."""


class Opening(BaseModel):
    """The reply of the opening call."""

    title: str = Field(description="Title of the novel.", min_length=1, max_length=120)
    outline: str = Field(description="Outline of the first chapter.", min_length=1, max_length=1200)
    paragraph_1: str = Field(
        description="First paragraph of the novel.", min_length=1, max_length=2400
    )
    paragraph_2: str = Field(
        description="Second paragraph of the novel.", min_length=1, max_length=2400
    )
    paragraph_3: str = Field(
        description="Third paragraph of the novel.", min_length=1, max_length=2400
    )
    summary: str = Field(
        description="Summary of the story so far: characters, places, open threads.",
        min_length=1,
        max_length=2400,
    )
    plan_1: str = Field(
        description="First plan for the next paragraph.", min_length=1, max_length=600
    )
    plan_2: str = Field(description="Second, different plan.", min_length=1, max_length=600)
    plan_3: str = Field(description="Third, different plan.", min_length=1, max_length=600)

    @model_validator(mode="after")
    def _plans_differ(self) -> Self:
        if len({" ".join(p.lower().split()) for p in self.plans}) < 3:
            raise ValueError("the three plans must be different")
        return self

    @property
    def paragraphs(self) -> list[str]:
        """The opening paragraphs, in order."""
        return [self.paragraph_1, self.paragraph_2, self.paragraph_3]

    @property
    def plans(self) -> list[str]:
        """The three plans, in order."""
        return [self.plan_1, self.plan_2, self.plan_3]
