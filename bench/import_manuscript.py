"""Importing a 100,000-word manuscript with the default offline models: time and model calls.

A synthetic manuscript (``bench.synthetic``: a recurring cast, places and
objects, seeded, no download) of about 100,000 words in chapters is written to
a Markdown file, read back with ``recurrentgpt.books.read_book_file`` and
handed to the package's real graph as its ``manuscript`` input, with what
``DefaultServices`` builds from a default ``Context``: the bundled local model
(SmolLM2 on llama.cpp), the default embedder (all-MiniLM-L6-v2) and the
embedded Qdrant store, checkpoints in SQLite. The run ends at the first pause
(three plans), as an import does.

Measured: wall time of reading the file, of storing the paragraphs (from the
first to the last progress event), of the rest (memory updater, chapter plan,
plans), model calls per node (LangChain callbacks: every attempt counts, retries
included), texts embedded, and the process's peak RSS.

    python -m bench.import_manuscript                  # 100,000 words
    python -m bench.import_manuscript --words 20000    # smaller
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import tempfile
import time
from collections import Counter
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler

from bench import synthetic
from recurrentgpt import build_graph
from recurrentgpt.books import read_book_file
from recurrentgpt.context import Context
from recurrentgpt.memory import close_stores
from recurrentgpt.nodes.importer import IMPORT_PROGRESS
from recurrentgpt.persistence import checkpoint_location, open_checkpointer
from recurrentgpt.services import DefaultServices

WORDS = 100_000
PARAGRAPH_WORDS = 150
"""Mean paragraph length of the synthetic manuscript."""
CHAPTER_PARAGRAPHS = 24
"""Paragraphs per chapter of the synthetic manuscript."""
RESULT = os.path.join(os.path.dirname(__file__), "results", "import_manuscript.json")


def write_manuscript(path: str, words: int, seed: int = 13) -> None:
    """A Markdown manuscript of about ``words`` words: a title, a premise, chapters."""
    rng = random.Random(seed)
    lines = ["# The Harbour Ledger", "", "*A harbour town keeps a ledger of its debts.*", ""]
    written = 0
    chapter = 0
    while written < words:
        chapter += 1
        place = rng.choice(synthetic.PLACES).removeprefix("the ")
        lines += [f"## Chapter {chapter}: The {place.title()}", ""]
        for _ in range(CHAPTER_PARAGRAPHS):
            text = synthetic.paragraph(rng, PARAGRAPH_WORDS)
            written += len(text.split())
            lines += [text, ""]
            if written >= words:
                break
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


class ModelCalls(AsyncCallbackHandler):
    """Counts chat model calls per graph node (every attempt)."""

    def __init__(self) -> None:
        self.by_node: Counter[str] = Counter()

    async def on_chat_model_start(
        self, serialized: dict[str, Any], messages: Any, **kwargs: Any
    ) -> None:
        """Count one call of the node that made it."""
        metadata = kwargs.get("metadata") or {}
        self.by_node[str(metadata.get("langgraph_node", "?"))] += 1


async def measure(words: int) -> dict[str, Any]:
    """Import a synthetic manuscript of ``words`` words; returns the figures."""
    data_dir = tempfile.mkdtemp(prefix="import-bench-")
    path = os.path.join(data_dir, "manuscript.md")
    write_manuscript(path, words)
    started = time.perf_counter()
    book = read_book_file(path)
    read_s = time.perf_counter() - started

    context = Context(data_dir=data_dir, mode="interactive")
    services = DefaultServices()
    calls = ModelCalls()
    config: Any = {"configurable": {"thread_id": "imported"}, "callbacks": [calls]}
    first_progress = last_progress = None
    run_started = time.perf_counter()
    async with open_checkpointer(checkpoint_location(data_dir)) as saver:
        graph = build_graph(services).compile(checkpointer=saver)
        novel = {"manuscript": book.as_input(), "target_steps": 10}
        async for mode, chunk in graph.astream(
            novel, config, context=context, stream_mode=["custom", "updates"], durability="sync"
        ):
            if mode == "custom" and chunk.get("event") == IMPORT_PROGRESS:
                now = time.perf_counter()
                first_progress = first_progress or now
                last_progress = now
        snapshot = await graph.aget_state(config)
    finished = time.perf_counter()
    memory = services.long_term_memory(context)
    stored = await memory.count(snapshot.values["novel_id"])
    result = {
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "words": book.words(),
        "paragraphs": len(book.paragraphs),
        "chapters": len(book.chapters),
        "points_stored": stored,
        "paused_with_plans": len(snapshot.interrupts[0].value["plans"])
        if snapshot.interrupts
        else 0,
        "read_file_s": round(read_s, 2),
        "until_first_batch_s": round((first_progress or finished) - run_started, 1),
        "store_paragraphs_s": round((last_progress or finished) - (first_progress or finished), 1),
        "models_after_store_s": round(finished - (last_progress or run_started), 1),
        "total_s": round(finished - started, 1),
        "model_calls": sum(calls.by_node.values()),
        "model_calls_by_node": dict(calls.by_node),
        "texts_embedded": memory.embedding_calls,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_average_1m_at_end": round(os.getloadavg()[0], 1),
    }
    close_stores()
    return result


def main() -> None:
    """Run the measurement and write ``bench/results/import_manuscript.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--words", type=int, default=WORDS)
    args = parser.parse_args()
    result = asyncio.run(measure(args.words))
    os.makedirs(os.path.dirname(RESULT), exist_ok=True)
    with open(RESULT, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
