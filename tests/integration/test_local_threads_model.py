"""The thread governor with the bundled model (llama.cpp in this process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("llama_cpp")

import llama_cpp

from recurrentgpt import local_llm, local_threads
from recurrentgpt.local_threads import CpuTimes, ThreadGovernor

pytestmark = pytest.mark.integration

PROMPT = (
    "<|im_start|>user\nWrite the first paragraph of a novel about a lighthouse keeper."
    "<|im_end|>\n<|im_start|>assistant\n"
)


@pytest.fixture
def governor() -> Iterator[ThreadGovernor]:
    """A governor installed but never started: the test sets its count."""
    still = ThreadGovernor(2, cores=2, read=lambda: CpuTimes(total=0, idle=0, own=0))
    assert local_threads.install(2, governor=still) is still
    try:
        yield still
    finally:
        local_threads.uninstall()


@pytest.fixture(scope="module")
def llama() -> Any:
    return llama_cpp.Llama(
        model_path=str(local_llm.find_default_model()), n_ctx=1024, n_threads=1, verbose=False
    )


def test_each_token_runs_on_the_governors_current_count(
    llama: Any, governor: ThreadGovernor
) -> None:
    counts = []
    stream = llama.create_completion(PROMPT, max_tokens=24, temperature=0.0, stream=True)
    for index, _chunk in enumerate(stream):
        counts.append(llama_cpp.llama_n_threads(llama._ctx.ctx))
        governor.threads = 2 if index >= 8 else 1

    assert counts[1:8] == [1] * 7
    assert counts[-1] == 2
    # Prompts keep the model's own count (all cores: n_threads_batch's default).
    assert llama_cpp.llama_n_threads_batch(llama._ctx.ctx) == llama.n_threads_batch


def test_installing_twice_keeps_the_first_governor(governor: ThreadGovernor) -> None:
    assert local_threads.install(4) is None
