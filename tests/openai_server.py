"""A local OpenAI-compatible chat server for tests: the real wire protocol (JSON, and SSE when asked to stream),
answering with replies a test scripts. It stands in for a paid or remote model, which cannot run here."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    delay: float = 0.0


@dataclass
class ChatServer:
    replies: list[Reply] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    url: str = ""

    def script(self, *replies: Reply) -> None:
        self.replies[:] = list(replies)
        self.requests.clear()


def _handler(server: ChatServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def handle(self):
            try:
                super().handle()
            except BrokenPipeError:  # the client gave up waiting (the timeout test): nothing left to answer
                pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.requests.append(body)
            reply = server.replies.pop(0) if server.replies else Reply("NO_ANSWER")
            time.sleep(reply.delay)
            if reply.status != 200:
                self._json(reply.status, {"error": {"message": "scripted failure", "type": "server_error"}})
            elif body.get("stream"):
                self._stream(body["model"], reply.text)
            else:
                self._json(200, {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body["model"],
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": reply.text}}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                })

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, model: str, text: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            words = text.split(" ")
            for i, word in enumerate(words):
                delta = {"content": word + (" " if i < len(words) - 1 else "")}
                if i == 0:
                    delta["role"] = "assistant"
                chunk = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
                         "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            end = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
                   "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())

    return Handler


def start() -> tuple[ChatServer, ThreadingHTTPServer]:
    chat = ChatServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(chat))
    chat.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return chat, httpd
