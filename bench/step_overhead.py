"""Figure 1: cost of one step as long-term memory grows, ours vs re-embed-everything.

Both sides run the package's real graph with the scripted model (no LLM time)
on a novel whose long-term memory already holds N paragraphs. Ours is the
default store (the embedded Qdrant engine in a temporary folder, hybrid search),
as written in the session (no HNSW built) and, in the full run, after
``build_index()``; the baseline keeps paragraphs in a Python list and re-embeds
all of them at every step, as the reference code does. The hashing embedder
keeps the baseline's re-embedding fast enough to run at N = 10,000; what it
would cost with MiniLM is projected from MiniLM's measured throughput.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from langgraph.checkpoint.memory import InMemorySaver
from qdrant_client import QdrantClient

from bench.common import (
    NOVEL_ID,
    StoryScript,
    bench_context,
    compile_graph,
    filler_passages,
    message_tokens,
    novel_state,
)
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.memory import LongTermMemory, Passage
from recurrentgpt.memory.edge_store import EdgeStore
from recurrentgpt.state import BranchSegment

EMBEDDING_DIMS = 256


class ReembeddingMemory(LongTermMemory):
    """The reference design: a list of paragraphs, all re-embedded at every search."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        super().__init__(QdrantClient(":memory:"), HashingEmbeddings(EMBEDDING_DIMS))
        self.passages = {p.position: p for p in passages}

    async def store_many(self, passages: Sequence[Passage]) -> None:
        """Append (or overwrite) paragraphs; nothing is embedded until the next search."""
        self.passages.update({p.position: p for p in passages})

    async def search(
        self,
        query: str,
        *,
        novel_id: str,
        branch_id: str,
        segments: Sequence[BranchSegment],
        before_position: int,
        k: int,
    ) -> list[Passage]:
        """Embed every earlier paragraph and the query, then rank by cosine similarity."""
        earlier = [p for position, p in sorted(self.passages.items()) if position < before_position]
        if k <= 0 or not earlier:
            return []
        documents = await asyncio.to_thread(
            self.embeddings.embed_documents, [p.text for p in earlier]
        )
        vector = await asyncio.to_thread(self.embeddings.embed_query, query)
        self.embedding_calls += len(earlier) + 1
        scores = np.asarray(documents) @ np.asarray(vector)
        best = np.argsort(-scores)[:k]
        return [earlier[int(i)] for i in best]

    async def get(self, novel_id: str, branch_id: str, position: int) -> Passage | None:
        """The paragraph at ``position``, if any."""
        return self.passages.get(position)

    async def has_paragraphs_after(self, novel_id: str, branch_id: str, position: int) -> bool:
        """Tell whether a paragraph is stored past ``position``."""
        return any(p > position for p in self.passages)


async def _prefilled_store(passages: list[Passage], folder: str, indexed: bool) -> LongTermMemory:
    memory = LongTermMemory(EdgeStore(folder), HashingEmbeddings(EMBEDDING_DIMS))
    for start in range(0, len(passages), 1000):
        await memory.store_many(passages[start : start + 1000])
    if indexed:
        await memory.build_index()
    memory.embedding_calls = 0
    return memory


async def _component_times(memory: LongTermMemory, position: int, repeats: int) -> dict[str, float]:
    """Milliseconds of the two memory calls made at every step (search, has_paragraphs_after)."""
    search_times, count_times = [], []
    for i in range(repeats):
        start = time.perf_counter()
        await memory.search(
            f"Arlo climbs the tower {i}",
            novel_id=NOVEL_ID,
            branch_id="main",
            segments=[],
            before_position=position + 1,
            k=3,
        )
        search_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        await memory.has_paragraphs_after(NOVEL_ID, "main", position)
        count_times.append(time.perf_counter() - start)
    return {
        "search_ms": 1000 * float(np.median(search_times)),
        "has_paragraphs_after_ms": 1000 * float(np.median(count_times)),
    }


async def measure(size: int, design: str, steps: int, warmup: int = 2) -> dict[str, Any]:
    """Run ``steps`` steps on a novel with ``size`` stored paragraphs.

    Time is the median step; embedding calls and prompt tokens are means per step.
    """
    passages = filler_passages(size)
    folder = tempfile.mkdtemp(prefix="step-overhead-")
    if design == "baseline":
        memory: LongTermMemory = ReembeddingMemory(passages)
    else:
        memory = await _prefilled_store(passages, folder, indexed=design == "ours, indexed")
    script = StoryScript()
    model = script.model()
    graph = compile_graph(model, memory, InMemorySaver())
    config: Any = {"configurable": {"thread_id": f"{design}-{size}"}}
    state = novel_state(passages)
    await graph.aupdate_state(config, state, as_node="start")
    context = bench_context()
    first = state["step"]
    await graph.ainvoke({"target_steps": first + warmup}, config, context=context)
    calls_before, embeddings_before = len(model.calls), memory.embedding_calls
    step_times, cpu_times = [], []
    step_start, cpu_start = time.perf_counter(), time.process_time()
    async for update in graph.astream(
        {"target_steps": first + warmup + steps}, config, context=context, stream_mode="updates"
    ):
        if "planner" in update:
            step_times.append(time.perf_counter() - step_start)
            # CPU seconds of every thread of the process (the engine's and the worker
            # threads' too): unlike the wall time, other processes on the cores do not
            # inflate it, so it shows what grows with N on a busy machine.
            cpu_times.append(time.process_time() - cpu_start)
            step_start, cpu_start = time.perf_counter(), time.process_time()
    prompts = [messages for _, messages in model.calls[calls_before:]]
    result = {
        "design": design,
        "size": size,
        "steps": steps,
        "overhead_ms": 1000 * float(np.median(step_times)),
        "cpu_ms": 1000 * float(np.median(cpu_times)),
        "step_ms_all": [1000 * t for t in step_times],
        "cpu_ms_all": [1000 * t for t in cpu_times],
        "embedding_calls": (memory.embedding_calls - embeddings_before) / steps,
        "prompt_tokens": sum(message_tokens(m) for m in prompts) / steps,
    }
    if design != "baseline":
        result.update(await _component_times(memory, size - 1, repeats=5))
        memory.backend.close()
    shutil.rmtree(folder, ignore_errors=True)
    return result


def _pooled(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from interleaved rounds of the same size and design: medians of all steps."""
    steps = [t for part in parts for t in part["step_ms_all"]]
    cpu = [t for part in parts for t in part["cpu_ms_all"]]
    count = sum(part["steps"] for part in parts)
    return parts[0] | {
        "steps": count,
        "overhead_ms": float(np.median(steps)),
        "cpu_ms": float(np.median(cpu)),
        "embedding_calls": sum(p["embedding_calls"] * p["steps"] for p in parts) / count,
        "prompt_tokens": sum(p["prompt_tokens"] * p["steps"] for p in parts) / count,
        "step_ms_all": steps,
        "cpu_ms_all": cpu,
    }


async def run(quick: bool) -> dict[str, Any]:
    """All sizes, both designs."""
    sizes = [10, 100, 1000, 10000]
    # A throwaway run first, so the first size timed does not also pay for the
    # process's first graph run (lazy imports, first-call set-up).
    await measure(10, "ours", steps=3)
    # Ours at N=10, 100 and 1,000 runs in interleaved rounds (10, 100, 1,000, 10, ...):
    # a shared machine's load drifts over minutes, and timing one size after the other
    # put that drift into the ratios the goal is about.
    rounds, small = (1, 8) if quick else (3, 10)
    parts: dict[int, list[dict[str, Any]]] = {size: [] for size in sizes[:3]}
    for _ in range(rounds):
        for size in sizes[:3]:
            parts[size].append(await measure(size, "ours", small))
    rows = []
    for size in sizes:
        designs = (
            ["ours", "baseline"] if quick or size < 10000 else ["ours", "ours, indexed", "baseline"]
        )
        for design in designs:
            if design == "ours" and size in parts:
                rows.append(_pooled(parts[size]))
                continue
            if quick:
                steps = 3 if (design == "baseline" and size >= 10000) else 8
            else:
                steps = 10 if (design == "baseline" and size >= 10000) else 30
            rows.append(await measure(size, design, steps))
    ours = {r["size"]: r for r in rows if r["design"] == "ours"}
    return {
        "rows": rows,
        "overhead_ratio_1000_10": ours[1000]["overhead_ms"] / ours[10]["overhead_ms"],
        "overhead_ratio_10000_10": ours[10000]["overhead_ms"] / ours[10]["overhead_ms"],
        "cpu_ratio_1000_10": ours[1000]["cpu_ms"] / ours[10]["cpu_ms"],
        "cpu_ratio_1000_100": ours[1000]["cpu_ms"] / ours[100]["cpu_ms"],
        "cpu_ratio_10000_10": ours[10000]["cpu_ms"] / ours[10]["cpu_ms"],
        "cpu_ratio_10000_100": ours[10000]["cpu_ms"] / ours[100]["cpu_ms"],
        "token_ratio_1000_10": ours[1000]["prompt_tokens"] / ours[10]["prompt_tokens"],
        "token_ratio_10000_10": ours[10000]["prompt_tokens"] / ours[10]["prompt_tokens"],
    }
