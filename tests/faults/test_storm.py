"""A rate-limit storm plus 10% 5xx and dropped connections on every endpoint: 50 jobs finish, once each."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from faults.fault_support import REPORT, task_context
from support import MediaServer

from airflow_provider_rev.emulator import FaultConfig, RevAIEmulator
from airflow_provider_rev.exceptions import RevAIError
from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator
from airflow_provider_rev.triggers.revai import TranscriptTrigger

JOBS = 50
MAX_TRIES = 4
STORM = FaultConfig(rate_limit_fraction=0.35, retry_after=1, error_fraction=0.10, drop_fraction=0.05, seed=7)


def run_task(task: Any, tries: Counter[str], name: str, **ids: Any) -> Any:
    """Run a task the way Airflow would: a retryable error gets another try, a permanent one fails."""
    for try_number in range(1, MAX_TRIES + 1):
        tries[name] += 1
        try:
            return task.execute(task_context(try_number, **ids))
        except RevAIError as exc:
            if exc.permanent or try_number == MAX_TRIES:
                raise
    raise AssertionError("unreachable")


async def wait_all(job_ids: list[str]) -> list[dict[str, Any]]:
    async def one(job_id: str) -> dict[str, Any]:
        events = TranscriptTrigger(job_id, poll_interval=0.5).run()
        try:
            return dict((await anext(events)).payload)
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    return await asyncio.gather(*(one(job_id) for job_id in job_ids))


def test_fifty_jobs_through_a_storm(media: MediaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    spoken = {i: f"Recording {i} says word{i} clearly." for i in range(JOBS)}
    urls = [media.add(f"rec{i}", seconds=2, transcript=f"Speaker 0: {spoken[i]}") for i in range(JOBS)]
    tries: Counter[str] = Counter()
    with RevAIEmulator(processing_seconds=1.0, faults=STORM) as emu:
        conn = {"conn_type": "revai", "host": emu.base_url, "password": emu.token}
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", json.dumps(conn))
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=25) as pool:
            job_ids = list(
                pool.map(
                    lambda i: run_task(
                        SubmitTranscriptionOperator(task_id="submit", media_url=urls[i]),
                        tries,
                        "submit",
                        map_index=i,
                    ),
                    range(JOBS),
                )
            )
            events = asyncio.run(wait_all(job_ids))
            texts = list(
                pool.map(
                    lambda i: run_task(
                        FetchTranscriptOperator(task_id="fetch", job_id=job_ids[i], output_format="text"),
                        tries,
                        "fetch",
                        task_id="fetch",
                        map_index=i,
                    ),
                    range(JOBS),
                )
            )
        elapsed = time.monotonic() - started
        requests, faulted, jobs = dict(emu.request_counts), dict(emu.faulted_counts), emu.jobs()

    assert [e["status"] for e in events] == ["transcribed"] * JOBS
    assert len(jobs) == JOBS and len(set(job_ids)) == JOBS, "every recording billed exactly once"
    for i, text in enumerate(texts):
        assert text.endswith(spoken[i]), f"job {i} got someone else's transcript: {text!r}"
    assert sum(faulted.values()) > JOBS, "the storm really happened"

    REPORT.append(
        f"storm: {JOBS} jobs, 35% 429 (Retry-After 1 s) + 10% 5xx + 5% drops on every route; "
        f"finished in {elapsed:.1f} s"
    )
    REPORT.append(f"  requests by route: {dict(sorted(requests.items()))}")
    REPORT.append(f"  faults injected:   {dict(sorted(faulted.items()))}")
    REPORT.append(
        f"  retries inside the hook/trigger: {sum(requests.values()) - 3 * JOBS} "
        f"extra requests over the {3 * JOBS} a fault-free run needs at minimum; "
        f"task tries: submit {tries['submit']}, fetch {tries['fetch']} for {JOBS} each"
    )
