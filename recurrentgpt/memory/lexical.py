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
MAX_QUERY_TERMS = 10
"""Distinct terms a BM25 query keeps (see :meth:`SparseEncoder.query`).

The sparse search's cost grows with the query's terms (about 0.1 ms a term at
100,000 paragraphs, BENCHMARKS.md figure 3); a plan of 300 characters has ~28.
The names and the rarest-looking words carry the match, so the rest is cut. Fewer
were measured and not kept: 6 or 4 terms saved 6-10 % or 11-14 % of a default search's
CPU at 100,000 paragraphs (figure 3), under the 15 % a change had to earn; 4 cost
MiniLM two of 18 indirect plans (``python -m bench.candidates_recall``)."""
_WORD = re.compile(r"[\w'\u2019-]+")


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

    def query(self, text: str, max_terms: int | None = MAX_QUERY_TERMS) -> SparseVector:
        """The query sparse vector of ``text`` (each distinct term weighs 1).

        At most ``max_terms`` distinct terms are kept (None keeps all): first
        the words of the names in ``text`` (people, places and objects, the
        words a plan most surely shares with the paragraph that set them up),
        then the other words longest first, a stand-in for the rarest: the
        encoder does not expose document frequencies, which Qdrant applies at
        search time. Text without spaces between words (Chinese, Japanese) is
        not capped: picking its words needs the multilingual tokenizer's split.
        """
        if max_terms is not None and max_terms < 1:
            raise ValueError(f"max_terms must be at least 1 or None, got {max_terms}")
        model = self._model(text)
        with self._lock:
            vector = model.embed_query(text)
            if max_terms is None or len(vector.indices) <= max_terms or _CJK.search(text):
                return SparseVector(list(vector.indices), list(vector.values))
            kept: dict[int, float] = {}
            for word in _ranked_words(text):
                for index in model.embed_query(word).indices:
                    kept.setdefault(int(index), 1.0)
                if len(kept) >= max_terms:
                    break
        indices = list(kept)[:max_terms]
        return SparseVector(indices, [1.0] * len(indices))


def _ranked_words(text: str) -> list[str]:
    """The distinct words of ``text``: those of its names first, then the rest longest first."""
    named = [word for name in entity_names(text) for word in name.split()]
    rest = sorted(_WORD.findall(text), key=len, reverse=True)  # stable: ties keep text order
    return list(dict.fromkeys(word.lower() for word in (*named, *rest)))


def document_text(text: str, summary: str, entities: list[str] | tuple[str, ...]) -> str:
    """What a paragraph is stored under lexically: its text, its summary and its names.

    The names are repeated once on purpose: a name is the word a later plan is
    most likely to share with the paragraph that introduced it.
    """
    return "\n".join(part for part in (text, summary, " ".join(entities)) if part)
