"""The README's generated parts match the code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _update_readme_module():
    spec = importlib.util.spec_from_file_location(
        "update_readme", ROOT / "scripts/update_readme.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_graph_and_config_table_are_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _update_readme_module().render(readme) == readme, (
        "README.md is out of date: run python scripts/update_readme.py"
    )


def test_readme_starts_with_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```bash", 1)[1].split("```", 1)[0]
    assert "make novel" in first_block
    assert "make test" in first_block


def test_graph_drawing_shows_every_role_and_the_cycle():
    drawing = _update_readme_module().graph_section()
    for node in ("start", "retriever", "writer", "memory_updater", "chapter_planner", "planner"):
        assert f"{node}({node})" in drawing
    assert "human(human)" in drawing
    for edge in (
        "__start__ -.-> start",
        "__start__ -.-> human",
        "__start__ -.-> chapter_planner",
        "start --> planner",
        "human -.-> retriever",
        "retriever --> writer",
        "writer --> memory_updater",
        "memory_updater -.-> planner",
        "memory_updater -.-> chapter_planner",
        "chapter_planner --> planner",
        "planner --> human",
        "human -.-> __end__",
    ):
        assert edge in drawing
