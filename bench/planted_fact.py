"""Planted-fact probe: does a fact planted early reach the writer when a later plan needs it?

The package's real graph (``build_graph``) runs a whole novel in ``auto-first``
mode, with the default long-term memory (embedded Qdrant on disk, the default
embedder all-mpnet-base-v2, what ``DefaultServices`` builds) and a scripted chat
model that answers like a real one, with realistic lengths:

- the writer writes ordinary paragraphs about a recurring cast
  (``bench.synthetic``), except a few early steps, each of which plants one
  fact (a new name, object and place, said once, mid-paragraph);
- the memory updater keeps only the last few paragraphs' summaries, as a
  300-word short-term memory that drifts does, so an old fact must come back
  through long-term memory (retrieval) or the story bible; when its schema has
  story-bible changes, it reports the planted fact's character and object (or
  place) after a planting step, and a fact about the recurring cast otherwise;
- the planner proposes ordinary plans, except every ``need_every`` steps,
  where its first plan (the one taken) needs one of the planted facts and
  refers to it only indirectly ("the navigation instrument the mapmaker
  entrusted to her"), never by the words that mark the fact.

A step that needs a fact counts as reached when the fact's marker word (for
example "astrolabe") is anywhere in that step's writer prompt. The figure is
the share of such steps, and which way the fact came: in the retrieved
passages or elsewhere in the prompt (short-term memory, bible, outlines).

    python -m bench.planted_fact                    # 300 paragraphs, prints the figure
    python -m bench.planted_fact --paragraphs 60    # smaller and faster
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langgraph.checkpoint.memory import InMemorySaver

from bench import synthetic
from bench.common import WORDS_PER_PARAGRAPH
from recurrentgpt import build_graph
from recurrentgpt.context import DEFAULT_EMBEDDER, Context
from recurrentgpt.memory import LongTermMemory, close_stores
from recurrentgpt.prompts.start import OPENING_PARAGRAPHS
from recurrentgpt.services import DefaultServices, Role
from tests.fakes import ScriptedChatModel, _default_answer, is_opening

GOAL = 0.95
"""Share of the steps needing a planted fact whose writer prompt holds it."""

MARKERS = (
    "astrolabe",
    "smokehouse",
    "Amaranth",
    "belladonna",
    "chess",
    "Greywater",
    "revolver",
    "Widow's Tooth",
)
"""For each of ``synthetic.PLANTED_FACTS``, in order: a word of the fact that none of
its later plans uses, so finding it in the writer prompt means the fact itself came back."""

PLANTED_ENTRIES = (
    (("Velimir Straka", "character"), ("the brass astrolabe", "object")),
    (("Oskar", "character"), ("the smokehouse at Karsby Point", "place")),
    (("Benedek Holm", "character"), ("the Amaranth", "object")),
    (("Lise", "character"), ("the belladonna vial", "object")),
    (("Anselm Vogt", "character"), ("the ivory chess set", "object")),
    (("Mirela", "character"), ("the drowned church at Greywater Fen", "place")),
    (("the harbour master", "character"), ("the pearl-handled revolver", "object")),
    (("Arlo", "character"), ("the Widow's Tooth", "place")),
)
"""For each planted fact, the story-bible entries a real memory model would report for
the paragraph that plants it (used when the memory updater's reply has bible changes)."""

FIRST_PLANT_STEP = 2
PLANT_SPACING = 2
FIRST_NEED_STEP = 20
"""Needs start after the short-term memory has long forgotten every planted fact."""
MEMORY_SUMMARIES = 3
"""The scripted short-term memory holds the summaries of the last few paragraphs."""
SCRIPTED_SCHEMAS = ("text", "MemoryUpdate", "Plans")
"""The roles the script plays; any other (the opening's outline, ...) gets the test
suite's default scripted answer."""


@dataclass
class ProbeScript:
    """Answers every role like a real model would, planting and needing facts on cue."""

    facts: int
    need_every: int
    first_need: int = FIRST_NEED_STEP
    seed: int = 5
    step: int = 0
    """Steps written so far (opening excluded)."""
    summaries: list[str] = field(default_factory=list)
    needs: dict[int, int] = field(default_factory=dict)
    """Step -> index of the planted fact its plan needs."""
    plans: dict[int, str] = field(default_factory=dict)
    """Step -> the plan the planner proposed first for it (taken in auto-first mode)."""
    writer_prompts: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.plant_steps = {FIRST_PLANT_STEP + i * PLANT_SPACING: i for i in range(self.facts)}

    def respond(self, schema: str, messages: list[BaseMessage], n: int) -> Any:
        """A ScriptedChatModel responder for every schema."""
        prompt = "\n".join(str(m.content) for m in messages)
        rng = self.rng
        if schema == "text" and is_opening(prompt):
            return synthetic.paragraph(rng, WORDS_PER_PARAGRAPH)
        if schema == "text":
            self.step += 1
            self.writer_prompts[self.step] = prompt
            fact = self.plant_steps.get(self.step)
            if fact is not None:
                planted = synthetic.PLANTED_FACTS[fact]
                text = synthetic.planted_paragraph(rng, planted, WORDS_PER_PARAGRAPH)
                self.summaries.append(planted.summary)
                return text
            text = synthetic.paragraph(rng, WORDS_PER_PARAGRAPH)
            self.summaries.append(synthetic.summary_of(text))
            return text
        answer = _default_answer(schema, messages, n)
        if schema == "MemoryUpdate" and isinstance(answer, dict):
            recent = self.summaries[-MEMORY_SUMMARIES:]
            update = {
                **answer,
                "rationale": synthetic.text_of_words(rng, 35),
                "updated_memory": " ".join([synthetic.text_of_words(rng, 220), *recent]),
                "paragraph_summary": recent[-1] if recent else synthetic.text_of_words(rng, 25),
            }
            if "bible_changes" in answer:
                update["bible_changes"] = self._bible_changes(recent[-1] if recent else "")
            if "next_plans" in answer:  # the memory updater proposes the plans (the default)
                update["next_plans"] = self._next_plans()
            return update
        if schema == "Plans" and isinstance(answer, dict):
            plans = self._next_plans()
            return {**answer, **{f"plan_{i}": plan for i, plan in enumerate(plans, 1)}}
        return answer

    def _next_plans(self) -> list[str]:
        """Three plans for the next step; the first needs a planted fact on cue."""
        next_step = self.step + 1
        plans = [synthetic.text_of_words(self.rng, 50) for _ in range(3)]
        if next_step >= self.first_need and next_step % self.need_every == 0:
            fact = (next_step // self.need_every) % self.facts
            queries = synthetic.PLANTED_FACTS[fact].queries
            plans[0] = queries[(next_step // (self.need_every * self.facts)) % len(queries)]
            self.needs[next_step] = fact
        self.plans[next_step] = plans[0]
        return plans

    def _bible_changes(self, summary: str) -> list[dict[str, str]]:
        """What a memory model reports for the story bible: the planted fact's entries
        after a planting step, else a fact about someone of the recurring cast."""
        fact = self.plant_steps.get(self.step)
        if fact is not None:
            return [
                {"name": name, "kind": kind, "fact": synthetic.PLANTED_FACTS[fact].summary}
                for name, kind in PLANTED_ENTRIES[fact]
            ]
        who = self.rng.choice(synthetic.CAST)
        return [{"name": who, "kind": "character", "fact": summary[:200] or f"{who} is here."}]


class ProbeServices:
    """The scripted model for every role; the package's default long-term memory."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model
        self.default = DefaultServices()

    def chat_model(self, role: Role, context: Context) -> BaseChatModel:
        """Every role talks to the scripted model."""
        return self.model

    def long_term_memory(self, context: Context) -> LongTermMemory:
        """What the package builds from ``context`` when nobody injects a memory."""
        return self.default.long_term_memory(context)


async def run_probe(
    paragraphs: int = 300,
    *,
    embedder: str = DEFAULT_EMBEDDER,
    need_every: int = 10,
    facts: int = 4,
    first_need: int = FIRST_NEED_STEP,
    retrieval_k: int | None = None,
    data_dir: str | None = None,
) -> dict[str, Any]:
    """Write a ``paragraphs``-paragraph novel through the real graph and score the probe.

    Args:
        paragraphs: Length of the novel, opening included.
        embedder: Embedder of the long-term memory (the package default unless a
            test wants a fast one).
        need_every: A plan needs a planted fact every this many steps.
        facts: How many facts are planted (at most ``len(MARKERS)``).
        first_need: The first step whose plan may need a fact; the short-term
            memory must have forgotten every fact by then.
        retrieval_k: Passages retrieved per step; None keeps the package default.
        data_dir: Folder for the embedded Qdrant; default: a temporary folder.

    Returns:
        A JSON-serialisable dict: ``needing_steps``, ``reached``, ``share``,
        ``via_retrieval``, ``via_other``, ``missed`` (the steps and markers not
        reached) and sizes and timings.
    """
    if not 1 <= facts <= len(MARKERS):
        raise ValueError(f"facts must be between 1 and {len(MARKERS)}, got {facts}")
    script = ProbeScript(facts=facts, need_every=need_every, first_need=first_need)
    model = ScriptedChatModel(overrides=dict.fromkeys(SCRIPTED_SCHEMAS, script.respond))
    retrieved: dict[int, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="rgpt-probe-") as tmp:
        settings: dict[str, Any] = {
            # The scripted model stands in for a hosted one (see bench.common.bench_context).
            "model": "openai:scripted",
            "mode": "auto-first",
            "embedder": embedder,
            "data_dir": data_dir or tmp,
            "words_per_paragraph": WORDS_PER_PARAGRAPH,
        }
        if retrieval_k is not None:
            settings["retrieval_k"] = retrieval_k
        context = Context(**settings)
        graph = build_graph(ProbeServices(model)).compile(checkpointer=InMemorySaver())
        config: Any = {"configurable": {"thread_id": "planted-fact-probe"}}
        started = time.perf_counter()
        novel = {
            "premise": "A lighthouse keeper finds a letter.",
            "target_steps": paragraphs - OPENING_PARAGRAPHS,
        }
        await graph.ainvoke(novel, config, context=context)
        seconds = time.perf_counter() - started
        state = (await graph.aget_state(config)).values
        async for snapshot in graph.aget_state_history(config):
            if snapshot.next == ("writer",):
                step = snapshot.values.get("step", 0) + 1
                retrieved[step] = list(snapshot.values.get("retrieved_passages") or [])
        # The default memory stays open for the process; its folder is about to go.
        close_stores()
    reached = via_retrieval = 0
    missed: list[dict[str, Any]] = []
    for step, fact in sorted(script.needs.items()):
        marker = MARKERS[fact]
        prompt = script.writer_prompts.get(step, "")
        if marker in script.plans[step]:
            raise AssertionError(f"the plan of step {step} names {marker!r}: it must not")
        if marker in prompt:
            reached += 1
            via_retrieval += any(marker in passage for passage in retrieved.get(step, []))
        else:
            missed.append({"step": step, "marker": marker, "plan": script.plans[step]})
    needing = len(script.needs)
    return {
        "paragraphs": OPENING_PARAGRAPHS + state.get("step", 0),
        "embedder": embedder,
        "retrieval_k": context.retrieval_k,
        "planted_at_steps": sorted(script.plant_steps),
        "needing_steps": needing,
        "reached": reached,
        "share": reached / needing if needing else 0.0,
        "via_retrieval": via_retrieval,
        "via_other": reached - via_retrieval,
        "missed": missed,
        "goal": GOAL,
        "seconds": seconds,
    }


async def run(quick: bool) -> dict[str, Any]:
    """The bench.run figure: 60 paragraphs (quick) or 300 (full)."""
    return await run_probe(60 if quick else 300)


def headline(result: dict[str, Any]) -> str:
    """The figure in one line, with the verdict against the goal."""
    verdict = "met" if result["share"] >= result["goal"] else "MISSED"
    return (
        f"planted-fact probe, {result['paragraphs']} paragraphs, {result['embedder']}, "
        f"k={result['retrieval_k']}: the fact reached the writer's prompt in "
        f"{result['reached']}/{result['needing_steps']} steps that need it "
        f"({100 * result['share']:.1f} %; {result['via_retrieval']} via retrieval, "
        f"{result['via_other']} via memory/bible/outline) - goal >= {100 * result['goal']:.0f} %: "
        f"{verdict} ({result['seconds']:.0f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the probe once and print its figure (and, with --json, the raw result)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=300)
    parser.add_argument("--embedder", default=DEFAULT_EMBEDDER)
    parser.add_argument("--json", action="store_true", help="also print the raw result")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    warnings.filterwarnings("ignore", category=UserWarning, module="qdrant_client")
    logging.getLogger("recurrentgpt").setLevel(logging.ERROR)
    result = asyncio.run(run_probe(args.paragraphs, embedder=args.embedder))
    if args.json:
        print(json.dumps(result, indent=1))
    print(headline(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
