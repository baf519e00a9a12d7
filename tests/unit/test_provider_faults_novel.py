"""A whole novel written through a provider that fails on cue resumes with nothing lost or doubled.

Every role talks to the scripted model through the loopback fault endpoint and the real
OpenAI client; the writer's paragraphs are streamed, as a terminal or a server caller gets
them. Transient faults (a reply cut off mid-body or mid-stream, a 503) are ridden out;
an empty reply, one with no choices and one in the wrong schema each use the only attempt,
so the run stops at a checkpoint and is resumed. The timeline is then checked against the
invariants every fault must keep (tests/invariants.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from recurrentgpt import build_graph, llm, novels, services
from recurrentgpt.memory import LongTermMemory
from tests.fakes import FakeServices
from tests.faulty_provider import Fault, faulty_provider
from tests.invariants import check_timeline
from tests.unit.conftest import make_context
from tests.unit.test_model_faults import FakeClock, clock  # noqa: F401 (a fixture)

STEPS = 4

FAULTS: list[Fault] = [
    ("ok",),
    ("truncate",),
    ("when", "stream", ("truncate",)),
    ("empty",),
    ("ok",),
    ("no_choices",),
    ("when", "tools", ("wrong_schema", {"unexpected": "field"})),
    ("status", 503),
    ("when", "stream", ("truncate",)),
    ("when", "stream", ("empty",)),
    ("when", "tools", ("no_choices",)),
    ("when", "stream", ("truncate",)),
]


async def test_a_novel_through_every_provider_fault_resumes_with_nothing_lost(
    tmp_path: Path,
    memory: LongTermMemory,
    clock: FakeClock,  # noqa: F811
) -> None:
    config: Any = {"configurable": {"thread_id": "faulty"}}
    stops: list[str] = []
    with faulty_provider(FAULTS, None) as provider:
        context = make_context(
            model="openai:scripted", base_url=provider.base_url, api_key="k", max_attempts=1
        )
        model = services.build_chat_model("openai:scripted", context=context, max_tokens=400)
        async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
            graph = build_graph(FakeServices(model, memory)).compile(checkpointer=saver)  # type: ignore[arg-type]
            run_input: Any = {"premise": "A lighthouse keeper.", "target_steps": STEPS}
            streamed = 0
            for _ in range(len(FAULTS) + 1):
                try:
                    async for mode, _chunk in graph.astream(
                        run_input,
                        config,
                        context=context,
                        stream_mode=["messages", "updates"],
                        durability="sync",
                    ):
                        streamed += mode == "messages"
                except llm.LLMReplyError as error:
                    stops.append(error.problem)
                state = await graph.aget_state(config)
                if novels.status_of(state) == "finished":
                    break
                plan = await novels.prepare_resume(graph, "faulty")
                run_input = plan.run_input
            requests, sent = provider.requests, provider.sent
            assert not provider.faults, "the novel ended before every fault was sent"

    assert novels.status_of(state) == "finished" and state.values["step"] == STEPS
    passages = await check_timeline(memory, state.values)
    assert len({p.text for p in passages}) == len(passages)  # no paragraph twice
    # No paragraph is a stream's first half ("Opening paragraph one about the" was kept).
    assert all(p.text.rstrip().endswith((".", "!", "?")) for p in passages), passages
    assert streamed > 0
    assert sent.count(("truncate", True)) == 3 and ("truncate", False) in sent
    # Each empty / no-choice / wrong-schema reply stopped the run once; the transient
    # faults (cut-off replies, the 503) stopped nothing.
    assert len(stops) == 5, stops
    assert any("empty" in s for s in stops) and any("no choices" in s for s in stops)
    assert any("does not match the schema" in s for s in stops)
    assert requests > len(FAULTS)
