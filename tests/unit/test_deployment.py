"""Deployment settings are not caller settings: the served context refuses them.

The server test (tests/server/test_deployment_settings.py) sends the same through
the real `langgraph dev`; here the rules themselves and the bounded caches.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from recurrentgpt import services as services_module
from recurrentgpt.context import Context
from recurrentgpt.deployment import (
    CALLER_SETTINGS_ENV,
    DEPLOYMENT_SETTINGS,
    DeploymentSettingError,
    ServedContext,
    caller_settings,
)
from recurrentgpt.graphs.cowriter import build_graph
from recurrentgpt.memory import LongTermMemory
from recurrentgpt.preflight import check_server
from recurrentgpt.services import DefaultServices
from tests.fakes import FakeServices, ScriptedChatModel

SECRET = "sk-caller-secret-1234"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("data_dir", "/tmp/anywhere"),
        ("qdrant_location", "http://198.51.100.7:6333"),
        ("qdrant_api_key", SECRET),
        ("memory_backend", "local"),
        ("embedder", "hash:8"),
        ("base_url", "http://198.51.100.7/v1"),
        ("api_key", SECRET),
        ("templates_dir", "/etc"),
    ],
)
def test_a_served_run_may_not_set_a_deployment_setting(name: str, value: str) -> None:
    with pytest.raises(DeploymentSettingError) as refused:
        ServedContext(**{name: value})

    message = str(refused.value)
    assert name in message and DEPLOYMENT_SETTINGS[name] in message
    assert f"{CALLER_SETTINGS_ENV}={name}" in message
    assert value not in message  # a key is never echoed back


def test_every_refused_setting_is_named_at_once() -> None:
    with pytest.raises(DeploymentSettingError, match="set data_dir, base_url: deployment"):
        ServedContext(data_dir="/tmp/x", base_url="http://x/v1")


def test_every_deployment_setting_is_a_context_field() -> None:
    assert set(DEPLOYMENT_SETTINGS) <= {spec.name for spec in fields(Context)}


def test_caller_settings_and_the_environments_own_values_are_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    monkeypatch.setenv("RECURRENTGPT_DATA_DIR", "/srv/novels")
    served = ServedContext(
        model="openai:gpt-4o-mini",
        writer_model="openai:gpt-4o",
        temperature=0.2,
        mode="auto",
        words_per_paragraph=60,
        retrieval_k=5,
        base_url="http://127.0.0.1:8080/v1",  # the same as the environment's: harmless
        data_dir="/srv/novels",
    )
    assert served.base_url == "http://127.0.0.1:8080/v1"
    assert served.resolved_qdrant_location == "/srv/novels/qdrant"


def test_the_operator_allows_named_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CALLER_SETTINGS_ENV, " base_url , api_key,")
    served = ServedContext(base_url="http://127.0.0.1:9/v1", api_key=SECRET)
    assert served.api_key == SECRET
    with pytest.raises(DeploymentSettingError, match="data_dir"):
        ServedContext(data_dir="/tmp/x")


def test_an_allow_list_typo_stops_the_server_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CALLER_SETTINGS_ENV, "base_url,dat_dir")
    with pytest.raises(DeploymentSettingError, match="names dat_dir, not among"):
        caller_settings()
    with pytest.raises(DeploymentSettingError):
        check_server(Context(embedder="hash:8", qdrant_location=":memory:"))


def test_the_operators_own_context_keeps_full_control() -> None:
    context = Context(data_dir="/tmp/x", base_url="http://x/v1", api_key=SECRET)
    assert context.data_dir == "/tmp/x"


async def test_a_refused_run_writes_no_checkpoint(memory: LongTermMemory) -> None:
    graph = build_graph(
        FakeServices(ScriptedChatModel(), memory), context_schema=ServedContext
    ).compile(checkpointer=InMemorySaver())
    config: Any = {"configurable": {"thread_id": "refused"}}

    with pytest.raises(DeploymentSettingError, match="data_dir"):
        await graph.ainvoke({"premise": "A keeper."}, config, context={"data_dir": "/tmp/x"})

    assert (await graph.aget_state(config)).values == {}
    opened = await graph.ainvoke(
        {"premise": "A keeper."}, config, context={"mode": "interactive", "words_per_paragraph": 40}
    )
    assert opened["step"] == 0 and opened["__interrupt__"]


def test_chat_model_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []

    def build(spec: str, *, context: Context, max_tokens: int) -> Any:
        built.append(spec)
        return object()

    monkeypatch.setattr(services_module, "build_chat_model", build)
    services = DefaultServices()
    first = services.chat_model("writer", Context(temperature=0.0))
    for n in range(1, 200):
        services.chat_model("writer", Context(temperature=n / 100))
    assert len(services._models) == services_module.MAX_CACHED_CHAT_MODELS
    assert services.chat_model("writer", Context(temperature=0.0)) is not first  # rebuilt
    recent = services.chat_model("writer", Context(temperature=1.99))
    assert services.chat_model("writer", Context(temperature=1.99)) is recent
    assert len(built) == 201


def test_memory_cache_is_bounded_over_one_store(tmp_path: Any) -> None:
    services = DefaultServices()
    base = Context(embedder="hash:8", data_dir=str(tmp_path))
    views = [
        services.long_term_memory(
            Context(
                embedder=base.embedder,
                data_dir=base.data_dir,
                retrieval_mode=mode,
                retrieval_fusion=fusion,
                memory_embedding=embed,
            )
        )
        for mode in ("hybrid", "dense", "sparse")
        for fusion in ("rrf", "dbsf")
        for embed in ("summary", "paragraph", "both")
    ]
    assert len(services._memories) == services_module.MAX_CACHED_MEMORIES
    assert len({id(view.backend) for view in views}) == 1  # one store under every view


def test_every_context_field_is_either_a_callers_or_the_deployments() -> None:
    # A new Context field must be classified: forwarded by the remote node, or refused.
    import dataclasses

    from recurrentgpt.context import Context
    from recurrentgpt.deployment import DEPLOYMENT_SETTINGS
    from recurrentgpt.remote import CALLER_CONTEXT_FIELDS

    retries = {"max_attempts", "model_outage_seconds"}  # the server's to bound, not forwarded
    fields = {field.name for field in dataclasses.fields(Context)}
    assert not CALLER_CONTEXT_FIELDS & set(DEPLOYMENT_SETTINGS)
    assert CALLER_CONTEXT_FIELDS | set(DEPLOYMENT_SETTINGS) | retries == fields


def test_the_production_config_serves_the_root_configs_graphs_by_module() -> None:
    # deploy/langgraph.json is the root config for the PyPI runtime: no page, module paths.
    import json
    from pathlib import Path

    root_dir = Path(__file__).resolve().parents[2]
    root = json.loads((root_dir / "langgraph.json").read_text())
    production = json.loads((root_dir / "deploy" / "langgraph.json").read_text())

    def as_module(spec: str | dict[str, str]) -> str | dict[str, str]:
        path = spec if isinstance(spec, str) else spec["path"]
        file, attr = path.split(":")
        module = file.removeprefix("./").removesuffix(".py").replace("/", ".")
        return f"{module}:{attr}" if isinstance(spec, str) else {**spec, "path": f"{module}:{attr}"}

    expected = {k: as_module(v) for k, v in root["graphs"].items() if k != "novel_pipeline"}
    assert production["graphs"] == expected
    assert "http" not in production and "http" in root
