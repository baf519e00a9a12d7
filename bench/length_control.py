"""Figure 5: how close the graph's stopping rule lands to a target length.

The graph stops at the first human turn where the novel holds at least
``target_words`` words. The scripted writer returns paragraphs of about 180
words with a 20% standard deviation (as a model asked for 180 words does), so
the only error is the overshoot of the last paragraph. The score is
LongBench-Write's S_l on the words of the finished novel as read back from
long-term memory (what an export prints).
"""

from __future__ import annotations

import statistics
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from qdrant_client import QdrantClient

from bench.common import WORDS_PER_PARAGRAPH, StoryScript, bench_context, compile_graph
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.evaluation import length_score
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.text import count_words

TARGETS = (3000, 6000, 20000)


async def write_to_target(target: int, seed: int) -> dict[str, Any]:
    """Write one novel to ``target`` words; its final length and S_l."""
    memory = LongTermMemory(QdrantClient(":memory:"), HashingEmbeddings(64))
    graph = compile_graph(StoryScript(seed=seed).model(), memory, InMemorySaver())
    config: Any = {"configurable": {"thread_id": f"{target}-{seed}"}}
    result = await graph.ainvoke(
        {"premise": "A lighthouse keeper.", "target_words": target},
        config,
        context=bench_context(mode="auto-first"),
    )
    state = (await graph.aget_state(config)).values
    novel = await memory.read_novel(
        novel_id=state["novel_id"],
        branch_id=state["branch_id"],
        segments=state["inherited_segments"],
        up_to_position=state["position"],
    )
    words = sum(count_words(p.text) for p in novel)
    return {
        "words": words,
        "counter_agrees": words == result["words_written"],
        "score": length_score(words, target),
    }


def worst_case_score(target: int, words_per_paragraph: int = WORDS_PER_PARAGRAPH) -> float:
    """S_l if the last paragraph overshoots by the writer's hard cap (2x its target)."""
    return length_score(target + 2 * words_per_paragraph, target)


async def run(quick: bool) -> dict[str, Any]:
    """Every target, 3 novels each (quick) or 10 (full)."""
    seeds = range(3 if quick else 10)
    rows = []
    for target in TARGETS:
        novels = [await write_to_target(target, seed) for seed in seeds]
        rows.append(
            {
                "target": target,
                "novels": len(novels),
                "mean_words": statistics.mean(n["words"] for n in novels),
                "mean_score": statistics.mean(n["score"] for n in novels),
                "min_score": min(n["score"] for n in novels),
                "worst_case_score": worst_case_score(target),
                "counter_agrees": all(n["counter_agrees"] for n in novels),
            }
        )
    return {"rows": rows, "words_per_paragraph": WORDS_PER_PARAGRAPH}
