"""Detokenizing from a table of token pieces, not one C call per token each time.

llama-cpp-python 0.3.36 detokenizes the whole reply so far after every token it
generates (to look for stop strings and to stream the new text), and its detokenizer
makes one ``llama_token_to_piece`` call through ctypes per token: a 400-token reply
makes about 80,000 of them. Measured in process with the bundled model (cProfile of
a streamed 400-token reply): 0.28 s of its 6.7 s, 0.7 ms a token, on a core that
llama.cpp's own threads want. :func:`install` makes ``Llama.detokenize`` join pieces
from a table that each model fills once per token id, a dictionary lookup per token:
0.055 s for the same reply.
The bytes are the same (tested over the whole vocabulary) but for one fix: 0.3.36
drops a piece longer than its 32-byte buffer (it slices with the negative length
llama.cpp returns for it), where the table keeps it (47 of SmolLM2's pieces: runs of
spaces or dashes after a newline, as in code and tables). The local model's server process
installs it (``local_llm``), like :mod:`recurrentgpt.lazy_grammar`.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

import llama_cpp
from llama_cpp import llama_tokenizer

from recurrentgpt import llama_patch

_TABLES = "_recurrentgpt_piece_tables"
"""Attribute of a ``Llama`` holding its tables: one for plain pieces, one with special tokens."""


def piece(model: Any, token: int, *, special: bool) -> bytes:
    """The bytes llama.cpp renders for ``token`` alone (``model``: an ``_internals.LlamaModel``)."""
    size = 64
    buffer = ctypes.create_string_buffer(size)
    length = llama_cpp.llama_token_to_piece(
        model.vocab, llama_cpp.llama_token(token), buffer, size, 0, special
    )
    if length < 0:  # the piece is longer than the buffer: -length is what it needs
        size = -length
        buffer = ctypes.create_string_buffer(size)
        length = llama_cpp.llama_token_to_piece(
            model.vocab, llama_cpp.llama_token(token), buffer, size, 0, special
        )
    return buffer.raw[:length]


def detokenize(llama: Any, tokens: Sequence[int], *, special: bool = False) -> bytes:
    """What ``llama_cpp``'s own detokenizer returns for ``tokens``, from ``llama``'s table.

    As there, a leading space is dropped when the first token is the BOS token.
    """
    tables: tuple[dict[int, bytes], dict[int, bytes]] | None = llama.__dict__.get(_TABLES)
    if tables is None:
        # Made once per model, not per call: this runs a few times for every token.
        tables = llama.__dict__[_TABLES] = ({}, {})
    table = tables[special]
    model = llama._model
    parts = []
    for token in tokens:
        found = table.get(token)
        if found is None:
            found = table[token] = piece(model, token, special=special)
        parts.append(found)
    output = b"".join(parts)
    if len(tokens) > 0 and tokens[0] == model.token_bos() and output[:1] == b" ":
        return output[1:]
    return output


def install() -> None:
    """Make every ``llama_cpp.Llama`` in this process detokenize from its table. Idempotent.

    A ``Llama`` given another tokenizer (a Hugging Face one) keeps its own.
    """

    def tabled(original: Any) -> Any:
        def _detokenize(
            self: Any,
            tokens: list[int],
            prev_tokens: list[int] | None = None,
            special: bool = False,
        ) -> bytes:
            if type(self.tokenizer_) is not llama_tokenizer.LlamaTokenizer:
                return bytes(original(self, tokens, prev_tokens=prev_tokens, special=special))
            return detokenize(self, tokens, special=special)

        return _detokenize

    llama_patch.replace("detokenize", tabled)


def uninstall() -> None:
    """Give ``llama_cpp.Llama`` its own detokenizer back. Idempotent."""
    llama_patch.restore("detokenize")
