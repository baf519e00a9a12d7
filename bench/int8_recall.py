"""Figure 3's recall check of int8 quantization on figure 4's novel, indexed.

    python -m bench.int8_recall   # about 3 minutes (MiniLM embeds the 1,000 summaries once)

Figure 4 searches its stores as written, with no graph and no quantized copies. This
stores the same 1,000 paragraphs three times (embedded once): as written, indexed
without quantization, and indexed with the package's int8 quantization, the
optimizer's indexing threshold lowered so that 1,000 paragraphs get a graph and
quantized copies at all, and prints recall@1/3/5 of the default search over
figure 4's indirect and paraphrase plans for each.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import qdrant_edge as edge
from langchain_core.embeddings import Embeddings

from bench.memory_fidelity import MINILM, check_paraphrases, measure, synthetic_novel
from recurrentgpt.embeddings import load_embeddings
from recurrentgpt.memory import LongTermMemory, Passage, edge_store
from recurrentgpt.memory.edge_store import EdgeStore

STORES = (("as written", True, False), ("indexed", False, True), ("indexed, int8", True, True))
"""Name, quantized, indexed."""


class Remembered(Embeddings):
    """``inner``'s vectors, each text embedded once however often it is asked."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.documents: dict[str, list[float]] = {}
        self.queries: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """The texts' vectors (the new ones in one call)."""
        new = [t for t in dict.fromkeys(texts) if t not in self.documents]
        if new:
            vectors = self.inner.embed_documents(new)
            self.documents.update(zip(new, (list(v) for v in vectors), strict=True))
        return [self.documents[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        """The query's vector."""
        if text not in self.queries:
            self.queries[text] = list(self.inner.embed_query(text))
        return self.queries[text]


def _config(quantized: bool, indexed: bool) -> Callable[[int], edge.EdgeConfig]:
    """The package's shard configuration, with or without quantization, indexing 1,000 points."""
    package = edge_store.shard_config

    def config(dims: int) -> edge.EdgeConfig:
        made = package(dims)
        return edge.EdgeConfig(
            vectors=made.vectors,
            sparse_vectors=made.sparse_vectors,
            hnsw_config=made.hnsw_config,
            quantization_config=made.quantization_config if quantized else None,
            max_search_threads=made.max_search_threads,
            optimizers=edge.EdgeOptimizersConfig(indexing_threshold=1) if indexed else None,
        )

    return config


@asynccontextmanager
async def novel_memory(
    embeddings: Embeddings, passages: list[Passage], *, quantized: bool, indexed: bool
) -> AsyncIterator[LongTermMemory]:
    """Figure 4's ``passages`` in a temporary engine store, built as ``_config`` says.

    The package's shard configuration is patched while the store is made and given
    back, and the store's folder removed, when the block ends.
    """
    folder = tempfile.mkdtemp(prefix="novel-recall-")
    package = edge_store.shard_config
    edge_store.shard_config = _config(quantized, indexed)
    store = EdgeStore(folder)
    try:
        memory = LongTermMemory(store, embeddings)
        for first in range(0, len(passages), 250):
            await memory.store_many(passages[first : first + 250])
        if indexed:
            await memory.build_index()
        yield memory
    finally:
        edge_store.shard_config = package
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


async def run() -> dict[str, Any]:
    """Recall rows of the default search for each store."""
    check_paraphrases()
    embeddings = Remembered(load_embeddings(f"local:{MINILM}"))
    passages, planted = synthetic_novel(1000)
    out: dict[str, Any] = {}
    for name, quantized, indexed in STORES:
        async with novel_memory(
            embeddings, passages, quantized=quantized, indexed=indexed
        ) as memory:
            rows = [
                await measure(memory, passages, planted, plans, "plan")
                for plans in ("indirect", "paraphrase")
            ]
            out[name] = {"info": memory.backend.info(), "rows": rows}
            print(name, json.dumps(out[name]), flush=True)
    return out


if __name__ == "__main__":
    asyncio.run(run())
