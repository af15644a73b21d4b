"""Pay-once submission: recognising a job an earlier try of the same task already submitted.

Rev AI cannot cancel a job, so every duplicate submission is billed. Each submission is
tagged, in the job's ``metadata``, with a key derived from the task instance (dag id, run
id, task id, map index): stable across tries of one task instance, different across runs
and map indexes. Before submitting again, the operator looks for a job carrying its key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from airflow_provider_rev.exceptions import RevAIInvalidInputError
from airflow_provider_rev.models import Job, JobStatus
from airflow_provider_rev.options import MAX_METADATA_CHARS

KEY_PREFIX = "airflow-revai:"
#: Task state store key (Airflow 3.3+) holding the id of the job this task instance submitted.
STATE_STORE_KEY = "revai_job_id"


def idempotency_key(dag_id: str, run_id: str, task_id: str, map_index: int | None) -> str:
    """Return the key of one task instance, the same on every try."""
    identity = "\x1f".join(
        str(part) for part in (dag_id, run_id, task_id, -1 if map_index is None else map_index)
    )
    return KEY_PREFIX + hashlib.sha256(identity.encode()).hexdigest()[:24]


def _tag(key: str) -> str:
    return f"[{key}]"


def tag_metadata(metadata: str | None, key: str) -> str:
    """Return ``metadata`` with the key appended, or raise if the two exceed 512 characters."""
    tag = _tag(key)
    combined = f"{metadata} {tag}" if metadata else tag
    if len(combined) > MAX_METADATA_CHARS:
        room = MAX_METADATA_CHARS - len(tag) - 1
        raise RevAIInvalidInputError(
            "metadata",
            f"is {len(metadata or '')} characters; with the {len(tag)}-character idempotency tag the "
            f"provider adds it exceeds Rev AI's {MAX_METADATA_CHARS}. Shorten it to {room} characters.",
        )
    return combined


def user_metadata(job: Job) -> str | None:
    """Return the job's metadata without the provider's idempotency tag."""
    if job.metadata is None:
        return None
    start = job.metadata.find("[" + KEY_PREFIX)
    return job.metadata if start < 0 else (job.metadata[:start].rstrip() or None)


def carries_key(job: Job, key: str) -> bool:
    """Whether ``job`` was submitted under ``key``."""
    return _tag(key) in (job.metadata or "")


def find_reusable_job(jobs: Iterable[Job], key: str, not_before: datetime | None = None) -> Job | None:
    """Return the newest job under ``key`` that is in progress or transcribed, if any.

    ``jobs`` is the job listing, newest first (consumed lazily); the scan stops at the first
    job created before ``not_before``, so it reads no further back than the task's own run.
    Failed jobs are skipped: a new submission is the right answer to those.
    """
    for job in jobs:
        if not_before is not None and job.created_on is not None and job.created_on < not_before:
            return None
        if carries_key(job, key) and job.status is not JobStatus.FAILED:
            return job
    return None
