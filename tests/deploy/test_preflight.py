"""The server's start-up checks (recurrentgpt.preflight), without a server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from recurrentgpt import preflight
from recurrentgpt.context import Context
from recurrentgpt.embeddings import EmbedderConfigError
from recurrentgpt.memory import MemoryLockedError
from tests.server.devserver import REPO_ROOT, free_port


def test_an_openai_embedder_that_cannot_reach_its_endpoint_fails_naming_the_offline_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    unreachable = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(EmbedderConfigError) as error:
        preflight.check_embedder("openai:text-embedding-3-small", unreachable)
    assert "needs the network" in str(error.value)
    assert "local:all-mpnet-base-v2" in str(error.value)


def test_an_unknown_embedder_or_one_without_its_key_fails_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(EmbedderConfigError, match="unknown embedder"):
        preflight.check_embedder("nowhere:model")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(EmbedderConfigError, match="cannot be built"):
        preflight.check_embedder("openai:text-embedding-3-large")


def test_the_bundled_model_without_llama_cpp_fails_saying_how_to_run_it_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = preflight.importlib.util.find_spec
    monkeypatch.setattr(
        preflight.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llama_cpp" else real(name, *a),
    )
    with pytest.raises(preflight.ServerConfigError, match="OPENAI_BASE_URL"):
        preflight.check_models(Context(model="local:smollm2"))
    preflight.check_models(Context(model="openai:gpt-4o-mini"))


def test_servers_and_throwaway_stores_need_no_hold() -> None:
    assert preflight.hold_embedded_memory("http://qdrant:6333") is None
    assert preflight.hold_embedded_memory(":memory:") is None


def test_a_second_process_on_an_embedded_store_is_refused_until_the_first_ends(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "qdrant"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys
            from recurrentgpt.preflight import hold_embedded_memory
            hold_embedded_memory({str(folder)!r})
            print("held", flush=True)
            sys.stdin.read()
        """)],
        cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(MemoryLockedError, match="QDRANT_URL"):
            preflight.hold_embedded_memory(str(folder))
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    path = preflight.hold_embedded_memory(str(folder))
    assert path == f"{folder}.server.lock"
    assert preflight.hold_embedded_memory(str(folder)) == path
