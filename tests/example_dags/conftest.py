"""Fixtures for running the example DAGs with ``dag.test()`` against the local emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from airflow.triggers.base import TriggerEvent

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.triggers.revai import TranscriptTrigger


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
