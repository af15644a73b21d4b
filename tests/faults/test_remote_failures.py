"""A job fails at Rev AI: every waiting path fails at once, without spending task retries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException
from faults.fault_support import task_context
from support import MediaServer

from airflow_provider_rev.emulator import RevAIEmulator, make_wav
from airflow_provider_rev.exceptions import RevAIJobFailedError
from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator
from airflow_provider_rev.sensors.revai import TranscriptSensor
from airflow_provider_rev.triggers.revai import TranscriptTrigger


def missing(media: MediaServer) -> str:
    return f"{media.root_url}/nowhere.wav"


def not_audio(media: MediaServer) -> str:
    (media.folder / "notes.wav").write_bytes(b"these are meeting notes, not audio " * 50)
    return f"{media.root_url}/notes.wav"


def empty(media: MediaServer) -> str:
    (media.folder / "empty.wav").write_bytes(b"")
    return f"{media.root_url}/empty.wav"


def too_short(media: MediaServer) -> str:
    make_wav(media.folder / "blip.wav", seconds=0.4)
    return f"{media.root_url}/blip.wav"


def long_enough(media: MediaServer) -> str:
    make_wav(media.folder / "talk.wav", seconds=30)
    return f"{media.root_url}/talk.wav"


@dataclass(frozen=True)
class Case:
    failure: str
    media: Callable[[MediaServer], str]
    settings: dict[str, object]


CASES = [
    Case("download_failure", missing, {}),
    Case("invalid_media", not_audio, {}),
    Case("empty_media", empty, {}),
    Case("duration_too_short", too_short, {}),
    Case("insufficient_balance", long_enough, {"balance_seconds": 5}),
]


@pytest.fixture(params=CASES, ids=[c.failure for c in CASES])
def failing(
    request: pytest.FixtureRequest, media: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RevAIEmulator, str, str]]:
    """An emulator, a media URL that fails with the case's code, and that code."""
    case: Case = request.param
    with RevAIEmulator(processing_seconds=0.5, **case.settings) as emu:  # type: ignore[arg-type]
        conn = {"conn_type": "revai", "host": emu.base_url, "password": emu.token}
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", json.dumps(conn))
        yield emu, case.media(media), case.failure


def assert_fails_for_good(exc: BaseException, job_id: str, failure: str) -> None:
    assert isinstance(exc, RevAIJobFailedError) and isinstance(exc, AirflowFailException)
    assert exc.failure == failure and exc.job_id == job_id
    assert f"Rev AI job {job_id} failed: {failure}" in str(exc)


def test_submit_and_wait_fails_with_the_reason(failing: tuple[RevAIEmulator, str, str]) -> None:
    emu, url, failure = failing
    op = SubmitTranscriptionOperator(
        task_id="submit", media_url=url, wait_for_completion=True, deferrable=False, poll_interval=0.1
    )
    with pytest.raises(RevAIJobFailedError) as raised:
        op.execute(task_context())
    [job] = emu.jobs()
    assert_fails_for_good(raised.value, job["id"], failure)


def test_sensor_fails_with_the_reason_in_every_mode(failing: tuple[RevAIEmulator, str, str]) -> None:
    emu, url, failure = failing
    job_id = SubmitTranscriptionOperator(task_id="submit", media_url=url).execute(task_context())

    poking = TranscriptSensor(task_id="wait", job_id=job_id, deferrable=False, poke_interval=0.1, timeout=20)
    with pytest.raises(RevAIJobFailedError) as poked:
        poking.execute(task_context(task_id="wait"))
    assert_fails_for_good(poked.value, job_id, failure)

    # Deferrable: the job is already failed, so the first check fails at once; the trigger
    # path is checked directly on the same job.
    deferring = TranscriptSensor(
        task_id="wait", job_id=job_id, deferrable=True, poke_interval=0.1, timeout=20
    )
    with pytest.raises(RevAIJobFailedError) as checked:
        deferring.execute(task_context(task_id="wait"))
    assert_fails_for_good(checked.value, job_id, failure)
    event = asyncio.run(first_event(TranscriptTrigger(job_id, poll_interval=0.1)))
    assert event["status"] == "failed" and event["job"]["failure"] == failure
    with pytest.raises(RevAIJobFailedError) as resumed:
        deferring.execute_complete(task_context(task_id="wait"), event)
    assert_fails_for_good(resumed.value, job_id, failure)


def test_fetch_of_a_failed_job_says_there_is_nothing_to_fetch(
    failing: tuple[RevAIEmulator, str, str],
) -> None:
    emu, url, failure = failing
    op = SubmitTranscriptionOperator(
        task_id="submit", media_url=url, wait_for_completion=True, deferrable=False, poll_interval=0.1
    )
    with pytest.raises(RevAIJobFailedError):
        op.execute(task_context())
    [job] = emu.jobs()
    fetch = FetchTranscriptOperator(task_id="fetch", job_id=job["id"], output_format="text")
    with pytest.raises(
        RevAIJobFailedError, match="nothing to fetch: a failed job has no transcript"
    ) as raised:
        fetch.execute(task_context(task_id="fetch"))
    assert_fails_for_good(raised.value, job["id"], failure)
    assert emu.request_counts["GET /jobs/{id}/transcript"] == 0, "no transcript request for a failed job"


async def first_event(trigger: TranscriptTrigger) -> dict[str, object]:
    events = trigger.run()
    try:
        event = await anext(events)
    finally:
        await events.aclose()  # type: ignore[attr-defined]
    return dict(event.payload)
