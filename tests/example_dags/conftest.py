"""Fixtures for running the example DAGs with ``dag.test()`` against the local emulator."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from airflow.triggers.base import TriggerEvent
from support import MediaServer, QuietHandler

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.triggers.revai import TranscriptTrigger


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """DAG runs need a metadata database: migrate a throwaway sqlite one once per session."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )


@pytest.fixture
def media(tmp_path: Path) -> Iterator[MediaServer]:
    folder = tmp_path / "media"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield MediaServer(folder, f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[RevAIEmulator]:
    """The emulator as ``revai_default``, with example DAGs polling every 0 s.

    Jobs take 3 s: long enough that the sensor's first check finds them in progress and
    defers even on a slow machine, which is the path these tests exist to prove.
    """
    with RevAIEmulator(processing_seconds=3.0) as emu:
        conn = {"conn_type": "revai", "host": emu.base_url, "password": emu.token}
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", json.dumps(conn))
        monkeypatch.setenv("REVAI_EXAMPLE_POKE_INTERVAL", "0")
        yield emu


@pytest.fixture
def deferrals(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The serialized kwargs of every TranscriptTrigger that ran during the test."""
    recorded: list[dict[str, Any]] = []
    original = TranscriptTrigger.run

    def recording(self: TranscriptTrigger) -> AsyncIterator[TriggerEvent]:
        recorded.append(self.serialize()[1])
        return original(self)

    monkeypatch.setattr(TranscriptTrigger, "run", recording)
    return recorded
