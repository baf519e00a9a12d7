"""The list of novels in a data directory, with the settings each was written with.

The checkpointer holds each novel's state; this registry remembers which thread
ids are novels and how to configure them, so ``resume`` needs only the id.
A command that writes a novel holds its lock (:meth:`NovelRegistry.hold`), so two
runs of one novel at once (a double-started resume) cannot both write it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_THREAD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class UnknownNovelError(LookupError):
    """No novel with that thread id in the data directory."""


class NovelBusyError(RuntimeError):
    """Another process is writing this novel now."""


@dataclass
class NovelRecord:
    """One novel: its thread id, when it was created and its run settings."""

    thread_id: str
    created: float = field(default_factory=time.time)
    settings: dict[str, Any] = field(default_factory=dict)


def validate_thread_id(thread_id: str) -> str:
    """Return ``thread_id`` if it is usable as a file name, else raise ValueError."""
    if not _THREAD_ID.match(thread_id):
        raise ValueError(
            f"invalid novel id {thread_id!r}: use letters, digits, '.', '_' or '-' (max 64)"
        )
    return thread_id


class NovelRegistry:
    """JSON files under ``<data dir>/novels/``, one per novel (written atomically)."""

    def __init__(self, data_dir: str) -> None:
        self.folder = os.path.join(data_dir, "novels")

    def _path(self, thread_id: str) -> str:
        return os.path.join(self.folder, f"{validate_thread_id(thread_id)}.json")

    def exists(self, thread_id: str) -> bool:
        """Tell whether a novel with this id is registered."""
        return os.path.exists(self._path(thread_id))

    def save(self, record: NovelRecord) -> None:
        """Write ``record`` (replacing any earlier one) without leaving a torn file."""
        os.makedirs(self.folder, exist_ok=True)
        path = self._path(record.thread_id)
        temporary = f"{path}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(record.__dict__, handle, ensure_ascii=False, indent=2)
        os.replace(temporary, path)

    @contextmanager
    def hold(self, thread_id: str) -> Iterator[None]:
        """Hold the novel's lock (``<id>.lock`` beside its record) until the block ends.

        The lock is the operating system's (``flock``): a killed process lets go of it.

        Raises:
            NovelBusyError: another process holds it; nothing was touched.
        """
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"{validate_thread_id(thread_id)}.lock")
        with open(path, "a+", encoding="utf-8") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.seek(0)
                holder = lock.read().strip() or "?"
                raise NovelBusyError(
                    f"novel {thread_id!r} is being written by another process (pid {holder}): "
                    "one run per novel at a time. Wait for it to end (or stop it), then resume."
                ) from None
            lock.seek(0)
            lock.truncate()
            lock.write(f"{os.getpid()}\n")
            lock.flush()
            yield

    def load(self, thread_id: str) -> NovelRecord:
        """Return the record of ``thread_id``.

        Raises:
            UnknownNovelError: if there is none.
        """
        path = self._path(thread_id)
        if not os.path.exists(path):
            known = ", ".join(r.thread_id for r in self.all()[:10]) or "none"
            raise UnknownNovelError(f"no novel {thread_id!r} here (known: {known})")
        with open(path, encoding="utf-8") as handle:
            return NovelRecord(**json.load(handle))

    def all(self) -> list[NovelRecord]:
        """Every registered novel, oldest first."""
        if not os.path.isdir(self.folder):
            return []
        records = []
        for name in os.listdir(self.folder):
            if name.endswith(".json"):
                with open(os.path.join(self.folder, name), encoding="utf-8") as handle:
                    records.append(NovelRecord(**json.load(handle)))
        return sorted(records, key=lambda r: r.created)
