"""Model faults through the real OpenAI client against a loopback endpoint that fails on cue.

Transient faults are ridden out without using up an attempt; permanent ones stop
after one request with a message that says what to fix. Waiting is replaced by a
fake clock, so the tests check the waits chosen, not the wall clock.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from recurrentgpt import llm, services
from recurrentgpt.context import Context
from recurrentgpt.faults import retry_after_seconds
from recurrentgpt.llm import ModelRequestError, ModelUnreachableError, ask_structured, ask_text
from tests.faulty_provider import Fault, faulty_provider

REPLY = "Arlo climbed the tower stairs while the storm gathered over the dark grey sea."


class FakeClock:
    """Stands in for the wall clock of recurrentgpt.llm: a sleep moves it forward."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(llm, "_monotonic", fake.monotonic)
    monkeypatch.setattr(llm, "_sleep", fake.sleep)
    return fake


async def write(
    faults: list[Fault],
    *,
    max_attempts: int = 1,
    outage_seconds: float = 60.0,
    reply: str = REPLY,
) -> tuple[Any, int]:
    """Ask the writer role through the faulty endpoint; returns (outcome, requests sent)."""
    with faulty_provider(faults, reply) as provider:
        context = Context(model="openai:faulty", base_url=provider.base_url, api_key="k")
        model = services.build_chat_model("openai:faulty", context=context, max_tokens=64)
        try:
            outcome: Any = await ask_text(
                model,
                [],
                role="writer",
                min_words=5,
                max_attempts=max_attempts,
                outage_seconds=outage_seconds,
            )
        except Exception as error:  # the test inspects what was raised
            outcome = error
        return outcome, provider.requests


async def test_a_reply_stopped_at_its_token_cap_loses_its_unfinished_sentence(
    clock: FakeClock,
) -> None:
    ran_on = f"{REPLY} The keeper lit the lamp and watched the waves. Then she saw the"
    outcome, _ = await write([("length",)], reply=ran_on)
    assert outcome == f"{REPLY} The keeper lit the lamp and watched the waves."
    finished, _ = await write([("ok",)], reply=ran_on)  # a reply that ends so on purpose
    assert finished == ran_on


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (401, "the API key was refused"),
        (403, "may not use this model"),
        (404, "check the model name and the base URL"),
        (400, "the provider refused the request"),
    ],
)
async def test_a_permanent_fault_stops_after_one_request_and_says_what_to_fix(
    clock: FakeClock, status: int, hint: str
) -> None:
    outcome, requests = await write([("status", status)], max_attempts=3)
    assert isinstance(outcome, ModelRequestError)
    assert requests == 1
    assert hint in str(outcome)
    assert f" {status}" in str(outcome)
    assert "Nothing is lost" in str(outcome)
    assert clock.waits == []


async def test_a_prompt_over_the_context_says_how_to_shorten_it(clock: FakeClock) -> None:
    too_long = "This model's maximum context length is 8192 tokens; you requested 9000."
    outcome, requests = await write([("status", 400, {}, too_long)], max_attempts=3)
    assert isinstance(outcome, ModelRequestError)
    assert requests == 1
    assert "lower retrieval_k, words_per_paragraph or short_term_memory_words" in str(outcome)


@pytest.mark.parametrize(
    "fault",
    [("status", 500), ("status", 502), ("status", 503), ("reset",)],
    ids=["500", "502", "503", "connection-reset"],
)
async def test_a_brief_outage_is_ridden_out_without_using_an_attempt(
    clock: FakeClock, fault: Fault
) -> None:
    outcome, requests = await write([fault, fault, fault], max_attempts=1)
    assert outcome == REPLY
    assert requests == 4
    assert len(clock.waits) == 3
    assert clock.waits[0] <= clock.waits[2] * 2  # backs off (with jitter)


async def test_a_rate_limit_is_waited_out_as_long_as_retry_after_says(clock: FakeClock) -> None:
    outcome, requests = await write([("status", 429, {"Retry-After": "7"})], max_attempts=1)
    assert outcome == REPLY
    assert requests == 2
    assert clock.waits == [7.0]


async def test_an_outage_longer_than_the_budget_stops_resumably(clock: FakeClock) -> None:
    outcome, requests = await write([("status", 503)] * 50, outage_seconds=20)
    assert isinstance(outcome, ModelUnreachableError)
    assert "kept failing" in str(outcome) and "model_outage_seconds" in str(outcome)
    assert sum(clock.waits) <= 20
    assert 2 <= requests < 50


async def test_a_stalled_reply_times_out_and_is_sent_again(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "REQUEST_TIMEOUT_SECONDS", 0.5)
    outcome, requests = await write([("stall", 3)], max_attempts=1)
    assert outcome == REPLY
    assert requests == 2


async def test_a_reply_that_is_not_json_uses_an_attempt(clock: FakeClock) -> None:
    outcome, requests = await write([("garbage",)], max_attempts=2)
    assert outcome == REPLY
    assert requests == 2
    outcome, requests = await write([("garbage",), ("garbage",)], max_attempts=2)
    assert isinstance(outcome, llm.LLMReplyError)
    assert requests == 2


def test_retry_after_in_milliseconds_and_as_a_date() -> None:
    class Response:
        def __init__(self, headers: dict[str, str]) -> None:
            self.headers = headers

    class Limited(Exception):
        status_code = 429

        def __init__(self, headers: dict[str, str]) -> None:
            super().__init__("slow down")
            self.response = Response(headers)

    assert retry_after_seconds(Limited({"retry-after-ms": "1500"})) == 1.5
    in_ten = retry_after_seconds(
        Limited({"retry-after": "Wed, 21 Oct 2015 07:28:10 GMT"}), now=1445412480.0
    )
    assert in_ten == pytest.approx(10.0)
    assert retry_after_seconds(Limited({})) is None


async def ask_streamed(faults: list[Fault]) -> tuple[Any, int]:
    """As :func:`write`, with the reply streamed (as when a caller streams tokens)."""
    with faulty_provider(faults, REPLY) as provider:
        context = Context(model="openai:faulty", base_url=provider.base_url, api_key="k")
        model = services.build_chat_model("openai:faulty", context=context, max_tokens=64)
        try:
            outcome: Any = await ask_text(
                model.model_copy(update={"streaming": True}), [], role="writer", min_words=5
            )
        except Exception as error:
            outcome = error
        return outcome, provider.requests


async def test_a_reply_cut_off_mid_body_is_sent_again_without_using_an_attempt(
    clock: FakeClock,
) -> None:
    outcome, requests = await write([("truncate",)], max_attempts=1)
    assert outcome == REPLY
    assert requests == 2 and len(clock.waits) == 1


async def test_a_stream_cut_off_midway_is_never_taken_for_a_short_paragraph(
    clock: FakeClock,
) -> None:
    # The stream ends cleanly as far as the client knows (no [DONE], no finish
    # reason): its first half used to be kept as the paragraph.
    outcome, requests = await ask_streamed([("truncate",), ("truncate",)])
    assert outcome == REPLY
    assert requests == 3 and len(clock.waits) == 2


async def test_a_stream_cut_off_for_longer_than_the_budget_says_so(clock: FakeClock) -> None:
    outcome, _ = await ask_streamed([("truncate",)] * 50)
    assert isinstance(outcome, ModelUnreachableError)
    assert "reply stream ended before its last chunk" in str(outcome)


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        (("empty",), "the reply was empty"),
        (("no_choices",), "the provider's reply held no message (no choices)"),
    ],
    ids=["empty-content", "no-choices"],
)
async def test_an_empty_reply_uses_an_attempt_and_says_it_was_empty(
    clock: FakeClock, fault: Fault, problem: str, streamed: bool
) -> None:
    async def run(script: list[Fault]) -> tuple[Any, int]:
        return await (ask_streamed(script) if streamed else write(script, max_attempts=3))

    outcome, requests = await run([fault])
    assert outcome == REPLY and requests == 2 and clock.waits == []
    outcome, requests = await run([fault] * 3)
    assert isinstance(outcome, llm.LLMReplyError)
    assert requests == 3 and problem in str(outcome) and "Nothing is lost" in str(outcome)


class Direction(BaseModel):
    """What the next paragraph does."""

    instruction: str = Field(max_length=200)
    chapter: int


async def plan(faults: list[Fault], *, max_attempts: int = 2) -> tuple[Any, int]:
    """Ask a structured role through the faulty endpoint."""
    good = {"instruction": "Arlo opens the door.", "chapter": 1}
    with faulty_provider(faults, REPLY, good) as provider:
        context = Context(model="openai:faulty", base_url=provider.base_url, api_key="k")
        model = services.build_chat_model("openai:faulty", context=context, max_tokens=64)
        try:
            outcome: Any = await ask_structured(
                model, Direction, [], role="planner", max_attempts=max_attempts
            )
        except Exception as error:
            outcome = error
        return outcome, provider.requests


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"plan": "Arlo opens the door."}, "instruction: Field required; chapter: Field required"),
        ({"instruction": ["a", "list"], "chapter": "one"}, "instruction: Input should be a valid"),
        ([1, 2, 3], "the reply's tool call arguments are not a JSON object"),
    ],
    ids=["wrong-fields", "wrong-types", "not-an-object"],
)
async def test_a_reply_in_the_wrong_schema_uses_an_attempt_and_names_the_fields(
    clock: FakeClock, arguments: Any, problem: str
) -> None:
    outcome, requests = await plan([("wrong_schema", arguments)])
    assert outcome == Direction(instruction="Arlo opens the door.", chapter=1)
    assert requests == 2
    outcome, requests = await plan([("wrong_schema", arguments)] * 2)
    assert isinstance(outcome, llm.LLMReplyError) and requests == 2
    assert problem in str(outcome) and "\n" not in str(outcome)


@pytest.mark.parametrize(
    ("fault", "problem"),
    [(("empty",), "the reply was empty"), (("no_choices",), "no choices")],
    ids=["empty", "no-choices"],
)
async def test_an_empty_structured_reply_uses_an_attempt(
    clock: FakeClock, fault: Fault, problem: str
) -> None:
    outcome, requests = await plan([fault])
    assert isinstance(outcome, Direction) and requests == 2
    outcome, _ = await plan([fault, fault])
    assert isinstance(outcome, llm.LLMReplyError) and problem in str(outcome)
