"""Grammar-forced sampling that checks the chosen token, not the whole vocabulary.

llama-cpp-python 0.3.36 puts the grammar first in its sampler chain, so every token of
a structured reply (the memory update, the plans, the simulated human's choice) runs
the grammar over all 49,152 tokens of SmolLM2's vocabulary. On this project's 2-core
test machine that took generation from 31 to 19 tokens/s: about 20 ms a token, a
fifth of an offline step (bench/results/offline_model.md).

llama.cpp's own samplers (``common_sampler_sample``) avoid it: sample without the
grammar, ask the grammar about the one token chosen, and only when it refuses, apply
the grammar to every candidate and sample again. Greedy decoding gives the same
tokens as the eager chain (tested). Sampling gives the same distribution over the
valid tokens when the chain truncates nothing; with top-k/top-p/min-p the first draw
is truncated over every token rather than over the valid ones, so the two differ
slightly, as llama.cpp's own sampler does. :func:`install` makes ``llama_cpp.Llama``
sample that way; the local model's server process calls it before it starts
(``local_llm``).

Only this module touches llama-cpp-python's private sampler API (``_init_sampler``,
``_internals.LlamaSampler``): it is written against the pinned 0.3.36.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import _internals

from recurrentgpt import llama_patch


class LazyGrammarSampler:
    """A sampler chain plus a grammar that is consulted about the chosen token only.

    It stands in for ``_internals.LlamaSampler`` wherever ``llama_cpp.Llama`` uses
    one: ``sample(ctx, idx)`` picks the next token and accepts it into both the
    chain (penalties, the random state) and the grammar (its parse position).
    """

    def __init__(self, chain: _internals.LlamaSampler, model: Any, grammar: Any) -> None:
        """Sample with ``chain`` (which must hold no grammar) under ``grammar``.

        Args:
            chain: The request's sampler chain built without the grammar.
            model: The ``_internals.LlamaModel`` whose vocabulary the grammar reads.
            grammar: A ``llama_cpp.LlamaGrammar``.
        """
        self.chain = chain
        self.grammar = llama_cpp.llama_sampler_init_grammar(
            model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self.grammar:
            raise ValueError("llama.cpp could not parse the grammar")
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(model.vocab)
        self._candidates = (llama_cpp.llama_token_data * self.n_vocab)()
        self._view = np.ctypeslib.as_array(self._candidates)
        self._ids = np.arange(self.n_vocab, dtype=np.int32)
        self._one = (llama_cpp.llama_token_data * 1)()
        self.redrawn = 0
        """Tokens the grammar refused at first sight (redrawn from the valid ones)."""
        self.sampled = 0

    def sample(self, ctx: _internals.LlamaContext, idx: int = -1) -> int:
        """The next token after the logits at ``idx``, valid for the grammar, accepted."""
        pointer = llama_cpp.llama_get_logits_ith(ctx.ctx, idx)
        logits = np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))
        token = self._draw(logits, constrained=False)
        if not self._allows(token):
            self.redrawn += 1
            token = self._draw(logits, constrained=True)
        self.sampled += 1
        llama_cpp.llama_sampler_accept(self.chain.sampler, token)
        llama_cpp.llama_sampler_accept(self.grammar, token)
        return token

    def _draw(self, logits: np.ndarray, *, constrained: bool) -> int:
        """A token drawn by the chain from every candidate, after the grammar if ``constrained``."""
        self._view["id"] = self._ids
        self._view["logit"] = logits
        self._view["p"] = 0.0
        candidates = llama_cpp.llama_token_data_array(
            data=self._candidates, size=self.n_vocab, selected=-1, sorted=False
        )
        if constrained:
            llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(candidates))
        llama_cpp.llama_sampler_apply(self.chain.sampler, ctypes.byref(candidates))
        if not 0 <= candidates.selected < candidates.size:
            raise RuntimeError("the sampler chain selected no token")
        # Samplers may move ``data`` (top-k sorts into a buffer of its own).
        return int(candidates.data[candidates.selected].id)

    def _allows(self, token: int) -> bool:
        """Whether the grammar, at its current position, accepts ``token`` next."""
        self._one[0] = llama_cpp.llama_token_data(token, 0.0, 0.0)
        single = llama_cpp.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(single))
        return math.isfinite(single.data[0].logit)

    def reset(self) -> None:
        """Start again: the chain's state and the grammar's position."""
        llama_cpp.llama_sampler_reset(self.chain.sampler)
        llama_cpp.llama_sampler_reset(self.grammar)

    def close(self) -> None:
        """Free the grammar (the chain frees itself)."""
        if self.grammar:
            llama_cpp.llama_sampler_free(self.grammar)
            self.grammar = None

    def __del__(self) -> None:
        self.close()


def install() -> None:
    """Make every ``llama_cpp.Llama`` in this process sample grammars lazily. Idempotent."""

    def lazy(eager: Any) -> Any:
        def _init_sampler(self: Any, *args: Any, grammar: Any = None, **kwargs: Any) -> Any:
            chain = eager(self, *args, grammar=None, **kwargs)
            if grammar is None:
                return chain
            return LazyGrammarSampler(chain, self._model, grammar)

        return _init_sampler

    llama_patch.replace("_init_sampler", lazy)


def uninstall() -> None:
    """Give ``llama_cpp.Llama`` its own (eager) grammar sampling back. Idempotent."""
    llama_patch.restore("_init_sampler")
