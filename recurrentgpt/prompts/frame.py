"""Fill-in texts of the shared frame (``frame.txt``): where the story stands.

The progress line is what steers the novel's pace: a chapter's first paragraph
opens it, the last chapter heads for the resolution, the last paragraphs
before the target wind the story down and the final one ends it.
"""

from __future__ import annotations

CHAPTER_PARAGRAPH = "paragraph {number} of about {total} in this chapter."
OPEN_ENDED = " The novel has no planned end: keep the story open."
LAST_CHAPTER = " This is the last chapter: lead every thread toward the resolution."
ENDING_NEAR = (
    " The novel ends in {left} paragraphs: bring the story to its resolution, open no new threads."
)
FINAL_PARAGRAPH = (
    " The next paragraph is the last of the novel: it ends the story, resolving what is still open."
)
NOT_YET = "(none yet)"
"""Stands for an empty part of the frame (no bible entries, no outline yet)."""
