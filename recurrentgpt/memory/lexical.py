"""Lexical side of long-term memory: entity names and BM25 sparse vectors, computed locally.

Dense embeddings blur names: "Velimir Straka" and "Anselm Vogt" land close to
every other stranger. A sparse BM25 vector keeps the exact words, so a plan
that names a person, place or object finds the paragraph that introduced it.
The encoder is qdrant-edge's ``Bm25`` (stemming and stop words for ~30
languages, a multilingual tokenizer for Chinese and Japanese; no model
download). Documents get term-frequency weights; the inverse document
frequency is applied by Qdrant at search time (the sparse vector's IDF
modifier), so it stays right as the store grows.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import qdrant_edge

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_NAME = re.compile(r"\b[A-Z][\w'\u2019-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w'\u2019-]*)*")
_POSSESSIVE = re.compile(r"['\u2019]s$")
_FUNCTION_WORDS = (
    "a an the and but or so yet for nor if then when while after before as at by in on "
    "into onto from to of with without he she it they we you i his her its their our "
    "your my me him them us this that these those there here what who whom whose which "
    "where why how all some no not one each every nobody somebody someone nothing "
    "something everyone everything it was chapter"
)
_NOT_NAMES = frozenset(_FUNCTION_WORDS.split(" "))
MAX_ENTITIES = 24
"""Names kept per paragraph: enough for any scene, bounded whatever the text."""


@dataclass(frozen=True)
class SparseVector:
    """A sparse vector: token ids and their weights."""

    indices: list[int]
    values: list[float]


def entity_names(text: str) -> list[str]:
    """Names of people, places and objects in ``text``, in order of first appearance.

    A cheap heuristic for scripts with capital letters: runs of capitalised
    words ("Velimir Straka", "Saint Orm", "the Widow's Tooth"), without the
    function words that start sentences. Chinese and Japanese have no capitals:
    there the BM25 multilingual tokenizer already splits the text into words,
    so names are matched through the paragraph text itself and this returns
    nothing.
    """
    found: dict[str, None] = {}
    for match in _NAME.finditer(text):
        words = [w for w in match.group(0).split() if w.lower() not in _NOT_NAMES]
        name = _POSSESSIVE.sub("", " ".join(words)).strip("'\u2019-")
        if name and name.lower() not in _NOT_NAMES:
            found.setdefault(name, None)
        if len(found) >= MAX_ENTITIES:
            break
    return list(found)


class SparseEncoder:
    """BM25 sparse vectors for documents and queries (thread-safe, no download)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latin = qdrant_edge.Bm25(qdrant_edge.Bm25Config(language="english"))
        self._cjk = qdrant_edge.Bm25(
            qdrant_edge.Bm25Config(tokenizer=qdrant_edge.TokenizerType.Multilingual)
        )

    def _model(self, text: str) -> qdrant_edge.Bm25:
        # English stemming and stop words for alphabetic text; the multilingual
        # tokenizer (which segments Chinese and Japanese into words) otherwise.
        return self._cjk if _CJK.search(text) else self._latin

    def document(self, text: str) -> SparseVector:
        """The stored sparse vector of ``text`` (term frequencies, BM25-saturated)."""
        with self._lock:
            vector = self._model(text).embed_document(text)
        return SparseVector(list(vector.indices), list(vector.values))

    def query(self, text: str) -> SparseVector:
        """The query sparse vector of ``text`` (each distinct term weighs 1)."""
        with self._lock:
            vector = self._model(text).embed_query(text)
        return SparseVector(list(vector.indices), list(vector.values))


def document_text(text: str, summary: str, entities: list[str] | tuple[str, ...]) -> str:
    """What a paragraph is stored under lexically: its text, its summary and its names.

    The names are repeated once on purpose: a name is the word a later plan is
    most likely to share with the paragraph that introduced it.
    """
    return "\n".join(part for part in (text, summary, " ".join(entities)) if part)
