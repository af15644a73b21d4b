"""Waiting for a job: the one place that decides "is it done?" and reads trigger events.

The sensor's ``poke``, the submit operator's on-worker polling, the trigger and every
``execute_complete`` use these functions, so a job is judged the same way whichever path
waited for it.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, TypedDict

from airflow_provider_rev.exceptions import RevAIError, RevAIJobFailedError, RevAIPermanentError
from airflow_provider_rev.models import Job, JobStatus


class EventStatus(enum.StrEnum):
    """Outcome carried by a :class:`TranscriptEvent`."""

    TRANSCRIBED = "transcribed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    ERROR = "error"


class TranscriptEvent(TypedDict):
    """The payload of the single event a :class:`TranscriptTrigger` yields (JSON-native)."""

    status: str
    job_id: str
    job: dict[str, Any] | None
    message: str
    permanent: bool


class RevAIWaitTimeoutError(RevAIError):
    """The job was still in progress when the wait's deadline passed."""


def is_done(job: Job) -> bool:
    """Return ``True`` once the job is transcribed, ``False`` while it runs; raise if it failed."""
    if job.status is JobStatus.FAILED:
        raise RevAIJobFailedError(job.id, job.failure, job.failure_detail)
    return job.status is JobStatus.TRANSCRIBED


def job_age_seconds(job: Job, now: datetime | None = None) -> float | None:
    """Return how long the job has run (until completion, once complete), or ``None`` if unknown.

    Measured from the job's own ``created_on``, so every waiting path (poke, reschedule,
    trigger, a retry on another worker) reports the same figure.
    """
    if job.created_on is None:
        return None
    end = job.completed_on if job.completed_on is not None else (now or datetime.now(UTC))
    return max(0.0, (end - job.created_on).total_seconds())


def describe(job: Job, elapsed_seconds: float | None = None) -> str:
    """Return the one-line progress report logged at every status check.

    :param elapsed_seconds: time to report; defaults to :func:`job_age_seconds`.
    """
    if elapsed_seconds is None:
        elapsed_seconds = job_age_seconds(job)
    line = f"Rev AI job {job.id}: {job.status.value}"
    if elapsed_seconds is not None:
        line += f" after {elapsed_seconds:.0f} s"
    if job.duration_seconds is not None:
        line += f", media {job.duration_seconds:.1f} s"
    if job.status is JobStatus.FAILED:
        line += f", failure {job.failure or 'unknown'}: {job.failure_detail or 'no detail'}"
    return line


def event_for_job(job: Job) -> TranscriptEvent:
    """Build the event for a job that reached a terminal state."""
    status = EventStatus.TRANSCRIBED if job.status is JobStatus.TRANSCRIBED else EventStatus.FAILED
    return TranscriptEvent(
        status=status.value, job_id=job.id, job=job.to_dict(), message=describe(job), permanent=False
    )


def event(status: EventStatus, job_id: str, message: str, *, permanent: bool = False) -> TranscriptEvent:
    """Build an event that carries no job (timeout or error)."""
    return TranscriptEvent(status=status.value, job_id=job_id, job=None, message=message, permanent=permanent)


def job_from_event(event: Any) -> Job:
    """Return the transcribed job an event reports, or raise what the event means.

    A missing or malformed event (a lost payload, a provider version skew) is an error
    rather than a silent success.
    """
    if not isinstance(event, dict) or "status" not in event:
        raise RevAIError(f"Rev AI trigger returned no usable event: {event!r}")
    job_id = str(event.get("job_id") or "?")
    try:
        status = EventStatus(event["status"])
    except ValueError:
        raise RevAIError(
            f"Rev AI trigger returned unknown status {event['status']!r} for job {job_id}"
        ) from None
    message = str(event.get("message") or "")
    if status is EventStatus.TIMEOUT:
        raise RevAIWaitTimeoutError(message or f"Rev AI job {job_id} did not finish in time")
    if status is EventStatus.ERROR:
        cls = RevAIPermanentError if event.get("permanent") else RevAIError
        raise cls(message or f"waiting for Rev AI job {job_id} failed")
    job = Job.from_xcom(event.get("job") or {"id": job_id, "status": status.value})
    is_done(job)
    return job
