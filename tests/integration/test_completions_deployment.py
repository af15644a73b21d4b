"""The fire-and-forget pair in a real deployment: five jobs, each fetched once, across a triggerer restart.

One real deployment (api-server, scheduler, dag-processor, triggerer; LocalExecutor, SQLite)
parses ``example_dags/example_rev_fire_and_forget.py`` with the watcher listing every
``WATCH_INTERVAL`` seconds. The scheduled submit DAG submits five recordings and ends. The
emulator finishes them in three steps by advancing its clock (job ``i`` needs
``(i + 1) * STEP`` emulated seconds, so the steps finish one, then two, then two jobs); the
triggerer is restarted after the first job was reported, and the next two finish while it is
down. The Asset must get exactly five events, one per job, and the consumer DAG must fetch
each transcript once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from integration.fire_and_forget import (
    FETCH_DAG,
    RECORDINGS,
    STEP,
    SUBMIT_DAG,
    asset_events as source_events,
    consumer_idle,
    consumer_settled,
    copy_example,
    fetch_task_instances,
    wait_until,
)
from integration.harness import REPORT, Deployment, Deployments, DeploymentSpec, TaskInstance
from support import MediaServer, connection_json

from airflow_provider_rev.emulator import RevAIEmulator, serve_media
from airflow_provider_rev.idempotency import TaskInstanceRef, tag_metadata

RecordProperty = Callable[[str, object], None]

WATCH_INTERVAL = 2


@dataclass
class Stream:
    """What the scenario recorded."""

    job_ids: list[str] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    events_before_restart: int = 0
    fetches: list[TaskInstance] = field(default_factory=list)
    failure_reports: list[TaskInstance] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    list_requests: int = 0
    job_requests: int = 0
    first_event_seconds: float = 0.0
    last_event_seconds: float = 0.0
    fetched_before_next: list[str] = field(default_factory=list)
    events_before_next: int = 0
    watcher_starts: int = 0
    watcher_resumes: int = 0
    startup_seconds: float = 0.0


def asset_events(airflow: Deployment) -> list[dict[str, Any]]:
    """The watcher's Asset events, oldest first."""
    return source_events(airflow, "from_trigger")


@pytest.fixture(scope="module")
def stream(deployments: Deployments, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stream]:
    dags = tmp_path_factory.mktemp("dags")
    copy_example(dags)
    out = tmp_path_factory.mktemp("out")
    folder = tmp_path_factory.mktemp("media")
    result = Stream()
    with (
        RevAIEmulator(processing_seconds=0.0, seconds_per_audio_second=STEP) as emu,
        serve_media(folder) as media_root,
    ):
        media = MediaServer(folder, media_root)
        urls = [
            media.add(f"call-{i}", seconds=i + 1, transcript=f"Speaker 0: Recording {i}.")
            for i in range(RECORDINGS)
        ]
        spec = DeploymentSpec(
            dags_folder=dags,
            connections={"revai_default": connection_json(emu.base_url, emu.token)},
            env={
                "REVAI_EXAMPLE_MEDIA_URLS": json.dumps(urls),
                "REVAI_EXAMPLE_OUTPUT_URI": out.as_uri(),
                "REVAI_EXAMPLE_WATCH_INTERVAL": str(WATCH_INTERVAL),
            },
        )
        airflow = deployments.start("completions", spec)
        result.startup_seconds = airflow.started_seconds
        airflow.wait_for_dag(FETCH_DAG)
        airflow.wait_for_dag(SUBMIT_DAG)
        airflow.api.unpause(FETCH_DAG)

        def watcher_lines(word: str) -> int:
            return airflow.trigger_log_text().count(f"Rev AI job watcher (revai_default): {word}")

        wait_until(lambda: emu.request_counts["GET /jobs"] >= 1, "the watcher's first listing", airflow)
        airflow.api.unpause(SUBMIT_DAG)  # its scheduled run submits the five recordings and ends
        wait_until(lambda: emu.request_counts["POST /jobs"] >= RECORDINGS, "five submissions", airflow)
        result.job_ids = [job["id"] for job in emu.jobs()]

        def events_at_least(count: int) -> Callable[[], bool]:
            return lambda: len(asset_events(airflow)) >= count

        emu.advance_clock(1.5 * STEP)  # the 1-second recording finishes
        finished = time.monotonic()
        wait_until(events_at_least(1), "the first event", airflow)
        result.first_event_seconds = time.monotonic() - finished
        time.sleep(8)  # past the watermark's settle window: the restart must repeat nothing
        result.events_before_restart = len(asset_events(airflow))
        airflow.restart("triggerer")
        emu.advance_clock(2 * STEP)  # two more finish while the new triggerer starts
        wait_until(events_at_least(3), "the jobs finished during the restart", airflow)
        emu.advance_clock(2 * STEP)  # the last two
        finished = time.monotonic()
        wait_until(events_at_least(RECORDINGS), "all five events", airflow)
        result.last_event_seconds = time.monotonic() - finished

        def fetched_files() -> list[str]:
            return sorted(path.stem for path in out.iterdir())

        def settled() -> bool:
            return consumer_settled(airflow)

        time.sleep(5 * WATCH_INTERVAL)  # more listings: nothing more may be reported
        wait_until(lambda: consumer_idle(airflow), "the consumer to be idle", airflow)
        result.fetched_before_next = fetched_files()
        result.events_before_next = len(asset_events(airflow))

        # The next batch: one more job (as tomorrow's submit run would). Its event makes the
        # scheduler consume any event it left behind (apache/airflow#56050, see docs).
        url = media.add("call-next", seconds=1, transcript="Speaker 0: The next batch.")
        ti = TaskInstanceRef(SUBMIT_DAG, "scheduled__next", "submit", 0)
        body = {"source_config": {"url": url}, "metadata": tag_metadata("fire-and-forget", ti.key, ti)}
        answer = requests.post(emu.api_url + "/jobs", headers=emu.auth_headers, json=body, timeout=10)
        result.job_ids.append(answer.json()["id"])
        emu.advance_clock(1.5 * STEP)
        wait_until(events_at_least(RECORDINGS + 1), "the next batch's event", airflow)
        wait_until(lambda: fetched_files() == sorted(result.job_ids), "every job fetched", airflow)
        time.sleep(3 * WATCH_INTERVAL)
        wait_until(settled, "the consumer runs to end", airflow)
        result.events = asset_events(airflow)
        tis = fetch_task_instances(airflow)
        result.fetches = [ti for ti in tis if ti.task_id == "fetch"]
        result.failure_reports = [ti for ti in tis if ti.task_id == "report_failures"]
        result.files = fetched_files()
        result.list_requests = emu.request_counts["GET /jobs"]
        result.job_requests = emu.request_counts["GET /jobs/{id}"]
        result.watcher_starts = watcher_lines("first start")
        result.watcher_resumes = watcher_lines("resuming")
        deployments.stop("completions")
    REPORT.append(
        f"watcher, {RECORDINGS} jobs (poll_interval={WATCH_INTERVAL} s, one triggerer restart): start-up "
        f"{result.startup_seconds:.0f} s; {len(result.events)} asset events, {len(result.fetches)} fetches; "
        f"{result.list_requests} GET /jobs and {result.job_requests} GET /jobs/{{id}} in all; completion "
        f"to asset event {result.first_event_seconds:.0f} s and {result.last_event_seconds:.0f} s; "
        f"{len(result.fetched_before_next)} of {RECORDINGS} fetched before the next batch's event"
    )
    yield result


def test_each_job_is_reported_once_across_the_restart(
    stream: Stream, record_property: RecordProperty
) -> None:
    record_property("list_requests", stream.list_requests)
    reported = [event["extra"]["payload"]["id"] for event in stream.events]
    assert sorted(reported) == sorted(stream.job_ids), reported  # five, then the next batch's one
    assert stream.events_before_restart == 1 and stream.events_before_next == RECORDINGS
    assert stream.watcher_starts == 1 and stream.watcher_resumes >= 1


def test_the_payload_names_the_submitting_task(stream: Stream) -> None:
    first = [event["extra"]["payload"] for event in stream.events[:RECORDINGS]]
    assert sorted(payload["submitted_by"]["map_index"] for payload in first) == list(range(RECORDINGS))
    assert {payload["submitted_by"]["dag_id"] for payload in first} == {SUBMIT_DAG}
    assert {payload["metadata"] for payload in first} == {"fire-and-forget"}


def test_each_transcript_is_fetched_once(stream: Stream, record_property: RecordProperty) -> None:
    record_property("fetched_before_next_batch", len(stream.fetched_before_next))
    assert [ti.state for ti in stream.fetches] == ["success"] * (RECORDINGS + 1)
    assert stream.files == sorted(stream.job_ids)
    assert set(stream.fetched_before_next) <= set(stream.job_ids)
    assert {ti.state for ti in stream.failure_reports} == {"success"}
