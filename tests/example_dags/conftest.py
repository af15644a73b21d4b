"""Fixtures for running the example DAGs with ``dag.test()`` against the local emulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from airflow.triggers.base import TriggerEvent

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.triggers.revai import TranscriptTrigger

#: Emulated processing time of every job and vocabulary: they never finish on their own.
HELD_SECONDS = 3600.0


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[RevAIEmulator]:
    """The emulator as ``revai_default``, with example DAGs polling every 0 s.

    Jobs and vocabularies stay in progress until a trigger starts waiting for them (the
    emulator's clock moves on by ``HELD_SECONDS`` then), so the first check on the worker
    always finds them in progress and defers, however slow the machine: the deferral is the
    path these tests exist to prove. Summaries follow one emulated second later.
    """
    with RevAIEmulator(processing_seconds=HELD_SECONDS, nlp_seconds=1.0) as emu:
        conn = {"conn_type": "revai", "host": emu.base_url, "password": emu.token}
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", json.dumps(conn))
        monkeypatch.setenv("REVAI_EXAMPLE_POKE_INTERVAL", "0")
        original = TranscriptTrigger.run

        def finish_once_deferred(self: TranscriptTrigger) -> AsyncIterator[TriggerEvent]:
            emu.advance_clock(HELD_SECONDS)
            return original(self)

        monkeypatch.setattr(TranscriptTrigger, "run", finish_once_deferred)
        yield emu


@pytest.fixture
def deferrals(emulator: RevAIEmulator, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The serialized kwargs of every TranscriptTrigger that ran during the test."""
    recorded: list[dict[str, Any]] = []
    original = TranscriptTrigger.run

    def recording(self: TranscriptTrigger) -> AsyncIterator[TriggerEvent]:
        recorded.append(self.serialize()[1])
        return original(self)

    monkeypatch.setattr(TranscriptTrigger, "run", recording)
    return recorded
