"""Detokenizing from a table of pieces gives llama-cpp-python's own bytes (bundled model)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("llama_cpp")

import llama_cpp

from recurrentgpt import local_llm, piece_table

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def llama() -> Any:
    return llama_cpp.Llama(
        model_path=str(local_llm.find_default_model()), n_ctx=512, n_threads=1, verbose=False
    )


@pytest.fixture
def installed() -> Iterator[None]:
    piece_table.install()
    try:
        yield
    finally:
        piece_table.uninstall()


def test_every_token_and_random_runs_detokenize_to_the_same_bytes(llama: Any) -> None:
    vocabulary = range(llama.n_vocab())
    bos = llama.token_bos()
    rng = random.Random(9)
    runs = [[bos, *rng.sample(vocabulary, 30)] for _ in range(20)]
    runs += [rng.sample(vocabulary, 30) for _ in range(20)]
    runs += [llama.tokenize(text.encode()) for text in (" leading space", "Ünïcödé 灯塔 🌊", "")]
    for special in (False, True):
        tabled = [piece_table.detokenize(llama, [t], special=special) for t in vocabulary]
        # llama-cpp-python's own detokenizer drops a piece longer than its 32-byte
        # buffer (it slices with the negative length llama.cpp returns): the table
        # keeps it, e.g. a newline and 32 spaces. Every other piece is the same.
        long = {t for t, found in enumerate(tabled) if len(found) > 32}
        assert long and all(llama.detokenize([t], special=special) == b"" for t in long)
        assert [found for t, found in enumerate(tabled) if t not in long] == [
            llama.detokenize([t], special=special) for t in vocabulary if t not in long
        ]
        short_runs = [run for run in runs if not long & set(run)]
        assert [piece_table.detokenize(llama, run, special=special) for run in short_runs] == [
            llama.detokenize(run, special=special) for run in short_runs
        ]


def test_installed_it_serves_a_completion_and_uninstalled_the_original_is_back(
    llama: Any, installed: None
) -> None:
    reply = llama.create_completion("The lighthouse keeper", max_tokens=12, temperature=0.0)
    text = reply["choices"][0]["text"]
    tokens = llama.tokenize(b"The lighthouse keeper" + text.encode(), add_bos=False)
    assert text and llama.detokenize(tokens) == b"The lighthouse keeper" + text.encode()
    assert llama.__dict__[piece_table._TABLES][False]  # the table was used and filled
    piece_table.install()  # twice wraps once
    piece_table.uninstall()
    assert not hasattr(llama_cpp.Llama, "_recurrentgpt_original_detokenize")
