"""What a deployed server takes from its environment only, never from a caller.

On a LangGraph server every run's context comes from whoever calls the API. Some
:class:`~recurrentgpt.context.Context` fields are not a writer's choice but the
deployment's: where data lives on the server's disk, which Qdrant it talks to,
which endpoint and key the models are reached with, which embedder fills the
shared long-term memory, which folder of templates is read. A caller who could
set them could make the server create folders anywhere, send requests (and the
operator's key) to any URL, or mix embeddings of another size into the shared
collection. :class:`ServedContext` is the context schema of the served graphs:
a run whose context sets one of :data:`DEPLOYMENT_SETTINGS` to anything but the
environment's value is refused before any node runs, with a message naming the
setting and the environment variable that sets it. The operator lets callers set
some of them anyway with :data:`CALLER_SETTINGS_ENV` (e.g. ``base_url,api_key``
for a server where writers bring their own provider).

The CLI and code that compiles :func:`~recurrentgpt.graphs.cowriter.build_graph`
itself use :class:`~recurrentgpt.context.Context`: they are the operator.
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, fields
from typing import Final

from recurrentgpt.context import Context

CALLER_SETTINGS_ENV: Final = "RECURRENTGPT_CALLER_SETTINGS"
"""Comma-separated deployment settings the operator lets a run's context set."""

DEPLOYMENT_SETTINGS: Final[dict[str, str]] = {
    "data_dir": "RECURRENTGPT_DATA_DIR",
    "qdrant_location": "QDRANT_URL or RECURRENTGPT_QDRANT",
    "qdrant_api_key": "QDRANT_API_KEY",
    "memory_backend": "RECURRENTGPT_MEMORY_BACKEND",
    "embedder": "RECURRENTGPT_EMBEDDER",
    "base_url": "OPENAI_BASE_URL",
    "api_key": "OPENAI_API_KEY",
    "templates_dir": "RECURRENTGPT_TEMPLATES",
}
"""Context fields a served run may not set, each with the environment variable that does.

Local model files are named by environment variables only
(:mod:`recurrentgpt.local_llm`), never by the context, so they need no entry."""


class DeploymentSettingError(ValueError):
    """A run's context sets a deployment setting, or the allow-list names an unknown one."""


def caller_settings() -> frozenset[str]:
    """The deployment settings the operator lets callers set (:data:`CALLER_SETTINGS_ENV`).

    Raises:
        DeploymentSettingError: the variable names something that is not a
            deployment setting (a typo would otherwise silently allow nothing).
    """
    names = {name.strip() for name in os.environ.get(CALLER_SETTINGS_ENV, "").split(",")}
    names.discard("")
    unknown = sorted(names - DEPLOYMENT_SETTINGS.keys())
    if unknown:
        raise DeploymentSettingError(
            f"{CALLER_SETTINGS_ENV} names {', '.join(unknown)}, not among the deployment "
            f"settings; it may name: {', '.join(DEPLOYMENT_SETTINGS)}"
        )
    return frozenset(names)


def environment_value(name: str) -> object:
    """The value the environment gives the Context field ``name`` (its default now)."""
    spec = next(spec for spec in fields(Context) if spec.name == name)
    if spec.default_factory is not MISSING:
        return spec.default_factory()
    return spec.default


def refused_settings(context: Context) -> list[str]:
    """The deployment settings ``context`` sets to other values than the environment's."""
    allowed = caller_settings()
    return [
        name
        for name in DEPLOYMENT_SETTINGS
        if name not in allowed and getattr(context, name) != environment_value(name)
    ]


def check_caller_settings(context: Context) -> None:
    """Refuse a served run whose context sets a deployment setting.

    The message names the settings and their environment variables, never the
    values (one may be a key).

    Raises:
        DeploymentSettingError: one or more settings were set by the caller.
    """
    refused = refused_settings(context)
    if refused:
        where = "; ".join(f"{name} from {DEPLOYMENT_SETTINGS[name]}" for name in refused)
        raise DeploymentSettingError(
            f"this server does not let a run set {', '.join(refused)}: deployment settings "
            f"come from the server's environment ({where}). Remove them from the run's "
            "context or the assistant's configuration; the operator may let callers set "
            f"them with {CALLER_SETTINGS_ENV}={','.join(refused)}."
        )


@dataclass(kw_only=True)
class ServedContext(Context):
    """The run context of a served graph: deployment settings come from the environment."""

    def __post_init__(self) -> None:
        """Check the values, then refuse any deployment setting the caller changed."""
        super().__post_init__()
        check_caller_settings(self)
