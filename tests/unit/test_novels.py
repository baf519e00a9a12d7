"""The package API every surface uses: pending edits, the last pause, resume, history, rewind."""

from __future__ import annotations

import pytest
from langgraph.types import Command

from recurrentgpt import novels
from tests.unit.helpers import PREMISE, step_writer_prompts

THREAD = "novel-1"


async def start_interactive(graph, config, context_factory, **targets):
    context = context_factory(mode="interactive")
    await graph.ainvoke({"premise": PREMISE, **targets}, config, context=context)
    return context


async def test_pending_edit_is_saved_shown_and_applied(graph, config, model, context_factory):
    context = await start_interactive(graph, config, context_factory, target_steps=3)
    pending = await novels.save_pending_edit(graph, THREAD, "short_term_memory", " EDITED memory ")
    assert pending == {"short_term_memory": "EDITED memory"}
    # A second surface (or a restarted terminal) sees the edit in the checkpoint and the pause.
    await graph.ainvoke(None, config, context=context)
    snapshot = await graph.aget_state(config)
    assert snapshot.interrupts[0].value["pending_edits"] == pending
    await graph.ainvoke(Command(resume={"plan_index": 2}), config, context=context)
    assert "EDITED memory" in step_writer_prompts(model)[0]
    assert (await graph.aget_state(config)).values["pending_edits"] == {}


async def test_resume_right_after_an_edit_applies_it(graph, config, model, context_factory):
    context = await start_interactive(graph, config, context_factory, target_steps=3)
    await novels.save_pending_edit(graph, THREAD, "short_term_memory", "FIRST edit")
    await novels.save_pending_edit(graph, THREAD, "short_term_memory", "SECOND edit")
    await graph.ainvoke(Command(resume={"plan_index": 1}), config, context=context)
    prompt = step_writer_prompts(model)[0]
    assert "SECOND edit" in prompt
    assert "FIRST edit" not in prompt


async def test_an_answer_overrides_a_pending_edit(graph, config, model, context_factory):
    context = await start_interactive(graph, config, context_factory, target_steps=3)
    await novels.save_pending_edit(graph, THREAD, "short_term_memory", "PENDING text")
    answer = {"plan_index": 1, "short_term_memory": "ANSWERED text"}
    await graph.ainvoke(Command(resume=answer), config, context=context)
    assert "ANSWERED text" in step_writer_prompts(model)[0]


async def test_edits_are_refused_when_not_paused_or_empty(graph, config, context_factory):
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context_factory())
    with pytest.raises(novels.NovelStateError, match="not at a pause"):
        await novels.save_pending_edit(graph, THREAD, "short_term_memory", "x")
    with pytest.raises(novels.NovelStateError, match="empty"):
        await novels.save_pending_edit(graph, THREAD, "paragraph", "  ")


async def test_last_pause_at_the_target_finishes_or_extends(graph, config, context_factory):
    context = await start_interactive(graph, config, context_factory, target_steps=1)
    await graph.ainvoke(Command(resume=1), config, context=context)
    snapshot = await graph.aget_state(config)
    assert snapshot.interrupts[0].value["kind"] == "review_ending"
    assert novels.status_of(snapshot) == "review"
    await graph.ainvoke(
        Command(resume={"extend_steps": 2, "plan_index": 3}), config, context=context
    )
    snapshot = await graph.aget_state(config)
    assert snapshot.values["target_steps"] == 3
    assert snapshot.interrupts[0].value["kind"] == "choose_plan"
    await graph.ainvoke(Command(resume=1), config, context=context)
    assert (await graph.aget_state(config)).interrupts[0].value["kind"] == "review_ending"
    await graph.ainvoke(Command(resume={"stop": True}), config, context=context)
    snapshot = await graph.aget_state(config)
    assert (snapshot.values["status"], snapshot.values["step"]) == ("finished", 3)
    assert novels.status_of(snapshot) == "finished"


async def test_stop_means_resume_later(graph, config, context_factory):
    context = await start_interactive(graph, config, context_factory, target_steps=3)
    await graph.ainvoke(Command(resume="stop"), config, context=context)
    assert novels.status_of(await graph.aget_state(config)) == "stopped"
    plan = await novels.prepare_resume(graph, THREAD)
    assert not plan.nothing_to_do
    await graph.ainvoke(plan.run_input, config, context=context)
    snapshot = await graph.aget_state(config)
    assert snapshot.interrupts[0].value["kind"] == "choose_plan"
    assert snapshot.values["step"] == 0


async def test_resume_steps_means_that_many_more(graph, config, context_factory):
    context = context_factory()
    await graph.ainvoke({"premise": PREMISE, "target_steps": 2}, config, context=context)
    assert (await novels.prepare_resume(graph, THREAD)).nothing_to_do
    plan = await novels.prepare_resume(graph, THREAD, more_steps=3)
    await graph.ainvoke(plan.run_input, config, context=context)
    values = (await graph.aget_state(config)).values
    assert (values["step"], values["target_steps"]) == (5, 5)


async def test_a_paused_novel_is_listed_as_paused_whatever_its_last_status(
    graph, config, context_factory
):
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context_factory())
    assert (await novels.describe_novel(graph.checkpointer, THREAD)).status == "finished"
    plan = await novels.prepare_resume(graph, THREAD, more_steps=1)
    await graph.ainvoke(plan.run_input, config, context=context_factory(mode="interactive"))
    summary = await novels.describe_novel(graph.checkpointer, THREAD)
    assert (summary.status, summary.premise, summary.step) == ("paused", PREMISE, 1)
    assert summary.updated_at


async def test_history_is_one_row_per_step_and_every_id_rewinds(graph, config, context_factory):
    context = context_factory()
    await graph.ainvoke({"premise": PREMISE, "target_steps": 4}, config, context=context)
    await novels.rewind(graph, THREAD, 2)
    await graph.ainvoke(None, config, context=context)
    rows = await novels.history(graph.checkpointer, THREAD)
    assert [row.step for row in rows] == [4, 3, 2, 1, 0]
    assert all(row.on_timeline for row in rows)
    every = await novels.history(graph.checkpointer, THREAD, all_branches=True)
    abandoned = [row for row in every if not row.on_timeline]
    assert sorted(row.step for row in abandoned) == [3, 4]
    ids = [row.checkpoint_id for row in every]
    for row in every:
        # Ids are time-ordered (uuid6): checkpoints written in the same instant share a long
        # prefix, so a person types as much as makes the id unique (at least 12 characters).
        length = 12
        while sum(other.startswith(row.checkpoint_id[:length]) for other in ids) > 1:
            length += 1
        reached = await novels.rewind(graph, THREAD, row.checkpoint_id[:length])
        assert reached.checkpoint_id == row.checkpoint_id
        assert (await graph.aget_state(config)).values["step"] == row.step


async def test_steps_draw_as_a_tree_forked_where_the_novel_was_rewound(
    graph, config, context_factory
):
    context = context_factory()
    await graph.ainvoke({"premise": PREMISE, "target_steps": 3}, config, context=context)
    await novels.rewind(graph, THREAD, 1)
    await graph.ainvoke(None, config, context=context)
    snapshots = await novels._all_checkpoints(graph.checkpointer, THREAD)
    latest = await novels.read_checkpoint(graph.checkpointer, THREAD)
    assert latest is not None
    rows = novels.history_of(snapshots, novels.checkpoint_id(latest), all_branches=True)
    assert rows == await novels.history(graph.checkpointer, THREAD, all_branches=True)
    parents = novels.step_parents(snapshots, rows)
    by_id = {row.checkpoint_id: row for row in rows}
    assert [row.checkpoint_id for row in rows if row.checkpoint_id not in parents] == [
        next(row.checkpoint_id for row in rows if row.step == 0)
    ]
    for child, parent in parents.items():
        assert by_id[parent].step == by_id[child].step - 1
    # Both step-2 rows (the abandoned one and the rewritten one) grow from the same step 1.
    step_two = [row.checkpoint_id for row in rows if row.step == 2]
    assert len(step_two) == 2 and len({parents[cid] for cid in step_two}) == 1


async def test_rewind_keeps_the_current_target(graph, config, context_factory):
    context = context_factory()
    await graph.ainvoke({"premise": PREMISE, "target_steps": 2}, config, context=context)
    plan = await novels.prepare_resume(graph, THREAD, more_steps=2)
    await graph.ainvoke(plan.run_input, config, context=context)
    await novels.rewind(graph, THREAD, "1")
    snapshot = await graph.aget_state(config)
    assert (snapshot.values["step"], snapshot.values["target_steps"]) == (1, 4)
    assert novels.status_of(snapshot) == "paused"


async def test_rewind_to_nothing_names_what_exists(graph, config, context_factory):
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context_factory())
    with pytest.raises(novels.NovelStateError, match=r"steps 0\.\.1"):
        await novels.rewind(graph, THREAD, 7)
    with pytest.raises(novels.NovelStateError, match="neither a step number"):
        await novels.rewind(graph, THREAD, "abc")


async def test_extending_at_the_last_pause_outlines_a_new_chapter(graph, config, context_factory):
    context = context_factory(mode="interactive", paragraphs_per_chapter=5)
    await graph.ainvoke({"premise": PREMISE, "target_steps": 1}, config, context=context)
    await graph.ainvoke(Command(resume=1), config, context=context)
    before = await graph.aget_state(config)
    assert before.interrupts[0].value["kind"] == "review_ending"
    await graph.ainvoke(Command(resume={"extend_steps": 2}), config, context=context)
    after = await graph.aget_state(config)
    # Nothing was written yet: the book grew a chapter and the person chooses anew.
    assert after.values["step"] == before.values["step"] == 1
    assert after.values["target_steps"] == 3
    assert after.values["chapter"] == before.values["chapter"] + 1
    assert len(after.values["book_outline"]) >= after.values["chapter"]
    assert after.interrupts[0].value["kind"] == "choose_plan"
    assert after.values["plans"] != before.values["plans"]


async def test_the_quick_sqlite_reader_reads_what_the_checkpointer_reads(
    tmp_path, model, memory, context_factory
):
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from recurrentgpt import build_graph
    from recurrentgpt.persistence import SqliteCheckpointReader
    from tests.fakes import FakeServices

    path = str(tmp_path / "checkpoints.sqlite")
    async with AsyncSqliteSaver.from_conn_string(path) as saver:
        graph = build_graph(FakeServices(model, memory)).compile(checkpointer=saver)
        config = {"configurable": {"thread_id": THREAD}}
        context = context_factory()
        await graph.ainvoke({"premise": PREMISE, "target_steps": 3}, config, context=context)
        await novels.rewind(graph, THREAD, 1)
        expected_rows = await novels.history(saver, THREAD, all_branches=True)
        expected_summary = await novels.describe_novel(saver, THREAD)
    reader = SqliteCheckpointReader(path)
    assert await novels.history(reader, THREAD, all_branches=True) == expected_rows
    assert await novels.describe_novel(reader, THREAD) == expected_summary
    assert expected_summary.status == "paused"
    assert (
        await novels.read_checkpoint(SqliteCheckpointReader(str(tmp_path / "none")), THREAD) is None
    )
