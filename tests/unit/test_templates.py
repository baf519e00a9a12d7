"""Prompt templates: packaged files, a user's overrides, and templates that cannot be used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from recurrentgpt.context import Context
from recurrentgpt.llm import WIRE_MAX_STRING_LENGTH, wire_schema
from recurrentgpt.prompts.human import REVISE_TASK, HumanChoice, HumanChoiceWithoutRevision
from recurrentgpt.prompts.memory import (
    EDITS_TASK,
    PLANS_TASK,
    REWRITE_TASK,
    MemoryEdits,
    MemoryUpdate,
)
from recurrentgpt.prompts.planner import Plans
from recurrentgpt.prompts.templates import COMPACT_SET, ROLE_FIELDS, TemplateError, load_templates
from tests.fakes import ScriptedChatModel
from tests.unit.helpers import run_novel, step_writer_prompts

PACKAGE_PROMPTS = Path(__file__).resolve().parents[2] / "recurrentgpt" / "prompts"


@pytest.fixture(autouse=True)
def fresh_templates():
    """Templates are cached per folder and process: every test reads its folder anew."""
    load_templates.cache_clear()
    yield
    load_templates.cache_clear()


def test_every_role_has_a_packaged_template_that_loads() -> None:
    templates = load_templates()
    for name in ROLE_FIELDS:
        assert (PACKAGE_PROMPTS / f"{name}.txt").is_file(), name
        assert templates.sources[name] == f"recurrentgpt/prompts/{name}.txt"


def test_templates_are_package_data() -> None:
    pyproject = (PACKAGE_PROMPTS.parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"prompts/*.txt"' in pyproject
    assert f'"prompts/{COMPACT_SET}/*.txt"' in pyproject


def test_the_compact_set_replaces_some_roles_and_a_users_template_still_wins(
    tmp_path: Path,
) -> None:
    compact = load_templates("", True)
    replaced = {path.stem for path in (PACKAGE_PROMPTS / COMPACT_SET).glob("*.txt")}
    assert {"system", "frame", "writer", "chapter"} <= replaced
    for name in ROLE_FIELDS:
        folder = f"{COMPACT_SET}/" if name in replaced else ""
        assert compact.sources[name] == f"recurrentgpt/prompts/{folder}{name}.txt"
    (tmp_path / "frame.txt").write_text("$premise\n$last_paragraph", encoding="utf-8")
    assert load_templates(str(tmp_path), True).sources["frame"] == str(tmp_path / "frame.txt")


def test_the_compact_frame_still_shows_the_whole_frame() -> None:
    # A small model gets the same story frame in fewer, plainer words: none of it is dropped.
    fields = {name: f"<{name}>" for name in ROLE_FIELDS["frame"]}
    frame = load_templates("", True).render("frame", fields)
    for name in ROLE_FIELDS["frame"] - {"language"}:  # the system message names the language
        assert f"<{name}>" in frame, name
    assert "<language>" in load_templates("", True).render("system", fields)


@pytest.mark.parametrize(
    ("settings", "compact"),
    [
        ({"model": "local:smollm2"}, True),
        ({"model": "openai:gpt-4o-mini"}, False),
        ({"model": "openai:gpt-4o-mini", "writer_model": "local:smollm2"}, True),
        ({"model": "local:smollm2", "prompts": "full"}, False),
        ({"model": "openai:gpt-4o-mini", "prompts": "compact"}, True),
    ],
)
def test_a_bundled_writer_gets_the_compact_prompts(settings: dict, compact: bool) -> None:
    assert Context(**settings).compact_prompts is compact


async def test_a_user_template_overrides_ours_for_its_role_only(
    graph, model: ScriptedChatModel, config, context_factory, tmp_path: Path
) -> None:
    (tmp_path / "writer.txt").write_text(
        "Related earlier passages (long-term memory):\n$retrieved_passages\n"
        "Plan for the next paragraph:\n$plan\n\n"
        "Task: MY OWN WRITER PROMPT {literal braces} ${language} costs $$5 — go!",
        encoding="utf-8",
    )
    context = context_factory(templates_dir=str(tmp_path))
    values = await run_novel(graph, config, context, target_steps=2)

    assert values["status"] == "finished"
    prompts = step_writer_prompts(model)
    assert prompts
    for prompt in prompts:
        assert "MY OWN WRITER PROMPT {literal braces} English costs $5 — go!" in prompt
        # The shared frame still comes first.
        assert prompt.index("Premise:") < prompt.index("MY OWN WRITER PROMPT")
    memory = model.prompts_for("MemoryUpdate")[-1]
    assert "MY OWN WRITER PROMPT" not in memory
    assert "update the memories with the new paragraph" in memory


@pytest.mark.parametrize(
    ("file_name", "text", "field"),
    [
        ("planner.txt", "Plan it, using $premise and $mood.", "mood"),
        ("memory.txt", "Keep ${secret_field} in mind.", "secret_field"),
        ("system.txt", "You write in $language about $short_term_memory.", "short_term_memory"),
    ],
)
async def test_a_template_naming_an_unknown_field_fails_at_start(
    graph, model: ScriptedChatModel, config, context_factory, tmp_path: Path, file_name, text, field
) -> None:
    (tmp_path / file_name).write_text(text, encoding="utf-8")
    context = context_factory(templates_dir=str(tmp_path))
    with pytest.raises(TemplateError) as raised:
        await run_novel(graph, config, context, target_steps=1)
    message = str(raised.value)
    assert str(tmp_path / file_name) in message
    assert f"${field}" in message
    assert "premise" in message and "language" in message  # the known fields are listed
    assert model.calls == []


def test_a_stray_dollar_fails_with_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "human.txt").write_text("Choose well.\nIt costs $5.\n", encoding="utf-8")
    with pytest.raises(TemplateError, match=r"human\.txt: line 2 .*\$\$"):
        load_templates(str(tmp_path))


def test_a_missing_templates_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        load_templates(str(tmp_path / "nowhere"))


@pytest.mark.parametrize("form", ["novel", "fiction"])
def test_the_standing_rules_are_in_the_system_message_every_call_shares(form: str) -> None:
    # The rules every call repeats sit at the start of each prompt, where a prompt
    # cache serves them, not in a role's task after the step's own text.
    templates = load_templates()
    novel = {"form": form, "title": "T", "premise": "P", "genre": "mystery", "language": "English"}
    system = templates.render("system", novel)
    assert "Do not move too fast" in system
    assert "keep it as it was except what you drop and what you add" in system
    memory = templates.render("memory", {**novel, **dict.fromkeys(ROLE_FIELDS["memory"], "x")})
    assert "keep it as it was" not in memory


def test_the_memory_and_human_prompts_name_every_field_their_tool_schema_leaves_undescribed() -> (
    None
):
    # Their tool schemas go without field descriptions (recurrentgpt.llm.wire_schema):
    # the prompt must say what each field is.
    templates = load_templates()
    fields = {name: "x" for name in ROLE_FIELDS["memory"] | ROLE_FIELDS["human"]}
    fields["plans_task"] = PLANS_TASK.format(progress="paragraph 2 of about 20 in this chapter.")
    fields["memory_task"] = REWRITE_TASK.format(max_words=400)
    fields["revise_task"] = REVISE_TASK.format(language="English")
    memory = templates.render("memory", fields)
    for heading in ("Rationale:", "Updated memory:", "Summary", "Bible changes", "Next plans:"):
        assert heading in memory
    edits = templates.render("memory", {**fields, "memory_task": EDITS_TASK})
    assert "Dropped sentences:" in edits and "Updated memory:" not in edits
    human = templates.render("human", fields)
    for words in ("reason", "choose the plan", "revise it"):
        assert words in human
    assert "revise" not in templates.render("human", {**fields, "revise_task": "."})
    for schema in (MemoryUpdate, MemoryEdits, HumanChoice, HumanChoiceWithoutRevision):
        wire = wire_schema(schema)
        assert wire["description"]  # the function itself keeps its one line
        assert "description" not in json.dumps(wire["properties"]) + json.dumps(
            wire.get("$defs", {})
        )
        assert "required" in wire
    # Bounds and enums, which a grammar enforces, are still sent; the nested schema is
    # inlined (no $defs, no $ref paths: fewer tokens in every call).
    memory_wire = wire_schema(MemoryUpdate)
    assert memory_wire["properties"]["updated_memory"]["maxLength"] == WIRE_MAX_STRING_LENGTH
    change = memory_wire["properties"]["bible_changes"]["items"]
    assert change["properties"]["kind"]["enum"] == ["character", "place", "object", "thread"]
    assert change["required"] == ["name", "kind", "fact"]
    assert "$defs" not in memory_wire and "$ref" not in json.dumps(memory_wire)
    # A schema whose prompt does not explain every field keeps its descriptions.
    assert wire_schema(Plans)["properties"]["plan_1"]["description"]


class _Node(BaseModel):
    """A schema that refers to itself."""

    children: list[_Node] = []


def test_a_schema_that_refers_to_itself_keeps_its_definitions() -> None:
    wire = wire_schema(_Node)
    assert wire["$defs"]["_Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/_Node"}
