"""What every surface does with a novel's thread: status, history, rewind, edits, resume.

The CLI, a web page and a developer's own code call these functions (one novel
is one thread). Functions that only read take the checkpointer
(``graph.checkpointer`` of a compiled graph), so a quick command needs no graph
and imports no model code; functions that write take the compiled co-writing
graph. Nothing here talks to a model.

- :func:`describe_novel`: title, premise, progress, dates and the true status
  (a paused novel is ``paused``, whatever status its values last recorded).
- :func:`history`: one row per step of the current timeline (or of every
  branch), each with the checkpoint id :func:`rewind` accepts.
- :func:`rewind`: make the pause after an earlier step current, keeping the
  novel's current target.
- :func:`save_pending_edit`: keep an edit made at a pause in the checkpoint
  as soon as it is made; the human turn applies it with the next answer.
- :func:`prepare_resume`: what to run to continue a novel, where ``more_steps``
  means that many more paragraphs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

NovelStatus = Literal["new", "paused", "review", "running", "stopped", "finished"]
"""``paused``: waiting at a pause for a choice; ``review``: waiting at the last pause
(target reached); ``running``: a step was cut short (a crash, Ctrl-C, or another
process is writing it now); ``stopped`` / ``finished``: ended, can be resumed or extended."""

HUMAN_NODE = "human"
TRIGGER_PREFIX = "branch:to:"
"""LangGraph's channel that triggers a node of a StateGraph: ``branch:to:<node>``."""
EDITABLE_AT_PAUSE = ("short_term_memory", "paragraph", "plan")
"""Texts an edit at a pause may replace (fields of the human decision)."""
MIN_CHECKPOINT_PREFIX = 6
"""Shortest checkpoint-id prefix :func:`rewind` accepts."""


class NovelStateError(ValueError):
    """The novel is not in a state where this can be done (the message says why)."""


class Snapshot(Protocol):
    """What this module reads of a LangGraph ``StateSnapshot``."""

    @property
    def values(self) -> Any: ...  # noqa: D102
    @property
    def next(self) -> tuple[str, ...]: ...  # noqa: D102
    @property
    def config(self) -> Any: ...  # noqa: D102
    @property
    def parent_config(self) -> Any: ...  # noqa: D102
    @property
    def created_at(self) -> str | None: ...  # noqa: D102


@dataclass(frozen=True)
class SavedCheckpoint:
    """A checkpoint read straight from a checkpointer, shaped like a ``StateSnapshot``."""

    values: dict[str, Any]
    next: tuple[str, ...]
    config: Any
    parent_config: Any
    created_at: str | None

    @classmethod
    def from_tuple(cls, saved: Any) -> SavedCheckpoint:
        """Read a ``CheckpointTuple``: state values, and the nodes its edges trigger next."""
        channels: dict[str, Any] = saved.checkpoint.get("channel_values", {})
        return cls(
            values={k: v for k, v in channels.items() if ":" not in k and not k.startswith("__")},
            next=tuple(
                k.removeprefix(TRIGGER_PREFIX) for k in channels if k.startswith(TRIGGER_PREFIX)
            ),
            config=saved.config,
            parent_config=saved.parent_config,
            created_at=saved.checkpoint.get("ts"),
        )


async def read_checkpoint(checkpointer: Any, thread_id: str) -> SavedCheckpoint | None:
    """The latest checkpoint of ``thread_id``, or None for a thread never run."""
    saved = await checkpointer.aget_tuple(thread_config(thread_id))
    return SavedCheckpoint.from_tuple(saved) if saved else None


def thread_config(thread_id: str) -> dict[str, Any]:
    """The LangGraph config of a novel's thread."""
    return {"configurable": {"thread_id": thread_id}}


def checkpoint_id(snapshot: Snapshot) -> str:
    """The id of the checkpoint ``snapshot`` was read from."""
    return str(snapshot.config["configurable"]["checkpoint_id"])


def _parent_id(snapshot: Snapshot) -> str | None:
    parent = snapshot.parent_config
    return str(parent["configurable"]["checkpoint_id"]) if parent else None


def _target_reached(values: Mapping[str, Any]) -> bool:
    steps, words = values.get("target_steps") or 0, values.get("target_words") or 0
    if steps > 0 and values.get("step", 0) >= steps:
        return True
    return words > 0 and values.get("words_written", 0) >= words


def is_pause(snapshot: Snapshot) -> bool:
    """Tell whether ``snapshot`` waits for the human turn (a pause after a step)."""
    return tuple(snapshot.next) == (HUMAN_NODE,)


def status_of(snapshot: Snapshot) -> NovelStatus:
    """The novel's true status, read from where its checkpoint stands."""
    values = snapshot.values or {}
    if not values:
        return "new"
    if is_pause(snapshot):
        return "review" if _target_reached(values) else "paused"
    if snapshot.next or getattr(snapshot, "tasks", ()):
        # A task whose writes were saved but whose step's checkpoint was not (the process
        # died, or the disk filled, in between) is left out of a StateSnapshot's ``next``
        # but kept in its ``tasks``: the step is cut short, not finished.
        return "running"
    return "stopped" if values.get("status") == "stopped" else "finished"


@dataclass(frozen=True)
class NovelSummary:
    """One line of a list of novels."""

    thread_id: str
    title: str
    premise: str
    status: NovelStatus
    step: int
    target_steps: int
    words_written: int
    updated_at: str
    """When the latest checkpoint was written (ISO 8601, UTC), or '' for a new novel."""


async def has_saved_state(graph: Any, thread_id: str) -> bool:
    """Whether the thread already holds a novel (or story): any saved state at all."""
    return bool((await graph.aget_state(thread_config(thread_id))).values)


async def describe_novel(checkpointer: Any, thread_id: str) -> NovelSummary:
    """Title, premise, progress, last change and true status of the novel ``thread_id``."""
    saved = await read_checkpoint(checkpointer, thread_id)
    values = saved.values if saved else {}
    return NovelSummary(
        thread_id=thread_id,
        title=values.get("title", ""),
        premise=values.get("premise", ""),
        status=status_of(saved) if saved else "new",
        step=values.get("step", 0),
        target_steps=values.get("target_steps") or 0,
        words_written=values.get("words_written", 0),
        updated_at=(saved.created_at if saved else None) or "",
    )


@dataclass(frozen=True)
class HistoryRow:
    """One step a novel can be rewound to: the pause after that step."""

    step: int
    words_written: int
    checkpoint_id: str
    """Pass it (or a unique prefix of it) to :func:`rewind`."""
    plan: str
    """The plan chosen for the step's paragraph ('' for the opening)."""
    created_at: str
    on_timeline: bool
    """Whether the step is on the novel's current timeline (not an abandoned branch)."""


async def _all_checkpoints(checkpointer: Any, thread_id: str) -> dict[str, Snapshot]:
    """Every checkpoint of the thread by id, newest first."""
    checkpoints: dict[str, Snapshot] = {}
    async for saved in checkpointer.alist(thread_config(thread_id)):
        snapshot = SavedCheckpoint.from_tuple(saved)
        checkpoints[checkpoint_id(snapshot)] = snapshot
    return checkpoints


def _chain(leaf: str, snapshots: Mapping[str, Snapshot], stop_at: set[str]) -> list[Snapshot]:
    """Checkpoints from ``leaf`` back to the first one in ``stop_at`` (excluded), newest first."""
    chain: list[Snapshot] = []
    current: str | None = leaf
    while current is not None and current in snapshots and current not in stop_at:
        chain.append(snapshots[current])
        current = _parent_id(snapshots[current])
    return chain


def _step_pauses(chain: list[Snapshot]) -> list[Snapshot]:
    """The newest pause of each step in ``chain`` (newest first)."""
    seen_steps: set[int] = set()
    pauses: list[Snapshot] = []
    for snapshot in chain:
        step = (snapshot.values or {}).get("step", 0)
        if is_pause(snapshot) and step not in seen_steps:
            seen_steps.add(step)
            pauses.append(snapshot)
    return pauses


def _row(snapshot: Snapshot, on_timeline: bool) -> HistoryRow:
    values = snapshot.values or {}
    return HistoryRow(
        step=values.get("step", 0),
        words_written=values.get("words_written", 0),
        checkpoint_id=checkpoint_id(snapshot),
        plan=(values.get("last_decision") or {}).get("plan") or values.get("chosen_plan", ""),
        created_at=snapshot.created_at or "",
        on_timeline=on_timeline,
    )


async def history(
    checkpointer: Any, thread_id: str, *, all_branches: bool = False
) -> list[HistoryRow]:
    """One row per step of the current timeline, newest first.

    With ``all_branches``, abandoned branches' steps follow (``on_timeline`` False),
    newest first; every row's checkpoint id is accepted by :func:`rewind`.
    """
    snapshots = await _all_checkpoints(checkpointer, thread_id)
    latest = await read_checkpoint(checkpointer, thread_id)
    if not snapshots or latest is None:
        return []
    return history_of(snapshots, checkpoint_id(latest), all_branches=all_branches)


def history_of(
    snapshots: Mapping[str, Snapshot], current: str, *, all_branches: bool = False
) -> list[HistoryRow]:
    """:func:`history` over checkpoints already read (by id), ``current`` the latest one.

    A surface that reads checkpoints another way (the server's HTTP API) shares
    the rows, and so the steps it offers to rewind to, with the CLI.
    """
    timeline = _chain(current, snapshots, set())
    rows = [_row(s, True) for s in _step_pauses(timeline)]
    if not all_branches:
        return rows
    # Other branches are listed from their tips back to where they left a walked path.
    walked = {checkpoint_id(s) for s in timeline}
    parents = {_parent_id(s) for s in snapshots.values()}
    others: list[HistoryRow] = []
    for leaf in (cid for cid in snapshots if cid not in parents and cid not in walked):
        branch = _chain(leaf, snapshots, walked)
        walked.update(checkpoint_id(s) for s in branch)
        others += [_row(s, False) for s in _step_pauses(branch)]
    return rows + sorted(others, key=lambda row: row.created_at, reverse=True)


def step_parents(snapshots: Mapping[str, Snapshot], rows: list[HistoryRow]) -> dict[str, str]:
    """For each row of :func:`history_of`, the row it was written from (absent for a root).

    A row's parent is the row of the nearest earlier step among its checkpoint's
    ancestors, so the rows draw as a tree whose forks are the rewinds. A rewind
    writes a new checkpoint over an earlier pause of the same step: that pause
    belongs to the row of the rewind, and so do its other children.
    """
    owner: dict[str, str] = {}
    for row in rows:
        current: str | None = row.checkpoint_id
        while current is not None and current in snapshots:
            if _step(snapshots[current]) != row.step:
                break
            owner.setdefault(current, row.checkpoint_id)
            current = _parent_id(snapshots[current])
    parents: dict[str, str] = {}
    for row in rows:
        current = _parent_id(snapshots[row.checkpoint_id])
        while current is not None and current in snapshots:
            if _step(snapshots[current]) < row.step and current in owner:
                parents[row.checkpoint_id] = owner[current]
                break
            current = _parent_id(snapshots[current])
    return parents


def _step(snapshot: Snapshot) -> int:
    return int((snapshot.values or {}).get("step", 0))


def find_row(rows: list[HistoryRow], ref: str) -> HistoryRow:
    """The row ``ref`` names: a step of the current timeline, or a unique checkpoint-id prefix.

    Raises:
        NovelStateError: when ``ref`` names no row, or more than one.
    """
    if ref.isdigit():
        matches = [row for row in rows if row.on_timeline and row.step == int(ref)]
    elif len(ref) >= MIN_CHECKPOINT_PREFIX:
        matches = [row for row in rows if row.checkpoint_id.startswith(ref)]
    else:
        raise NovelStateError(
            f"{ref!r} is neither a step number nor a checkpoint id "
            f"(give at least {MIN_CHECKPOINT_PREFIX} characters of an id from history)"
        )
    if len(matches) > 1:
        raise NovelStateError(f"{ref!r} matches {len(matches)} checkpoints: give more of the id")
    if not matches:
        steps = sorted({row.step for row in rows if row.on_timeline})
        available = f"steps {steps[0]}..{steps[-1]}" if steps else "no steps"
        raise NovelStateError(
            f"no step or checkpoint {ref!r} to rewind to ({available}; the history of "
            "every branch lists the others)"
        )
    return matches[0]


async def rewind(graph: Any, thread_id: str, ref: str | int) -> HistoryRow:
    """Make the pause after an earlier step the novel's current state (a fork).

    ``ref`` is a step of the current timeline or a checkpoint id (or a unique
    prefix) from :func:`history`, on any branch. The novel keeps its current
    target; edits pending at the abandoned pause are dropped with it.

    Raises:
        NovelStateError: when ``ref`` names no step or checkpoint.
    """
    rows = await history(graph.checkpointer, thread_id, all_branches=True)
    row = find_row(rows, str(ref))
    now = (await graph.aget_state(thread_config(thread_id))).values or {}
    await graph.aupdate_state(
        {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": "",
                "checkpoint_id": row.checkpoint_id,
            }
        },
        rewind_values(now),
    )
    return row


def rewind_values(now: Mapping[str, Any]) -> dict[str, Any]:
    """What a rewind writes over the earlier pause, given the novel's values ``now``.

    The novel keeps its current target and writes on; edits pending at the
    earlier pause were made for the abandoned timeline and are dropped.
    """
    return {
        "status": "writing",
        "target_steps": now.get("target_steps", 0),
        "target_words": now.get("target_words", 0),
        "pending_edits": {},
    }


async def save_pending_edit(graph: Any, thread_id: str, field: str, text: str) -> dict[str, str]:
    """Save one edit made at the current pause; returns every edit pending there.

    The edit is in the checkpoint as soon as this returns, so a closed terminal,
    a crash or another surface (the web page, the SDK) sees it; the next answer
    to the pause is applied over it.

    Raises:
        NovelStateError: when the novel is not paused, ``field`` is not editable
            or ``text`` is empty.
    """
    if field not in EDITABLE_AT_PAUSE:
        raise NovelStateError(f"{field!r} cannot be edited at a pause ({EDITABLE_AT_PAUSE})")
    if not text.strip():
        raise NovelStateError(f"the new {field} is empty")
    config = thread_config(thread_id)
    snapshot = await graph.aget_state(config)
    if not is_pause(snapshot):
        raise NovelStateError(f"novel {thread_id!r} is not at a pause ({status_of(snapshot)})")
    pending = {**(snapshot.values.get("pending_edits") or {}), field: text.strip()}
    await graph.aupdate_state(config, {"pending_edits": pending})
    return pending


def latest_text(payload: Mapping[str, Any], field: str) -> str:
    """The newest version of an editable text at a pause: the pending edit, else the payload's."""
    pending = payload.get("pending_edits") or {}
    if field in pending:
        return str(pending[field])
    return str(payload.get(field, ""))


def more_targets(
    values: Mapping[str, Any], more_steps: int | None, more_words: int | None
) -> dict[str, int]:
    """Targets that let the novel write ``more_steps`` paragraphs / ``more_words`` words more.

    A target that is not extended is cleared, so an old one cannot end the novel early.
    """
    if more_steps is None and more_words is None:
        return {}
    return {
        "target_steps": values.get("step", 0) + more_steps if more_steps else 0,
        "target_words": values.get("words_written", 0) + more_words if more_words else 0,
    }


@dataclass(frozen=True)
class ResumePlan:
    """How to continue a novel: what to run, or why there is nothing to run."""

    run_input: Any
    """Input for the next run of the graph (``None`` continues where it stands)."""
    nothing_to_do: bool = False
    """True for a finished novel resumed without ``more_steps`` / ``more_words``."""


async def prepare_resume(
    graph: Any, thread_id: str, *, more_steps: int | None = None, more_words: int | None = None
) -> ResumePlan:
    """Get a novel ready to continue and say what to run.

    A paused or interrupted novel continues where it stands; a stopped one
    pauses again where it stopped; a finished one needs ``more_steps`` or
    ``more_words``, each counted from where the novel is now.

    Raises:
        NovelStateError: when the novel has no saved state, or a target is asked
            for while a step is cut short (resume without it first).
    """
    config = thread_config(thread_id)
    snapshot = await graph.aget_state(config)
    status = status_of(snapshot)
    if status == "new":
        raise NovelStateError(
            f"novel {thread_id!r} has no saved state yet: it stopped before its opening was "
            "saved; start it again (recurrentgpt write --id with the same id)"
        )
    targets = more_targets(snapshot.values, more_steps, more_words)
    if status in ("finished", "stopped"):
        if status == "finished" and not targets:
            return ResumePlan(run_input=None, nothing_to_do=True)
        keep = {"target_steps": snapshot.values.get("target_steps", 0)}
        return ResumePlan(run_input=targets or keep)
    if targets:
        if status == "running":
            raise NovelStateError(
                "a step was cut short: resume without --steps/--words first, then extend"
            )
        await graph.aupdate_state(config, targets)
    return ResumePlan(run_input=None)
