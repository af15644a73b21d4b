"""Waiting: the one place that decides "is it done?" and reads trigger events.

The sensor's ``poke``, the operators' on-worker polling, the trigger and every
``execute_complete`` use these functions, so a job (or a custom vocabulary) is judged the same
way whichever path waited for it.

A job with ``summarization_config`` or ``translation_config`` is ``transcribed`` before its
summary and translations are ready; Rev AI documents polling until each sub-job leaves
``in_progress``. Waiting therefore ends when the transcript and every requested sub-job have
left ``in_progress`` (``subjobs=False`` waits for the transcript only). A failed sub-job does
not fail the wait: the transcript is still good, and fetching that one output fails instead.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from airflow_provider_rev import _api
from airflow_provider_rev.exceptions import (
    RevAIAPIError,
    RevAIError,
    RevAIJobFailedError,
    RevAIPermanentError,
    RevAISubJobFailedError,
    RevAIVocabularyFailedError,
    RevAIWaitTimeoutError,
)
from airflow_provider_rev.models import CustomVocabulary, Job, JobStatus, VocabularyStatus

PENDING = "in_progress"
#: Share of a recording's length a status check waits for once the job reports its duration.
#: Rev AI's machine transcription takes a fraction of real time; 15% is a low estimate, so a
#: job is rarely finished long before its check, while a 2-hour recording is not polled
#: every 30 s for its first 18 minutes.
PROCESSING_SHARE = 0.15
#: Longest pause adaptive timing may choose (a larger ``poll_interval`` still wins).
MAX_ADAPTIVE_WAIT = 600.0


class EventStatus(enum.StrEnum):
    """Outcome carried by a :class:`TranscriptEvent`."""

    TRANSCRIBED = "transcribed"
    COMPLETE = "complete"
    FAILED = "failed"
    TIMEOUT = "timeout"
    ERROR = "error"


class TranscriptEvent(TypedDict):
    """The payload of the single event a trigger yields (JSON-native).

    ``job`` holds the job (or custom vocabulary) in the API's shape when it reached an end.
    """

    status: str
    job_id: str
    job: dict[str, Any] | None
    message: str
    permanent: bool


# ------------------------------------------------------------------ sub-jobs


def subjob_states(job: Job) -> dict[str, str]:
    """Return the status of each requested sub-job: ``{"summarization": ..., "translation into es": ...}``."""
    states: dict[str, str] = {}
    if job.summarization is not None:
        states["summarization"] = str(job.summarization.get("status") or PENDING)
    targets = (job.translation or {}).get("target_languages") or []
    for target in targets if isinstance(targets, list) else []:
        if isinstance(target, dict):
            states[f"translation into {target.get('language')}"] = str(target.get("status") or PENDING)
    return states


def pending_subjobs(job: Job) -> list[str]:
    """Return the requested sub-jobs still ``in_progress``."""
    return [name for name, status in subjob_states(job).items() if status == PENDING]


def subjob_failure(job: Job, subjob: str) -> str | None:
    """Return the ``failure`` code of a failed sub-job (``summarization`` or ``translation into <code>``)."""
    if subjob == "summarization":
        failure = (job.summarization or {}).get("failure")
    else:
        language = subjob.removeprefix("translation into ")
        targets = (job.translation or {}).get("target_languages") or []
        match = [t for t in targets if isinstance(t, dict) and t.get("language") == language]
        failure = match[0].get("failure") if match else None
    return str(failure) if failure else None


def check_subjob(job: Job, subjob: str) -> None:
    """Raise at once if a fetch of ``subjob`` cannot succeed because that sub-job failed."""
    if subjob_states(job).get(subjob) == JobStatus.FAILED.value:
        raise RevAISubJobFailedError(job.id, subjob, subjob_failure(job, subjob))


# ------------------------------------------------------------------ jobs


def wait_over(job: Job, subjobs: bool = True) -> bool:
    """Whether waiting for ``job`` ends now: it failed, or it is transcribed with no sub-job pending."""
    if job.status is JobStatus.FAILED:
        return True
    if job.status is not JobStatus.TRANSCRIBED:
        return False
    return not subjobs or not pending_subjobs(job)


def is_done(job: Job, subjobs: bool = True) -> bool:
    """Return ``True`` once waiting is over, ``False`` while it runs; raise if the job failed."""
    if job.status is JobStatus.FAILED:
        raise RevAIJobFailedError(job.id, job.failure, job.failure_detail)
    return wait_over(job, subjobs)


def job_age_seconds(job: Job | CustomVocabulary, now: datetime | None = None) -> float | None:
    """Return how long the job has run (until completion, once complete), or ``None`` if unknown.

    Measured from the job's own ``created_on``, so every waiting path (poke, reschedule,
    trigger, a retry on another worker) reports the same figure.
    """
    if job.created_on is None:
        return None
    end = job.completed_on if job.completed_on is not None else (now or datetime.now(UTC))
    return max(0.0, (end - job.created_on).total_seconds())


def next_check_delay(job: Job, poll_interval: float, now: float) -> float:
    """Seconds until the next status check of ``job``: ``poll_interval``, or longer for long media.

    Once Rev AI reports the media's duration, a job is not expected back before
    ``created_on + PROCESSING_SHARE * duration``; the check waits until then, never less than
    ``poll_interval`` and never more than ``MAX_ADAPTIVE_WAIT`` (unless ``poll_interval`` is
    longer). Short recordings therefore resume within one interval and long ones cost few checks.

    ``created_on`` comes from Rev AI's clock and ``now`` from ours. A server clock ahead of ours
    would push the check past the expected return, so the wait is also capped at the share of
    the duration itself: the longest it can legitimately be, whatever the two clocks say.
    """
    if job.duration_seconds is None or job.created_on is None or job.status is not JobStatus.IN_PROGRESS:
        return poll_interval
    share = PROCESSING_SHARE * job.duration_seconds
    expected = job.created_on.timestamp() + share
    return max(poll_interval, min(expected - now, share, MAX_ADAPTIVE_WAIT))


def error_reason(error: BaseException) -> str:
    """Return an error's text without the request it came from (``GET /jobs`` or ``/jobs/{id}``).

    The shared poll and per-job polling learn of the same failure through different requests;
    their events must still read the same.
    """
    return error.reason if isinstance(error, RevAIAPIError) else str(error)


def permanent_error_message(noun: str, resource_id: str, reason: str) -> str:
    """Return the message of the ``error`` event that ends a wait on a permanent API error."""
    return f"Rev AI {noun} {resource_id}: giving up on a permanent error: {reason}"


def timeout_message(noun: str, resource_id: str) -> str:
    """Return the message of the ``timeout`` event that ends a wait at its deadline."""
    return f"Rev AI {noun} {resource_id} was still in progress at the deadline"


def human_duration(seconds: float) -> str:
    """Return a duration as people say it: ``"45 s"``, ``"2 min 5 s"``, ``"6 h"``, ``"1 h 30 min"``.

    Sub-minute values keep one decimal when they have one (``"2.5 s"``); longer ones are
    rounded to the second and drop the smallest unit once hours are involved.
    """
    if seconds < 60:
        return f"{seconds:.1f} s".replace(".0 s", " s")
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min" + (f" {secs} s" if secs else "")


def deferral_message(noun: str, resource_id: str, poll_interval: float, timeout: float) -> str:
    """Return the line logged when a wait moves to the triggerer."""
    return (
        f"Rev AI {noun} {resource_id}: waiting in the triggerer, checking every "
        f"{human_duration(poll_interval)} for up to {human_duration(timeout)}"
    )


def describe(job: Job, elapsed_seconds: float | None = None) -> str:
    """Return the one-line progress report logged at every status check.

    :param elapsed_seconds: time to report; defaults to :func:`job_age_seconds`.
    """
    if elapsed_seconds is None:
        elapsed_seconds = job_age_seconds(job)
    line = f"Rev AI job {job.id}: {job.status.value}"
    if elapsed_seconds is not None:
        line += f" after {human_duration(round(elapsed_seconds))}"
    if job.duration_seconds is not None:
        line += f", media {human_duration(job.duration_seconds)}"
    if job.status is JobStatus.FAILED:
        line += f", failure {job.failure or 'unknown'}: {job.failure_detail or 'no detail'}"
    elif job.status is JobStatus.TRANSCRIBED:
        line += "".join(f", {name} {status}" for name, status in subjob_states(job).items())
    return line


def event_for_job(job: Job) -> TranscriptEvent:
    """Build the event for a job whose wait is over."""
    status = EventStatus.TRANSCRIBED if job.status is JobStatus.TRANSCRIBED else EventStatus.FAILED
    return TranscriptEvent(
        status=status.value, job_id=job.id, job=job.to_dict(), message=describe(job), permanent=False
    )


def event(status: EventStatus, job_id: str, message: str, *, permanent: bool = False) -> TranscriptEvent:
    """Build an event that carries no job (timeout or error)."""
    return TranscriptEvent(status=status.value, job_id=job_id, job=None, message=message, permanent=permanent)


def _event_payload(event: Any) -> tuple[EventStatus, str, dict[str, Any]]:
    """Return an ending event's status, id and resource, or raise what a timeout or error means.

    A missing or malformed event (a lost payload, a provider version skew) is an error
    rather than a silent success.
    """
    if not isinstance(event, dict) or "status" not in event:
        raise RevAIError(f"Rev AI trigger returned no usable event: {event!r}")
    resource_id = str(event.get("job_id") or "?")
    try:
        status = EventStatus(event["status"])
    except ValueError:
        raise RevAIError(
            f"Rev AI trigger returned unknown status {event['status']!r} for {resource_id}"
        ) from None
    message = str(event.get("message") or "")
    if status is EventStatus.TIMEOUT:
        raise RevAIWaitTimeoutError(message or f"Rev AI job {resource_id} did not finish in time")
    if status is EventStatus.ERROR:
        cls = RevAIPermanentError if event.get("permanent") else RevAIError
        raise cls(message or f"waiting for Rev AI job {resource_id} failed")
    return status, resource_id, event.get("job") or {"id": resource_id, "status": status.value}


def job_from_event(event: Any) -> Job:
    """Return the transcribed job an event reports, or raise what the event means."""
    _, _, payload = _event_payload(event)
    job = Job.from_xcom(payload)
    is_done(job, subjobs=False)
    return job


# ------------------------------------------------------------------ custom vocabularies


def vocabulary_done(vocabulary: CustomVocabulary) -> bool:
    """Return ``True`` once the vocabulary is ``complete``, ``False`` while it runs; raise if it failed."""
    if vocabulary.status is VocabularyStatus.FAILED:
        raise RevAIVocabularyFailedError(vocabulary.id, vocabulary.failure, vocabulary.failure_detail)
    return vocabulary.status is VocabularyStatus.COMPLETE


def describe_vocabulary(vocabulary: CustomVocabulary) -> str:
    """Return the one-line progress report of a custom vocabulary."""
    line = f"Rev AI custom vocabulary {vocabulary.id}: {vocabulary.status.value}"
    age = job_age_seconds(vocabulary)
    if age is not None:
        line += f" after {age:.0f} s"
    if vocabulary.status is VocabularyStatus.FAILED:
        line += f", failure {vocabulary.failure or 'unknown'}: {vocabulary.failure_detail or 'no detail'}"
    return line


def vocabulary_from_event(event: Any) -> CustomVocabulary:
    """Return the complete vocabulary an event reports, or raise what the event means."""
    _, _, payload = _event_payload(event)
    vocabulary = CustomVocabulary.from_xcom(payload)
    if not vocabulary_done(vocabulary):
        raise RevAIError(f"Rev AI custom vocabulary {vocabulary.id} is still {vocabulary.status.value}")
    return vocabulary


# ------------------------------------------------------------------ what a trigger watches


@dataclass(frozen=True)
class Watch:
    """What a waiting loop needs to know about one kind of resource, all I/O-free.

    :param kind: ``job`` or ``custom_vocabulary`` (serialized with the trigger).
    :param subjobs: for jobs, also wait for summary and translations.
    """

    kind: str
    subjobs: bool = True

    @property
    def noun(self) -> str:
        """What is waited for, in messages."""
        return "job" if self.kind == "job" else "custom vocabulary"

    def call(self, resource_id: str) -> _api.Call[Any]:
        """Return the status request (I/O-free; the hook sends it)."""
        if self.kind == "job":
            return _api.get_job(resource_id)
        return _api.get_custom_vocabulary(resource_id)

    def over(self, resource: Job | CustomVocabulary) -> bool:
        """Whether the wait ends with this status."""
        if isinstance(resource, Job):
            return wait_over(resource, self.subjobs)
        return resource.is_terminal

    def done(self, resource: Job | CustomVocabulary) -> bool:
        """Whether waiting is over, raising if the resource failed (for workers, not the trigger)."""
        if isinstance(resource, Job):
            return is_done(resource, self.subjobs)
        return vocabulary_done(resource)

    def from_event(self, event: Any) -> Job | CustomVocabulary:
        """Return the resource a trigger event reports, or raise what the event means."""
        return job_from_event(event) if self.kind == "job" else vocabulary_from_event(event)

    def describe(self, resource: Job | CustomVocabulary) -> str:
        """Return the progress line logged at each check."""
        return describe(resource) if isinstance(resource, Job) else describe_vocabulary(resource)

    def event(self, resource: Job | CustomVocabulary) -> TranscriptEvent:
        """Return the event that ends the wait."""
        if isinstance(resource, Job):
            return event_for_job(resource)
        ok = resource.status is VocabularyStatus.COMPLETE
        status = EventStatus.COMPLETE if ok else EventStatus.FAILED
        return TranscriptEvent(
            status=status.value,
            job_id=resource.id,
            job=resource.to_dict(),
            message=describe_vocabulary(resource),
            permanent=False,
        )


WATCH_KINDS = ("job", "custom_vocabulary")
