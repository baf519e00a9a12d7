"""The warm start (recurrentgpt/warm.py): on by default, once per process, off by setting."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from recurrentgpt import warm
from recurrentgpt.context import Context
from recurrentgpt.embeddings import load_embeddings
from recurrentgpt.memory.opening import close_stores


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process in which no warm start has run yet."""
    monkeypatch.setattr(warm, "_started", threading.Lock())
    monkeypatch.setattr(warm, "done", threading.Event())


@pytest.mark.usefixtures("fresh")
def test_warm_start_loads_once_per_process_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(warm.WARM_START_ENV, raising=False)
    loaded: list[str] = []
    monkeypatch.setattr(warm, "warm", lambda context: loaded.append(context.embedder))
    context = Context(embedder="hash:32", data_dir=str(tmp_path))

    first = warm.start_warming(context)
    again = warm.start_warming(context)

    assert first is not None and again is None
    first.join(timeout=30)
    assert warm.done.is_set() and loaded == ["hash:32"]


@pytest.mark.usefixtures("fresh")
def test_warm_start_is_off_when_the_operator_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(warm.WARM_START_ENV, "0")
    assert warm.start_warming() is None
    assert warm.done.is_set()


def test_warm_builds_the_embedder_store_and_model_client(tmp_path: Path) -> None:
    context = Context(
        embedder="hash:32",
        data_dir=str(tmp_path),
        model="openai:any",
        base_url="http://127.0.0.1:9/v1",
        api_key="unused",
    )
    try:
        warm.warm(context)
        assert (tmp_path / "qdrant").is_dir()
        assert load_embeddings("hash:32").embed_query("x")
    finally:
        close_stores()
