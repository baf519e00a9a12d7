"""How many threads the local model gets from the machine's CPU counters."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")

from recurrentgpt import local_threads
from recurrentgpt.local_threads import CpuTimes, ThreadGovernor

pytestmark = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="Linux /proc only")


def test_others_are_the_busy_cores_less_this_process() -> None:
    before = CpuTimes(total=1_000, idle=500, own=100)
    # 2 cores, 100 ticks in all (50 each): 60 busy, of which this process 20 ticks,
    # so others kept 40 ticks of 50 a core busy.
    after = CpuTimes(total=1_100, idle=540, own=120)

    assert local_threads.cores_used_by_others(before, after, cores=2) == pytest.approx(0.8)


def test_no_time_elapsed_means_no_one_else_is_busy() -> None:
    same = CpuTimes(total=10, idle=5, own=1)

    assert local_threads.cores_used_by_others(same, same, cores=2) == 0.0


@pytest.mark.parametrize(
    ("others", "cores", "max_threads", "expected"),
    [
        (0.0, 2, 4, 2),
        (0.15, 2, 4, 2),  # background noise does not cost a thread
        (0.5, 2, 4, 1),
        (1.9, 2, 4, 1),  # never fewer than one
        (0.0, 16, 4, 4),  # never more than asked for
        (3.0, 8, 8, 5),
    ],
)
def test_threads_fit_in_the_cores_left_free(
    others: float, cores: int, max_threads: int, expected: int
) -> None:
    assert local_threads.threads_for(others, cores, max_threads) == expected


def test_the_governor_follows_each_reading_and_starts_at_one() -> None:
    readings = iter(
        [
            CpuTimes(total=0, idle=0, own=0),
            CpuTimes(total=100, idle=95, own=5),  # only this process: both cores
            CpuTimes(total=200, idle=145, own=10),  # others used 0.9 of a core
        ]
    )
    governor = ThreadGovernor(4, cores=2, read=lambda: next(readings))

    assert governor.threads == 1
    assert governor.update() == 2
    assert governor.update() == 1


def test_a_busy_machine_leaves_the_model_one_thread() -> None:
    governor = ThreadGovernor(4)
    spinners = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(governor.cores)
    ]
    try:
        governor.update()
        time.sleep(1.0)
        assert governor.update() == 1
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def test_this_process_own_work_is_not_counted_as_others() -> None:
    before = local_threads.read_cpu_times()
    deadline = time.process_time() + 0.5
    while time.process_time() < deadline:
        pass
    after = local_threads.read_cpu_times()

    assert after.own - before.own >= 30  # 0.5 s at 100 ticks a second, less rounding
    assert after.total > before.total >= before.idle
