"""Two threads sharing one novel id (a copied thread) write the same position at once.

`threads.copy` gives the copy the original's checkpoints, so its novel id and
branch: both threads then write the next paragraph at the same position of the
same branch. Each must keep reading the paragraph it wrote: never the other's.
Before the per-novel write lock (recurrentgpt/nodes/branching.py) both found the
position free and the later write replaced the earlier one's paragraph (seen in
round 0 of both runs); now the second finds the first's paragraph there and
forks onto a branch of its own.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from langgraph_sdk import get_sync_client

from tests.server.devserver import DevServer

pytestmark = pytest.mark.server

CONTEXT = {
    "mode": "interactive",
    "embedder": "hash:64",
    "words_per_paragraph": 40,
    "retrieval_k": 50,
}
PREMISE = {"premise": "A lighthouse keeper finds a brass key."}
ROUNDS = 4


def test_a_copied_thread_never_writes_over_the_original(fake_server: DevServer) -> None:
    client = get_sync_client(url=fake_server.url)
    assistant = client.assistants.search(graph_id="recurrentgpt")[0]["assistant_id"]

    def run(thread: str, **request: Any) -> dict[str, Any]:
        result = client.runs.wait(thread, assistant, context=CONTEXT, raise_error=True, **request)
        assert isinstance(result, dict)
        return result

    for round_ in range(ROUNDS):
        original = client.threads.create()["thread_id"]
        run(original, input=PREMISE)
        copy = client.threads.copy(original)["thread_id"]
        plans = {original: f"Original {round_}.", copy: f"Copy {round_}."}
        requests = {
            thread: {"command": {"resume": {"plan": plan}}} for thread, plan in plans.items()
        }
        with ThreadPoolExecutor(2) as pool:
            futures = {thread: pool.submit(run, thread, **requests[thread]) for thread in plans}
            written = {thread: future.result() for thread, future in futures.items()}
        assert written[original]["novel_id"] == written[copy]["novel_id"]
        # Two steps on, retrieval recalls every visible paragraph but the last two:
        # its own, never the other's.
        for thread, other in ((original, copy), (copy, original)):
            run(thread, command={"resume": 1})
            run(thread, command={"resume": 1})
            recalled = client.threads.get_state(thread)["values"]["retrieved_passages"]
            assert written[thread]["last_paragraph"] in recalled, (round_, thread)
            assert written[other]["last_paragraph"] not in recalled, (round_, thread)
