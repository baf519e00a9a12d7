"""A model folder shipped as one zip split over several packages: read in place, extracted once."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from recurrentgpt import embeddings
from recurrentgpt.embeddings import EmbedderConfigError, load_embeddings
from recurrentgpt.split_model import (
    MPNET_PARTS,
    JoinedParts,
    SplitModelMissing,
    extract_once,
    installed_parts,
)

WEIGHTS = bytes(range(256)) * 400
"""Stands in for model.safetensors: large enough that members cross part boundaries."""


def split(data: bytes, folder: Path, sizes: list[int]) -> list[Path]:
    """``data`` written as consecutive parts of ``sizes`` (the last takes the rest)."""
    folder.mkdir(parents=True, exist_ok=True)
    parts, start = [], 0
    for index, size in enumerate([*sizes, len(data)], start=1):
        path = folder / f"model.zip.{index:03d}"
        path.write_bytes(data[start : start + size])
        parts.append(path)
        start += size
        if start >= len(data):
            break
    return parts


def archive_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


MODEL = {
    "model/modules.json": b"[]",
    "model/1_Pooling/config.json": b"{}",
    "model/model.safetensors": WEIGHTS,
    "model/desktop.ini": b"[.ShellClassInfo]",
    "elsewhere/readme.txt": b"not the model",
}


def test_joined_parts_read_and_seek_across_boundaries(tmp_path: Path) -> None:
    data = bytes(range(200)) * 3
    parts = split(data, tmp_path, [7, 0, 250, 1])
    with JoinedParts(parts) as joined:
        assert joined.read() == data
        joined.seek(5)
        assert joined.read(10) == data[5:15]  # across the first part's end and an empty part
        joined.seek(-3, io.SEEK_END)
        assert joined.read() == data[-3:]
        joined.seek(2, io.SEEK_CUR)
        assert joined.read(4) == b""  # past the end
        with pytest.raises(ValueError, match="negative"):
            joined.seek(-1)


def test_extract_once_gives_the_model_folder_without_junk(tmp_path: Path) -> None:
    parts = split(archive_bytes(MODEL), tmp_path / "parts", [3000, 9000, 20000])
    cache = tmp_path / "cache"
    folder = extract_once(parts, "model", cache)
    assert folder == cache / "model"
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert (folder / "1_Pooling" / "config.json").read_bytes() == b"{}"
    assert not (folder / "desktop.ini").exists()
    assert sorted(p.name for p in cache.iterdir()) == ["model"]  # no temporary folder left
    for part in parts:
        part.unlink()
    # Extracted once: a later load reads the folder, not the parts.
    assert extract_once(parts, "model", cache) == folder


def test_a_damaged_part_leaves_nothing_behind(tmp_path: Path) -> None:
    data = bytearray(archive_bytes(MODEL))
    middle = data.find(b"model/model.safetensors") + 200  # inside the weights' data
    data[middle] ^= 0xFF
    parts = split(bytes(data), tmp_path / "parts", [4000])
    cache = tmp_path / "cache"
    with pytest.raises(zipfile.BadZipFile):
        extract_once(parts, "model", cache)
    assert list(cache.iterdir()) == []


def test_an_archive_without_the_folder_is_refused(tmp_path: Path) -> None:
    parts = split(archive_bytes({"other/modules.json": b"[]"}), tmp_path / "parts", [50])
    with pytest.raises(ValueError, match="no sentence-transformers folder model/"):
        extract_once(parts, "model", tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_missing_parts_are_named() -> None:
    with pytest.raises(SplitModelMissing, match="no-such-model-part-001 is not installed"):
        installed_parts(("no-such-model-part-001",))


def test_mpnet_spec_without_its_model_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> list[Path]:
        raise SplitModelMissing(f"package {MPNET_PARTS[2]} is not installed")

    monkeypatch.setenv("RECURRENTGPT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("recurrentgpt.split_model.installed_parts", missing)
    monkeypatch.setattr(embeddings, "_cache", {})
    with pytest.raises(EmbedderConfigError) as raised:
        load_embeddings("local:all-mpnet-base-v2")
    message = str(raised.value)
    assert "\n" not in message
    assert "`python -m recurrentgpt.embeddings install`" in message
    assert "local:all-MiniLM-L6-v2" in message, "it names the other local embedder"


def test_mpnet_spec_is_deferred_when_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECURRENTGPT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr("recurrentgpt.split_model.installed_parts", lambda: [])
    monkeypatch.setattr(embeddings, "_cache", {})
    loaded = load_embeddings("local:mpnet")
    # Nothing is extracted or loaded until the first text is embedded.
    assert isinstance(loaded, embeddings.DeferredEmbeddings)
    assert loaded._loaded is None


def test_installed_mpnet_parts_are_found_in_order() -> None:
    try:
        parts = installed_parts()
    except SplitModelMissing:
        pytest.skip("the parts of all-mpnet-base-v2 are not installed in this venv")
    assert [p.name for p in parts] == [f"all-mpnet-base-v2.zip.{i:03d}" for i in range(1, 6)]
    assert all(p.is_file() for p in parts)
