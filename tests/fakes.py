"""The one scripted fake chat model of the test suite, plus services built on it.

``ScriptedChatModel`` answers structured requests (tool calls) with valid,
step-numbered content for each schema of ``recurrentgpt.prompts`` and plain
text for the writer, records every prompt it received, and streams text token
by token like a real model. A test can replace the answer for one schema
(``overrides``) to simulate a bad or specific reply.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from typing import Any, cast

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

from recurrentgpt.context import Context
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.services import Role

Answer = dict[str, Any] | str
Responder = Callable[[str, list[BaseMessage], int], Answer]


OPENING_EN = [
    "Opening paragraph one about the old lighthouse keeper Arlo.",
    "Opening paragraph two: Arlo finds a brass key under the stairs.",
    "Opening paragraph three: a storm gathers over the harbour.",
]
OPENING_ZH = [
    "海边有一座古老的灯塔，守塔人名叫林海。",
    "一天夜里，他在楼梯下发现了一封旧信。",
    "信上写着一个陌生的名字：沈月。",
]


VOCABULARY_EN = [
    "walked",
    "along",
    "the",
    "shore",
    "while",
    "wind",
    "rose",
    "thinking",
    "about",
    "key",
    "letter",
    "light",
    "that",
    "had",
    "to",
    "stay",
    "lit",
    "through",
    "night",
    "storm",
    "harbour",
    "stairs",
    "lamp",
    "cellar",
    "ship",
    "tower",
    "glass",
    "rope",
    "salt",
    "gull",
    "bell",
    "fog",
    "lantern",
    "tide",
    "rock",
    "boat",
    "door",
    "window",
    "candle",
    "map",
    "compass",
    "anchor",
    "chain",
]
VOCABULARY_ZH = list("走上楼梯风越来越大他想起了沈月的信海浪灯塔夜晚雾钟声船锚门窗烛光")


def fake_words(n: int, count: int = 26) -> str:
    """Words drawn for call ``n``: each paragraph its own, so none is a copy of another
    (the writer rejects copies)."""
    return " ".join(random.Random(n).sample(VOCABULARY_EN, count))


COMPACT_OPENING_PLAN_END = (
    resources.files("recurrentgpt.prompts")
    .joinpath("compact/opening_plan.txt")
    .read_text(encoding="utf-8")
    .split("$chapter_outline")[-1]
    .strip()
)
"""What the compact opening plan says after the chapter's plan (a fake tells the opening by it)."""


def is_opening(prompt: str) -> bool:
    """Whether a writer's prompt asks for one of the opening's paragraphs."""
    return bool(_FULL_OPENING.search(prompt)) or COMPACT_OPENING_PLAN_END in prompt


_FULL_OPENING = re.compile(r"paragraph (\d) of 3 of the novel's opening", re.IGNORECASE)


def opening_number(prompt: str) -> int | None:
    """Which of the opening's three paragraphs a writer's prompt asks for (None: no opening).

    The full opening plan names its number; the compact one does not, so the
    last paragraph the frame shows tells it (a scripted opening paragraph's
    successor, else the first).
    """
    if match := _FULL_OPENING.search(prompt):
        return int(match.group(1))
    if not is_opening(prompt):
        return None
    last = prompt.split("The last paragraph:\n", 1)[-1]
    for texts in (OPENING_EN, OPENING_ZH):
        for number, text in enumerate(texts[:2], 2):
            # As kept: a small model's paragraph loses a label ("Opening paragraph two:").
            if last.startswith((text, text.split(": ", 1)[-1])):
                return number
    return 1


def _default_answer(schema: str, messages: list[BaseMessage], n: int) -> Answer:
    """A valid answer for ``schema`` (``"text"`` is the writer), numbered by call ``n``."""
    if schema == "PlansAndChoice":  # the planner choosing for the simulated human too
        plans = cast("dict[str, Any]", _default_answer("Plans", messages, n))
        return {**plans, "reason": "More tension.", "chosen_plan": 2}
    prompt = "\n".join(str(m.content) for m in messages)
    language_is_chinese = "Chinese" in str(messages[0].content)
    if schema == "BookOutline":
        count = int(match.group(1)) if (match := re.search(r"in (\d+) chapters", prompt)) else 1
        if language_is_chinese:
            return {
                "title": "灯塔",
                "chapters": [
                    {"title": f"第{i}章", "arc": f"林海在灯塔里发现了第{i}个秘密。"}
                    for i in range(1, count + 1)
                ],
            }
        return {
            "title": "The Lighthouse",
            "chapters": [
                {"title": f"Trial {i}", "arc": f"Arlo faces trial {i} at the lighthouse."}
                for i in range(1, count + 1)
            ],
        }
    if schema == "ChapterPlan":
        if language_is_chinese:
            return {
                "title": f"第{n}次计划",
                "arc": "林海带着信去村里寻找沈月。",
                "outline": "林海在灯塔的楼梯下发现了一封写给沈月的旧信，决定去村里寻找她。",
            }
        return {
            "title": f"Chapter of call {n}",
            "arc": f"Arlo follows the key of call {n}.",
            "outline": f"Detailed outline of call {n}: Arlo takes the key to the tower door.",
        }
    if schema == "text" and (number := opening_number(prompt)):
        if language_is_chinese:
            return OPENING_ZH[number - 1]
        return OPENING_EN[number - 1]
    after_opening = any(
        f"The last paragraph:\n{text}" in prompt for text in (OPENING_EN[2], OPENING_ZH[2])
    )
    if schema == "Plans" and after_opening:
        if language_is_chinese:
            return {
                "plan_1": "林海去村里打听沈月。",
                "plan_2": "林海把信藏起来。",
                "plan_3": "暴风雨来临，灯塔熄灭。",
            }
        return {
            "plan_1": "Arlo opens the locked cellar with the key.",
            "plan_2": "A stranger knocks on the lighthouse door.",
            "plan_3": "The lamp fails as the storm arrives.",
        }
    if schema == "MemoryUpdate":
        update: dict[str, Any] = {
            "rationale": f"Keep the key, add event {n}.",
            "updated_memory": f"Memory after call {n}: Arlo, the key, the storm.",
            "paragraph_summary": f"Summary of paragraph from call {n}.",
            "bible_changes": [
                {"name": "Arlo", "kind": "character", "fact": "Arlo keeps the lighthouse."}
            ],
        }
        if "Next plans:" in prompt:  # the memory updater proposes the plans too
            update["next_plans"] = [
                f"Plan one of call {n}: Arlo climbs the tower.",
                f"Plan two of call {n}: a ship appears.",
                f"Plan three of call {n}: the key glows.",
            ]
            if language_is_chinese:
                update["next_plans"] = [
                    f"第{n}次：林海爬上灯塔。",
                    f"第{n}次：海上出现一艘船。",
                    f"第{n}次：钥匙发出光芒。",
                ]
        return update
    if schema == "Plans" and language_is_chinese:
        return {
            "plan_1": f"第{n}次：林海爬上灯塔。",
            "plan_2": f"第{n}次：海上出现一艘船。",
            "plan_3": f"第{n}次：钥匙发出光芒。",
        }
    if schema == "Plans":
        return {
            "plan_1": f"Plan one of call {n}: Arlo climbs the tower.",
            "plan_2": f"Plan two of call {n}: a ship appears.",
            "plan_3": f"Plan three of call {n}: the key glows.",
        }
    if schema == "ReaderActions":
        return {
            "action_1": f"You climb the tower stairs ({n}).",
            "action_2": f"You row out toward the ship ({n}).",
            "action_3": f"You hide the brass key ({n}).",
        }
    if schema == "ReaderChoice":
        return {"reason": "It is the boldest.", "chosen_action": 2}
    if schema == "HumanChoice":
        return {
            "reason": "More tension.",
            "chosen_plan": 2,
            "revised_plan": f"Revised plan {n}: Arlo rows out toward the ship.",
        }
    if schema == "text" and "second person" in str(messages[0].content):
        return f"Paragraph {n}: you {fake_words(n)}."
    if language_is_chinese:
        return f"第{n}段：林海" + "".join(random.Random(n).sample(VOCABULARY_ZH, 16)) + "。"
    return f"Paragraph {n}: Arlo {fake_words(n)}."


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers every role from a script and records its prompts."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    overrides: dict[str, Responder] = Field(default_factory=dict)
    """Per-schema replacement answers (schema class name, or 'text' for the writer)."""
    calls: list[tuple[str, list[BaseMessage]]] = Field(default_factory=list)
    """Every request received: (schema name or 'text', messages)."""
    counter: Any = Field(default_factory=lambda: itertools.count(1))

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        """Remember the requested schema; ``tool_choice`` is implied."""
        return self.bind(tools=[convert_to_openai_tool(tool) for tool in tools])

    def prompts_for(self, schema: str) -> list[str]:
        """The full text of every prompt sent for ``schema`` ('text': the writer)."""
        return [
            "\n".join(str(m.content) for m in messages)
            for name, messages in self.calls
            if name == schema
        ]

    def _answer(self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None) -> AIMessage:
        schema = tools[0]["function"]["name"] if tools else "text"
        self.calls.append((schema, list(messages)))
        n = next(self.counter)
        responder = self.overrides.get(schema, _default_answer)
        answer = responder(schema, list(messages), n)
        if isinstance(answer, str):
            return AIMessage(content=answer)
        return AIMessage(
            content="",
            tool_calls=[{"name": schema, "args": answer, "id": f"call_{n}", "type": "tool_call"}],
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self._answer(messages, kwargs.get("tools"))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._answer(messages, kwargs.get("tools"))
        if message.tool_calls:
            chunk = AIMessageChunk(
                content="",
                tool_call_chunks=[
                    {
                        "name": call["name"],
                        "args": json.dumps(call["args"]),
                        "id": call["id"],
                        "index": 0,
                        "type": "tool_call_chunk",
                    }
                    for call in message.tool_calls
                ],
            )
            yield ChatGenerationChunk(message=chunk)
            return
        for token in str(message.content).split(" "):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token + " "))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk


class FakeServices:
    """Services with one scripted model for every role and a given long-term memory."""

    def __init__(self, model: ScriptedChatModel, memory: LongTermMemory) -> None:
        self.model = model
        self.memory = memory

    def chat_model(self, role: Role, context: Context) -> BaseChatModel:
        """Every role talks to the same scripted model."""
        return self.model

    def long_term_memory(self, context: Context) -> LongTermMemory:
        """The memory given at construction."""
        return self.memory
