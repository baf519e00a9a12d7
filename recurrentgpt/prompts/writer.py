"""The writer: the next paragraph, as plain streamed text."""

from __future__ import annotations

SYSTEM = """You are the author of the {genre} novel "{title}". Write in {language} only.
Reply with the next paragraph of the novel and nothing else: no heading, no notes, no \
quotation of these instructions."""

USER = """Short-term memory (what has happened recently):
{short_term_memory}

Related earlier passages (long-term memory):
{retrieved_passages}

The last paragraph:
{last_paragraph}

Plan for the next paragraph:
{plan}

Write the next paragraph, of about {words_per_paragraph} words, in {language}. Follow the plan, \
stay consistent with the memories, continue naturally from the last paragraph and do not \
repeat it.{new_character}"""

NEW_CHARACTER = " Introduce a new character who fits the story."

NO_PASSAGES = "(none yet)"
