"""The job store and the job lifecycle (``in_progress`` -> ``transcribed`` | ``failed``) with sub-jobs."""

from __future__ import annotations

import math
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_rev.emulator.clock import Clock, format_timestamp
from airflow_provider_rev.emulator.config import EmulatorConfig
from airflow_provider_rev.emulator.errors import (
    ProblemError,
    invalid_job_state,
    invalid_parameters,
    job_not_found,
)
from airflow_provider_rev.emulator.media import MediaFailure, MediaInfo
from airflow_provider_rev.emulator.options import JobOptions, SummarizationRequest, TranslationTarget
from airflow_provider_rev.emulator.status import FailureCode, JobStatus, TaskStatus
from airflow_provider_rev.emulator.transcripts import Transcript, build_transcript

ID_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 12
MAX_LIST_LIMIT = 1000
DEFAULT_LIST_LIMIT = 100
#: Translation target ``i`` (0-based) completes ``nlp_seconds * (1 + TRANSLATION_STAGGER * i)`` after
#: transcription, so languages finish one after another.
TRANSLATION_STAGGER = 0.5


@dataclass(kw_only=True)
class SubJob:
    """Progress of a summarization or of one translation language: due time, status and failure."""

    status: TaskStatus = TaskStatus.IN_PROGRESS
    due_at: datetime | None = None
    finished_at: datetime | None = None
    failure: str | None = None

    def end_if_due(self, now: datetime, failure: str | None) -> None:
        """End a running sub-job at its due time once that time has come (``failed`` if ``failure``)."""
        if self.status is TaskStatus.IN_PROGRESS and self.due_at is not None and self.due_at <= now:
            self.finish(self.due_at, failure)

    def finish(self, at: datetime, failure: str | None = None) -> None:
        """End the sub-job at ``at``: ``failed`` with ``failure`` if given, else ``completed``."""
        self.status = TaskStatus.FAILED if failure is not None else TaskStatus.COMPLETED
        self.finished_at, self.failure = at, failure


@dataclass
class SummarizationState(SubJob):
    """A job's summarization sub-job."""

    request: SummarizationRequest

    def to_json(self) -> dict[str, Any]:
        """Render the ``summarization`` member of the Job object."""
        out: dict[str, Any] = {"model": self.request.model}
        if self.request.prompt is not None:
            out["prompt"] = self.request.prompt
        if self.request.type is not None:
            out["type"] = self.request.type.value
        out["status"] = self.status.value
        if self.finished_at is not None:
            out["completed_on"] = format_timestamp(self.finished_at)
        if self.failure is not None:
            out["failure"] = self.failure
        return out


@dataclass
class TranslationLanguageState(SubJob):
    """One target language of a job's translation sub-job (its own schedule and outcome)."""

    target: TranslationTarget

    def to_json(self) -> dict[str, Any]:
        """Render one ``translation.target_languages`` entry."""
        out: dict[str, Any] = {"language": self.target.language, "model": self.target.model}
        out["status"] = self.status.value
        if self.failure is not None:
            out["failure"] = self.failure
        return out


@dataclass
class TranslationState:
    """A job's translation sub-job: one :class:`TranslationLanguageState` per target language."""

    languages: list[TranslationLanguageState]
    completed_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """Render the ``translation`` member of the Job object."""
        out: dict[str, Any] = {"target_languages": [lang.to_json() for lang in self.languages]}
        if self.completed_at is not None:
            out["completed_on"] = format_timestamp(self.completed_at)
        return out

    def language(self, code: str) -> TranslationLanguageState | None:
        """Return the state of target language ``code`` if it was requested."""
        return next((lang for lang in self.languages if lang.target.language == code), None)

    def settle(self) -> None:
        """Set ``completed_at`` (the last language's end) once every language has left ``in_progress``."""
        if self.completed_at is not None or any(
            lang.status is TaskStatus.IN_PROGRESS for lang in self.languages
        ):
            return
        self.completed_at = max(
            (lang.finished_at for lang in self.languages if lang.finished_at), default=None
        )


@dataclass
class Job:
    """One transcription job and everything the emulator knows about it."""

    id: str
    created_at: datetime
    options: JobOptions
    name: str | None = None
    status: JobStatus = JobStatus.IN_PROGRESS
    media: MediaInfo | None = None
    sidecar: str | None = None
    failure: FailureCode | None = None
    failure_detail: str | None = None
    due_at: datetime | None = None
    completed_at: datetime | None = None
    delete_at: datetime | None = None
    summarization: SummarizationState | None = None
    translation: TranslationState | None = None
    _transcript: Transcript | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        """Tell whether the job reached a terminal status."""
        return self.status is not JobStatus.IN_PROGRESS

    def to_json(self) -> dict[str, Any]:
        """Render the Job object; absent values are omitted, never ``null``."""
        out: dict[str, Any] = {"id": self.id, "status": self.status.value}
        out["created_on"] = format_timestamp(self.created_at)
        if self.completed_at is not None:
            out["completed_on"] = format_timestamp(self.completed_at)
        if self.name is not None:
            out["name"] = self.name
        if self.media is not None:
            out["duration_seconds"] = self.media.duration_seconds
        if self.failure is not None:
            out["failure"] = self.failure.value
            out["failure_detail"] = self.failure_detail
        out.update(self.options.echo())
        out["type"] = "async"
        if self.summarization is not None:
            out["summarization"] = self.summarization.to_json()
        if self.translation is not None:
            out["translation"] = self.translation.to_json()
        return out

    def transcript(self) -> Transcript:
        """Return the (cached) transcript of a transcribed job."""
        if self._transcript is None:
            if self.media is None:
                raise RuntimeError("job has no media information")
            self._transcript = build_transcript(self.media, self.sidecar, self.options)
        return self._transcript


class JobStore:
    """All jobs of one emulator, the account balance, and the time-driven transitions.

    Only the server's event loop touches a store. :meth:`advance` runs on every request and every
    tick, so it only walks the jobs when a transition is due (``_wake_at``): with thousands of
    jobs waiting, a status request stays cheap.
    """

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._ids = random.Random(config.seed)
        self._jobs: dict[str, Job] = {}
        self._wake_at: datetime | None = None
        self.balance_seconds = config.balance_seconds

    def reset(self) -> None:
        """Forget every job and restore the configured balance."""
        self._jobs.clear()
        self._wake_at = None
        self.balance_seconds = self.config.balance_seconds

    def _wake(self, at: datetime | None) -> None:
        """Make sure :meth:`advance` looks at the jobs again at ``at``."""
        if at is not None and (self._wake_at is None or at < self._wake_at):
            self._wake_at = at

    def _new_id(self) -> str:
        while True:
            job_id = "".join(self._ids.choices(ID_ALPHABET, k=ID_LENGTH))
            if job_id not in self._jobs:
                return job_id

    def create(self, options: JobOptions, name: str | None = None) -> Job:
        """Store a new ``in_progress`` job."""
        job = Job(self._new_id(), self.clock.now(), options, name)
        if options.summarization is not None:
            job.summarization = SummarizationState(request=options.summarization)
        if options.translation is not None:
            job.translation = TranslationState(
                [TranslationLanguageState(target=t) for t in options.translation]
            )
        self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job:
        """Return a job or raise the 404 problem."""
        job = self._jobs.get(job_id)
        if job is None:
            raise ProblemError(job_not_found())
        return job

    def find(self, job_id: str) -> Job | None:
        """Return a job or ``None``."""
        return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        """Return every job, newest first."""
        return list(reversed(self._jobs.values()))

    def page(self, limit: int, starting_after: str | None) -> list[Job]:
        """Return up to ``limit`` jobs of the listing window, newest first, older than ``starting_after``."""
        cutoff = self.clock.now() - timedelta(days=self.config.list_window_days)
        jobs = [job for job in self.all() if job.created_at >= cutoff]
        if starting_after is not None:
            index = next((i for i, job in enumerate(jobs) if job.id == starting_after), None)
            if index is None:
                raise ProblemError(
                    invalid_parameters({"starting_after": [f"Could not find job with id {starting_after}"]})
                )
            jobs = jobs[index + 1 :]
        return jobs[:limit]

    def delete(self, job_id: str) -> None:
        """Delete a finished job (or raise 404/409 problems)."""
        job = self.get(job_id)
        if not job.finished:
            raise ProblemError(
                invalid_job_state(
                    job.status.value, ["transcribed", "failed"], "Job is in invalid state to be deleted"
                )
            )
        del self._jobs[job_id]

    def _processing_time(self, duration: float) -> timedelta:
        seconds = self.config.processing_seconds + duration * self.config.seconds_per_audio_second
        return timedelta(seconds=seconds)

    def _check(self, job: Job, media: MediaInfo) -> MediaFailure | None:
        if media.duration_seconds < self.config.min_duration_seconds:
            return MediaFailure(FailureCode.DURATION_TOO_SHORT)
        if media.duration_seconds > self.config.max_duration_seconds:
            return MediaFailure(FailureCode.DURATION_EXCEEDED)
        channels = job.options.speaker_channels_count
        if channels and media.channels is not None and channels > media.channels:
            return MediaFailure(
                FailureCode.INVALID_MEDIA,
                f"speaker_channels_count is {channels} but the media has {media.channels} channel(s)",
            )
        billed = 0 if job.options.test_mode else math.ceil(media.duration_seconds) * (channels or 1)
        if billed > self.balance_seconds:
            return MediaFailure(FailureCode.INSUFFICIENT_BALANCE)
        self.balance_seconds -= billed
        return None

    def resolve(
        self, job: Job, media: MediaInfo | None, sidecar: str | None, error: MediaFailure | None
    ) -> None:
        """Record the probe outcome of a job and schedule its completion."""
        if job.id not in self._jobs or job.finished:
            return
        job.media, job.sidecar = media, sidecar
        if error is None and media is not None:
            error = self._check(job, media)
        if error is not None:
            job.failure, job.failure_detail = error.code, error.detail
        duration = media.duration_seconds if media is not None and error is None else 0.0
        job.due_at = max(job.created_at + self._processing_time(duration), self.clock.now())
        self._wake(job.due_at)

    def _finish(self, job: Job, now: datetime) -> None:
        job.completed_at = job.due_at or now
        job.status = JobStatus.FAILED if job.failure is not None else JobStatus.TRANSCRIBED
        if job.options.delete_after_seconds is not None:
            job.delete_at = job.completed_at + timedelta(seconds=job.options.delete_after_seconds)
        if job.status is JobStatus.TRANSCRIBED:
            self._schedule_sub_jobs(job, job.completed_at)
        else:
            self._fail_sub_jobs(job, job.completed_at)

    def _schedule_sub_jobs(self, job: Job, transcribed_at: datetime) -> None:
        seconds = self.config.effective_nlp_seconds
        if job.summarization is not None:
            job.summarization.due_at = transcribed_at + timedelta(seconds=seconds)
        if job.translation is not None:
            for index, lang in enumerate(job.translation.languages):
                stagger = 1 + TRANSLATION_STAGGER * index
                lang.due_at = transcribed_at + timedelta(seconds=seconds * stagger)

    @staticmethod
    def _fail_sub_jobs(job: Job, at: datetime) -> None:
        failure = job.failure.value if job.failure is not None else FailureCode.INTERNAL_PROCESSING.value
        if job.summarization is not None:
            job.summarization.finish(at, failure)
        if job.translation is not None:
            for lang in job.translation.languages:
                lang.finish(at, failure)
            job.translation.settle()

    def _advance_sub_jobs(self, job: Job, now: datetime) -> None:
        internal = FailureCode.INTERNAL_PROCESSING.value
        if job.summarization is not None:
            job.summarization.end_if_due(now, internal if self.config.fail_summaries else None)
        if job.translation is None:
            return
        for lang in job.translation.languages:
            failed = lang.target.language in self.config.fail_translation_languages
            lang.end_if_due(now, internal if failed else None)
        job.translation.settle()

    def advance(self) -> list[Job]:
        """Apply every transition that is due now; return the jobs that just finished."""
        now = self.clock.now()
        if self._wake_at is None or self._wake_at > now:
            return []
        self._wake_at = None
        finished: list[Job] = []
        for job in list(self._jobs.values()):
            if not job.finished and job.due_at is not None and job.due_at <= now:
                self._finish(job, now)
                finished.append(job)
            self._advance_sub_jobs(job, now)
            if job.delete_at is not None and job.delete_at <= now:
                del self._jobs[job.id]
                continue
            self._wake(self._next_transition(job))
        return finished

    @staticmethod
    def _next_transition(job: Job) -> datetime | None:
        """Return when ``job`` next changes by itself (finishes, a sub-job ends, it is deleted)."""
        moments = [job.delete_at]
        if not job.finished:
            moments.append(job.due_at)
        if job.summarization is not None and job.summarization.status is TaskStatus.IN_PROGRESS:
            moments.append(job.summarization.due_at)
        if job.translation is not None:
            moments.extend(
                lang.due_at for lang in job.translation.languages if lang.status is TaskStatus.IN_PROGRESS
            )
        return min((moment for moment in moments if moment is not None), default=None)
