"""Short-term memory as numbered sentences, edited by dropping some and adding a summary.

The paper's memory-stability rule is "keep the memory as it was except what you
delete or add". With ``Context.memory_update="edits"`` the rule holds by
construction: the memory updater names the numbers of the sentences to drop,
the new paragraph's summary is added at the end, and nothing else changes. The
model generates a few numbers instead of the whole memory (about 100 tokens
fewer a step with the bundled model), and a small model cannot garble what it
keeps. The memory stays plain text in the state; the numbers exist only in the
prompts.
"""

from __future__ import annotations

from collections.abc import Iterable

from recurrentgpt.text import count_words, sentences, truncate_words


def numbered(memory: str) -> str:
    """The memory as the prompts show it when it is edited: one numbered sentence a line."""
    return "\n".join(f"({i}) {sentence}" for i, sentence in enumerate(sentences(memory), 1))


def apply_edits(memory: str, dropped: Iterable[int], added: str, max_words: int) -> str:
    """``memory`` without its ``dropped`` sentences (1-based), with ``added`` at the end.

    Numbers that name no sentence are ignored. While the result is over
    ``max_words``, its oldest sentences go first; what is left is capped in words.
    A pure function: a re-run after a crash gives the same memory.
    """
    drop = set(dropped)
    kept = [s for i, s in enumerate(sentences(memory), 1) if i not in drop]
    # A lone list number ("2.") from a small model's summary is not a sentence.
    kept += [sentence for sentence in sentences(added) if count_words(sentence) >= 2]
    while len(kept) > 1 and count_words(" ".join(kept)) > max_words:
        kept.pop(0)
    return truncate_words(" ".join(kept), max_words)
