"""How common each BM25 term is in a store, estimated from a bounded sample of its paragraphs.

A BM25 search reads the posting list of every term of its query: the paragraphs
that hold the term. Its cost is the sum of those lists, and a term that many
paragraphs hold adds the most cost and, through its low inverse document
frequency, the least ranking. The engines do not expose a term's document
frequency, so long-term memory keeps this estimate and builds each query from
the rarest terms of the plan (:meth:`~recurrentgpt.memory.lexical.SparseEncoder.query`).

The sample is a bounded set of paragraphs' term sets (:data:`SAMPLE_SIZE`), so it
costs the same whatever the store holds. It is seeded once per process from the
store's first points (ids are hashes of novel, branch and position, so the first
points are a spread of every novel), then kept by reservoir sampling over every
paragraph this process writes. It is an estimate only: what it gets wrong changes
which terms a query sends (and so its cost and ranking), never what a search may
see, which the lineage filter alone decides.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterable, Iterator

from recurrentgpt.memory.store import StoredPoint

SAMPLE_SIZE = 2048
"""Paragraphs whose terms are counted: a term in 1 % of a store shows in ~20 of them.

Seeding reads this many points once per process (0.26 s at 100,000 paragraphs here);
the counts take ~150 bytes a paragraph."""


class TermSample:
    """Document frequencies of BM25 term ids over a bounded sample of paragraphs (thread-safe)."""

    def __init__(self, size: int = SAMPLE_SIZE, *, seed: int = 0) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self.size = size
        self._documents: list[frozenset[int]] = []
        self._counts: Counter[int] = Counter()
        self._seen = 0
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.seeded = False
        """True once :meth:`seed` has read the store (whatever it held)."""

    def __len__(self) -> int:
        return len(self._documents)

    def seed(self, pages: Iterator[list[StoredPoint]]) -> None:
        """Count the terms of the first :attr:`size` points of ``pages``, once.

        Later calls do nothing, so every search and write may call it. Points
        without a sparse vector (a dense-only legacy store) are read and not
        counted: at most :attr:`size` points are read whatever the store holds.
        """
        if self.seeded:  # every search and write asks: no lock once seeded
            return
        with self._lock:
            if self.seeded:
                return
            read = 0
            for page in pages:
                for point in page[: self.size - read]:
                    if point.sparse is not None:
                        self._add(point.sparse.indices)
                read += len(page)
                if read >= self.size:
                    break
            self.seeded = True

    def add(self, documents: Iterable[Iterable[int]]) -> None:
        """Count newly written paragraphs (each given by its term ids), keeping the bound.

        Once full, the sample is a reservoir: the n-th paragraph seen replaces a
        random one with probability ``size / n``, so it stays a uniform sample
        of what was seen.
        """
        with self._lock:
            for terms in documents:
                self._add(terms)

    def _add(self, terms: Iterable[int]) -> None:
        self._seen += 1
        document = frozenset(terms)
        if len(self._documents) < self.size:
            self._documents.append(document)
            self._counts.update(document)
            return
        slot = self._random.randrange(self._seen)
        if slot < self.size:
            self._counts.subtract(self._documents[slot])
            self._documents[slot] = document
            self._counts.update(document)

    def frequency(self, term: int) -> float:
        """The share of sampled paragraphs holding ``term`` (0.0 when nothing is sampled)."""
        documents = len(self._documents)
        return self._counts[term] / documents if documents else 0.0
