"""The writer's page on the scripted-model server: its JSON routes read the fake graph's memory."""

from __future__ import annotations

from recurrentgpt.web.app import build_app
from tests.server.fake_graph import services

app = build_app(services)
