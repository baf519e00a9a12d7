"""Free space for the embedded engine, checked before it writes.

The engine (qdrant-edge) maps its files into memory. When the disk fills while
it creates a shard or grows a segment, the write into the mapping cannot be
refused as an error: the process dies with SIGBUS (exit 135) and no message
(RELIABILITY.md). So the free space is checked first, and a write that might
not fit is refused with one line saying how much is needed and where; nothing
has been written, and the novel resumes once space is freed.

The margins are measured on a size-limited tmpfs (RELIABILITY.md, "Disk full"):
creating a shard used 7.1 MiB; with 256 KiB free, 50 single-paragraph upserts
died with SIGBUS, with 1 MiB free they passed. Opening an existing shard fills
in the holes of its dense vector chunks and payload index maps (sparse files:
a 32 MiB chunk holding one vector takes 4 KiB until then), 39 MiB for a new
store; a tmpfs allocates them, so the holes of those files are the margin.
"""

from __future__ import annotations

import os

from recurrentgpt.memory.store import MemoryConfigError

MIB = 1024 * 1024
CREATE_BYTES = 16 * MIB
"""Free space needed to create a shard (7.1 MiB measured, about twice that)."""
UPSERT_BYTES = 4 * MIB
"""Free space needed before any upsert (a segment grows by pages; 1 MiB sufficed)."""
BYTES_PER_POINT = 16 * 1024
"""Added per point written (4.4 KiB measured with 384 dimensions and a 600-character text)."""
OPEN_SPARE_BYTES = 4 * MIB
"""Free space needed to open a shard beyond the holes it fills in (see :func:`open_bytes`)."""


class MemoryDiskFullError(MemoryConfigError):
    """The disk holding an embedded store has too little free space for the next write."""


def free_bytes(folder: str) -> int:
    """Bytes an unprivileged process may still write on ``folder``'s file system.

    A folder not created yet is measured at its nearest existing parent.
    """
    existing = os.path.abspath(folder)
    while not os.path.exists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    stats = os.statvfs(existing)
    return stats.f_bavail * stats.f_frsize


def _filled_on_open(path: str) -> bool:
    """Whether the engine touches every page of ``path`` when it opens its shard."""
    parts = path.split(os.sep)
    return "payload_index" in parts or (path.endswith(".mmap") and "vectors" in parts)


def open_bytes(shard: str) -> int:
    """Free space needed to open the shard at ``shard``: the holes it fills in, and a spare."""
    holes = 0
    for root, _, files in os.walk(shard):
        for name in files:
            path = os.path.join(root, name)
            if _filled_on_open(path):
                stats = os.stat(path)
                holes += max(0, stats.st_size - stats.st_blocks * 512)
    return holes + OPEN_SPARE_BYTES


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


def require_free_space(folder: str, needed: int, doing: str) -> None:
    """Refuse ``doing`` when ``folder``'s disk has less than ``needed`` bytes free.

    Raises:
        MemoryDiskFullError: one line: how much is needed, how much is free, where.
    """
    free = free_bytes(folder)
    if free < needed:
        raise MemoryDiskFullError(
            f"the disk holding long-term memory at {folder} has {_mib(free)} free; "
            f"{doing} needs {_mib(needed)}: free some space there (or use another data dir) "
            "and resume. Nothing was written."
        )
