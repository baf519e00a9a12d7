"""Figure 6: LLM tokens per generated word, our prompts vs the reference's single-call design.

Our side is counted from what the package's nodes really sent and received:
the graph runs in auto mode with the scripted model (answers as long as a real
model's), and every call's messages, tool schema (structured calls send one)
and reply are tokenized. The reference side is rebuilt on the same inputs and
outputs, step by step: the inputs each step started from (short-term memory,
last paragraph, plan, retrieved passages) and what it produced (paragraph,
rationale, new memory, plans, revised plan).

The reference design, as described in shared/RECURRENTGPT.md (its code was not
consulted): one call per step whose prompt holds fixed instructions, the
memory, the last paragraph, the plan and the related passages, and whose reply
holds the paragraph, a rationale, the updated memory and three plans under
headings; in auto mode a second call, the simulated human, gets the memory,
the new paragraph and the plans and returns the paragraph expanded, the chosen
plan and a revised plan. The instruction texts below are our paraphrase, of
the length such instructions have (about 250 and 120 words): an assumption.
The expanded paragraph is assumed as long as the paragraph it expands.

Prompt caching: providers bill the start of a prompt that matches an earlier
prompt's start at a discount (or, offline, llama.cpp skips evaluating it). Each
call's *cached prefix* is the longest start it shares with any earlier call of
the run (an ideal cache that keeps every recent prompt); its *uncached* tokens
are the rest of its prompt plus its reply. A structured call's tool schema is
counted both ways providers place it: after the messages (llama.cpp, whose chat
template here ignores tools and constrains the reply by grammar) and before
them (Anthropic documents tools, then system, then messages as the cache order).
The minimum cacheable length some providers impose (1,024 tokens at OpenAI) is
not modelled: it favours neither design.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any

from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel
from qdrant_client import QdrantClient

from bench.common import (
    StoryScript,
    bench_context,
    compile_graph,
    count_tokens,
    filler_passages,
    message_tokens,
    novel_state,
)
from recurrentgpt import prompts
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.llm import wire_schema
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.text import count_words
from tests.fakes import _default_answer


def _reply_schemas() -> dict[str, type[BaseModel]]:
    """Every reply schema of ``recurrentgpt.prompts``, by class name (what a tool call is named)."""
    found: dict[str, type[BaseModel]] = {}
    for module_info in pkgutil.iter_modules(prompts.__path__):
        module = importlib.import_module(f"{prompts.__name__}.{module_info.name}")
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel:
                found.setdefault(name, value)
    return found


SCHEMAS = _reply_schemas()
ROLE_OF = {"text": "writer", "MemoryUpdate": "memory", "Plans": "planner", "HumanChoice": "human"}
"""The roles of a step; any other call (the opening, a chapter plan) is named by its schema."""
SCRIPTED = ("Opening", "MemoryUpdate", "Plans", "HumanChoice", "text")
"""The schemas bench.common.StoryScript answers (with real lengths); others get the test
suite's default scripted answer."""
SIMULATED_HUMAN = "human"
"""The role that interactive mode does without."""

REFERENCE_STEP_PROMPT = """You are helping to write a long novel one paragraph at a time. \
Because the novel is far longer than what you can read at once, you keep a short memory of \
what has been written: a summary that stores only the key content, so that you can keep \
track of the story. Each time, you receive your current memory, the paragraph written last, \
an instruction for the next paragraph and some related earlier paragraphs.

Write three things:
1. Output Paragraph: the next paragraph of the novel, about 20 sentences, following the \
instruction.
2. Output Memory: first explain which sentences of the input memory are no longer needed \
and why, and what must be added and why; then write the updated memory. Keep it close to \
the input memory apart from those changes, store only key information, at most 20 \
sentences.
3. Output Instruction: three different instructions for what to write next, each a possible \
interesting continuation of about 5 sentences.

Input Memory:
{memory}

Input Paragraph:
{paragraph}

Input Instruction:
{plan}

Input Related Paragraphs:
{passages}

Organise your reply exactly in this format:
Output Paragraph:
<the paragraph, about 20 sentences>

Output Memory:
Rationale: <how the memory is updated>
Updated Memory: <the updated memory, 10 to 20 sentences>

Output Instruction:
Instruction 1: <about 5 sentences>
Instruction 2: <about 5 sentences>
Instruction 3: <about 5 sentences>

Remember: the updated memory stores only key information and never exceeds 500 words. \
Write like a novelist and do not move the plot too fast in the instructions: the novel will \
have many chapters of many paragraphs, and this is only the beginning. Think about what \
would keep an ordinary reader interested. First explain what to drop from the memory and \
what to add, then rewrite it."""

REFERENCE_STEP_REPLY = """Output Paragraph:
{paragraph}

Output Memory:
Rationale: {rationale}
Updated Memory: {memory}

Output Instruction:
Instruction 1: {plan_1}
Instruction 2: {plan_2}
Instruction 3: {plan_3}"""

REFERENCE_HUMAN_PROMPT = """You are a writer working with an AI assistant on a novel. You \
receive the memory of the story, the paragraph the assistant just wrote and three \
instructions it proposes for the next paragraph.

Memory:
{memory}

New paragraph:
{paragraph}

Instructions:
1. {plan_1}
2. {plan_2}
3. {plan_3}

First extend the new paragraph so that it has about 20 sentences and reads well. Then \
choose the instruction that makes the most interesting continuation and revise it so that \
it is consistent with the memory and the paragraph, in about 5 sentences.

Reply in this format:
Extended Paragraph:
<the extended paragraph>

Selected Plan:
<1, 2 or 3>

Revised Plan:
<the revised instruction>"""

REFERENCE_HUMAN_REPLY = """Extended Paragraph:
{paragraph}

Selected Plan:
{chosen}

Revised Plan:
{revised}"""


def schema_tokens(schema: str) -> int:
    """Tokens of the tool definition a structured call sends along with its messages."""
    return count_tokens(json.dumps(convert_to_openai_tool(wire_schema(SCHEMAS[schema]))))


def schema_text(schema: str) -> str:
    """The tool definition a structured call sends, as text."""
    return json.dumps(convert_to_openai_tool(wire_schema(SCHEMAS[schema])))


def prompt_text(messages: list[Any]) -> str:
    """The messages of one call, in order, as the text a prompt cache sees."""
    return "".join(f"<{m.type}>\n{m.content}\n" for m in messages)


def common_prefix_tokens(text: str, earlier: list[str]) -> int:
    """Tokens of the longest start ``text`` shares with one of ``earlier``.

    The shared start is cut back to a whitespace so that a token split by the
    cut is not counted as shared.
    """
    best = ""
    for other in earlier:
        length = 0
        for a, b in zip(text, other, strict=False):
            if a != b:
                break
            length += 1
        if length > len(best):
            best = text[:length]
    if len(best) < len(text):
        best = best[: best.rfind(" ") + 1] if " " in best else ""
    return count_tokens(best) if best else 0


def cached_prefixes(prompts: list[str], *, previous_only: bool = False) -> list[int]:
    """For each prompt in call order, the tokens of its start cached by an earlier one.

    With ``previous_only``, only the call just before counts, as in a llama.cpp
    server without a prompt cache, which holds just its last evaluation.
    """
    return [
        common_prefix_tokens(text, prompts[max(0, i - 1) : i] if previous_only else prompts[:i])
        for i, text in enumerate(prompts)
    ]


def reply_tokens(answer: Any) -> int:
    """Tokens of a reply: the text, or the tool call's JSON arguments."""
    return count_tokens(answer if isinstance(answer, str) else json.dumps(answer))


async def run(quick: bool) -> dict[str, Any]:
    """Count both designs over 10 steps (quick) or 40 (full) of one novel."""
    steps = 10 if quick else 40
    passages = filler_passages(200)
    memory = LongTermMemory(QdrantClient(":memory:"), HashingEmbeddings(256))
    await memory.store_many(passages)
    script = StoryScript(seed=3)
    model = script.model()
    graph = compile_graph(model, memory, InMemorySaver())
    config: Any = {"configurable": {"thread_id": "tokens"}}
    state = novel_state(passages)
    await graph.aupdate_state(config, state, as_node="start")
    running: dict[str, Any] = dict(state)
    records: list[dict[str, Any]] = []
    async for update in graph.astream(
        {"target_steps": state["step"] + steps},
        config,
        context=bench_context(),
        stream_mode="updates",
    ):
        for node, values in update.items():
            values = values or {}
            if node == "retriever":
                records.append(
                    {
                        "memory": running["short_term_memory"],
                        "paragraph": running["last_paragraph"],
                        "plan": running["chosen_plan"],
                        "plans_before": running["plans"],
                        "passages": values["retrieved_passages"],
                    }
                )
            elif node == "writer":
                records[-1]["written"] = values["draft_paragraph"]
            elif node == "memory_updater":
                records[-1]["new_memory"] = values["short_term_memory"]
            elif node == "planner":
                records[-1]["plans"] = values["plans"]
            running.update(values)

    ours: dict[str, dict[str, int]] = {}
    schema_last = [
        prompt_text(messages) + (schema_text(schema) if schema in SCHEMAS else "")
        for schema, messages in model.calls
    ]
    schema_first = [
        (schema_text(schema) if schema in SCHEMAS else "") + prompt_text(messages)
        for schema, messages in model.calls
    ]
    cached_schema_last = cached_prefixes(schema_last)
    cached_schema_first = cached_prefixes(schema_first)
    # A local llama.cpp server: the chat template ignores tools, so the prompt is the messages.
    local_prompts = [prompt_text(messages) for _, messages in model.calls]
    local_sent = sum(count_tokens(text) for text in local_prompts)
    local_evaluated = {
        "no reuse": local_sent,
        "previous request's prefix": local_sent
        - sum(cached_prefixes(local_prompts, previous_only=True)),
        "prompt-state cache": local_sent - sum(cached_prefixes(local_prompts)),
    }
    scripted = iter(script.replies)
    answers = [
        next(scripted)[1] if schema in SCRIPTED else _default_answer(schema, messages, index + 1)
        for index, (schema, messages) in enumerate(model.calls)
    ]
    for index, ((schema, messages), answer) in enumerate(zip(model.calls, answers, strict=True)):
        role = ROLE_OF.get(schema, schema)
        counts = ours.setdefault(
            role,
            {
                "prompt": 0,
                "schema": 0,
                "reply": 0,
                "calls": 0,
                "cached_schema_last": 0,
                "cached_schema_first": 0,
            },
        )
        counts["prompt"] += message_tokens(messages)
        counts["schema"] += schema_tokens(schema) if schema in SCHEMAS else 0
        counts["reply"] += reply_tokens(answer)
        counts["calls"] += 1
        counts["cached_schema_last"] += cached_schema_last[index]
        counts["cached_schema_first"] += cached_schema_first[index]

    rationales = [a["rationale"] for s, a in script.replies if s == "MemoryUpdate"]
    choices = [a for s, a in script.replies if s == "HumanChoice"]
    reference = {
        "step": {"prompt": 0, "reply": 0, "calls": 0},
        "human": {"prompt": 0, "reply": 0, "calls": 0},
    }
    reference_prompts: list[tuple[str, str]] = []
    for record, rationale, choice in zip(records, rationales, choices, strict=True):
        numbered = "\n\n".join(f"[{i}] {t}" for i, t in enumerate(record["passages"], 1))
        step_prompt = REFERENCE_STEP_PROMPT.format(
            memory=record["memory"],
            paragraph=record["paragraph"],
            plan=record["plan"],
            passages=numbered,
        )
        reference_prompts.append(("step", step_prompt))
        reference["step"]["prompt"] += count_tokens(step_prompt)
        plans = dict(zip(("plan_1", "plan_2", "plan_3"), record["plans"], strict=True))
        reference["step"]["reply"] += count_tokens(
            REFERENCE_STEP_REPLY.format(
                paragraph=record["written"],
                rationale=rationale,
                memory=record["new_memory"],
                **plans,
            )
        )
        reference["step"]["calls"] += 1
        human_prompt = REFERENCE_HUMAN_PROMPT.format(
            memory=record["new_memory"], paragraph=record["written"], **plans
        )
        reference_prompts.append(("human", human_prompt))
        reference["human"]["prompt"] += count_tokens(human_prompt)
        reference["human"]["reply"] += count_tokens(
            REFERENCE_HUMAN_REPLY.format(
                paragraph=record["written"],
                chosen=choice["chosen_plan"],
                revised=choice["revised_plan"],
            )
        )
        reference["human"]["calls"] += 1

    reference_cached = cached_prefixes([text for _, text in reference_prompts])
    for role in reference:
        reference[role]["cached_schema_last"] = reference[role]["cached_schema_first"] = sum(
            cached
            for (call_role, _), cached in zip(reference_prompts, reference_cached, strict=True)
            if call_role == role
        )

    words = sum(count_words(r["written"]) for r in records)

    billed = ("prompt", "schema", "reply")
    auto = tuple(ours)
    interactive = tuple(role for role in ours if role != SIMULATED_HUMAN)

    def per_word(roles: dict[str, dict[str, int]], keep: tuple[str, ...]) -> float:
        return (
            sum(
                sum(v for k, v in counts.items() if k in billed)
                for role, counts in roles.items()
                if role in keep
            )
            / words
        )

    def uncached_per_word(
        roles: dict[str, dict[str, int]], keep: tuple[str, ...], layout: str
    ) -> float:
        cached = sum(counts[f"cached_{layout}"] for role, counts in roles.items() if role in keep)
        return per_word(roles, keep) - cached / words

    return {
        "steps": len(records),
        "generated_words": words,
        "ours": ours,
        "reference": reference,
        "ours_auto": per_word(ours, auto),
        "ours_interactive": per_word(ours, interactive),
        "reference_auto": per_word(reference, ("step", "human")),
        "reference_interactive": per_word(reference, ("step",)),
        "local_prompt_tokens_per_step": {k: v / len(records) for k, v in local_evaluated.items()},
        "ours_auto_uncached": uncached_per_word(ours, auto, "schema_last"),
        "ours_auto_uncached_schema_first": uncached_per_word(ours, auto, "schema_first"),
        "ours_interactive_uncached": uncached_per_word(ours, interactive, "schema_last"),
        "reference_auto_uncached": uncached_per_word(reference, ("step", "human"), "schema_last"),
        "reference_interactive_uncached": uncached_per_word(reference, ("step",), "schema_last"),
    }
