"""Prompt templates: text files a novelist can edit, one per role, safe against ``{``.

Each role's prompt is a ``string.Template`` file in this folder, next to the
role's output schema: ``$name`` or ``${name}`` is a placeholder, ``$$`` a
literal dollar, and braces are plain text. A folder of the user's own
templates (``Context.templates_dir``, ``--templates``) overrides ours file by
file. A template that names an unknown field, or holds a ``$`` that is not a
placeholder, fails when loaded with a message naming the file, the field and
the fields it may use.

Every call of one step shares the same start: the :data:`SYSTEM` message and
the :data:`FRAME` (premise, outlines, bible entries, memory, last paragraph),
with the role's own text after it, so a provider's or llama.cpp's prompt
cache reuses the frame across the step's calls.

A story in the fiction form (its fields say ``form="fiction"``) is told with
the ``fiction_<role>.txt`` template of a role where there is one (system,
frame, start, opening plan, writer, planner, simulated reader), and with the
role's own template elsewhere (memory, chapter).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

SYSTEM = "system"
FRAME = "frame"

NOVEL_FIELDS = frozenset({"title", "premise", "genre", "language"})
"""Fields of the novel itself, known to every template."""

FRAME_FIELDS = NOVEL_FIELDS | {
    "book_outline",
    "chapter_number",
    "chapter_title",
    "chapter_outline",
    "progress",
    "bible",
    "short_term_memory",
    "last_paragraph",
}
"""Fields of the shared frame, known to every template that follows it."""

ROLE_FIELDS: Mapping[str, frozenset[str]] = {
    SYSTEM: NOVEL_FIELDS,
    FRAME: FRAME_FIELDS,
    "start": NOVEL_FIELDS | {"chapters", "ending", "paragraphs_per_chapter"},
    "opening_plan": FRAME_FIELDS | {"number", "total"},
    "chapter": FRAME_FIELDS
    | {"chapter_total_text", "chapter_brief", "chapter_ending", "paragraphs_per_chapter"},
    "writer": FRAME_FIELDS
    | {"retrieved_passages", "plan_entries", "plan", "words_per_paragraph", "new_character"},
    "memory": FRAME_FIELDS
    | {"retrieved_passages", "new_paragraph", "max_words", "memory_task", "plans_task"},
    "planner": FRAME_FIELDS | {"retrieved_passages", "choice_task"},
    "human": FRAME_FIELDS | {"plan_1", "plan_2", "plan_3", "revise_task"},
}
"""Every template of a novel, and the fields it may name."""

FICTION_PREFIX = "fiction_"
FICTION_ROLE_FIELDS: Mapping[str, frozenset[str]] = {
    f"{FICTION_PREFIX}{role}": fields
    for role, fields in {
        **ROLE_FIELDS,
        "planner": ROLE_FIELDS["planner"] | {"actions_note"},
    }.items()
    if role in (SYSTEM, FRAME, "start", "opening_plan", "writer", "planner", "human")
}
"""The fiction form's templates: the same fields as the novel's role (the planner's
actions also get a note on the endings)."""

ALL_TEMPLATE_FIELDS: Mapping[str, frozenset[str]] = {**ROLE_FIELDS, **FICTION_ROLE_FIELDS}

FRAMED_ROLES = frozenset({"chapter", "writer", "memory", "planner", "human"})
"""Roles whose user message starts with the shared frame."""


class TemplateError(ValueError):
    """A prompt template cannot be used."""


@dataclass(frozen=True)
class PromptTemplates:
    """The loaded templates of every role, checked against the fields each may use."""

    templates: Mapping[str, Template]
    sources: Mapping[str, str]
    """Where each template was read from (a path, or the package's file name)."""

    def render(self, name: str, fields: Mapping[str, Any]) -> str:
        """The template ``name`` with ``fields`` filled in (extra fields are ignored).

        For a story in the fiction form the fiction template of ``name`` is used
        where there is one.
        """
        return self.templates[self._variant(name, fields)].substitute(fields).strip()

    def _variant(self, name: str, fields: Mapping[str, Any]) -> str:
        fiction = f"{FICTION_PREFIX}{name}"
        if fields.get("form") == "fiction" and fiction in self.templates:
            return fiction
        return name

    def messages(self, role: str, fields: Mapping[str, Any]) -> list[BaseMessage]:
        """The system message and the role's user message (the frame first, when it has one)."""
        user = self.render(role, fields)
        if role in FRAMED_ROLES:
            user = f"{self.render(FRAME, fields)}\n\n{user}"
        return [SystemMessage(self.render(SYSTEM, fields)), HumanMessage(user)]


def _check(name: str, source: str, template: Template) -> None:
    if not template.is_valid():
        bad = next(
            m
            for m in template.pattern.finditer(template.template)
            if m.group("invalid") is not None
        )
        line = template.template.count("\n", 0, bad.start()) + 1
        raise TemplateError(
            f"prompt template {source}: line {line} has a '$' that is not a placeholder "
            "(write $$ for a literal dollar sign, $name or ${name} for a field)"
        )
    known = ALL_TEMPLATE_FIELDS[name]
    for field in template.get_identifiers():
        if field not in known:
            raise TemplateError(
                f"prompt template {source} names unknown field ${field}; "
                f"it may use: {', '.join(sorted(known))}"
            )


COMPACT_SET = "compact"
"""The packaged subfolder of templates for small local models (``Context.prompts``)."""


@functools.lru_cache(maxsize=8)
def load_templates(folder: str = "", compact: bool = False) -> PromptTemplates:
    """The templates of every role: the user's from ``folder`` where present, else ours.

    With ``compact`` our templates are the :data:`COMPACT_SET`'s where it has one
    (a short frame in plain words for small models), the full set's elsewhere; a
    user's template still overrides either. Read once per process and arguments.

    Raises:
        TemplateError: ``folder`` is not a folder, or a template names an unknown
            field or holds a stray ``$``.
    """
    user_folder = Path(folder).expanduser() if folder else None
    if user_folder is not None and not user_folder.is_dir():
        raise TemplateError(f"templates folder {folder!r} does not exist or is not a folder")
    templates: dict[str, Template] = {}
    sources: dict[str, str] = {}
    package = resources.files("recurrentgpt.prompts")
    for name in ALL_TEMPLATE_FIELDS:
        file_name = f"{name}.txt"
        override = user_folder / file_name if user_folder else None
        if override is not None and override.is_file():
            source, text = str(override), override.read_text(encoding="utf-8")
        elif compact and (package / COMPACT_SET / file_name).is_file():
            source, text = (
                f"recurrentgpt/prompts/{COMPACT_SET}/{file_name}",
                (package / COMPACT_SET / file_name).read_text(encoding="utf-8"),
            )
        else:
            source, text = (
                f"recurrentgpt/prompts/{file_name}",
                (package / file_name).read_text(encoding="utf-8"),
            )
        template = Template(text)
        _check(name, source, template)
        templates[name], sources[name] = template, source
    return PromptTemplates(templates=templates, sources=sources)
