"""The lazy grammar sampler with the bundled model (llama.cpp in this process)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("llama_cpp")

import llama_cpp
from llama_cpp.llama_grammar import LlamaGrammar

from recurrentgpt import lazy_grammar, local_llm

pytestmark = pytest.mark.integration

PROMPT = (
    "<|im_start|>user\nPropose three plans for the next paragraph of a mystery novel "
    "about a lighthouse keeper, as JSON.<|im_end|>\n<|im_start|>assistant\n"
)
PLANS_SCHEMA = {
    "type": "object",
    "properties": {
        "reason": {"type": "string", "maxLength": 120},
        "plans": {
            "type": "array",
            "items": {"type": "string", "maxLength": 150},
            "minItems": 3,
            "maxItems": 3,
        },
    },
    "required": ["reason", "plans"],
}


@pytest.fixture(scope="module")
def llama() -> Any:
    return llama_cpp.Llama(
        model_path=str(local_llm.find_default_model()), n_ctx=2048, n_threads=1, verbose=False
    )


@pytest.fixture
def lazy() -> Iterator[list[lazy_grammar.LazyGrammarSampler]]:
    """Lazy sampling installed; yields the samplers it creates, in order."""
    created: list[lazy_grammar.LazyGrammarSampler] = []

    class Recorded(lazy_grammar.LazyGrammarSampler):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            created.append(self)

    original = lazy_grammar.LazyGrammarSampler
    lazy_grammar.LazyGrammarSampler = Recorded  # type: ignore[misc]
    lazy_grammar.install()
    try:
        yield created
    finally:
        lazy_grammar.uninstall()
        lazy_grammar.LazyGrammarSampler = original  # type: ignore[misc]


def _complete(llama: Any, grammar: LlamaGrammar, **options: Any) -> str:
    reply = llama.create_completion(PROMPT, max_tokens=300, grammar=grammar, **options)
    text: str = reply["choices"][0]["text"]
    return text


def test_greedy_reply_is_the_one_the_eager_grammar_gives(
    llama: Any, lazy: list[lazy_grammar.LazyGrammarSampler]
) -> None:
    grammar = LlamaGrammar.from_json_schema(json.dumps(PLANS_SCHEMA), verbose=False)
    lazy_reply = _complete(llama, grammar, temperature=0.0)
    assert lazy, "the lazy sampler was not used"
    lazy_grammar.uninstall()
    eager_reply = _complete(llama, grammar, temperature=0.0)

    assert lazy_reply == eager_reply
    assert len(json.loads(lazy_reply)["plans"]) == 3


def test_sampled_replies_keep_to_the_grammar(
    llama: Any, lazy: list[lazy_grammar.LazyGrammarSampler]
) -> None:
    grammar = LlamaGrammar.from_json_schema(json.dumps(PLANS_SCHEMA), verbose=False)
    for seed in range(3):
        reply = json.loads(_complete(llama, grammar, temperature=0.8, seed=seed))
        assert len(reply["plans"]) == 3
    assert len(lazy) == 3


def test_a_token_the_grammar_refuses_is_drawn_again_from_the_valid_ones(
    llama: Any, lazy: list[lazy_grammar.LazyGrammarSampler]
) -> None:
    # Nothing in the prompt leads the model to this: most of its first choices are refused.
    grammar = LlamaGrammar.from_string('root ::= "QZX-" [0-9] [0-9] [0-9] [0-9]', verbose=False)
    reply = _complete(llama, grammar, temperature=0.8, seed=7)

    assert re.fullmatch(r"QZX-[0-9]{4}", reply), reply
    (sampler,) = lazy
    assert sampler.redrawn > 0
    assert sampler.sampled >= sampler.redrawn
