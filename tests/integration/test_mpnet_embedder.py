"""The optional 'local:all-mpnet-base-v2', from its installed parts, offline (skipped if absent)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from recurrentgpt import embeddings
from recurrentgpt.embeddings import load_embeddings
from recurrentgpt.split_model import SplitModelMissing, installed_parts

pytestmark = pytest.mark.integration


def test_mpnet_extracts_loads_and_matches_a_paraphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        installed_parts()
    except SplitModelMissing:
        pytest.skip("all-mpnet-base-v2 is not installed (scripts/install_mpnet.sh)")
    monkeypatch.setenv("RECURRENTGPT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(embeddings, "_cache", {})
    model = load_embeddings("local:all-mpnet-base-v2")
    fact, other = model.embed_documents(
        [
            "Oskar buries a tin of silver coins marked with a crowned heron.",
            "Petra and Tomas argue about herring prices at the fish market.",
        ]
    )
    plan = model.embed_query("A piece of money showing a royal wading bird appears at the market.")
    assert len(plan) == 768
    assert math.isclose(math.fsum(v * v for v in plan), 1.0, rel_tol=1e-4)
    assert (tmp_path / "embedders" / "all-mpnet-base-v2" / "model.safetensors").is_file()

    def cosine(a: list[float], b: list[float]) -> float:
        return math.fsum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(plan, fact) > cosine(plan, other)
