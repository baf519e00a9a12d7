"""The writer (``writer.txt``): the next paragraph, as plain streamed text (no schema)."""

from __future__ import annotations

NEW_CHARACTER = " Introduce a new character who fits the story."

NO_PASSAGES = "(none yet)"

PLAN_ENTRIES = "\nStory bible entries the plan names:\n{entries}\n"
"""Bible entries named only by the plan (the frame already shows the others)."""
