"""What every benchmark shares: the scripted model, the graph, tokens, timing, the machine."""

from __future__ import annotations

import json
import os
import platform
import random
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from langchain_core.messages import BaseMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph

from bench import synthetic
from recurrentgpt import build_graph
from recurrentgpt.context import Context
from recurrentgpt.memory import LongTermMemory, Passage
from recurrentgpt.memory.passage import MAIN_BRANCH
from tests.fakes import FakeServices, ScriptedChatModel

WORDS_PER_PARAGRAPH = 180
"""The package default; every benchmark writes paragraphs of about this length."""
NOVEL_ID = "bench-novel"

try:
    import bpe_openai

    _ENCODING: Any = bpe_openai.get_encoding("cl100k_base")
    TOKENIZER = "cl100k_base (bpe-openai, offline)"
except ImportError:
    _ENCODING = None
    TOKENIZER = "regex word/punctuation split (bpe-openai not installed)"
_ROUGH_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """Tokens of ``text`` for a GPT-4-class tokenizer (tiktoken needs a download here)."""
    if _ENCODING is not None:
        return len(_ENCODING.encode(text))
    return len(_ROUGH_TOKEN.findall(text))


def message_tokens(messages: list[BaseMessage]) -> int:
    """Tokens of a prompt: every message's content."""
    return sum(count_tokens(str(m.content)) for m in messages)


@dataclass
class StoryScript:
    """Answers every role with realistic lengths, and remembers what it answered.

    The package's ScriptedChatModel answers with one-line texts; prompt sizes
    and lengths only mean something with paragraphs, memories and plans as long
    as a real model writes them.
    """

    words_per_paragraph: int = WORDS_PER_PARAGRAPH
    memory_words: int = 300
    seed: int = 0
    replies: list[tuple[str, Any]] = field(default_factory=list)
    """Every answer given: (schema name or 'text', the answer)."""

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def _answer(self, schema: str, prompt: str = "") -> Any:
        rng, words = self.rng, self.words_per_paragraph
        if schema == "Opening":
            return {
                "title": "The Lighthouse at Karsby",
                "outline": synthetic.text_of_words(rng, 50),
                **{f"paragraph_{i}": synthetic.paragraph(rng, words) for i in (1, 2, 3)},
                "summary": synthetic.text_of_words(rng, self.memory_words // 2),
                **{f"plan_{i}": synthetic.text_of_words(rng, 50) for i in (1, 2, 3)},
            }
        if schema == "MemoryUpdate":
            update: dict[str, Any] = {
                "rationale": synthetic.text_of_words(rng, 35),
                "updated_memory": synthetic.text_of_words(rng, self.memory_words),
                "paragraph_summary": synthetic.text_of_words(rng, 25),
            }
            if "Next plans:" in prompt:  # asked for the plans too (Context.plans_by)
                update["next_plans"] = [synthetic.text_of_words(rng, 50) for _ in range(3)]
            return update
        if schema == "Plans":
            return {f"plan_{i}": synthetic.text_of_words(rng, 50) for i in (1, 2, 3)}
        if schema == "HumanChoice":
            return {
                "chosen_plan": rng.randint(1, 3),
                "reason": synthetic.text_of_words(rng, 15),
                "revised_plan": synthetic.text_of_words(rng, 50),
            }
        return synthetic.paragraph(rng, words)

    def respond(self, schema: str, messages: list[BaseMessage], n: int) -> Any:
        """A ScriptedChatModel responder."""
        answer = self._answer(schema, "\n".join(str(m.content) for m in messages))
        self.replies.append((schema, answer))
        return answer

    def model(self) -> ScriptedChatModel:
        """The scripted model answering every role from this script."""
        schemas = ("Opening", "MemoryUpdate", "Plans", "HumanChoice", "text")
        return ScriptedChatModel(overrides=dict.fromkeys(schemas, self.respond))


def compile_graph(
    model: ScriptedChatModel, memory: LongTermMemory, checkpointer: BaseCheckpointSaver[Any]
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The package's graph wired to the scripted model and ``memory``."""
    return build_graph(FakeServices(model, memory)).compile(checkpointer=checkpointer)


def bench_context(**overrides: Any) -> Context:
    """The run context of the benchmarks: simulated human, default sizes.

    The scripted model stands in for a hosted one (the services ignore the name):
    with ``plans_by="auto"`` a bundled local model's memory updater is not asked
    for plans, and the planner makes a call of its own every step.
    """
    return Context(
        **{"model": "openai:scripted", "mode": "auto", "embedder": "hash:256", **overrides}
    )


def filler_passages(count: int, *, seed: int = 1, novel_id: str = NOVEL_ID) -> list[Passage]:
    """``count`` stored paragraphs of a synthetic novel (positions 0..count-1)."""
    rng = random.Random(seed)
    passages = []
    for position in range(count):
        text = synthetic.paragraph(rng, WORDS_PER_PARAGRAPH)
        passages.append(
            Passage(
                novel_id=novel_id,
                branch_id=MAIN_BRANCH,
                position=position,
                step=max(0, position - 2),
                chapter=1 + position // 20,
                text=text,
                summary=synthetic.summary_of(text),
            )
        )
    return passages


def novel_state(passages: list[Passage], *, seed: int = 2) -> dict[str, Any]:
    """Thread state of a novel whose long-term memory holds ``passages``."""
    rng = random.Random(seed)
    return {
        "premise": "A lighthouse keeper finds a letter addressed to someone long gone.",
        "genre": "mystery",
        "novel_id": passages[0].novel_id,
        "status": "writing",
        "title": "The Lighthouse at Karsby",
        "outline": synthetic.text_of_words(rng, 50),
        "step": len(passages) - 3,
        "position": len(passages) - 1,
        "words_written": sum(len(p.text.split()) for p in passages),
        "last_paragraph": passages[-1].text,
        "short_term_memory": synthetic.text_of_words(rng, 300),
        "plans": [synthetic.text_of_words(rng, 50) for _ in range(3)],
        "chosen_plan": "",
        "retrieved_passages": [],
        "draft_paragraph": "",
        "branch_id": MAIN_BRANCH,
        "inherited_segments": [],
    }


async def timed(action: Callable[[], Awaitable[Any]]) -> float:
    """Seconds ``action`` took."""
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


def write_json(result: Any, out: str | None) -> None:
    """``result`` as indented JSON into the file ``out``, or to stdout when None."""
    text = json.dumps(result, indent=1)
    if out:
        with open(out, "w", encoding="utf-8") as file:
            file.write(text)
    else:
        print(text)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, interpolated."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(q) - 1]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            kib = int(meminfo.readline().split()[1])
        return kib / 1024 / 1024
    except (OSError, ValueError, IndexError):
        return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    """The machine and software the numbers were measured on."""
    packages = [
        "langgraph",
        "langgraph-checkpoint-sqlite",
        "qdrant-client",
        "qdrant-edge-py",
        "sentence-transformers",
        "torch",
        "bpe-openai",
        "matplotlib",
    ]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "ram": f"{_ram_gib():.0f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": ", ".join(f"{p} {_version(p)}" for p in packages),
        "tokenizer": TOKENIZER,
    }
