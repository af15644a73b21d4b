"""Helpers for the emulator tests: an API client, a loopback file/webhook server, polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from airflow_provider_rev.emulator import RevAIEmulator

FAST = {
    "processing_seconds": 0.05,
    "webhook_retry_seconds": 0.05,
    "webhook_retry_window_seconds": 1.0,
    "seed": 7,
}


class Api:
    """A tiny requests-based client bound to an emulator's API root."""

    def __init__(self, emu: RevAIEmulator, session: requests.Session) -> None:
        self.emu = emu
        self.session = session

    def url(self, path: str) -> str:
        return self.emu.api_url + path

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def submit(self, **payload: Any) -> dict[str, Any]:
        response = self.post("/jobs", json=payload)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        return job

    def submit_file(self, path: Path, **payload: Any) -> dict[str, Any]:
        return self.submit(source_config={"url": path.as_uri()}, **payload)

    def wait(self, job_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Poll GET /jobs/{id} over HTTP until the job leaves in_progress."""
        deadline = time.monotonic() + timeout
        while True:
            job: dict[str, Any] = self.get(f"/jobs/{job_id}").json()
            if job["status"] != "in_progress":
                return job
            assert time.monotonic() < deadline, f"job {job_id} still in progress"
            time.sleep(0.01)

    def transcribe(self, path: Path, **payload: Any) -> dict[str, Any]:
        job = self.wait(self.submit_file(path, **payload)["id"])
        assert job["status"] == "transcribed", job
        return job


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LoopbackServer:
    """A threaded http.server on 127.0.0.1: serves files from ``root`` and records requests.

    ``statuses`` scripts the answers to POSTs (popped in order, then 200). ``required_auth`` makes GETs
    without that exact Authorization header answer 401.
    """

    root: Path
    required_auth: str | None = None
    statuses: list[int] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    httpd: ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def _record(self, body: bytes) -> None:
                with server.lock:
                    server.hits.append(Hit(self.command, self.path, dict(self.headers), body))

            def do_GET(self) -> None:  # noqa: N802
                self._record(b"")
                if server.required_auth and self.headers.get("Authorization") != server.required_auth:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = server.root / self.path.lstrip("/").split("?")[0]
                if not target.is_file():
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self._record(body)
                with server.lock:
                    status = server.statuses.pop(0) if server.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self.thread is not None:
            self.thread.join()

    def posts(self) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.method == "POST"]


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)
