"""The shared poll: real TranscriptTriggers through Airflow 3.3's SharedStreamManager and the emulator."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support import MediaServer, connection_json, run_shared, run_standalone

from airflow_provider_rev.clock import SYSTEM_CLOCK
from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.models import Job
from airflow_provider_rev.retry import RetryPolicy
from airflow_provider_rev.shared_poll import (
    REGISTRIES,
    Registry,
    Throttle,
    Waiter,
    first_page_pays,
    pages_worth_reading,
    poll_round,
)
from airflow_provider_rev.triggers.revai import SINGLE_ATTEMPT, TranscriptTrigger
from airflow_provider_rev.waiting import MAX_ADAPTIVE_WAIT, PROCESSING_SHARE, next_check_delay

try:
    from airflow.triggers.shared_stream import SharedStreamManager
except ImportError:  # Airflow < 3.3: no shared trigger streams, run() is the only path
    SharedStreamManager = None

needs_shared_streams = pytest.mark.skipif(SharedStreamManager is None, reason="shared streams arrived in 3.3")

FAST = {"processing_seconds": 0.3, "seconds_per_audio_second": 0.1}


def submit_jobs(media: MediaServer, count: int, **options: Any) -> list[str]:
    hook = RevAIHook()
    return [
        hook.submit_job(media.add(f"rec{i}", 1 + i % 4, f"Speaker 0: recording {i}."), **options).id
        for i in range(count)
    ]


def triggers(job_ids: list[str], **kwargs: Any) -> list[TranscriptTrigger]:
    return [TranscriptTrigger(job_id, poll_interval=0.2, **kwargs) for job_id in job_ids]


@pytest.fixture(autouse=True)
def no_registry_left_behind() -> Any:
    yield
    assert REGISTRIES == {}, "a shared poll left its registry behind"


@needs_shared_streams
@pytest.mark.revai_emulator(**FAST)
class TestSharedPoll:
    async def test_waiting_jobs_share_list_calls_and_get_the_events_run_gives(
        self, emu: RevAIEmulator, media: MediaServer
    ) -> None:
        job_ids = submit_jobs(media, 30, summarization_config={"type": "bullets"})
        manager = SharedStreamManager()
        shared = await run_shared(triggers(job_ids), manager)
        counts = dict(emu.request_counts)
        assert [event["status"] for event in shared] == ["transcribed"] * 30
        assert all(event["job"]["summarization"]["status"] == "completed" for event in shared)
        status_requests = counts["GET /jobs"] + counts.get("GET /jobs/{id}", 0)
        assert counts["GET /jobs"] >= 1 and status_requests <= 10, counts  # one job each would be >= 30
        standalone = await run_standalone(triggers(job_ids))
        assert shared == standalone
        assert manager._groups == {}

    async def test_a_permanent_error_reaches_every_subscriber_as_run_reports_it(
        self, emu: RevAIEmulator, media: MediaServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        job_ids = submit_jobs(media, 3)
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json(emu.base_url, "revoked-token"))
        shared = await run_shared(triggers(job_ids))
        standalone = await run_standalone(triggers(job_ids))
        assert [e["status"] for e in shared] == ["error"] * 3 and all(e["permanent"] for e in shared)
        assert shared == standalone
        assert "Authorization has been denied" in shared[0]["message"]

    async def test_rate_limits_pause_the_whole_stream_once_and_never_fail_a_wait(
        self, emu: RevAIEmulator, media: MediaServer
    ) -> None:
        job_ids = submit_jobs(media, 20)
        emu.inject("GET /jobs", 429, times=2, retry_after=1)
        started = time.monotonic()
        shared = await run_shared(triggers(job_ids))
        assert [e["status"] for e in shared] == ["transcribed"] * 20
        assert emu.faulted_counts["GET /jobs"] == 2
        assert time.monotonic() - started >= 2.0  # Retry-After honoured by the one loop, twice

    @pytest.mark.revai_emulator(processing_seconds=3600)
    async def test_deadlines_time_out_like_run_and_cancelled_waits_leave_nothing_behind(
        self, emu: RevAIEmulator, media: MediaServer
    ) -> None:
        slow = submit_jobs(media, 4)
        manager = SharedStreamManager()
        soon = time.time() + 0.6
        timed = triggers(slow[:2], end_time=soon)
        waiting = triggers(slow[2:])
        cancelled = asyncio.ensure_future(run_shared(waiting, manager))
        shared = await run_shared(timed, manager)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        assert [e["status"] for e in shared] == ["timeout", "timeout"]
        assert shared == await run_standalone(triggers(slow[:2], end_time=soon))
        assert manager._groups == {}

    async def test_after_a_triggerer_restart_jobs_that_finished_unwatched_are_still_seen(
        self, emu: RevAIEmulator, media: MediaServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        finished = submit_jobs(media, 3)
        emu.advance_clock(3600)
        submit_jobs(media, 5)
        assert all(emu.job(job_id)["status"] == "transcribed" for job_id in finished)  # type: ignore[index]
        closed: list[str] = []
        real_aclose = RevAIHook.aclose

        async def spy_aclose(hook: RevAIHook) -> None:
            closed.append(hook.revai_conn_id)
            await real_aclose(hook)

        monkeypatch.setattr(RevAIHook, "aclose", spy_aclose)
        recreated = triggers(finished, first_check_at=time.time() - 600)
        shared = await run_shared(recreated)
        assert [e["status"] for e in shared] == ["transcribed"] * 3
        assert closed == ["revai_default"]  # the loop's one session, closed when its last subscriber left

    async def test_switches_select_one_loop_per_job(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert TranscriptTrigger("job1").shared_stream_key() is not None
        assert TranscriptTrigger("job1", shared_polling=False).shared_stream_key() is None
        assert TranscriptTrigger("cv1", resource="custom_vocabulary").shared_stream_key() is None
        monkeypatch.setenv("AIRFLOW__REVAI__SHARED_POLLING", "False")
        assert TranscriptTrigger("job1").shared_stream_key() is None
        monkeypatch.delenv("AIRFLOW__REVAI__SHARED_POLLING")
        keys = {
            TranscriptTrigger(f"job{i}", "revai_default", poll_interval=i + 1).shared_stream_key()
            for i in range(3)
        }
        assert len(keys) == 1 and TranscriptTrigger("job1", "revai_eu").shared_stream_key() not in keys


@pytest.mark.revai_emulator(processing_seconds=3600)
class TestPollRound:
    async def test_old_jobs_beyond_the_pages_worth_reading_are_fetched_one_by_one(
        self, emu: RevAIEmulator, media: MediaServer
    ) -> None:
        old = submit_jobs(media, 2)
        emu.advance_clock(3600 * 5)
        submit_jobs(media, 40)
        new = [job["id"] for job in emu.jobs()[:3]]
        registry = Registry()
        for token, job_id in enumerate([*old, *new]):
            registry.add(token, Waiter(job_id, 30.0, next_check=0.0))
        for job_id in old:
            registry.created_on[job_id] = Job.from_dict(emu.job(job_id) or {}).created_on.timestamp()  # type: ignore[union-attr]
        hook = RevAIHook(retry_policy=SINGLE_ATTEMPT)
        throttle = Throttle(SYSTEM_CLOCK, 1000.0, RetryPolicy())
        try:
            batch, result = await poll_round(registry, hook.arun, throttle, SYSTEM_CLOCK, page_size=10)
        finally:
            await hook.aclose()
        assert set(batch["jobs"]) == {*old, *new} and batch["errors"] == {} and batch["fatal"] is None
        assert (result.list_pages, result.job_requests) == (1, 2)
        assert emu.request_counts["GET /jobs"] == 1 and emu.request_counts["GET /jobs/{id}"] == 2

    async def test_an_unknown_job_ends_only_its_own_wait(
        self, emu: RevAIEmulator, media: MediaServer
    ) -> None:
        [known] = submit_jobs(media, 1)
        registry = Registry()
        registry.add(1, Waiter(known, 30.0, next_check=0.0))
        registry.add(2, Waiter("Missing00001", 30.0, next_check=0.0))
        hook = RevAIHook(retry_policy=SINGLE_ATTEMPT)
        try:
            batch, _ = await poll_round(
                registry, hook.arun, Throttle(SYSTEM_CLOCK, 1000.0, RetryPolicy()), SYSTEM_CLOCK
            )
        finally:
            await hook.aclose()
        assert set(batch["jobs"]) == {known}
        assert batch["errors"]["Missing00001"]["permanent"] is True


@pytest.mark.parametrize(
    ("remaining", "first", "last", "full", "worth"),
    [
        ({"a": 850.0, "b": 820.0}, 1000.0, 900.0, True, True),  # both on the next page
        ({"a": 100.0, "b": None}, 1000.0, 900.0, False, False),  # a short page ends the listing
        ({"a": 10.0}, 1000.0, 900.0, True, False),  # one job: a GET is never dearer
        ({"a": 10.0, "b": 20.0}, 1000.0, 990.0, True, False),  # ~98 pages away: two GETs are cheaper
        ({"a": 950.0, "b": 960.0}, 1000.0, 900.0, True, False),  # should have been listed: fetch them
        ({"a": None, "b": None, "c": None}, 1000.0, 900.0, True, True),  # never seen: 1 page < 3 GETs
    ],
)
def test_pages_are_read_only_while_cheaper_than_one_request_per_job(
    remaining: dict[str, float | None], first: float, last: float, full: bool, worth: bool
) -> None:
    assert pages_worth_reading(remaining, first, last, full) is worth


def test_jobs_never_seen_are_listed_while_pages_stay_fewer_than_the_jobs_missing() -> None:
    never_seen: dict[str, float | None] = {f"job{i}": None for i in range(4)}
    assert [pages_worth_reading(never_seen, 1000.0, 900.0, True, pages) for pages in (1, 3, 4)] == [
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("remaining", "waiting", "floor", "pays"),
    [
        ({"a": None, "b": None}, 2, None, True),  # two due: one page may answer both
        ({"a": None}, 1, None, False),  # the only waiting job: one GET says as much
        ({"a": None}, 40, None, True),  # just deferred, 39 others: same one request refreshes all
        ({"a": 500.0}, 40, 400.0, True),  # no older than the first page reached last time
        ({"a": 300.0}, 40, 400.0, False),  # older: the page would likely miss it, GET it
        ({}, 40, None, False),  # nothing due
    ],
)
def test_a_round_starts_with_a_list_page_when_it_costs_no_more(
    remaining: dict[str, float | None], waiting: int, floor: float | None, pays: bool
) -> None:
    registry = Registry()
    registry.first_page_floor = floor
    assert first_page_pays(registry, remaining, waiting) is pays


def test_checks_due_a_little_apart_join_one_round_but_deadlines_do_not_move() -> None:
    waiter = Waiter("j", poll_interval=20.0, next_check=100.0, end_time=None)
    assert waiter.due_at() == 95.0
    assert Waiter("j", 20.0, next_check=100.0, end_time=90.0).due_at() == 90.0


def test_adaptive_timing_waits_for_a_share_of_long_media_within_bounds() -> None:
    created = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    now = created.timestamp() + 60

    def job(duration: float | None, status: str = "in_progress") -> Job:
        return Job.from_dict(
            {"id": "j", "status": status, "created_on": created.isoformat(), "duration_seconds": duration}
        )

    assert next_check_delay(job(None), 30, now) == 30  # duration not known yet
    assert next_check_delay(job(120), 30, now) == 30  # short media: one interval
    assert next_check_delay(job(3600), 30, now) == pytest.approx(PROCESSING_SHARE * 3600 - 60)
    assert next_check_delay(job(17 * 3600), 30, now) == MAX_ADAPTIVE_WAIT
    assert next_check_delay(job(17 * 3600), 900, now) == 900  # a longer interval still wins
    assert next_check_delay(job(3600, "transcribed"), 30, now) == 30
    assert timedelta(seconds=MAX_ADAPTIVE_WAIT) <= timedelta(minutes=10)


def test_adaptive_timing_is_not_pushed_back_by_a_server_clock_ahead_of_ours() -> None:
    server_created = datetime(2026, 12, 1, 9, 5, tzinfo=UTC).isoformat()  # Rev AI's clock: 5 minutes ahead
    now = datetime(2026, 12, 1, 9, 0, 10, tzinfo=UTC).timestamp()  # ten seconds after submission

    def job(duration: float) -> Job:
        return Job.from_dict(
            {"id": "j", "status": "in_progress", "created_on": server_created, "duration_seconds": duration}
        )

    assert next_check_delay(job(200), 10, now) == pytest.approx(PROCESSING_SHARE * 200)
    assert next_check_delay(job(3600), 10, now) == pytest.approx(PROCESSING_SHARE * 3600)
