"""A store remembers its embedder: recorded, kept on reopen, checked, carried on a move.

Real stores on both embedded backends (the engine, qdrant-client local mode in a
folder, whose API a Qdrant server shares). Hashing embedders stand in for real
ones: a store recorded as ``hash:384`` opened with MiniLM's spec (also 384) is the
same-size case that the size check alone lets through.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import pickle
from pathlib import Path

import pytest
from langchain_core.language_models import BaseChatModel
from qdrant_client import QdrantClient

from recurrentgpt.cli import main
from recurrentgpt.context import Context, embedder_chosen
from recurrentgpt.embeddings import (
    MINILM,
    MPNET,
    EmbedderConfigError,
    HashingEmbeddings,
    canonical_embedder,
)
from recurrentgpt.memory import LongTermMemory, MemoryConfigError, Passage, open_store
from recurrentgpt.memory.__main__ import main as memory_command
from recurrentgpt.memory.client_store import ClientStore
from recurrentgpt.memory.edge_store import META_FILE, EdgeStore
from recurrentgpt.memory.opening import close_stores, edge_folder
from recurrentgpt.memory.store import VectorStore
from recurrentgpt.services import DefaultServices, Role
from tests.fakes import ScriptedChatModel
from tests.unit.conftest import MEMORY_BACKENDS


@pytest.fixture(autouse=True)
def closed_stores() -> None:
    """Stores opened by location are process-wide: every test starts and ends without any."""
    close_stores()
    yield
    close_stores()


@pytest.fixture(params=MEMORY_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def open_folder_store(backend: str, folder: Path) -> VectorStore:
    """The store of ``backend`` in ``folder`` (the same one again after a close)."""
    if backend == "edge":
        return EdgeStore(str(folder / "edge"))
    return ClientStore(QdrantClient(path=str(folder / "local")), location=str(folder / "local"))


def passage(position: int, text: str = "Arlo mended the nets at the harbour.") -> Passage:
    return Passage(
        novel_id="n",
        branch_id="main",
        position=position,
        step=position,
        chapter=1,
        text=text,
        summary=f"summary {position}",
    )


async def _search(memory: LongTermMemory) -> list[Passage]:
    return await memory.search(
        "harbour", novel_id="n", branch_id="main", segments=[], before_position=99, k=3
    )


def test_aliases_of_one_embedder_are_recorded_as_one_spec() -> None:
    assert canonical_embedder("local:minilm") == canonical_embedder("local:") == MINILM
    assert canonical_embedder(" local:all-minilm-l6-v2 ") == MINILM
    assert canonical_embedder("local:mpnet") == MPNET
    assert canonical_embedder("hash:") == "hash:256"
    assert canonical_embedder("hash:064") == "hash:64"
    assert canonical_embedder("openai:") == "openai:text-embedding-3-small"
    assert canonical_embedder("openai:text-embedding-3-large") == "openai:text-embedding-3-large"


def test_only_a_context_left_at_the_default_has_no_chosen_embedder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = Context()
    assert not embedder_chosen(default)
    assert default.embedder == MPNET
    # The default survives the copies a run makes of its context.
    assert not embedder_chosen(dataclasses.replace(default, retrieval_k=5))
    assert not embedder_chosen(pickle.loads(pickle.dumps(default)))
    # The same spec passed explicitly, or from the environment, is a choice.
    assert embedder_chosen(Context(embedder=MINILM))
    monkeypatch.setenv("RECURRENTGPT_EMBEDDER", MINILM)
    assert embedder_chosen(Context())


async def test_a_new_store_records_its_embedder_and_keeps_it_on_reopening(
    backend: str, tmp_path: Path
) -> None:
    store = open_folder_store(backend, tmp_path)
    assert store.embedder() is None
    await LongTermMemory(store, HashingEmbeddings(64), embedder="hash:64").store_many([passage(0)])
    assert store.embedder() == "hash:64"
    store.close()

    reopened = open_folder_store(backend, tmp_path)
    assert reopened.embedder() == "hash:64"
    assert reopened.dimensions() == 64
    reopened.close()


async def test_another_embedder_of_the_same_size_is_refused_before_any_write(
    backend: str, tmp_path: Path
) -> None:
    store = open_folder_store(backend, tmp_path)
    await LongTermMemory(store, HashingEmbeddings(384), embedder="hash:384").store_many(
        [passage(0)]
    )

    # 384 dimensions too, so the size check alone lets it through.
    other = LongTermMemory(store, HashingEmbeddings(384), embedder=MINILM)
    with pytest.raises(MemoryConfigError) as raised:
        await other.store_many([passage(1, "Written by another embedder.")])
    message = str(raised.value)
    assert "\n" not in message
    assert "'hash:384'" in message and f"'{MINILM}'" in message
    assert store.location in message
    with pytest.raises(MemoryConfigError):
        await _search(other)
    assert await other.count("n") == 1, "nothing of the other embedder was written"
    assert store.embedder() == "hash:384"
    store.close()


async def test_a_default_context_goes_on_with_the_stores_embedder_and_says_so_once(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    written = Context(data_dir=str(tmp_path), embedder="hash:64", memory_backend=backend)
    await DefaultServices().long_term_memory(written).store_many([passage(0)])
    close_stores()

    services = DefaultServices()
    default = Context(data_dir=str(tmp_path), memory_backend=backend)
    assert not embedder_chosen(default)
    with caplog.at_level(logging.INFO, logger="recurrentgpt.memory.identity"):
        memory = services.long_term_memory(default)
        # A second view of the same store (other search settings) does not log again.
        again = services.long_term_memory(dataclasses.replace(default, retrieval_mode="dense"))

    assert memory.embedder == again.embedder == "hash:64"
    assert isinstance(memory.embeddings, HashingEmbeddings)
    assert memory.embeddings.dims == 64
    said = [r.getMessage() for r in caplog.records if r.name == "recurrentgpt.memory.identity"]
    assert len(said) == 1 and "hash:64" in said[0] and MPNET in said[0]
    await memory.store_many([passage(1, "The harbour again, with the default context.")])
    assert sorted(p.position for p in await _search(memory)) == [0, 1]


async def test_a_chosen_embedder_that_differs_fails_at_open_with_one_line(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = Context(data_dir=str(tmp_path), embedder="hash:384", memory_backend=backend)
    await DefaultServices().long_term_memory(written).store_many([passage(0)])
    close_stores()

    chosen = Context(data_dir=str(tmp_path), embedder="local:minilm", memory_backend=backend)
    with pytest.raises(MemoryConfigError) as raised:
        DefaultServices().long_term_memory(chosen)
    message = str(raised.value)
    assert "\n" not in message
    assert "'hash:384'" in message and f"'{MINILM}'" in message
    assert "set the embedder to 'hash:384'" in message

    # Chosen through the environment (a deployment's setting) is refused the same way.
    monkeypatch.setenv("RECURRENTGPT_EMBEDDER", MINILM)
    with pytest.raises(MemoryConfigError):
        DefaultServices().long_term_memory(Context(data_dir=str(tmp_path), memory_backend=backend))


async def _store_of_the_current_code(backend: str, data_dir: Path) -> None:
    """A data dir as the code before records writes it: no embedder recorded."""
    memory = LongTermMemory(
        open_store(str(data_dir / "qdrant"), backend=backend), HashingEmbeddings(64)
    )
    await memory.store_many([passage(0), passage(1, "The lighthouse keeper counted gulls.")])
    assert memory.backend.embedder() is None
    if backend == "edge":
        meta = json.loads(Path(edge_folder(str(data_dir / "qdrant")), META_FILE).read_text())
        assert "embedder" not in meta
    close_stores()


async def test_a_store_without_a_record_adopts_an_embedder_of_its_size(
    backend: str, tmp_path: Path
) -> None:
    await _store_of_the_current_code(backend, tmp_path)

    # Another size: the size error as before, and nothing is recorded (checked below).
    wrong = Context(data_dir=str(tmp_path), embedder="hash:32", memory_backend=backend)
    with pytest.raises(MemoryConfigError, match="holds 64-dimension vectors"):
        await DefaultServices().long_term_memory(wrong).store_many([passage(2)])
    close_stores()

    right = Context(data_dir=str(tmp_path), embedder="hash:64", memory_backend=backend)
    memory = DefaultServices().long_term_memory(right)
    assert memory.backend.embedder() is None
    assert len(await _search(memory)) == 2, "everything written before is still found"
    assert memory.backend.embedder() == "hash:64", "the first use recorded it"
    close_stores()

    # Remembered: the same size under another spec is now refused.
    reopened = DefaultServices().long_term_memory(right)
    assert reopened.backend.embedder() == "hash:64"
    other = LongTermMemory(reopened.backend, HashingEmbeddings(64), embedder="openai:64-dims")
    with pytest.raises(MemoryConfigError, match="was written with embedder 'hash:64'"):
        await other.store_many([passage(2)])
    assert await reopened.count("n") == 2


async def test_a_crash_while_recording_leaves_the_old_metadata_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _store_of_the_current_code("edge", tmp_path)
    folder = edge_folder(str(tmp_path / "qdrant"))
    before = Path(folder, META_FILE).read_text()

    def crash(source: str, target: str) -> None:
        raise OSError("killed before the rename")

    monkeypatch.setattr("recurrentgpt.memory.edge_store.os.replace", crash)
    store = EdgeStore(folder)
    with pytest.raises(OSError, match="killed"):
        store.ensure_collection(64, "hash:64")
    store.close()
    monkeypatch.undo()

    assert Path(folder, META_FILE).read_text() == before
    reopened = EdgeStore(folder)
    assert reopened.dimensions() == 64 and reopened.embedder() is None
    reopened.ensure_collection(64, "hash:64")
    assert reopened.embedder() == "hash:64"
    reopened.close()


async def test_moving_a_data_dir_carries_its_embedder_and_refuses_a_mixed_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    context = Context(data_dir=str(tmp_path / "data"), embedder="hash:64")
    await DefaultServices().long_term_memory(context).store_many([passage(0), passage(1)])
    close_stores()
    assert memory_command(["info", "--data-dir", str(tmp_path / "data")]) == 0
    assert "'embedder': 'hash:64'" in capsys.readouterr().out
    close_stores()
    target = tmp_path / "server"

    command = ["move", "--data-dir", str(tmp_path / "data"), "--to", str(target)]
    assert memory_command(command) == 0
    close_stores()
    moved = ClientStore(QdrantClient(path=str(target)), location=str(target))
    assert moved.embedder() == "hash:64"
    assert moved.count("n") == 2
    moved.close()

    # A target written by another embedder of the same size takes nothing.
    other = tmp_path / "other"
    other_store = ClientStore(QdrantClient(path=str(other)), location=str(other))
    await LongTermMemory(other_store, HashingEmbeddings(64), embedder="openai:64-dims").store_many(
        [passage(5)]
    )
    other_store.close()
    assert memory_command(["move", "--data-dir", str(tmp_path / "data"), "--to", str(other)]) == 1
    close_stores()
    unchanged = ClientStore(QdrantClient(path=str(other)), location=str(other))
    assert unchanged.count("n") == 1 and unchanged.embedder() == "openai:64-dims"
    unchanged.close()


class ScriptedModelRealMemory(DefaultServices):
    """The scripted model for every role; long-term memory as the package opens it."""

    def __init__(self, model: ScriptedChatModel) -> None:
        super().__init__()
        self.model = model

    def chat_model(self, role: Role, context: Context) -> BaseChatModel:
        return self.model


def test_the_command_line_refuses_a_chosen_embedder_before_any_model_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ScriptedChatModel()
    services = ScriptedModelRealMemory(model)
    data_dir = str(tmp_path / "data")

    def write(novel: str, *flags: str) -> int:
        steps = ["--steps", "1", "--auto-first", "--words-per-paragraph", "40"]
        command = ["--data-dir", data_dir, "write", "--premise", "x", "--id", novel, *steps]
        return main([*command, *flags], services=services)

    assert write("first", "--embedder", "hash:384") == 0
    close_stores()
    capsys.readouterr()
    calls = len(model.calls)

    assert write("second", "--embedder", "local:all-MiniLM-L6-v2") == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "'hash:384'" in err and f"'{MINILM}'" in err
    assert len(model.calls) == calls, "no model was called for a novel that cannot be stored"

    # No embedder chosen: the novel is written with the store's.
    assert write("third") == 0
    close_stores()
    store = open_store(str(Path(data_dir, "qdrant")))
    assert store.embedder() == "hash:384"
    novels = {p["novel_id"] for page in store.scroll(None) for p in page}
    assert len(novels) == 2, "the first and the third novel are stored, the second is not"


async def test_the_warm_start_loads_the_embedder_the_store_was_written_with(
    tmp_path: Path,
) -> None:
    from recurrentgpt import embeddings, warm

    written = Context(data_dir=str(tmp_path), embedder="hash:24")
    await DefaultServices().long_term_memory(written).store_many([passage(0)])
    close_stores()
    embeddings._cache.pop("hash:24", None)

    default = Context(
        data_dir=str(tmp_path), model="openai:any", base_url="http://127.0.0.1:9/v1", api_key="x"
    )
    assert not embedder_chosen(default)
    warm.warm(default)
    assert "hash:24" in embeddings._cache, "the store's embedder was loaded, not the default"


async def test_moving_a_local_mode_data_dir_into_the_engine_keeps_its_record(
    tmp_path: Path,
) -> None:
    local = Context(data_dir=str(tmp_path), embedder="hash:64", memory_backend="local")
    await DefaultServices().long_term_memory(local).store_many([passage(0), passage(1)])
    close_stores()

    # The default backend migrates the folder on first open; the default embedder
    # then goes on with the migrated store's.
    memory = DefaultServices().long_term_memory(Context(data_dir=str(tmp_path)))
    assert isinstance(memory.backend, EdgeStore)
    assert memory.backend.embedder() == memory.embedder == "hash:64"
    assert await memory.count("n") == 2


async def test_a_recorded_embedder_that_cannot_be_built_here_is_named(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "qdrant"))
    await LongTermMemory(store, HashingEmbeddings(64), embedder="acme:embed-64").store_many(
        [passage(0)]
    )
    close_stores()

    with pytest.raises(EmbedderConfigError) as raised:
        DefaultServices().long_term_memory(Context(data_dir=str(tmp_path)))
    message = str(raised.value)
    assert "was written with embedder 'acme:embed-64'" in message
    assert "unknown embedder" in message
