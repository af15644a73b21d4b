"""The one place that judges a job and words its progress line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airflow_provider_rev.exceptions import RevAIJobFailedError
from airflow_provider_rev.models import Job
from airflow_provider_rev.waiting import describe, human_duration, is_done, job_age_seconds

NOW = datetime(2026, 11, 24, 10, 0, 30, tzinfo=UTC)


def job(**fields: object) -> Job:
    return Job.from_dict({"id": "job1", **fields})


def test_progress_line_has_id_status_age_and_duration() -> None:
    running = job(status="in_progress", created_on="2026-11-24T10:00:00Z", duration_seconds=61.25)
    assert job_age_seconds(running, NOW) == 30.0
    line = describe(running)
    assert line.startswith("Rev AI job job1: in_progress after ") and line.endswith(", media 1 min 1 s")


def test_age_of_a_finished_job_stops_at_completion() -> None:
    done = job(status="transcribed", created_on="2026-11-24T10:00:00Z", completed_on="2026-11-24T10:01:05.5Z")
    assert describe(done) == "Rev AI job job1: transcribed after 1 min 6 s"


def test_unknown_age_and_clock_skew() -> None:
    assert describe(job(status="in_progress")) == "Rev AI job job1: in_progress"
    assert job_age_seconds(job(status="in_progress", created_on="2026-11-24T10:01:00Z"), NOW) == 0.0


def test_failed_line_and_is_done() -> None:
    failed = job(status="failed", failure="invalid_media", failure_detail="Not audio")
    assert describe(failed) == "Rev AI job job1: failed, failure invalid_media: Not audio"
    with pytest.raises(RevAIJobFailedError, match="invalid_media"):
        is_done(failed)
    assert is_done(job(status="transcribed")) and not is_done(job(status="in_progress"))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (2.5, "2.5 s"),
        (45, "45 s"),
        (60, "1 min"),
        (125, "2 min 5 s"),
        (3600, "1 h"),
        (5400, "1 h 30 min"),
        (21600, "6 h"),
        (7 * 86400, "168 h"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text
