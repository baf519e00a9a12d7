"""Deployment settings that tests clear, so they run with the package defaults."""

from __future__ import annotations

import pytest

DEPLOYMENT_SETTINGS = (
    "RECURRENTGPT_MODEL",
    "RECURRENTGPT_EMBEDDER",
    "RECURRENTGPT_MODE",
    "RECURRENTGPT_LANGUAGE",
    "RECURRENTGPT_DATA_DIR",
    "RECURRENTGPT_QDRANT",
    "RECURRENTGPT_CHECKPOINTS",
    "RECURRENTGPT_TEMPLATES",
    "RECURRENTGPT_STORY_FORM",
    "RECURRENTGPT_MEMORY_BACKEND",
    "RECURRENTGPT_CALLER_SETTINGS",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
    "QDRANT_URL",
    "QDRANT_API_KEY",
)
"""Environment variables that change what the defaults are."""


def clear_deployment_settings(monkeypatch: pytest.MonkeyPatch, *extra: str) -> None:
    """Unset every deployment setting (and ``extra`` names) for one test."""
    for name in (*DEPLOYMENT_SETTINGS, *extra):
        monkeypatch.delenv(name, raising=False)
