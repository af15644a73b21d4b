"""The idempotency key is stable per task instance and recognisable in job metadata."""

from __future__ import annotations

from datetime import UTC, datetime

from airflow_provider_rev.idempotency import (
    TaskInstanceRef,
    carries_key,
    find_reusable,
    idempotency_key,
    parse_tag,
    tag_metadata,
    user_metadata,
)
from airflow_provider_rev.models import Job


def test_key_is_stable_per_task_instance_and_distinct_otherwise() -> None:
    key = idempotency_key("dag", "run", "task", -1)
    assert key == idempotency_key("dag", "run", "task", -1) == idempotency_key("dag", "run", "task", None)
    others = {
        idempotency_key("dag", "run2", "task", -1),
        idempotency_key("dag", "run", "task2", -1),
        idempotency_key("dag", "run", "task", 0),
        idempotency_key("dag2", "run", "task", -1),
    }
    assert key not in others and len(others) == 4
    assert key.startswith("airflow-revai:") and len(key) == 38


def test_tag_round_trip() -> None:
    key = idempotency_key("d", "r", "t", 3)
    job = Job.from_dict({"id": "j", "status": "in_progress", "metadata": tag_metadata("my notes", key)})
    assert carries_key(job, key) and not carries_key(job, idempotency_key("d", "r", "t", 4))
    assert user_metadata(job) == "my notes"
    assert tag_metadata(None, key) == f"[{key}]"


def test_find_reusable_prefers_newest_live_job() -> None:
    key = idempotency_key("d", "r", "t", -1)

    def job(job_id: str, status: str, day: int, k: str = key) -> Job:
        return Job.from_dict(
            {
                "id": job_id,
                "status": status,
                "created_on": f"2026-11-{day:02d}T00:00:00Z",
                "metadata": f"[{k}]",
            }
        )

    listing = [
        job("a", "failed", 24),
        job("b", "in_progress", 23, "airflow-revai:other"),
        job("c", "transcribed", 22),
    ]
    assert find_reusable(iter(listing), key) == listing[2]
    assert find_reusable(iter(listing), key, not_before=datetime(2026, 11, 23, tzinfo=UTC)) is None
    assert find_reusable(iter(listing[:2]), key) is None


def test_the_tag_names_the_task_instance_when_it_fits() -> None:
    ti = TaskInstanceRef("my dag", "scheduled__2026-12-01T00:00:00+00:00", "submit/one]", 7)
    metadata = tag_metadata("notes", ti.key, ti)
    job = Job.from_dict({"id": "j", "status": "in_progress", "metadata": metadata})
    assert carries_key(job, ti.key) and user_metadata(job) == "notes"
    assert parse_tag(metadata) == (ti.key, ti)
    # a short tag (older provider, or no room) still carries the key, just no task instance
    assert parse_tag(tag_metadata("notes", ti.key)) == (ti.key, None)
    assert parse_tag("no tag here") is None


def test_a_long_task_name_falls_back_to_the_short_tag_without_costing_room() -> None:
    ti = TaskInstanceRef("d" * 200, "r" * 200, "t", -1)
    metadata = tag_metadata("m" * 100, ti.key, ti)
    assert metadata == f"{'m' * 100} [{ti.key}]"
    assert parse_tag(metadata) == (ti.key, None)


def test_a_tag_naming_another_task_instance_is_not_trusted() -> None:
    ti = TaskInstanceRef("d", "r", "t", 1)
    forged = tag_metadata(None, ti.key, ti).replace("/t/1]", "/t/2]")
    assert parse_tag(forged) == (ti.key, None)
