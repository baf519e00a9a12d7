"""Run-time configuration: validation errors and environment fallbacks."""

from __future__ import annotations

import os

import pytest
from platformdirs import user_data_dir

from recurrentgpt.context import DEFAULT_MODEL, Context


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"mode": "bogus"}, "mode"),
        ({"retrieval_k": -1}, "retrieval_k"),
        ({"words_per_paragraph": 5}, "words_per_paragraph"),
        ({"short_term_memory_words": 10}, "short_term_memory_words"),
        ({"max_attempts": 0}, "max_attempts"),
    ],
)
def test_invalid_settings_raise_a_clear_error(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Context(**settings)


def test_zero_retrieval_k_is_allowed() -> None:
    assert Context(retrieval_k=0).retrieval_k == 0


def test_bad_mode_from_the_environment_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECURRENTGPT_MODE", "sometimes")
    with pytest.raises(ValueError, match="sometimes"):
        Context()


def test_defaults_without_environment() -> None:
    context = Context()
    assert context.model == DEFAULT_MODEL
    assert context.base_url == ""
    assert context.mode == "interactive"
    # The user data folder, so a novel is found from any working folder.
    assert context.data_dir == user_data_dir("recurrentgpt", appauthor=False)
    assert os.path.isabs(context.data_dir)
    assert context.resolved_qdrant_location == os.path.join(context.data_dir, "qdrant")


def test_environment_fills_fields_left_at_their_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECURRENTGPT_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1")
    monkeypatch.setenv("RECURRENTGPT_EMBEDDER", "hash:32")
    monkeypatch.setenv("RECURRENTGPT_DATA_DIR", "/tmp/somewhere")
    monkeypatch.setenv("RECURRENTGPT_LANGUAGE", "Chinese")
    monkeypatch.setenv("RECURRENTGPT_MODE", "auto")
    context = Context()
    assert context.language == "Chinese"
    assert context.mode == "auto"
    assert context.model == "openai:gpt-4o-mini"
    assert context.base_url == "http://127.0.0.1:9999/v1"
    assert context.embedder == "hash:32"
    assert context.resolved_qdrant_location == os.path.join("/tmp/somewhere", "qdrant")
    assert context.model_for("writer") == "openai:gpt-4o-mini"


def test_explicit_values_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECURRENTGPT_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1")
    context = Context(model="ollama:llama3", base_url="http://localhost:11434/v1")
    assert context.model == "ollama:llama3"
    assert context.base_url == "http://localhost:11434/v1"


def test_role_models_fall_back_to_the_default_model() -> None:
    context = Context(model="openai:a", planner_model="openai:b")
    assert context.model_for("planner") == "openai:b"
    assert context.model_for("writer") == "openai:a"
    assert context.model_for("start") == "openai:a"


def test_chapters_are_planned_by_the_chapter_model_else_the_planner_model() -> None:
    assert Context(model="openai:a", planner_model="openai:b").model_for("chapter") == "openai:b"
    both = Context(model="openai:a", planner_model="openai:b", chapter_model="openai:c")
    assert both.model_for("chapter") == "openai:c"
    assert Context(model="openai:a").model_for("chapter") == "openai:a"


@pytest.mark.parametrize(
    ("settings", "asked"),
    [
        ({"model": "openai:gpt-4o-mini"}, True),
        ({"model": "local:smollm2"}, False),
        ({"model": "openai:gpt-4o-mini", "memory_model": "local:smollm2"}, False),
        ({"model": "local:smollm2", "memory_model": "openai:gpt-4o-mini"}, True),
        ({"model": "local:smollm2", "plans_by": "memory"}, True),
        ({"model": "openai:gpt-4o-mini", "plans_by": "planner"}, False),
    ],
)
def test_the_memory_updater_is_asked_for_plans_unless_it_is_a_bundled_model(
    settings: dict, asked: bool
) -> None:
    assert Context(**settings).memory_updater_plans is asked


@pytest.mark.parametrize(
    ("settings", "revises"),
    [
        ({"model": "openai:gpt-4o-mini"}, True),
        ({"model": "local:smollm2"}, False),
        ({"model": "openai:gpt-4o-mini", "human_model": "local:smollm2"}, False),
        ({"model": "local:smollm2", "human_revises": "yes"}, True),
        ({"model": "openai:gpt-4o-mini", "human_revises": "no"}, False),
    ],
)
def test_the_simulated_human_revises_its_choice_unless_it_is_a_bundled_model(
    settings: dict, revises: bool
) -> None:
    assert Context(**settings).simulated_human_revises is revises


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"model": "openai:gpt-4o-mini"}, 400),
        ({"model": "local:smollm2"}, 150),
        ({"model": "openai:gpt-4o-mini", "memory_model": "local:smollm2"}, 150),
        ({"model": "local:smollm2", "short_term_memory_words": 300}, 300),
    ],
)
def test_a_bundled_models_memory_is_capped_shorter_unless_set(settings: dict, words: int) -> None:
    assert Context(**settings).memory_words == words


def test_a_bad_human_revises_setting_is_named() -> None:
    with pytest.raises(ValueError, match="human_revises must be"):
        Context(human_revises="sometimes")  # type: ignore[arg-type]


def test_qdrant_location_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECURRENTGPT_QDRANT", "/tmp/q")
    assert Context().resolved_qdrant_location == "/tmp/q"
    monkeypatch.setenv("QDRANT_URL", "http://qdrant:6333")
    assert Context().resolved_qdrant_location == "http://qdrant:6333"
    assert Context(qdrant_location=":memory:").resolved_qdrant_location == ":memory:"


def test_explicit_default_value_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Passing the default value explicitly is still an explicit choice.
    monkeypatch.setenv("RECURRENTGPT_MODE", "auto")
    monkeypatch.setenv("RECURRENTGPT_LANGUAGE", "Chinese")
    context = Context(mode="interactive", language="English")
    assert context.mode == "interactive"
    assert context.language == "English"
