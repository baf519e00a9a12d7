"""The list of novels in a data directory, with the settings each was written with.

The checkpointer holds each novel's state; this registry remembers which thread
ids are novels and how to configure them, so ``resume`` needs only the id.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any

_THREAD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class UnknownNovelError(LookupError):
    """No novel with that thread id in the data directory."""


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
