"""Long-term memory: novel isolation, rewind and fork, embedding costs, configuration errors.

Every test here runs on each embedded backend (the Qdrant engine and
qdrant-client's local mode); tests/server/test_qdrant_server.py runs the
store-level ones against a Qdrant server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from recurrentgpt import build_graph
from recurrentgpt.embeddings import HashingEmbeddings
from recurrentgpt.export import read_manuscript
from recurrentgpt.memory import LongTermMemory, MemoryConfigError, Passage
from tests.fakes import FakeServices, ScriptedChatModel, fake_words
from tests.unit.conftest import MEMORY_BACKENDS, make_store
from tests.unit.helpers import (
    PREMISE,
    all_texts,
    point_count,
    retrieved_section,
    snapshot_at,
    step_writer_prompts,
    thread,
)

SHORE = "Arlo walked along the shore while the wind rose, thinking about the key and the light."


def shore(n: int) -> str:
    """A paragraph of its own for call ``n`` (the writer rejects copies of earlier ones)."""
    return f"{SHORE} {fake_words(n)}"


def prompt_text(messages: list) -> str:
    return "\n".join(str(m.content) for m in messages)


@pytest.fixture(params=MEMORY_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def memory(backend: str, tmp_path: Path) -> Iterator[LongTermMemory]:
    store = make_store(backend, tmp_path)
    yield LongTermMemory(store, HashingEmbeddings(64))
    store.close()


# --- isolation ---------------------------------------------------------------------------


async def test_two_novels_in_one_collection_never_see_each_other(
    graph, model: ScriptedChatModel, memory: LongTermMemory, context_factory
) -> None:
    def outline(schema: str, messages: list, n: int) -> dict:
        name = "Alpha" if "ALPHA" in prompt_text(messages) else "Omega"
        arc = f"The {name} keeper finds a key and a letter."
        return {"title": f"{name} Tide", "chapters": [{"title": "The Key", "arc": arc}]}

    def writer(schema: str, messages: list, n: int) -> str:
        marker = "ALPHA" if "Alpha Tide" in prompt_text(messages) else "OMEGA"
        return f"{marker} {n}: {shore(n)}"

    model.overrides.update(BookOutline=outline, text=writer)
    context = context_factory(retrieval_k=10)
    alpha, omega = thread("alpha"), thread("omega")

    await asyncio.gather(
        graph.ainvoke({"premise": f"ALPHA {PREMISE}", "target_steps": 5}, alpha, context=context),
        graph.ainvoke({"premise": f"OMEGA {PREMISE}", "target_steps": 5}, omega, context=context),
    )

    for title, other in (("Alpha Tide", "OMEGA"), ("Omega Tide", "ALPHA")):
        prompts = [prompt_text(m) for _, m in model.calls if title in prompt_text(m)]
        assert len(prompts) > 10
        assert not any(other in p for p in prompts), title
    alpha_prompts = [p for p in step_writer_prompts(model) if "Alpha Tide" in p]
    assert any("ALPHA" in retrieved_section(p) for p in alpha_prompts)

    values = {
        name: (await graph.aget_state(config)).values
        for name, config in (("ALPHA", alpha), ("OMEGA", omega))
    }
    assert values["ALPHA"]["novel_id"] != values["OMEGA"]["novel_id"]
    for marker, state in values.items():
        texts = [p.text for p in await read_manuscript(memory, state)]
        assert len(texts) == 8
        assert all(text.startswith(marker) for text in texts)
        assert point_count(memory, state["novel_id"]) == 8

    # A query made of the other novel's exact text still finds only this novel's passages.
    omega_text = values["OMEGA"]["last_paragraph"]
    found = await memory.search(
        omega_text,
        novel_id=values["ALPHA"]["novel_id"],
        branch_id="main",
        segments=[],
        before_position=100,
        k=20,
    )
    assert len(found) == 8
    assert {p.novel_id for p in found} == {values["ALPHA"]["novel_id"]}


# --- rewind and fork ---------------------------------------------------------------------


async def test_fork_from_an_earlier_step_neither_sees_nor_overwrites_the_old_future(
    graph, model: ScriptedChatModel, memory: LongTermMemory, config, context_factory
) -> None:
    context = context_factory(retrieval_k=10)
    original = await graph.ainvoke({"premise": PREMISE, "target_steps": 6}, config, context=context)
    original_values = (await graph.aget_state(config)).values
    original_texts = [p.text for p in await read_manuscript(memory, original_values)]
    assert len(original_texts) == 9
    abandoned = original_texts[6:]

    old = await snapshot_at(graph, config, 3)
    fork_config = await graph.aupdate_state(old.config, {}, as_node="planner")
    calls_before_fork = len(model.calls)
    model.overrides["text"] = lambda schema, messages, n: f"FORK {n}: {shore(n)}"

    await graph.ainvoke(None, fork_config, context=context)

    fork_values = (await graph.aget_state(config)).values
    assert fork_values["status"] == "finished"
    assert fork_values["step"] == 6
    after_fork = [prompt_text(m) for _, m in model.calls[calls_before_fork:]]
    writer_after_fork = [
        prompt_text(m) for name, m in model.calls[calls_before_fork:] if name == "text"
    ]
    assert len(writer_after_fork) == 3
    for prompt in after_fork:
        for text in abandoned:
            assert text not in prompt
    # Retrieval still works on the fork: it finds the paragraphs both timelines share.
    assert any(original_texts[3] in retrieved_section(p) for p in writer_after_fork)

    fork_texts = [p.text for p in await read_manuscript(memory, fork_values)]
    assert fork_texts[:6] == original_texts[:6]
    assert len(fork_texts) == 9
    assert all(text.startswith("FORK") for text in fork_texts[6:])
    assert fork_values["branch_id"] != "main"
    assert fork_values["inherited_segments"] == [{"branch_id": "main", "last_position": 5}]

    # The original timeline's final checkpoint still exports its own paragraphs 4-6.
    finals = [
        s
        async for s in graph.aget_state_history(config)
        if s.values.get("step") == 6 and not s.next and s.values.get("branch_id") == "main"
    ]
    assert len(finals) == 1
    assert [p.text for p in await read_manuscript(memory, finals[0].values)] == original_texts
    assert original["step"] == 6


async def test_editing_a_rewound_paragraph_forks_instead_of_overwriting(
    graph, model: ScriptedChatModel, memory: LongTermMemory, config, context_factory
) -> None:
    context = context_factory(mode="interactive")
    await graph.ainvoke({"premise": PREMISE, "target_steps": 4}, config, context=context)
    for _ in range(4):
        await graph.ainvoke(Command(resume=1), config, context=context)
    # The last pause, at the target, reviews the ending; stopping there finishes the novel.
    await graph.ainvoke(Command(resume="stop"), config, context=context)
    final = (await graph.aget_state(config)).values
    assert final["status"] == "finished"
    original_texts = [p.text for p in await read_manuscript(memory, final)]

    old = await snapshot_at(graph, config, 2)
    fork_config = await graph.aupdate_state(old.config, {}, as_node="planner")
    await graph.ainvoke(None, fork_config, context=context)
    assert (await graph.aget_state(config)).interrupts[0].value["step"] == 2
    edited = "EDITED: the rewound paragraph now says Arlo never found the key at all."
    await graph.ainvoke(
        Command(resume={"paragraph": edited, "stop": True}), config, context=context
    )

    fork_values = (await graph.aget_state(config)).values
    fork_texts = [p.text for p in await read_manuscript(memory, fork_values)]
    assert fork_texts == [*original_texts[:4], edited]
    assert [p.text for p in await read_manuscript(memory, final)] == original_texts
    assert fork_values["branch_id"] != "main"


async def test_fork_of_a_fork_reads_each_timeline_through_its_ancestry(
    graph, model: ScriptedChatModel, memory: LongTermMemory, config, context_factory
) -> None:
    context = context_factory(retrieval_k=10)
    await graph.ainvoke({"premise": PREMISE, "target_steps": 6}, config, context=context)
    main_texts = [
        p.text for p in await read_manuscript(memory, (await graph.aget_state(config)).values)
    ]

    model.overrides["text"] = lambda schema, messages, n: f"FIRST FORK {n}: {shore(n)}"
    first = await graph.aupdate_state((await snapshot_at(graph, config, 3)).config, {}, "planner")
    await graph.ainvoke(None, first, context=context)
    first_values = (await graph.aget_state(config)).values
    first_texts = [p.text for p in await read_manuscript(memory, first_values)]

    model.overrides["text"] = lambda schema, messages, n: f"SECOND FORK {n}: {shore(n)}"
    calls_before = len(model.calls)
    second = await graph.aupdate_state((await snapshot_at(graph, config, 5)).config, {}, "planner")
    await graph.ainvoke(None, second, context=context)
    second_values = (await graph.aget_state(config)).values
    second_texts = [p.text for p in await read_manuscript(memory, second_values)]

    assert second_texts[:8] == first_texts[:8]
    assert second_texts[:6] == main_texts[:6]
    assert second_texts[8].startswith("SECOND FORK")
    assert len(second_texts) == 9
    assert len(second_values["inherited_segments"]) == 2
    invisible = [*main_texts[6:], first_texts[8]]
    for _, messages in model.calls[calls_before:]:
        assert not any(text in prompt_text(messages) for text in invisible)
    # Every earlier timeline still reads as it was.
    assert [p.text for p in await read_manuscript(memory, first_values)] == first_texts


async def test_checkpoint_before_a_paragraph_edit_still_exports_its_own_paragraph(
    graph, memory: LongTermMemory, config, context_factory
) -> None:
    context = context_factory(mode="interactive")
    await graph.ainvoke({"premise": PREMISE, "target_steps": 4}, config, context=context)
    await graph.ainvoke(Command(resume=1), config, context=context)
    before_edit = (await graph.aget_state(config)).values
    texts = [p.text for p in await read_manuscript(memory, before_edit)]
    edited = "EDITED: Arlo decided the key belonged to the sea and threw it away."

    await graph.ainvoke(
        Command(resume={"paragraph": edited, "stop": True}), config, context=context
    )

    assert (await graph.aget_state(config)).values["last_paragraph"] == edited
    assert [p.text for p in await read_manuscript(memory, before_edit)] == texts


# --- embeddings --------------------------------------------------------------------------


class CountingEmbeddings(HashingEmbeddings):
    """Hashing embeddings that count the texts they embed."""

    def __init__(self, dims: int) -> None:
        super().__init__(dims)
        self.texts = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += len(texts)
        return super().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.texts += 1
        return super().embed_query(text)


async def test_embedding_calls_per_step_are_constant(
    model: ScriptedChatModel, context_factory, backend: str, tmp_path: Path
) -> None:
    embeddings = CountingEmbeddings(64)
    memory = LongTermMemory(make_store(backend, tmp_path), embeddings)
    graph = build_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())
    after_step: dict[int, int] = {}
    async for update in graph.astream(
        {"premise": PREMISE, "target_steps": 10},
        thread("counted"),
        context=context_factory(),
        stream_mode="updates",
    ):
        for node, values in update.items():
            if node in ("start", "memory_updater"):
                after_step[values["step"]] = memory.embedding_calls

    assert memory.embedding_calls == embeddings.texts
    per_step = [after_step[k] - after_step[k - 1] for k in range(1, 11)]
    assert per_step[0:3] == per_step[7:10]
    assert len(set(per_step)) == 1
    # One query to retrieve, one document to store: nothing is re-embedded.
    assert per_step[0] == 2


async def test_embedding_size_mismatch_with_an_existing_collection_is_a_clear_error(
    backend: str, tmp_path: Path
) -> None:
    store = make_store(backend, tmp_path)
    passage = Passage(
        novel_id="n", branch_id="main", position=0, step=0, chapter=1, text="hello", summary=""
    )
    await LongTermMemory(store, HashingEmbeddings(32)).store_many([passage])

    other = LongTermMemory(store, HashingEmbeddings(64))
    with pytest.raises(MemoryConfigError) as raised:
        await other.store_many([passage])
    message = str(raised.value)
    assert "32" in message and "64" in message
    assert store.location in message
    assert "embedder" in message

    with pytest.raises(MemoryConfigError):
        await LongTermMemory(store, HashingEmbeddings(64)).search(
            "hello", novel_id="n", branch_id="main", segments=[], before_position=5, k=3
        )


async def test_a_size_mismatch_names_the_bundled_embedders(backend: str, tmp_path: Path) -> None:
    # A store written with MiniLM (384) opened with all-mpnet-base-v2 (768), or back.
    store = make_store(backend, tmp_path)
    passage = Passage(
        novel_id="n", branch_id="main", position=0, step=0, chapter=1, text="hello", summary=""
    )
    await LongTermMemory(store, HashingEmbeddings(384)).store_many([passage])
    with pytest.raises(MemoryConfigError) as raised:
        await LongTermMemory(store, HashingEmbeddings(768)).store_many([passage])
    message = str(raised.value)
    assert "\n" not in message
    assert "384 is 'local:all-MiniLM-L6-v2'" in message
    assert "768 is 'local:all-mpnet-base-v2'" in message


async def test_search_respects_position_and_k(memory: LongTermMemory) -> None:
    await memory.store_many(
        [
            Passage(
                novel_id="n",
                branch_id="main",
                position=i,
                step=i,
                chapter=1,
                text=f"lamp {i} {SHORE}",
                summary="",
            )
            for i in range(6)
        ]
    )
    found = await memory.search(
        SHORE, novel_id="n", branch_id="main", segments=[], before_position=4, k=10
    )
    assert sorted(p.position for p in found) == [0, 1, 2, 3]
    assert (
        len(
            await memory.search(
                SHORE, novel_id="n", branch_id="main", segments=[], before_position=4, k=2
            )
        )
        == 2
    )
    assert (
        await memory.search(
            SHORE, novel_id="n", branch_id="main", segments=[], before_position=4, k=0
        )
        == []
    )
    assert (
        await memory.search(
            SHORE, novel_id="n", branch_id="main", segments=[], before_position=0, k=3
        )
        == []
    )


async def test_delete_novel_removes_only_that_novel(memory: LongTermMemory) -> None:
    for novel in ("a", "b"):
        await memory.store(
            novel_id=novel, branch_id="main", position=0, step=0, chapter=1, text=novel, summary=""
        )
    await memory.delete_novel("a")
    assert point_count(memory, "a") == 0
    assert all_texts(memory, "b") == ["b"]


# --- the opening ---------------------------------------------------------------------------


async def test_re_running_the_opening_from_an_earlier_checkpoint_keeps_the_first_opening(
    graph, model: ScriptedChatModel, memory: LongTermMemory, config, context_factory
) -> None:
    context = context_factory()
    await graph.ainvoke({"premise": PREMISE, "target_steps": 2}, config, context=context)
    first = (await graph.aget_state(config)).values
    first_texts = [p.text for p in await read_manuscript(memory, first)]
    assert len(first_texts) == 5
    before_opening = [s async for s in graph.aget_state_history(config) if s.next == ("start",)]
    assert len(before_opening) == 1

    model.overrides["text"] = lambda schema, messages, n: f"SECOND OPENING {n}: {shore(n)}"
    fork = await graph.aupdate_state(
        before_opening[0].config, {"premise": f"another {PREMISE}"}, as_node="__start__"
    )
    await graph.ainvoke(None, fork, context=context)

    second = (await graph.aget_state(config)).values
    second_texts = [p.text for p in await read_manuscript(memory, second)]
    assert len(second_texts) == 5
    assert all(text.startswith("SECOND OPENING") for text in second_texts)
    assert second["branch_id"] != first["branch_id"] == "main"
    assert second["novel_id"] == first["novel_id"]
    # The first timeline still reads its own opening and steps.
    assert [p.text for p in await read_manuscript(memory, first)] == first_texts


async def test_a_second_novel_on_the_same_thread_keeps_the_first_novels_opening(
    model: ScriptedChatModel, memory: LongTermMemory, context_factory
) -> None:
    context = context_factory()
    shared = thread("pipeline-thread")
    first_graph = build_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())
    await first_graph.ainvoke({"premise": PREMISE, "target_steps": 1}, shared, context=context)
    first = (await first_graph.aget_state(shared)).values
    first_texts = [p.text for p in await read_manuscript(memory, first)]

    model.overrides["text"] = lambda schema, messages, n: f"SECOND NOVEL {n}: {shore(n)}"
    # A parent pipeline starts a second novel on the same thread: fresh state, same thread id.
    second_graph = build_graph(FakeServices(model, memory)).compile(checkpointer=InMemorySaver())
    await second_graph.ainvoke(
        {"premise": f"another {PREMISE}", "target_steps": 1}, shared, context=context
    )
    second = (await second_graph.aget_state(shared)).values

    assert second["novel_id"] == first["novel_id"]
    assert [p.text for p in await read_manuscript(memory, first)] == first_texts
    second_texts = [p.text for p in await read_manuscript(memory, second)]
    assert len(second_texts) == 4
    assert all(text.startswith("SECOND NOVEL") for text in second_texts)
    assert point_count(memory, first["novel_id"]) == 8
