"""The planted-fact probe's harness (bench/planted_fact.py) on a short novel.

The real figure needs 300 paragraphs and the default embedder (``python -m
bench.planted_fact``); here a fast embedder and two controls show that the
harness counts a fact as reached exactly when it comes back into the prompt.
"""

from __future__ import annotations

import pytest

from bench.planted_fact import MEMORY_SUMMARIES, headline, run_probe

PARAGRAPHS = 21
"""Opening + 18 steps: facts are planted at steps 2 and 4; the plans of steps 12, 15 and
18 need one."""
SHORT = {"embedder": "hash:256", "facts": 2, "first_need": 12, "need_every": 3}


async def test_without_retrieval_no_planted_fact_comes_back(tmp_path):
    # Needs start long after the short-term memory dropped the planted paragraphs.
    assert SHORT["first_need"] > 4 + MEMORY_SUMMARIES
    result = await run_probe(PARAGRAPHS, **SHORT, retrieval_k=0, data_dir=str(tmp_path))
    assert result["paragraphs"] == PARAGRAPHS
    assert result["needing_steps"] == 3
    # The short-term memory has long forgotten the facts and nothing is retrieved: only a
    # story bible (when the graph keeps one) could still bring them back.
    assert result["via_retrieval"] == 0
    assert result["reached"] == result["via_other"]
    assert result["reached"] + len(result["missed"]) == 3
    assert result["share"] == result["reached"] / 3


async def test_retrieving_every_passage_brings_every_planted_fact_back(tmp_path):
    result = await run_probe(PARAGRAPHS, **SHORT, retrieval_k=50, data_dir=str(tmp_path))
    assert result["needing_steps"] == 3
    assert result["reached"] == result["via_retrieval"] == 3
    assert result["share"] == 1.0 and result["missed"] == []
    assert "3/3" in headline(result) and "met" in headline(result)


async def test_the_probe_refuses_a_number_of_facts_it_does_not_have():
    with pytest.raises(ValueError, match="facts must be between 1 and 8, got 9"):
        await run_probe(10, facts=9)


def test_the_headline_says_missed_below_the_goal():
    result = {
        "paragraphs": 300,
        "embedder": "local:all-MiniLM-L6-v2",
        "retrieval_k": 3,
        "reached": 11,
        "needing_steps": 28,
        "share": 11 / 28,
        "via_retrieval": 11,
        "via_other": 0,
        "goal": 0.95,
        "seconds": 1.0,
    }
    line = headline(result)
    assert "11/28 steps" in line and "39.3 %" in line and line.endswith("MISSED (1 s)")
