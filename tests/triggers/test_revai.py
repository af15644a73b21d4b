"""TranscriptTrigger: one event on every path, JSON-safe kwargs, transient errors survived."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from airflow.triggers.base import TriggerEvent
from support import TOKEN, Reply, ScriptedServer

from airflow_provider_rev.hooks import revai as hook_module
from airflow_provider_rev.triggers.revai import TranscriptTrigger

IN_PROGRESS = {"id": "job1", "status": "in_progress", "created_on": "2026-11-24T09:00:00Z"}
TRANSCRIBED = {**IN_PROGRESS, "status": "transcribed", "duration_seconds": 12.5}
FAILED = {**IN_PROGRESS, "status": "failed", "failure": "invalid_media", "failure_detail": "Not audio"}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Record every asyncio sleep of the trigger and hook instead of waiting."""
    calls: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float, *args: Any) -> None:
        calls.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(hook_module.asyncio, "sleep", fake_sleep)
    yield calls


async def events_of(trigger: TranscriptTrigger) -> list[TriggerEvent]:
    return [event async for event in trigger.run()]


def test_serialize_round_trip_is_json_native() -> None:
    try:
        from airflow.sdk.serde import serialize
    except ImportError:  # Airflow < 3.2 keeps serde in core
        from airflow.serialization.serde import serialize

    trigger = TranscriptTrigger(
        "job1", "revai_eu", poll_interval=15, end_time=1_900_000_000.5, first_check_at=1_899_999_000.0
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_rev.triggers.revai.TranscriptTrigger"
    assert kwargs == {
        "job_id": "job1",
        "revai_conn_id": "revai_eu",
        "poll_interval": 15.0,
        "end_time": 1_900_000_000.5,
        "first_check_at": 1_899_999_000.0,
        "wait_for_subjobs": True,
        "resource": "job",
        "shared_polling": True,
    }
    serialize(kwargs)
    assert json.loads(json.dumps(kwargs)) == kwargs
    rebuilt = TranscriptTrigger(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert TOKEN not in repr(kwargs)


async def test_transcribed_after_polling(revai_conn: ScriptedServer, sleeps: list[float]) -> None:
    revai_conn.add(
        "GET /jobs/job1", Reply(200, IN_PROGRESS), Reply(200, IN_PROGRESS), Reply(200, TRANSCRIBED)
    )
    (event,) = await events_of(TranscriptTrigger("job1", poll_interval=5))
    assert event.payload["status"] == "transcribed"
    assert event.payload["job_id"] == "job1"
    assert event.payload["job"]["duration_seconds"] == 12.5
    assert sleeps == [5.0, 5.0]


async def test_the_triggerers_event_log_line_is_one_short_line(revai_conn: ScriptedServer) -> None:
    import structlog

    revai_conn.add("GET /jobs/job1", Reply(200, TRANSCRIBED))
    (event,) = await events_of(TranscriptTrigger("job1", poll_interval=5))
    assert event.payload["job"]["created_on"] == "2026-11-24T09:00:00Z"  # the resuming task gets it all
    assert repr(event) == str(event) == f"TriggerEvent<{event.payload['message']}>"
    assert event.payload["message"].startswith("Rev AI job job1: transcribed after ")
    # Airflow's triggerer logs ``result=event``; its JSON and console renderers fall back to repr.
    line = structlog.processors.JSONRenderer()(
        None, "info", {"event": "Trigger fired event", "result": event}
    )
    assert "created_on" not in line and "Rev AI job job1: transcribed" in line
    assert isinstance(event, TriggerEvent) and TriggerEvent.model_validate(event).payload == event.payload


async def test_a_status_that_reads_the_same_at_every_check_is_logged_once(
    revai_conn: ScriptedServer, sleeps: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    done = {**TRANSCRIBED, "completed_on": "2026-11-24T09:00:08Z"}
    summarizing = {**done, "summarization": {"status": "in_progress"}}
    summarized = {**done, "summarization": {"status": "completed"}}
    revai_conn.add("GET /jobs/job1", *[Reply(200, summarizing)] * 4, Reply(200, summarized))

    (event,) = await events_of(TranscriptTrigger("job1", poll_interval=5))

    assert event.payload["status"] == "transcribed" and len(revai_conn.received) == 5
    logged = re.findall(
        r"Rev AI job job1: transcribed after 8 s, media 12.5 s, (.*?) \[", capsys.readouterr().out
    )
    assert logged == ["summarization in_progress", "summarization completed"]


async def test_failed_job(revai_conn: ScriptedServer, sleeps: list[float]) -> None:
    revai_conn.add("GET /jobs/job1", Reply(200, FAILED))
    (event,) = await events_of(TranscriptTrigger("job1"))
    assert event.payload["status"] == "failed"
    assert event.payload["job"]["failure"] == "invalid_media"
    assert "invalid_media" in event.payload["message"]


async def test_transient_errors_do_not_end_the_wait(revai_conn: ScriptedServer, sleeps: list[float]) -> None:
    revai_conn.add("GET /jobs/job1", *[Reply(503, {"title": "busy"})] * 6, Reply(drop=True), Reply(drop=True))
    revai_conn.add("GET /jobs/job1", Reply(429, {}, headers={"Retry-After": "2"}), Reply(200, TRANSCRIBED))
    (event,) = await events_of(TranscriptTrigger("job1", poll_interval=10))
    assert event.payload["status"] == "transcribed"
    assert 20.0 in sleeps  # after the hook gave up on the 503 storm the trigger backed off
    assert 2.0 in sleeps  # Retry-After honoured


async def test_permanent_error_ends_with_error_event(revai_conn: ScriptedServer, sleeps: list[float]) -> None:
    revai_conn.add("GET /jobs/job1", Reply(404, {"title": "could not find job"}))
    (event,) = await events_of(TranscriptTrigger("job1"))
    assert event.payload["status"] == "error" and event.payload["permanent"] is True
    assert "could not find job" in event.payload["message"]
    assert revai_conn.count("GET /jobs/job1") == 1


async def test_deadline_gives_timeout_event(revai_conn: ScriptedServer, sleeps: list[float]) -> None:
    revai_conn.default = lambda r: Reply(200, IN_PROGRESS)
    (event,) = await events_of(TranscriptTrigger("job1", poll_interval=30, end_time=time.time() - 1))
    assert event.payload == {
        "status": "timeout",
        "job_id": "job1",
        "job": None,
        "message": "Rev AI job job1 was still in progress at the deadline",
        "permanent": False,
    }


async def test_job_finishing_at_the_deadline_is_not_lost(
    revai_conn: ScriptedServer, sleeps: list[float]
) -> None:
    revai_conn.add("GET /jobs/job1", Reply(200, IN_PROGRESS), Reply(200, TRANSCRIBED))
    (event,) = await events_of(TranscriptTrigger("job1", poll_interval=30, end_time=time.time() + 10))
    assert event.payload["status"] == "transcribed"


async def test_cancellation_propagates_and_closes_the_session(revai_conn: ScriptedServer) -> None:
    revai_conn.default = lambda r: Reply(200, IN_PROGRESS)
    trigger = TranscriptTrigger("job1", poll_interval=60)
    closed: list[bool] = []
    real_aclose = hook_module.RevAIHook.aclose

    async def spy_aclose(self: hook_module.RevAIHook) -> None:
        closed.append(True)
        await real_aclose(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hook_module.RevAIHook, "aclose", spy_aclose)
        task = asyncio.create_task(trigger.run().__anext__())
        while revai_conn.count("GET /jobs/job1") == 0:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert closed == [True]


def test_bad_job_id_rejected_before_deferring() -> None:
    with pytest.raises(ValueError, match="job_id"):
        TranscriptTrigger("../etc")


async def test_first_check_waits_until_first_check_at(revai_conn: ScriptedServer) -> None:
    """A task that just checked defers with a later first check; a restarted trigger checks at once."""
    revai_conn.add("GET /jobs/job1", Reply(200, {"id": "job1", "status": "transcribed"}))
    later = TranscriptTrigger("job1", poll_interval=0.3, first_check_at=time.time() + 0.3)
    started = time.monotonic()
    [event] = await events_of(later)
    assert event.payload["status"] == "transcribed" and time.monotonic() - started >= 0.25

    revai_conn.add("GET /jobs/job1", Reply(200, {"id": "job1", "status": "transcribed"}))
    overdue = TranscriptTrigger("job1", poll_interval=30, first_check_at=time.time() - 60)
    started = time.monotonic()
    [event] = await events_of(overdue)
    assert event.payload["status"] == "transcribed" and time.monotonic() - started < 5
