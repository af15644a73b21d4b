"""Fetching too early is retryable; a triggerer restart resumes the wait and fires once."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException
from faults.fault_support import task_context
from support import MediaServer

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.exceptions import RevAIInvalidStateError, RevAITransientError
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator
from airflow_provider_rev.triggers.revai import TranscriptTrigger


def test_fetch_while_in_progress_is_a_clear_retryable_error(
    media: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with RevAIEmulator(processing_seconds=3600) as emu:
        conn = {"conn_type": "revai", "host": emu.base_url, "password": emu.token}
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", json.dumps(conn))
        url = media.add("call", seconds=2, transcript="Speaker 0: Not yet, then now.")
        job_id = SubmitTranscriptionOperator(task_id="submit", media_url=url).execute(task_context())

        # The API itself answers 409 for a transcript of a job in progress ...
        with pytest.raises(RevAIInvalidStateError) as api_409:
            RevAIHook().get_transcript_text(job_id)
        assert api_409.value.status == 409 and api_409.value.current_value == "in_progress"

        # ... and the fetch task says so, as an error the task's retries are for.
        fetch = FetchTranscriptOperator(task_id="fetch", job_id=job_id, output_format="text")
        with pytest.raises(RevAIInvalidStateError) as early:
            fetch.execute(task_context(task_id="fetch"))
        assert isinstance(early.value, RevAITransientError)
        assert not isinstance(early.value, AirflowFailException)
        assert f"Rev AI job {job_id} is in_progress" in str(early.value) and "retry" in str(early.value)

        # Media are probed asynchronously and the hour counts from then: wait for the probe.
        while "duration_seconds" not in (emu.job(job_id) or {}):
            time.sleep(0.01)
        emu.advance_clock(3600)
        assert emu.wait_for_job(job_id)["status"] == "transcribed"
        assert fetch.execute(task_context(try_number=2, task_id="fetch")).endswith("Not yet, then now.")


async def test_triggerer_restart_resumes_the_wait_and_fires_once(
    emu: RevAIEmulator, media: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = media.add("call", seconds=2, transcript="Speaker 0: Survive the restart.")
    job_id = await asyncio.to_thread(
        SubmitTranscriptionOperator(task_id="submit", media_url=url).execute, task_context()
    )
    trigger = TranscriptTrigger(job_id, poll_interval=0.2, end_time=4_000_000_000.0)

    # A triggerer runs the trigger until it is stopped mid-wait.
    closed: list[Any] = []
    original_aclose = RevAIHook.aclose

    async def recording_aclose(self: RevAIHook) -> None:
        closed.append(self)
        await original_aclose(self)

    monkeypatch.setattr(RevAIHook, "aclose", recording_aclose)
    first = asyncio.ensure_future(anext(trigger.run()))
    while emu.request_counts["GET /jobs/{id}"] < 1:
        await asyncio.sleep(0.01)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert len(closed) == 1, "the stopped trigger closed its HTTP session"
    assert emu.job(job_id)["status"] == "in_progress"  # type: ignore[index]

    # Another triggerer re-creates it from what was stored, and it fires exactly once.
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_rev.triggers.revai.TranscriptTrigger"
    revived = TranscriptTrigger(**json.loads(json.dumps(kwargs)))
    assert revived.end_time == trigger.end_time
    events = [event async for event in revived.run()]
    assert [e.payload["status"] for e in events] == ["transcribed"]
    assert events[0].payload["job_id"] == job_id
    assert len(closed) == 2
