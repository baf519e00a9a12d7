"""A caller of the real `langgraph dev` cannot change the deployment's settings.

The graph ``recurrentgpt_served`` is the package's graph with the scripted model
and the served context schema (:class:`~recurrentgpt.deployment.ServedContext`),
as ``recurrentgpt/graphs/served.py`` serves it. Every way a caller can hand the
server a context is tried: the run's context, the legacy ``configurable``, an
assistant's configuration; each is refused with a message naming the setting,
nothing is written, and the novel goes on with the caller's own settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langgraph_sdk")

from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient

from tests.server.devserver import DevServer

pytestmark = pytest.mark.server

GRAPH = "recurrentgpt_served"
CALLER = {"mode": "interactive", "words_per_paragraph": 40, "model": "openai:any"}
"""Settings a writer may choose."""
PREMISE = {"premise": "A lighthouse keeper finds a brass key."}
SECRET = "sk-caller-secret-5678"


@pytest.fixture
def client(fake_server: DevServer) -> SyncLangGraphClient:
    return get_sync_client(url=fake_server.url)


def _refusal(client: SyncLangGraphClient, thread_id: str, **request: Any) -> str:
    """Run and return the error the run ended with (the test fails if it did not)."""
    result = client.runs.wait(thread_id, GRAPH, raise_error=False, **request)
    assert isinstance(result, dict) and "__error__" in result, result
    return str(result["__error__"]["message"])


def test_a_run_context_that_sets_deployment_settings_is_refused_and_writes_nothing(
    client: SyncLangGraphClient, tmp_path: Path
) -> None:
    thread = client.threads.create()["thread_id"]
    elsewhere = tmp_path / "made-by-a-caller"

    message = _refusal(
        client,
        thread,
        input=PREMISE,
        context={**CALLER, "data_dir": str(elsewhere), "base_url": "http://198.51.100.7/v1"},
    )

    assert "data_dir, base_url" in message and "RECURRENTGPT_DATA_DIR" in message
    assert "OPENAI_BASE_URL" in message and "RECURRENTGPT_CALLER_SETTINGS" in message
    assert not elsewhere.exists()
    assert client.threads.get_state(thread)["values"] in ({}, None, [])
    opened = client.runs.wait(thread, GRAPH, input=PREMISE, context=CALLER, raise_error=True)
    assert isinstance(opened, dict) and opened["step"] == 0


def test_the_legacy_configurable_is_refused_too(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()["thread_id"]
    message = _refusal(
        client, thread, input=PREMISE, config={"configurable": {"qdrant_location": "/tmp"}}
    )
    assert "qdrant_location" in message and "QDRANT_URL" in message


def test_an_assistant_configured_with_a_deployment_setting_cannot_run(
    client: SyncLangGraphClient,
) -> None:
    assistant = client.assistants.create(GRAPH, context={**CALLER, "embedder": "hash:8"})
    thread = client.threads.create()["thread_id"]
    result = client.runs.wait(thread, assistant["assistant_id"], input=PREMISE, raise_error=False)
    assert isinstance(result, dict) and "__error__" in result
    assert "embedder" in result["__error__"]["message"]


def test_a_refused_resume_loses_nothing_and_never_echoes_a_key(
    client: SyncLangGraphClient,
) -> None:
    thread = client.threads.create()["thread_id"]
    client.runs.wait(thread, GRAPH, input=PREMISE, context=CALLER, raise_error=True)
    before = client.threads.get_state(thread)

    message = _refusal(client, thread, command={"resume": 1}, context={**CALLER, "api_key": SECRET})

    assert "api_key" in message and SECRET not in message
    after = client.threads.get_state(thread)
    assert after["checkpoint"]["checkpoint_id"] == before["checkpoint"]["checkpoint_id"]
    assert after["interrupts"][0]["value"]["plans"] == before["interrupts"][0]["value"]["plans"]
    written = client.runs.wait(
        thread, GRAPH, command={"resume": 1}, context=CALLER, raise_error=True
    )
    assert isinstance(written, dict) and written["step"] == 1
