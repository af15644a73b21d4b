"""The job-completion watcher: each finished job once, the right jobs, across pages, faults and restarts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from support import MediaServer, connection_json, task_context

from airflow_provider_rev.completions import (
    FILTER_EXTRA_KEY,
    CompletionFilter,
    completion_payload,
    finished_jobs,
    revai_jobs_asset,
    webhook_payload,
)
from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.idempotency import TaskInstanceRef, tag_metadata
from airflow_provider_rev.models import Job
from airflow_provider_rev.operators.revai import SubmitTranscriptionOperator
from airflow_provider_rev.triggers.completions import STATE_KEY, JobCompletionTrigger, Watermark

SPOKEN = "Speaker 0: The watcher saw this one."
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------- helpers


class AssetStore:
    """Airflow 3.3's asset state store accessor, as much as the watcher uses (``aget``/``aset``)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes = 0

    def __getitem__(self, asset: Any) -> AssetStore:
        return self

    async def aget(self, key: str, default: Any = None) -> Any:
        return json.loads(json.dumps(self.values[key])) if key in self.values else default

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = json.loads(json.dumps(value))  # the store keeps JSON, nothing else
        self.writes += 1


class Watching:
    """A watcher running in the background, as the triggerer runs it; cancelled on exit."""

    def __init__(self, trigger: JobCompletionTrigger, emu: RevAIEmulator) -> None:
        self.trigger, self.emu = trigger, emu
        self.events: list[dict[str, Any]] = []
        self.task: asyncio.Task[None] | None = None

    async def _consume(self) -> None:
        async for event in self.trigger.run():
            self.events.append(event.payload)

    async def __aenter__(self) -> Watching:
        self.task = asyncio.create_task(self._consume())
        await self.listings(1)
        return self

    async def listings(self, count: int, timeout: float = 15.0) -> None:
        """Wait until the watcher sent ``count`` more list requests (all answered)."""
        target = self.emu.request_counts["GET /jobs"] + count
        deadline = asyncio.get_running_loop().time() + timeout
        while self.emu.request_counts["GET /jobs"] < target:
            assert self.task is not None and not self.task.done(), "the watcher stopped"
            assert asyncio.get_running_loop().time() < deadline, "the watcher stopped listing"
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)  # let the round that sent it finish

    async def until_reported(self, count: int, timeout: float = 20.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.events) < count:
            assert asyncio.get_running_loop().time() < deadline, (
                f"only {len(self.events)} of {count} reported"
            )
            await asyncio.sleep(0.05)

    async def __aexit__(self, *exc: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


@pytest.fixture(autouse=True)
def no_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(JobCompletionTrigger, "settle_seconds", 0.0)


def submit_via_operator(url: str, index: int, metadata: str | None = "nightly") -> str:
    op = SubmitTranscriptionOperator(task_id="submit", media_url=url, metadata=metadata)
    return str(op.execute(task_context(dag_id="transcribe", run_id="scheduled_1", map_index=index)))


def submit_elsewhere(emu: RevAIEmulator, url: str, metadata: str | None) -> str:
    """A job another tool submitted on the same account: no provider tag."""
    body: dict[str, Any] = {"source_config": {"url": url}}
    if metadata is not None:
        body["metadata"] = metadata
    response = requests.post(emu.api_url + "/jobs", headers=emu.auth_headers, json=body, timeout=10)
    response.raise_for_status()
    return str(response.json()["id"])


async def in_thread(func: Any, *args: Any) -> Any:
    return await asyncio.to_thread(func, *args)


def ids(events: list[dict[str, Any]]) -> list[str]:
    return [event["id"] for event in events]


# ---------------------------------------------------------------------------- the watermark (no I/O)


def job(job_id: str, status: str, created: int, done: int | None = None, tagged: bool = True) -> Job:
    ti = TaskInstanceRef("d", "r", "t", int(job_id[1:]) if job_id[1:].isdigit() else -1)
    body: dict[str, Any] = {
        "id": job_id,
        "status": status,
        "created_on": (T0 + timedelta(seconds=created)).isoformat(),
        "metadata": tag_metadata("m", ti.key, ti) if tagged else "m",
    }
    if done is not None:
        body["completed_on"] = (T0 + timedelta(seconds=done)).isoformat()
    return Job.from_dict(body)


def test_a_job_is_reported_once_when_it_leaves_in_progress_or_arrives_finished() -> None:
    accept = CompletionFilter()
    start = Watermark(started=(T0 + timedelta(seconds=100)).timestamp())
    old_done, running = job("j1", "transcribed", 0, 50), job("j2", "in_progress", 10)
    finished, mark = start.advance([running, old_done], accept, start.started or 0)
    assert finished == [] and set(mark.pending) == {"j2"}  # finished before the watcher: not reported

    fast = job("j3", "failed", 120, 125)  # created and finished between two listings
    finished, mark = mark.advance([fast, job("j2", "transcribed", 10, 130), old_done], accept, 0)
    assert [j.id for j in finished] == ["j3", "j2"]  # oldest completion first
    assert mark.pending == {}

    finished, mark = mark.advance([fast, job("j2", "transcribed", 10, 130)], accept, 0)
    assert finished == []  # listed again: never twice


def test_ties_at_the_frontier_and_since_on_a_first_start() -> None:
    accept = CompletionFilter()
    since = (T0 + timedelta(seconds=40)).timestamp()
    start = Watermark(since=since, started=(T0 + timedelta(seconds=100)).timestamp())
    first = [job("j2", "transcribed", 20, 45), job("j1", "transcribed", 0, 30)]
    finished, mark = start.advance(first, accept, 0)
    assert [j.id for j in finished] == ["j2"]  # finished since ``since``; j1 before it

    twin = job("j9", "transcribed", 20, 60)  # created the same instant as j2, listed later
    finished, mark = mark.advance([twin, *first], accept, 0)
    assert [j.id for j in finished] == ["j9"]
    restored = Watermark.from_json(json.loads(json.dumps(mark.to_json())))
    assert restored == mark


def test_untagged_and_unprefixed_jobs_are_not_reported() -> None:
    theirs = job("j1", "transcribed", 50, 60, tagged=False)
    ours = job("j2", "transcribed", 50, 60)
    mark = Watermark(frontier=(T0 + timedelta(seconds=10)).timestamp())
    assert [j.id for j in mark.advance([ours, theirs], CompletionFilter(), 0)[0]] == ["j2"]
    assert [j.id for j in mark.advance([ours, theirs], CompletionFilter(False), 0)[0]] == ["j1", "j2"]
    assert mark.advance([ours, theirs], CompletionFilter(False, "n"), 0)[0] == []


# ---------------------------------------------------------------------------- the payload


@pytest.mark.revai_emulator(processing_seconds=0.2)
def test_payload_names_the_submitting_task_and_matches_the_webhook_body(
    emu: RevAIEmulator, media: MediaServer
) -> None:
    url = media.add("call", 2, SPOKEN)
    op = SubmitTranscriptionOperator(
        task_id="submit",
        media_url=url,
        metadata="batch 7",
        notification_url="http://127.0.0.1:9/hook",  # nobody listens: the body is recorded anyway
    )
    job_id = op.execute(task_context(dag_id="nightly", run_id="scheduled__2026-12-01", map_index=3))
    emu.wait_for_job(job_id)
    assert emu.wait_for_webhooks(1)

    payload = completion_payload(RevAIHook().get_job(job_id))
    assert payload["submitted_by"] == {
        "dag_id": "nightly",
        "run_id": "scheduled__2026-12-01",
        "task_id": "submit",
        "map_index": 3,
    }
    assert payload["metadata"] == "batch 7" and payload["provider_job"] is True
    assert payload["status"] == "transcribed" and payload["duration_seconds"] == 2.0
    assert payload["failure"] is None and payload["completed_on"] is not None
    assert json.loads(json.dumps(payload)) == payload
    # the webhook a later slice receives produces the identical payload
    (delivery,) = emu.webhook_deliveries
    assert webhook_payload(delivery.body) == payload


def test_finished_jobs_reads_watcher_events_once_each() -> None:
    payload = completion_payload(job("j1", "failed", 0, 5))
    events = [{"extra": {"from_trigger": True, "payload": payload}}, {"extra": {"payload": payload}}, {}]
    assert finished_jobs(events) == [payload]


def test_the_asset_helper_builds_a_serializable_watcher() -> None:
    asset = revai_jobs_asset("revai_eu", poll_interval=30, metadata_prefix="nightly")
    assert asset.name == "revai_jobs__revai_eu__nightly"
    assert asset.uri == "revai://revai_eu/jobs/revai_jobs__revai_eu__nightly"
    (watcher,) = asset.watchers
    classpath, kwargs = watcher.trigger.serialize()
    assert classpath == "airflow_provider_rev.triggers.completions.JobCompletionTrigger"
    assert kwargs == {
        "revai_conn_id": "revai_eu",
        "poll_interval": 30.0,
        "only_provider_jobs": True,
        "metadata_prefix": "nightly",
        "since": None,
        "asset_name": "revai_jobs__revai_eu__nightly",
    }
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert JobCompletionTrigger(**kwargs).serialize() == (classpath, kwargs)
    # the webhook receiver applies the same filter, read from the Asset's extra
    assert asset.extra == {FILTER_EXTRA_KEY: {"only_provider_jobs": True, "metadata_prefix": "nightly"}}
    with pytest.raises(ValueError, match="ISO-8601"):
        JobCompletionTrigger(since="yesterday")


# ---------------------------------------------------------------------------- the watcher, over HTTP


@pytest.fixture
def fast_listing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Small pages, so a handful of jobs spans several."""
    monkeypatch.setattr(JobCompletionTrigger, "page_size", 2)
    yield


@pytest.mark.revai_emulator(processing_seconds=1.0)
async def test_each_finished_job_once_across_pages_and_only_ours(
    emu: RevAIEmulator, media: MediaServer, fast_listing: None
) -> None:
    url = media.add("call", 2, SPOKEN)
    before = await in_thread(submit_via_operator, url, 99)
    await in_thread(emu.wait_for_job, before)
    store = AssetStore()
    trigger = JobCompletionTrigger(poll_interval=0.2, metadata_prefix="nightly")
    trigger.asset_state_store = store
    async with Watching(trigger, emu) as watching:
        ours = [await in_thread(submit_via_operator, url, index) for index in range(4)]
        ours.append(await in_thread(submit_via_operator, media.root_url + "/missing.wav", 4))
        other_prefix = await in_thread(submit_via_operator, url, 5, "weekly")
        theirs = await in_thread(submit_elsewhere, emu, url, "nightly")
        await watching.until_reported(5)
        for job_id in (*ours, other_prefix, theirs):
            await in_thread(emu.wait_for_job, job_id)
        await watching.listings(8)  # several more rounds: nothing is reported twice

    assert sorted(ids(watching.events)) == sorted(ours)  # not `before`, `weekly` or the untagged one
    by_id = {event["id"]: event for event in watching.events}
    assert by_id[ours[4]]["status"] == "failed" and by_id[ours[4]]["failure"] == "download_failure"
    assert by_id[ours[0]]["submitted_by"]["map_index"] == 0
    assert any("starting_after=" in r.query for r in emu.requests if r.route == "GET /jobs")
    assert Watermark.from_json(store.values[STATE_KEY]).pending == {}  # type: ignore[union-attr]


@pytest.mark.revai_emulator(processing_seconds=1.0)
async def test_transient_errors_neither_lose_nor_repeat_a_job(
    emu: RevAIEmulator, media: MediaServer, fast_listing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_sleep = asyncio.sleep

    async def short_sleep(delay: float, *args: Any) -> Any:
        return await real_sleep(min(delay, 0.05), *args)

    monkeypatch.setattr(asyncio, "sleep", short_sleep)  # the hook's backoffs and the watcher's pauses
    url = media.add("call", 2, SPOKEN)
    trigger = JobCompletionTrigger(poll_interval=0.2)
    async with Watching(trigger, emu) as watching:
        ours = [await in_thread(submit_via_operator, url, index) for index in range(4)]
        emu.inject("GET /jobs", 503, times=4)
        emu.inject("GET /jobs", 429, times=2, retry_after=1)
        emu.inject("GET /jobs", None, drop=True, times=2)
        emu.inject("GET /jobs", 500, times=7)  # more than the hook retries: whole rounds fail
        for job_id in ours:
            await in_thread(emu.wait_for_job, job_id)
        await watching.until_reported(4)
        await watching.listings(6)
    assert emu.faulted_counts["GET /jobs"] >= 15
    assert sorted(ids(watching.events)) == sorted(ours)


@pytest.mark.revai_emulator(processing_seconds=1.0)
async def test_a_restarted_watcher_resumes_from_its_stored_watermark(
    emu: RevAIEmulator, media: MediaServer
) -> None:
    url = media.add("call", 2, SPOKEN)
    store = AssetStore()

    def watcher() -> JobCompletionTrigger:
        trigger = JobCompletionTrigger(poll_interval=0.2, asset_name="revai_jobs__revai_default")
        trigger.asset_state_store = store
        return trigger

    async with Watching(watcher(), emu) as first:
        early = [await in_thread(submit_via_operator, url, index) for index in range(2)]
        await first.until_reported(2)
        # stopped with one job still running, then two more submitted while no triggerer runs
        running = await in_thread(submit_via_operator, url, 2)
        await first.listings(1)
    while_down = [await in_thread(submit_via_operator, url, index) for index in (3, 4)]
    for job_id in (running, *while_down):
        await in_thread(emu.wait_for_job, job_id)

    async with Watching(watcher(), emu) as second:
        await second.until_reported(3)
        await second.listings(4)
    assert sorted(ids(first.events)) == sorted(early)
    assert sorted(ids(second.events)) == sorted([running, *while_down])  # none lost, none repeated


@pytest.mark.revai_emulator(processing_seconds=1.0)
async def test_without_a_state_store_a_restart_starts_from_now(
    emu: RevAIEmulator, media: MediaServer
) -> None:
    """Airflow 3.1/3.2: nothing is repeated, and what finished while no watcher ran is not reported."""
    url = media.add("call", 2, SPOKEN)
    async with Watching(JobCompletionTrigger(poll_interval=0.2), emu) as first:
        early = await in_thread(submit_via_operator, url, 0)
        await first.until_reported(1)
    while_down = await in_thread(submit_via_operator, url, 1)
    await in_thread(emu.wait_for_job, while_down)
    async with Watching(JobCompletionTrigger(poll_interval=0.2), emu) as second:
        later = await in_thread(submit_via_operator, url, 2)
        await second.until_reported(1)
        await second.listings(3)
    assert ids(first.events) == [early] and ids(second.events) == [later]


@pytest.mark.revai_emulator(processing_seconds=0.5)
async def test_a_restart_inside_the_settle_window_repeats_rather_than_loses(
    emu: RevAIEmulator, media: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(JobCompletionTrigger, "settle_seconds", 30.0)
    url = media.add("call", 2, SPOKEN)
    store = AssetStore()
    trigger = JobCompletionTrigger(poll_interval=60)
    trigger.asset_state_store = store
    async with Watching(trigger, emu):
        pass  # the first listing is stored at once: no event to settle
    job_id = await in_thread(submit_via_operator, url, 0)
    await in_thread(emu.wait_for_job, job_id)
    for _ in range(2):  # each time stopped right after the event, before the watermark write
        trigger = JobCompletionTrigger(poll_interval=60)
        trigger.asset_state_store = store
        async with Watching(trigger, emu) as watching:
            await watching.until_reported(1)
        assert ids(watching.events) == [job_id]


@pytest.mark.revai_emulator(processing_seconds=0.2)
async def test_the_watcher_stays_idle_while_the_connection_receives_webhooks(
    emu: RevAIEmulator, media: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_webhooks = connection_json(
        emu.base_url,
        emu.token,
        webhook_secret="idle-secret-0123456789",
        webhook_base_url="http://127.0.0.1:9",
    )
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", with_webhooks)
    url = media.add("call", 1, SPOKEN)
    events: list[dict[str, Any]] = []

    async def consume() -> None:
        async for event in JobCompletionTrigger(poll_interval=0.1).run():
            events.append(event.payload)

    task = asyncio.create_task(consume())
    try:
        delivered = await in_thread(submit_via_operator, url, 0)  # Rev AI would call the receiver
        await in_thread(emu.wait_for_job, delivered)
        await asyncio.sleep(1.0)
        assert emu.request_counts["GET /jobs"] == 0 and events == []
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json(emu.base_url, emu.token))
        while emu.request_counts["GET /jobs"] < 2:  # back to listing, from now on
            await asyncio.sleep(0.05)
        listed = await in_thread(submit_via_operator, url, 1)
        await in_thread(emu.wait_for_job, listed)
        deadline = asyncio.get_running_loop().time() + 10
        while not events:
            assert asyncio.get_running_loop().time() < deadline, "the watcher did not resume"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert ids(events) == [listed]  # the job delivered by webhook is not reported again
