"""Serve a folder of media on 127.0.0.1, so jobs can be submitted by URL entirely offline.

The emulator downloads URL media from loopback hosts only; this is the smallest server
that gives it something to download (and serves sidecar transcripts beside the media).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test and demo output to what matters."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore a client gone mid-download (an emulator stopped while fetching)."""


@contextmanager
def serve_media(folder: str | os.PathLike[str]) -> Iterator[str]:
    """Serve ``folder`` on a free loopback port; yield its base URL (``http://127.0.0.1:<port>``)."""
    server = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=os.fspath(folder)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
