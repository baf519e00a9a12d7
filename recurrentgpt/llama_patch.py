"""Replacing a method of ``llama_cpp.Llama`` in this process, and giving it back.

The local model's server changes llama-cpp-python in three places, each by wrapping
one method of ``llama_cpp.Llama``: grammar sampling (``_init_sampler``,
:mod:`recurrentgpt.lazy_grammar`), thread counts (``eval``,
:mod:`recurrentgpt.local_threads`) and detokenizing (``detokenize``,
:mod:`recurrentgpt.piece_table`). The original method is kept on the class under a
name of its own, so replacing twice wraps once and :func:`restore` gives it back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import llama_cpp


def _saved_name(method: str) -> str:
    return f"_recurrentgpt_original_{method}"


def is_replaced(method: str) -> bool:
    """Whether ``llama_cpp.Llama.<method>`` is one :func:`replace` put there."""
    return _saved_name(method) in vars(llama_cpp.Llama)


def replace(method: str, wrap: Callable[[Any], Any]) -> bool:
    """Set ``llama_cpp.Llama.<method>`` to ``wrap(original)``.

    Returns:
        False, changing nothing, when the method is already replaced.
    """
    if is_replaced(method):
        return False
    llama_class: Any = llama_cpp.Llama
    original = getattr(llama_class, method)
    setattr(llama_class, _saved_name(method), original)
    setattr(llama_class, method, wrap(original))
    return True


def restore(method: str) -> None:
    """Give ``llama_cpp.Llama`` its own ``method`` back. Idempotent."""
    llama_class: Any = llama_cpp.Llama
    original = vars(llama_class).get(_saved_name(method))
    if original is not None:
        setattr(llama_class, method, original)
        delattr(llama_class, _saved_name(method))
