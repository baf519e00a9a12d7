"""Threads for the local model that follow how busy the rest of the machine is.

llama.cpp's threads meet at a barrier after every operation of every token, so one
thread that waits for a core stalls them all: on this project's 2-core test machine two
threads generated 1.5-70 tokens/s while another process kept one core busy, where one
thread kept its speed. So the server used to leave a core free, always. On an idle
machine that costs a fifth to a third of the decoding speed (SmolLM2-135M on
2026-11-30: 34 against 42 tokens/s over a 20-step novel, 43 against 66 after a short
prompt), and decoding is most of an offline step. With a CI run beside it, two fixed
threads fell to 7 tokens/s within a reply; the governor kept one and 42.

:class:`ThreadGovernor` reads the machine's CPU counters (``/proc/stat``) four times a
second and counts the cores that other processes use (everything busy minus this
process); :func:`install` makes every ``llama_cpp.Llama`` in this process generate
its next token on the cores left free (at most ``max_threads``, at least 1), so
generation takes both cores while nothing else runs and gives one back within a
quarter of a second when something starts. Prompts are evaluated on the model's own
batch thread count, as before (all cores by default): a prompt is one call, which
would take its count from a reading that saw the client busy sending it. The local
model's server process installs it unless it was given a fixed thread count
(``local_llm``). Where ``/proc/stat`` does not exist (macOS, Windows) nothing is
installed and the fixed default stays.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import llama_cpp

from recurrentgpt import llama_patch

SAMPLE_SECONDS = 0.25
"""How often the governor reads the CPU counters: the longest a busy core is shared."""

SLACK_CORES = 0.2
"""Other processes' use below this much of a core (daemons, the governor's own reads)
does not cost a thread."""


@dataclass(frozen=True)
class CpuTimes:
    """Cumulative CPU counters, in clock ticks: all cores together, and this process."""

    total: int
    idle: int
    own: int


def read_cpu_times() -> CpuTimes:
    """Read ``/proc/stat`` (all cores) and ``/proc/self/stat`` (this process).

    Raises:
        OSError: The files do not exist (not Linux).
    """
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    # user nice system idle iowait irq softirq steal: a core the hypervisor steals is
    # as unavailable as one another process uses. guest time is already in user.
    ticks = [int(value) for value in fields[:8]]
    own_fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    own = int(own_fields[11]) + int(own_fields[12])
    return CpuTimes(total=sum(ticks), idle=ticks[3] + ticks[4], own=own)


def cores_used_by_others(before: CpuTimes, after: CpuTimes, cores: int) -> float:
    """Cores that processes other than this one kept busy between two readings."""
    elapsed = after.total - before.total
    if elapsed <= 0:
        return 0.0
    busy = (elapsed - (after.idle - before.idle)) / elapsed * cores
    # /proc/stat's counters are per core; this process's own ticks are core-seconds too.
    own = (after.own - before.own) / (elapsed / cores)
    return max(0.0, busy - own)


def threads_for(others: float, cores: int, max_threads: int) -> int:
    """The number of threads that fit in the cores others leave free (1 to max_threads)."""
    free = cores - others + SLACK_CORES
    return max(1, min(max_threads, math.floor(free)))


class ThreadGovernor:
    """Keeps :attr:`threads` at the number of cores other processes leave free.

    Starts at 1 (the safe choice) until its first two readings; then a daemon thread
    updates it every ``interval`` seconds. Reading :attr:`threads` costs nothing.
    """

    def __init__(
        self,
        max_threads: int,
        *,
        cores: int | None = None,
        interval: float = SAMPLE_SECONDS,
        read: Callable[[], CpuTimes] = read_cpu_times,
    ) -> None:
        """Prepare a governor; :meth:`start` begins the readings.

        Args:
            max_threads: The most threads to hand out.
            cores: Cores of the machine; default ``os.cpu_count()``.
            interval: Seconds between readings.
            read: Reads the counters (replaced in tests).
        """
        self.max_threads = max(1, max_threads)
        self.cores = cores or os.cpu_count() or 1
        self.interval = interval
        self.threads = 1
        self._read = read
        self._last = read()

    def update(self) -> int:
        """Take one reading and set :attr:`threads` from the interval since the last."""
        now = self._read()
        others = cores_used_by_others(self._last, now, self.cores)
        self._last = now
        self.threads = threads_for(others, self.cores, self.max_threads)
        return self.threads

    def start(self) -> None:
        """Update :attr:`threads` every ``interval`` seconds in a daemon thread."""

        def _loop() -> None:
            while True:
                time.sleep(self.interval)
                try:
                    self.update()
                except (OSError, ValueError, IndexError):
                    # Counters that cannot be read (or parsed) leave the safe count.
                    self.threads = 1

        threading.Thread(target=_loop, name="recurrentgpt-thread-governor", daemon=True).start()


def install(max_threads: int, *, governor: ThreadGovernor | None = None) -> ThreadGovernor | None:
    """Make every ``llama_cpp.Llama`` in this process use the cores others leave free.

    Each ``Llama.eval`` (one call per generated token) first gives its context the
    governor's current count for generation; prompt batches keep the model's own
    ``n_threads_batch``.

    Args:
        max_threads: The most threads a model may use.
        governor: Use this governor as it is (not started); default a new one on this
            machine's counters, started.

    Returns:
        The governor in use, or None when this system has no ``/proc/stat`` (nothing
        is installed then) or when it was already installed.
    """
    if llama_patch.is_replaced("eval"):
        return None
    if governor is None:
        try:
            governor = ThreadGovernor(max_threads)
        except OSError:
            return None
        governor.start()
    chosen = governor

    def on_free_cores(plain_eval: Any) -> Any:
        def eval_on_free_cores(self: Any, tokens: Any) -> Any:
            threads = chosen.threads
            if getattr(self, "_recurrentgpt_threads", None) != threads:
                # Prompts keep the model's own batch count: a prompt is evaluated in one
                # call, right after the client was busy sending it, so the last reading
                # would often hand a whole prompt one thread (measured: prompt processing
                # 145 -> 103 tokens/s over a 20-step novel).
                batch = self.context_params.n_threads_batch
                llama_cpp.llama_set_n_threads(self._ctx.ctx, threads, batch)
                self._recurrentgpt_threads = threads
            return plain_eval(self, tokens)

        return eval_on_free_cores

    llama_patch.replace("eval", on_free_cores)
    return governor


def uninstall() -> None:
    """Give ``llama_cpp.Llama`` its own ``eval`` back (models keep their last count)."""
    llama_patch.restore("eval")
