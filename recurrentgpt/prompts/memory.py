"""The memory updater: rewrite short-term memory and summarise the new paragraph."""

from __future__ import annotations

from pydantic import BaseModel, Field

SYSTEM = """You keep the memory of the {genre} novel "{title}". Write in {language}.
Reply only through the requested structured format."""

USER = """Current short-term memory:
{short_term_memory}

New paragraph:
{paragraph}

1. Rationale: say which sentences of the short-term memory are no longer needed and what from \
the new paragraph must be added.
2. Updated memory: rewrite the short-term memory (at most {max_words} words) so it keeps \
what the next paragraphs need: characters, places, objects, open threads.
3. Summary: summarise the new paragraph in one or two sentences, naming who and what it is \
about.
Write in {language}."""


class MemoryUpdate(BaseModel):
    """The reply of the memory updater."""

    rationale: str = Field(
        description="What to drop from the memory and what to add, and why.",
        min_length=1,
        max_length=800,
    )
    updated_memory: str = Field(
        description="The rewritten short-term memory.", min_length=20, max_length=3000
    )
    paragraph_summary: str = Field(
        description="One or two sentences summarising the new paragraph.",
        min_length=10,
        max_length=400,
    )
