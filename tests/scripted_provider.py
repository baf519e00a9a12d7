"""An instant OpenAI-compatible chat endpoint that answers from the scripted model.

Every request to ``/v1/chat/completions`` is answered at once by
:func:`tests.fakes._default_answer`: a tool call for the requested schema, or a
paragraph (streamed when asked). Pointed at by ``OPENAI_BASE_URL``, it lets the
package's real served graph (real client, embedder and store) run with no model
time, so what is timed is everything but the model::

    python -m tests.scripted_provider 8765   # serves until killed
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.messages import convert_to_messages

from tests.fakes import _default_answer

_numbers = itertools.count(1)
_numbers_lock = threading.Lock()


def _answer(request: dict[str, Any]) -> tuple[str, Any]:
    tools = request.get("tools") or []
    schema = tools[0]["function"]["name"] if tools else "text"
    messages = convert_to_messages(
        [{"role": m["role"], "content": m.get("content") or ""} for m in request["messages"]]
    )
    with _numbers_lock:
        n = next(_numbers)
    return schema, _default_answer(schema, list(messages), n)


def _completion(schema: str, answer: Any) -> dict[str, Any]:
    if isinstance(answer, str):
        message: dict[str, Any] = {"role": "assistant", "content": answer}
        finish = "stop"
    else:
        call = {"id": "call_1", "type": "function",
                "function": {"name": schema, "arguments": json.dumps(answer)}}  # fmt: skip
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        finish = "tool_calls"
    return {
        "id": "scripted", "object": "chat.completion", "created": 0, "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }  # fmt: skip


def _chunks(text: str) -> list[dict[str, Any]]:
    base = {"id": "scripted", "object": "chat.completion.chunk", "created": 0, "model": "scripted"}
    words = [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}
             for word in text.split(" ")]  # fmt: skip
    end = {"index": 0, "delta": {}, "finish_reason": "stop"}
    return [{**base, "choices": [choice]} for choice in [*words, end]]


class Handler(BaseHTTPRequestHandler):
    """Answers every chat completion at once."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        schema, answer = _answer(request)
        self.send_response(200)
        if request.get("stream") and isinstance(answer, str):
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for chunk in _chunks(answer):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        body = json.dumps(_completion(schema, answer)).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(port: int) -> ThreadingHTTPServer:
    """Start serving on loopback ``port`` (0: a free one) in a daemon thread."""
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    serve(int(sys.argv[1]))
    threading.Event().wait()
