"""Regenerate the parts of README.md that come from the code.

The graph drawing (mermaid) and the configuration table are written between
``<!-- NAME:start -->`` / ``<!-- NAME:end -->`` markers; ``tests/unit/test_docs.py``
fails when they are out of date. Run: ``python scripts/update_readme.py``.
"""

from __future__ import annotations

import os
import re
from dataclasses import MISSING, fields
from pathlib import Path
from unittest import mock

README = Path(__file__).resolve().parent.parent / "README.md"


def graph_section() -> str:
    """The mermaid drawing of the co-writing graph, as a fenced block."""
    from recurrentgpt.graphs.cowriter import graph

    return f"```mermaid\n{graph.get_graph().draw_mermaid().strip()}\n```"


def config_section() -> str:
    """The configuration table: every Context field, its default and description."""
    from recurrentgpt.context import Context

    # Defaults read from the environment are shown as they are with none set.
    with mock.patch.dict(os.environ, {}, clear=True):
        defaults = {
            f.name: f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
            for f in fields(Context)
        }
        home = os.path.expanduser("~")
    rows = ["| field | default | meaning |", "|---|---|---|"]
    rows += [
        # A default under the home folder (the data dir) is shown as ~/..., the same for all.
        f"| `{f.name}` | `{defaults[f.name]!r}` | {f.metadata.get('description', '')} |".replace(
            home + os.sep, "~" + os.sep
        )
        for f in fields(Context)
    ]
    return "\n".join(rows)


SECTIONS = {"graph": graph_section, "config": config_section}


def render(text: str) -> str:
    """Return ``text`` with every generated section brought up to date."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README.md has no {name} markers")
        body = make()
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
