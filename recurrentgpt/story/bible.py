"""The story bible: characters, places, objects and open threads, each with its facts.

The bible is bounded: at most :data:`MAX_ENTRIES` entries of at most
:data:`MAX_FACT_WORDS` words each; past the cap the least recently mentioned
entries are folded away. Only the entries a step names (in its plan, memory,
outline or last paragraph) enter its prompts, at most :data:`MAX_PROMPT_ENTRIES`
of them, so prompts stay the same size however large the bible grows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, get_args

from typing_extensions import TypedDict

from recurrentgpt.text import count_words, truncate_words

Kind = Literal["character", "place", "object", "thread"]
KINDS: tuple[str, ...] = get_args(Kind)

MAX_ENTRIES = 30
"""Entries kept; past it the least recently mentioned are folded away."""

MAX_FACT_WORDS = 40
"""Cap on one entry's facts, in words."""

MAX_NAME_WORDS = 6
"""Cap on one entry's name, in words."""

MAX_PROMPT_ENTRIES = 6
"""Most entries shown in one prompt."""

_SENTENCE = re.compile(r"[^.!?\u3002\uff01\uff1f]+[.!?\u3002\uff01\uff1f]*")


class BibleEntry(TypedDict):
    """One thing the story must keep consistent."""

    name: str
    """How the story names it, e.g. 'Arlo' or 'the brass key'."""
    kind: Kind
    """character, place, object or thread (an open question of the plot)."""
    facts: str
    """What is true about it so far, capped in words."""
    last_step: int
    """Step at which it was last added to, changed or mentioned (its relevance)."""


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if count_words(s)]


def merge_facts(old: str, new: str) -> str:
    """``old`` facts with the sentences of ``new`` that are not yet in it, capped.

    Past the cap the oldest facts go, except the first sentence (what the entry
    is). Merging a fact already present changes nothing, so applying the same
    change twice gives the same bible.
    """
    sentences = _sentences(old)
    known = {_key(s) for s in sentences}
    sentences += [s for s in _sentences(new) if _key(s) not in known]
    while len(sentences) > 2 and count_words(" ".join(sentences)) > MAX_FACT_WORDS:
        del sentences[1]
    return truncate_words(" ".join(sentences), MAX_FACT_WORDS)


def make_entry(name: str, kind: str, facts: str, step: int) -> BibleEntry:
    """A bounded entry; an unknown kind counts as a thread.

    Raises:
        ValueError: when the name or the facts are empty.
    """
    clean_name = truncate_words(" ".join(name.split()), MAX_NAME_WORDS).strip(" .")
    if not clean_name:
        raise ValueError("a bible entry needs a name")
    clean_facts = merge_facts("", facts)
    if not clean_facts:
        raise ValueError(f"the bible entry {clean_name!r} has no facts")
    return BibleEntry(
        name=clean_name,
        kind=kind if kind in KINDS else "thread",  # type: ignore[typeddict-item]
        facts=clean_facts,
        last_step=step,
    )


def apply_change(bible: list[BibleEntry], entry: BibleEntry) -> list[BibleEntry]:
    """The bible with ``entry`` added, or its facts merged into the entry of that name.

    Pure: ``bible`` is not modified. Folded to the cap afterwards.
    """
    updated = list(bible)
    for index, existing in enumerate(updated):
        if _key(existing["name"]) == _key(entry["name"]):
            updated[index] = BibleEntry(
                name=existing["name"],
                kind=existing["kind"],
                facts=merge_facts(existing["facts"], entry["facts"]),
                last_step=max(existing["last_step"], entry["last_step"]),
            )
            return fold(updated)
    return fold([*updated, entry])


def fold(bible: list[BibleEntry], max_entries: int = MAX_ENTRIES) -> list[BibleEntry]:
    """The bible cut to ``max_entries``: the least recently mentioned entries go first.

    The order of the entries that stay is kept.
    """
    if len(bible) <= max_entries:
        return list(bible)
    ranked = sorted(range(len(bible)), key=lambda i: (bible[i]["last_step"], i), reverse=True)
    kept = set(ranked[:max_entries])
    return [entry for i, entry in enumerate(bible) if i in kept]


def _named_in(entry: BibleEntry, text: str) -> bool:
    """Whether ``text`` names the entry (its full name, or the first word of a longer name)."""
    name = _key(entry["name"])
    names = {name}
    first = name.split()[0] if name.split() else ""
    if len(first) >= 4 and first not in {"the", "a", "an"}:
        names.add(first)
    return any(re.search(rf"(?<!\w){re.escape(candidate)}(?!\w)", text) for candidate in names) or (
        bool(name) and not name.isascii() and name in text
    )


def select_relevant(
    bible: list[BibleEntry], texts: Iterable[str], limit: int = MAX_PROMPT_ENTRIES
) -> list[BibleEntry]:
    """The entries named in ``texts``: the ``limit`` most recently mentioned, in bible order.

    The order is the bible's own (the order entries were added), not recency: the
    same selection renders the same text at every step, so it stays part of the
    prompt start a prompt cache serves across steps (a mention changes recency
    at every step).
    """
    haystack = _key(" ".join(texts))
    named = [index for index, entry in enumerate(bible) if _named_in(entry, haystack)]
    recent = sorted(named, key=lambda index: bible[index]["last_step"], reverse=True)[:limit]
    return [bible[index] for index in sorted(recent)]


def touch(bible: list[BibleEntry], text: str, step: int) -> list[BibleEntry]:
    """The bible with every entry that ``text`` names marked as mentioned at ``step``."""
    haystack = _key(text)
    return [
        BibleEntry(**{**entry, "last_step": max(entry["last_step"], step)})
        if _named_in(entry, haystack)
        else entry
        for entry in bible
    ]


def render(entries: list[BibleEntry]) -> str:
    """The entries as prompt lines: '- name (kind): facts'."""
    return "\n".join(f"- {e['name']} ({e['kind']}): {e['facts']}" for e in entries)
