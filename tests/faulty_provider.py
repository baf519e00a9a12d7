"""An OpenAI-compatible chat endpoint on loopback that fails on cue.

Each request to ``/v1/chat/completions`` takes the next fault of the script:
``("status", code[, headers[, message]])`` answers with that HTTP status, ``("reset",)``
closes the connection without a reply, ``("stall", seconds)`` waits before a
good reply, ``("garbage",)`` answers 200 with a body that is not JSON, and
``("ok",)`` (also once the script is used up) answers with ``reply_text``.
The real OpenAI client talks to it, so retries, timeouts and error types are
the ones a user meets.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Fault = tuple[Any, ...]


class FaultyProvider:
    """The script, and what the endpoint received."""

    def __init__(self, faults: list[Fault], reply_text: str) -> None:
        self.faults = list(faults)
        self.reply_text = reply_text
        self.requests = 0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def next_fault(self) -> Fault:
        with self.lock:
            self.requests += 1
            return self.faults.pop(0) if self.faults else ("ok",)

    def completion(self) -> bytes:
        return json.dumps(
            {
                "id": "chatcmpl-faulty",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": "faulty",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": self.reply_text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        ).encode()


def _handler(provider: FaultyProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            fault = provider.next_fault()
            kind = fault[0]
            if kind == "status":
                message = fault[3] if len(fault) > 3 else f"injected {fault[1]}"
                error = {"error": {"message": message, "type": "injected"}}
                self._send(fault[1], json.dumps(error).encode(), fault[2] if len(fault) > 2 else {})
            elif kind == "reset":
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                self.connection.close()
            elif kind == "garbage":
                self._send(200, b"{not json")
            else:
                if kind == "stall":
                    time.sleep(fault[1])
                # The client may have given up on a stall already.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._send(200, provider.completion())

    return Handler


@contextmanager
def faulty_provider(faults: list[Fault], reply_text: str) -> Iterator[FaultyProvider]:
    """Serve ``faults`` on a free loopback port for the length of the block."""
    provider = FaultyProvider(faults, reply_text)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    server.daemon_threads = True
    provider.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
