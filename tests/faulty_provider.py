"""An OpenAI-compatible chat endpoint on loopback that fails on cue.

Each request to ``/v1/chat/completions`` takes the next fault of the script:
``("status", code[, headers[, message]])`` answers with that HTTP status, ``("reset",)``
closes the connection without a reply, ``("stall", seconds)`` waits before a
good reply, ``("garbage",)`` answers 200 with a body that is not JSON,
``("truncate",)`` closes the connection halfway through a good reply (mid-body,
or mid-stream with neither a finish reason nor ``[DONE]`` when the client
streams), ``("length",)`` sends a good reply as one stopped at its token cap
(finish reason ``length``), ``("empty",)`` answers 200 with empty content, ``("no_choices",)``
answers 200 with no choices at all, ``("wrong_schema", arguments)`` answers a
structured request with a tool call whose arguments are valid JSON of the wrong
shape, ``("when", "stream" | "tools", fault)`` waits (answering well) for a request
that streams, or that offers a tool, and sends it ``fault``, and ``("ok",)`` (also
once the script is used up) answers with ``reply_text`` (or, when the request offers
a tool, calls it with ``reply_arguments``).
Without a ``reply_text`` it is a proxy in front of the scripted model
(``tests/scripted_provider.py``): good replies are the scripted model's, for
every role of a whole novel. The real OpenAI client talks to it, so retries,
timeouts and error types are the ones a user meets.
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

from tests.scripted_provider import _answer as scripted_answer

Fault = tuple[Any, ...]


class FaultyProvider:
    """The script, and what the endpoint received."""

    def __init__(
        self,
        faults: list[Fault],
        reply_text: str | None,
        reply_arguments: dict[str, Any] | None = None,
    ) -> None:
        self.faults = list(faults)
        self.reply_text = reply_text
        self.reply_arguments = reply_arguments or {}
        self.requests = 0
        self.sent: list[tuple[str, bool]] = []
        """Each request's fault and whether the client streamed it."""
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def next_fault(self, request: dict[str, Any]) -> Fault:
        with self.lock:
            self.requests += 1
            if not self.faults:
                return ("ok",)
            fault = self.faults[0]
            if fault[0] == "when":
                wanted = request.get("stream") if fault[1] == "stream" else request.get("tools")
                if not wanted:
                    return ("ok",)
                fault = fault[2]
            self.faults.pop(0)
            return fault

    def good_answer(self, request: dict[str, Any]) -> Any:
        """The text, or a tool call's arguments, of a good reply to ``request``."""
        if self.reply_text is None:
            return scripted_answer(request)[1]
        return self.reply_arguments if request.get("tools") else self.reply_text

    def message(self, request: dict[str, Any], fault: Fault) -> tuple[dict[str, Any], str]:
        """The reply's message and finish reason for ``fault`` (a good one by default)."""
        tools = request.get("tools") or []
        if fault[0] == "empty":
            return {"role": "assistant", "content": ""}, "stop"
        answer = self.good_answer(request)
        if not tools:
            return {"role": "assistant", "content": answer}, _finish(fault)
        arguments = fault[1] if fault[0] == "wrong_schema" else answer
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": tools[0]["function"]["name"], "arguments": json.dumps(arguments)},
        }
        return {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"

    def completion(self, request: dict[str, Any], fault: Fault) -> bytes:
        message, finish = self.message(request, fault)
        choices = [] if fault[0] == "no_choices" else [
            {"index": 0, "message": message, "finish_reason": finish}
        ]  # fmt: skip
        return json.dumps(
            {
                "id": "chatcmpl-faulty",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": "faulty",
                "choices": choices,
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        ).encode()

    def chunks(self, request: dict[str, Any], fault: Fault) -> list[bytes]:
        """A streamed reply as server-sent events, one word a chunk."""
        base = {"id": "chatcmpl-faulty", "object": "chat.completion.chunk", "created": 0}
        base["model"] = "faulty"
        if fault[0] == "no_choices":
            deltas: list[dict[str, Any]] = []
        else:
            text = "" if fault[0] == "empty" else str(self.good_answer(request))
            deltas = [
                {"index": 0, "delta": {"content": word + " "}, "finish_reason": None}
                for word in text.split()
            ]
            deltas.append({"index": 0, "delta": {}, "finish_reason": _finish(fault)})
        events = [json.dumps({**base, "choices": [delta]}) for delta in deltas]
        return [f"data: {event}\n\n".encode() for event in [*events, "[DONE]"]]


def _finish(fault: Fault) -> str:
    """The finish reason of a text reply under ``fault``."""
    return "length" if fault[0] == "length" else "stop"


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

        def _stream(self, events: list[bytes]) -> None:
            # HTTP/1.0 without a length: the end of the stream is the connection's close,
            # so a stream cut short reads to the client as a clean (early) end.
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for event in events:
                self.wfile.write(event)

        def _cut(self, body: bytes) -> None:
            """Promise the whole body, send half of it, close."""
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.close()

        def do_POST(self) -> None:
            request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            fault = provider.next_fault(request)
            kind = fault[0]
            streamed = bool(request.get("stream"))
            provider.sent.append((kind, streamed))
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
            elif kind == "truncate" and streamed:
                events = provider.chunks(request, ("ok",))
                self._stream(events[: len(events) // 2])
            elif kind == "truncate":
                self._cut(provider.completion(request, ("ok",)))
            else:
                if kind == "stall":
                    time.sleep(fault[1])
                # The client may have given up on a stall already.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    if streamed:
                        self._stream(provider.chunks(request, fault))
                    else:
                        self._send(200, provider.completion(request, fault))

    return Handler


@contextmanager
def faulty_provider(
    faults: list[Fault], reply_text: str | None, reply_arguments: dict[str, Any] | None = None
) -> Iterator[FaultyProvider]:
    """Serve ``faults`` on a free loopback port for the length of the block."""
    provider = FaultyProvider(faults, reply_text, reply_arguments)
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
