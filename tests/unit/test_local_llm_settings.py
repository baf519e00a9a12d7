"""Settings of the local model server that need no server to check."""

from __future__ import annotations

import pytest

from recurrentgpt.local_llm import (
    DEFAULT_PROMPT_CACHE_MB,
    PROMPT_CACHE_ENV,
    LocalLLMError,
    prompt_cache_mb,
)


def test_the_prompt_cache_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROMPT_CACHE_ENV, raising=False)
    assert prompt_cache_mb() == DEFAULT_PROMPT_CACHE_MB == 0


@pytest.mark.parametrize(
    ("value", "expected"), [("0", 0), (" 64 ", 64), ("", DEFAULT_PROMPT_CACHE_MB)]
)
def test_the_prompt_cache_size_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: int
) -> None:
    monkeypatch.setenv(PROMPT_CACHE_ENV, value)
    assert prompt_cache_mb() == expected


@pytest.mark.parametrize("value", ["-1", "lots", "1.5"])
def test_a_bad_prompt_cache_size_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(PROMPT_CACHE_ENV, value)
    with pytest.raises(LocalLLMError, match=f"{PROMPT_CACHE_ENV}='{value}' must be a whole"):
        prompt_cache_mb()
