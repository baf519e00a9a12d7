"""The default embedder 'local:all-mpnet-base-v2', real and offline, and the switch from MiniLM.

It must be installed (``make setup`` runs ``python -m recurrentgpt.embeddings install``):
this fails, naming that command, rather than skipping, because every default run needs it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from recurrentgpt.context import DEFAULT_EMBEDDER, Context, embedder_chosen
from recurrentgpt.embeddings import MINILM, MPNET, load_embeddings, mpnet_folder
from recurrentgpt.memory import Passage
from recurrentgpt.memory.opening import close_stores
from recurrentgpt.services import DefaultServices

pytestmark = pytest.mark.integration


def test_mpnet_loads_offline_and_matches_a_paraphrase() -> None:
    assert DEFAULT_EMBEDDER == MPNET
    model = load_embeddings(MPNET)
    fact, other = model.embed_documents(
        [
            "Oskar buries a tin of silver coins marked with a crowned heron.",
            "Petra and Tomas argue about herring prices at the fish market.",
        ]
    )
    plan = model.embed_query("A piece of money showing a royal wading bird appears at the market.")
    assert len(plan) == 768
    assert math.isclose(math.fsum(v * v for v in plan), 1.0, rel_tol=1e-4)
    assert (Path(mpnet_folder()) / "model.safetensors").is_file()

    def cosine(a: list[float], b: list[float]) -> float:
        return math.fsum(x * y for x, y in zip(a, b, strict=True))

    assert cosine(plan, fact) > cosine(plan, other)


def passage(position: int, text: str) -> Passage:
    return Passage(
        novel_id="n",
        branch_id="main",
        position=position,
        step=position,
        chapter=1,
        text=text,
        summary=text,
    )


async def test_a_minilm_data_dir_goes_on_with_minilm_and_a_new_one_gets_mpnet(
    tmp_path: Path,
) -> None:
    close_stores()
    old, new = tmp_path / "old", tmp_path / "new"
    # A data dir written by the previous default (the record says MiniLM).
    written = DefaultServices().long_term_memory(Context(data_dir=str(old), embedder=MINILM))
    await written.store_many([passage(0, "Oskar buries a tin of silver coins by the old mill.")])
    close_stores()

    default = Context(data_dir=str(old))
    assert not embedder_chosen(default) and default.embedder == MPNET
    memory = DefaultServices().long_term_memory(default)
    assert memory.embedder == MINILM, "the store's record wins over the new default"
    await memory.store_many([passage(1, "Petra sells herring at the fish market.")])
    found = await memory.search(
        "Where are the coins buried?",
        novel_id="n",
        branch_id="main",
        segments=[],
        before_position=9,
        k=1,
    )
    assert [p.position for p in found] == [0]
    assert memory.backend.embedder() == MINILM and memory.backend.dimensions() == 384
    close_stores()

    fresh = DefaultServices().long_term_memory(Context(data_dir=str(new)))
    assert fresh.embedder == MPNET
    await fresh.store_many([passage(0, "Oskar buries a tin of silver coins by the old mill.")])
    assert fresh.backend.embedder() == MPNET and fresh.backend.dimensions() == 768
    close_stores()
