"""A loopback HTTP sink for benchmarks: reads request bodies in chunks and answers like Rev AI."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    payload: bytes = b""

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:  # noqa: N802
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining:
            remaining -= len(self.rfile.read(min(remaining, 1 << 16)))
        self._answer(json.dumps({"id": "bench0000001", "status": "in_progress"}).encode(), "application/json")

    def do_GET(self) -> None:  # noqa: N802
        if self.path.endswith("/jobs/bench0000001"):
            self._answer(
                json.dumps({"id": "bench0000001", "status": "transcribed"}).encode(), "application/json"
            )
        else:
            self._answer(self.payload, "text/plain")

    def _answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Sink:
    """Serve on 127.0.0.1 in a thread; ``payload`` is the body of every non-job GET."""

    def __init__(self, payload: bytes = b"") -> None:
        handler = type("Handler", (_Handler,), {"payload": payload})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Sink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
