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
from collections.abc import Callable
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
"""Distinct terms a BM25 query keeps at most (see :meth:`SparseEncoder.query`).

The sparse search's cost grows with the postings its terms read (each term's
paragraphs); a plan of 300 characters has ~28 terms. The rarest carry the match, so
the rest is cut: by the store's sampled frequencies and :data:`MAX_QUERY_POSTINGS`
where long-term memory has them, else names first, then the longest words. With the
second ranking fewer were measured and not kept: 6 or 4 terms saved 6-10 % or 11-14 %
of a default search's CPU at 100,000 paragraphs (figure 3) and 4 cost MiniLM two of
18 indirect plans (``python -m bench.candidates_recall``)."""
MAX_QUERY_POSTINGS = 1.5
"""How many postings per stored paragraph a BM25 query may read, summed over its terms.

Given a term's share of the store's paragraphs (see :meth:`SparseEncoder.query`),
the query keeps its rarest terms until their shares add up to this: on figure 3's
100,000 paragraphs (a 148-word vocabulary: each word sits in a quarter of them or
more) that is about 5 terms; where most words are rare, as in a real novel's
vocabulary, the budget cuts first the words most paragraphs hold (the protagonist's
name, the commonest verbs), which cost a search the most and rank the least. At 1.0
or 3.0 figure 4's recall was the same (``python -m bench.candidates_recall``)."""
WORD_CACHE_SIZE = 50_000
"""Words whose term ids are remembered (the cache is emptied when full)."""
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
        self._words: dict[tuple[int, str], tuple[int, ...]] = {}

    def _model(self, text: str) -> qdrant_edge.Bm25:
        # English stemming and stop words for alphabetic text; the multilingual
        # tokenizer (which segments Chinese and Japanese into words) otherwise.
        return self._cjk if _CJK.search(text) else self._latin

    def document(self, text: str) -> SparseVector:
        """The stored sparse vector of ``text`` (term frequencies, BM25-saturated)."""
        with self._lock:
            vector = self._model(text).embed_document(text)
        return SparseVector(list(vector.indices), list(vector.values))

    def query(
        self,
        text: str,
        max_terms: int | None = MAX_QUERY_TERMS,
        frequency: Callable[[int], float] | None = None,
        max_postings: float = MAX_QUERY_POSTINGS,
    ) -> SparseVector:
        """The query sparse vector of ``text`` (each distinct term weighs 1).

        At most ``max_terms`` distinct terms are kept (None keeps all). Without
        ``frequency`` they are first the words of the names in ``text`` (people,
        places and objects, the words a plan most surely shares with the paragraph
        that set them up), then the other words longest first, a stand-in for the
        rarest. With ``frequency`` (a term id's share of the store's paragraphs,
        :class:`~recurrentgpt.memory.term_sample.TermSample`) the rarest terms come
        first (names, then length, among equals), and terms are added only while
        their shares sum to at most ``max_postings`` (the rarest term is always
        kept): a search then reads at most about ``max_postings`` postings per
        stored paragraph, whatever words the plan uses. Text without spaces
        between words (Chinese, Japanese) is not capped: picking its words needs
        the multilingual tokenizer's split.
        """
        if max_terms is not None and max_terms < 1:
            raise ValueError(f"max_terms must be at least 1 or None, got {max_terms}")
        model = self._model(text)
        with self._lock:
            vector = model.embed_query(text)
        if _CJK.search(text) or (
            frequency is None and (max_terms is None or len(vector.indices) <= max_terms)
        ):
            return SparseVector(list(vector.indices), list(vector.values))
        ranked: dict[int, None] = {}
        for word in _ranked_words(text):
            for index in self._word_terms(model, word):
                ranked.setdefault(index, None)
            if frequency is None and max_terms is not None and len(ranked) >= max_terms:
                break
        order = list(ranked)
        if frequency is None:
            indices = order[:max_terms]
        else:
            shares = {index: frequency(index) for index in order}
            indices = []
            postings = 0.0
            for index in sorted(order, key=shares.__getitem__):  # stable: equals keep rank
                share = shares[index]
                if indices and (
                    postings + share > max_postings
                    or (max_terms is not None and len(indices) >= max_terms)
                ):
                    break
                indices.append(index)
                postings += share
        return SparseVector(indices, [1.0] * len(indices))

    def _word_terms(self, model: qdrant_edge.Bm25, word: str) -> tuple[int, ...]:
        """The term ids of one word (remembered: a novel's plans reuse their words)."""
        key = (id(model), word)
        terms = self._words.get(key)
        if terms is None:
            with self._lock:
                terms = tuple(int(i) for i in model.embed_query(word).indices)
            if len(self._words) >= WORD_CACHE_SIZE:
                self._words.clear()
            self._words[key] = terms
        return terms


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
