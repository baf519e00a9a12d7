"""Where the command line keeps novels.

The flag, else RECURRENTGPT_DATA_DIR, else the user data folder, so the same
novels are found from any working folder.
"""

from __future__ import annotations

import os

from rich.console import Console

from recurrentgpt.context import default_data_dir

OLD_DEFAULT = "novels"
"""The data dir of earlier versions, relative to the working folder."""
DATA_DIR_MARKERS = ("checkpoints.sqlite", "novels")
"""What a data dir holds once a novel was written in it."""


class DataDirError(OSError):
    """The data dir cannot be used (the message says why)."""


def _holds_novels(folder: str) -> bool:
    return any(os.path.exists(os.path.join(folder, marker)) for marker in DATA_DIR_MARKERS)


def resolve_data_dir(flag: str | None, console: Console) -> str:
    """The data dir to use, checked; says so when an old ``./novels`` is left behind.

    It is not created here: commands that only read must not leave an empty
    folder behind.

    Raises:
        DataDirError: when it exists but is not a readable and writable folder.
    """
    data_dir = flag or default_data_dir()
    if (
        not flag
        and not os.environ.get("RECURRENTGPT_DATA_DIR")
        and _holds_novels(OLD_DEFAULT)
        and os.path.abspath(OLD_DEFAULT) != os.path.abspath(data_dir)
    ):
        console.print(
            f"[yellow]Note:[/] ./{OLD_DEFAULT} holds novels of an earlier version; novels now "
            f"live in {data_dir}. Open the old ones with --data-dir {OLD_DEFAULT} "
            f"(or move that folder there)."
        )
    if os.path.exists(data_dir):
        if not os.path.isdir(data_dir):
            raise DataDirError(f"cannot create data dir {data_dir!r}: a file is in the way")
        if not os.access(data_dir, os.R_OK | os.W_OK | os.X_OK):
            raise DataDirError(f"data dir {data_dir!r} is not readable and writable")
    return data_dir
