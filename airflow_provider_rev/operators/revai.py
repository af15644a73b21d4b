"""Operators that submit media to Rev AI and fetch the results."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator, ObjectStoragePath, conf

from airflow_provider_rev import _api
from airflow_provider_rev.exceptions import (
    RevAIConnectionError,
    RevAIInvalidInputError,
    RevAIInvalidStateError,
    RevAIJobFailedError,
    RevAIServerError,
    RevAITransientError,
)
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.idempotency import (
    STATE_STORE_KEY,
    find_reusable_job,
    idempotency_key,
    tag_metadata,
)
from airflow_provider_rev.links import RevAIJobLink
from airflow_provider_rev.models import Job, JobStatus
from airflow_provider_rev.options import validate_job_id, validate_options
from airflow_provider_rev.secrets import mask_submission
from airflow_provider_rev.stats import TranscriptStats
from airflow_provider_rev.triggers.revai import TranscriptTrigger
from airflow_provider_rev.waiting import RevAIWaitTimeoutError, describe, is_done, job_from_event

if TYPE_CHECKING:
    from airflow.sdk import Context

#: Job options the submit operator takes as explicit keywords, in the API's names.
JOB_OPTIONS = (
    "metadata",
    "callback_url",
    "notification_url",
    "notification_auth_headers",
    "delete_after_seconds",
    "skip_diarization",
    "skip_punctuation",
    "skip_postprocessing",
    "remove_disfluencies",
    "remove_atmospherics",
    "filter_profanity",
    "speaker_channels_count",
    "speakers_count",
    "diarization_type",
    "custom_vocabulary_id",
    "custom_vocabularies",
    "strict_custom_vocabulary",
    "language",
    "transcriber",
    "verbatim",
    "rush",
    "test_mode",
    "segments_to_transcribe",
    "speaker_names",
    "summarization_config",
    "translation_config",
    "extra_options",
)
JOB_XCOM_KEY = "job"
SCAN_CLOCK_SKEW = timedelta(minutes=10)
DEFAULT_WAIT_TIMEOUT = timedelta(days=7)


def _default_deferrable() -> bool:
    return bool(conf.getboolean("operators", "default_deferrable", fallback=False))


def _task_key(context: Context) -> str:
    ti = context["ti"]
    return idempotency_key(ti.dag_id, ti.run_id, ti.task_id, ti.map_index)


def _try_number(context: Context) -> int:
    number = getattr(context["ti"], "try_number", 1)
    return number if isinstance(number, int) else 1


def _state_store(context: Context) -> Any:
    """Return the task state store (Airflow 3.3+), or ``None`` on older versions."""
    return context.get("task_state_store")


def _run_started(context: Context) -> datetime | None:
    """Return when the DAG run started, minus a margin for clock skew between hosts."""
    dag_run = context.get("dag_run")
    started = getattr(dag_run, "start_date", None) or getattr(dag_run, "queued_at", None)
    return started - SCAN_CLOCK_SKEW if isinstance(started, datetime) else None


def _media_file(local_file: Any) -> Any:
    """Return a local path as given, or an ``ObjectStoragePath`` for URIs (``s3://``, ``file://``)."""
    if isinstance(local_file, str) and "://" in local_file:
        return ObjectStoragePath(local_file)
    return local_file


class SubmitTranscriptionOperator(BaseOperator):
    """Submit audio or video to Rev AI and return the job id, optionally waiting for the transcript.

    Give exactly one media source: ``media_url`` (Rev AI downloads it; ``source_auth_headers``
    are sent with the download) or ``local_file`` (a path or object-storage URI, uploaded as
    streamed multipart). Every documented job option is a keyword argument; ``extra_options``
    passes fields the API adds later. Options are validated before anything is sent.

    The return value is the job id; the job's details go to XCom key ``job``. With
    ``wait_for_completion=True`` the task ends only when the job is transcribed, waiting in
    the triggerer when ``deferrable`` or polling on the worker otherwise, and fails without
    retries when the job fails.

    :param media_url: direct-download http(s) URL of the media.
    :param source_auth_headers: ``{"Authorization": "<scheme> <token>"}`` for the download.
    :param local_file: file to upload instead: a local path or an ``ObjectStoragePath``/URI.
    :param wait_for_completion: wait until the job is transcribed.
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``).
    :param poll_interval: seconds between status checks while waiting.
    :param wait_timeout: longest wait for the transcript (``execution_timeout`` also applies,
        even while deferred).
    :param revai_conn_id: the ``revai`` connection.
    :param max_scan_jobs: how many recent jobs a retry reads, at most, to find the job an
        earlier try submitted (on Airflow 3.3+ the task state store usually answers first).
    """

    template_fields: Sequence[str] = (
        "media_url",
        "local_file",
        "revai_conn_id",
        "metadata",
        "language",
        "transcriber",
        "callback_url",
        "notification_url",
        "custom_vocabulary_id",
        "custom_vocabularies",
        "segments_to_transcribe",
        "speaker_names",
        "summarization_config",
        "translation_config",
        "extra_options",
    )
    template_fields_renderers = {
        "custom_vocabularies": "json",
        "segments_to_transcribe": "json",
        "speaker_names": "json",
        "summarization_config": "json",
        "translation_config": "json",
        "extra_options": "json",
    }
    operator_extra_links = (RevAIJobLink(),)
    ui_color = "#d9e8fb"

    def __init__(
        self,
        *,
        media_url: str | None = None,
        source_auth_headers: dict[str, str] | None = None,
        local_file: Any = None,
        metadata: str | None = None,
        callback_url: str | None = None,
        notification_url: str | None = None,
        notification_auth_headers: dict[str, str] | None = None,
        delete_after_seconds: int | None = None,
        skip_diarization: bool | None = None,
        skip_punctuation: bool | None = None,
        skip_postprocessing: bool | None = None,
        remove_disfluencies: bool | None = None,
        remove_atmospherics: bool | None = None,
        filter_profanity: bool | None = None,
        speaker_channels_count: int | None = None,
        speakers_count: int | None = None,
        diarization_type: str | None = None,
        custom_vocabulary_id: str | None = None,
        custom_vocabularies: list[dict[str, Any]] | None = None,
        strict_custom_vocabulary: bool | None = None,
        language: str | None = None,
        transcriber: str | None = None,
        verbatim: bool | None = None,
        rush: bool | None = None,
        test_mode: bool | None = None,
        segments_to_transcribe: list[dict[str, float]] | None = None,
        speaker_names: list[dict[str, str]] | None = None,
        summarization_config: dict[str, Any] | None = None,
        translation_config: dict[str, Any] | None = None,
        extra_options: dict[str, Any] | None = None,
        wait_for_completion: bool = False,
        deferrable: bool | None = None,
        poll_interval: float = 30.0,
        wait_timeout: timedelta | float = DEFAULT_WAIT_TIMEOUT,
        revai_conn_id: str = RevAIHook.default_conn_name,
        max_scan_jobs: int = 5000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.media_url = media_url
        self.source_auth_headers = source_auth_headers
        self.local_file = local_file
        self.metadata = metadata
        self.callback_url = callback_url
        self.notification_url = notification_url
        self.notification_auth_headers = notification_auth_headers
        self.delete_after_seconds = delete_after_seconds
        self.skip_diarization = skip_diarization
        self.skip_punctuation = skip_punctuation
        self.skip_postprocessing = skip_postprocessing
        self.remove_disfluencies = remove_disfluencies
        self.remove_atmospherics = remove_atmospherics
        self.filter_profanity = filter_profanity
        self.speaker_channels_count = speaker_channels_count
        self.speakers_count = speakers_count
        self.diarization_type = diarization_type
        self.custom_vocabulary_id = custom_vocabulary_id
        self.custom_vocabularies = custom_vocabularies
        self.strict_custom_vocabulary = strict_custom_vocabulary
        self.language = language
        self.transcriber = transcriber
        self.verbatim = verbatim
        self.rush = rush
        self.test_mode = test_mode
        self.segments_to_transcribe = segments_to_transcribe
        self.speaker_names = speaker_names
        self.summarization_config = summarization_config
        self.translation_config = translation_config
        self.extra_options = extra_options
        self.wait_for_completion = wait_for_completion
        self.deferrable = _default_deferrable() if deferrable is None else deferrable
        self.poll_interval = poll_interval
        self.wait_timeout = (
            wait_timeout if isinstance(wait_timeout, timedelta) else timedelta(seconds=wait_timeout)
        )
        self.revai_conn_id = revai_conn_id
        self.max_scan_jobs = max_scan_jobs
        if media_url is not None and local_file is not None:
            raise RevAIInvalidInputError("media_url", "give media_url or local_file, not both.")
        mask_submission(None, source_auth_headers, {"notification_auth_headers": notification_auth_headers})

    @cached_property
    def hook(self) -> RevAIHook:
        """The hook for ``revai_conn_id``."""
        return RevAIHook(self.revai_conn_id)

    def render_template_fields(self, context: Context, jinja_env: Any = None) -> None:
        """Render templates, then register any rendered signed-URL query as a secret."""
        super().render_template_fields(context, jinja_env)
        mask_submission(self.media_url, None, {"notification_url": self.notification_url})

    def job_options(self) -> dict[str, Any]:
        """Return the validated API options this operator submits."""
        return validate_options({name: getattr(self, name) for name in JOB_OPTIONS})

    def execute(self, context: Context) -> str:
        """Submit the job, or reconnect to the one an earlier try submitted; return its id."""
        if (self.media_url is None) == (self.local_file is None):
            raise RevAIInvalidInputError(
                "media_url",
                "give exactly one media source: media_url (Rev AI downloads it) or local_file (uploaded).",
            )
        options = self.job_options()
        key = _task_key(context)
        options["metadata"] = tag_metadata(options.get("metadata"), key)
        job = self._earlier_job(context, key)
        if job is not None:
            self.log.info("Reusing Rev AI job %s (%s) submitted by an earlier try", job.id, job.status.value)
        else:
            job = self._submit_once(context, key, options)
        self._record(context, job)
        self.log.info("Rev AI job %s: %s", job.id, self.hook.settings.job_url(job.id))
        if not self.wait_for_completion:
            return job.id
        deadline = self._deadline()
        if self.deferrable and not is_done(job):
            self.defer(
                trigger=TranscriptTrigger(
                    job.id,
                    self.revai_conn_id,
                    self.poll_interval,
                    deadline,
                    first_check_at=time.time() + self.poll_interval,
                ),
                method_name="execute_complete",
            )
        return self._poll(context, job, deadline).id

    def on_kill(self) -> None:
        """Say what a kill cannot do: Rev AI has no cancel, so the job runs (and bills) on."""
        self.log.warning(
            "Rev AI jobs cannot be cancelled: a submitted job keeps running and is billed. "
            "A retry of this task reconnects to it instead of submitting again."
        )

    def _submit(self, options: dict[str, Any]) -> Job:
        if self.media_url is not None:
            return self.hook.submit_job(
                self.media_url, source_auth_headers=self.source_auth_headers, **options
            )
        return self.hook.submit_local_file(_media_file(self.local_file), **options)

    def _submit_once(self, context: Context, key: str, options: dict[str, Any]) -> Job:
        """Submit; when the outcome is unknown, look for the job before submitting again."""
        for attempt in (1, 2):
            try:
                job = self._submit(options)
            except (RevAIConnectionError, RevAIServerError) as exc:
                if isinstance(exc, RevAIConnectionError) and not exc.outcome_unknown:
                    raise
                self.log.warning("Rev AI job submission outcome unknown (%s); looking for the job", exc)
                found = self._scan(context, key)
                if found is not None:
                    return found
                if attempt == 2:
                    raise
                self.log.warning("No Rev AI job under key %s was created; submitting again", key)
                continue
            store = _state_store(context)
            if store is not None:
                store.set(STATE_STORE_KEY, job.id)
            return job
        raise AssertionError("unreachable")

    def _earlier_job(self, context: Context, key: str) -> Job | None:
        """Find the job an earlier try submitted: task state store first, then the job list."""
        store = _state_store(context)
        if store is not None:
            job_id = store.get(STATE_STORE_KEY)
            if isinstance(job_id, str) and job_id:
                job = self.hook.get_job(job_id)
                if job.status is not JobStatus.FAILED:
                    return job
                self.log.info("The earlier try's Rev AI job %s failed; submitting a new one", job_id)
                return None
        if _try_number(context) <= 1:
            return None
        return self._scan(context, key)

    def _scan(self, context: Context, key: str) -> Job | None:
        jobs = self.hook.list_jobs(limit=self.max_scan_jobs)
        return find_reusable_job(jobs, key, not_before=_run_started(context))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> str:
        """Resume after the trigger fired: return the job id, or raise what the event means."""
        job = job_from_event(event)
        context["ti"].xcom_push(key=JOB_XCOM_KEY, value=job.to_dict())
        self.log.info(describe(job))
        return job.id

    def _record(self, context: Context, job: Job) -> None:
        """Push the job and its link before any waiting, so both exist even if the wait fails."""
        context["ti"].xcom_push(key=JOB_XCOM_KEY, value=job.to_dict())
        RevAIJobLink.remember(context, self.hook.settings.job_url(job.id))

    def _deadline(self) -> float:
        limits = [self.wait_timeout]
        if self.execution_timeout is not None:
            limits.append(self.execution_timeout)
        return time.time() + min(limits).total_seconds()

    def _poll(self, context: Context, job: Job, deadline: float) -> Job:
        """Wait on the worker, checking every ``poll_interval`` seconds."""
        while not is_done(job):
            if time.time() + self.poll_interval > deadline:
                raise RevAIWaitTimeoutError(f"Rev AI job {job.id} was still in progress at the deadline")
            time.sleep(self.poll_interval)
            try:
                job = self.hook.get_job(job.id)
            except RevAITransientError as exc:
                self.log.warning("Rev AI job %s: %s; will check again", job.id, exc)
                continue
            self.log.info(describe(job))
        context["ti"].xcom_push(key=JOB_XCOM_KEY, value=job.to_dict())
        return job


class FetchTranscriptOperator(BaseOperator):
    """Fetch a transcribed job's transcript, captions, summary or translation.

    Without ``output_path`` the result is the return value (a dict for ``json``, a string
    otherwise), refused with a clear error above ``max_xcom_bytes`` so a long transcript
    cannot bloat the metadata database. With ``output_path`` (a path or any
    ``ObjectStoragePath`` URI) the result is streamed to storage and the return value is a
    small manifest: ``job_id``, ``uri``, ``format``, ``bytes``, ``sha256``, ``words``,
    ``speakers``, ``duration_seconds``.

    :param job_id: the job, e.g. ``"{{ ti.xcom_pull(task_ids='submit') }}"``.
    :param output_format: ``json`` (default), ``text``, ``srt`` or ``vtt``.
    :param speaker_channel: for captions of a speaker-channel job, the channel.
    :param summary: fetch the summary (``json`` or ``text``) instead of the transcript.
    :param translation_language: fetch the translation into this language instead.
    :param output_path: where to write the result (templated), e.g.
        ``"s3://aws_default@bucket/{{ run_id }}/{{ ti.map_index }}.json"``.
    :param max_xcom_bytes: largest result returned inline (default 48 KiB).
    :param revai_conn_id: the ``revai`` connection.
    """

    template_fields: Sequence[str] = (
        "job_id",
        "output_format",
        "output_path",
        "translation_language",
        "revai_conn_id",
    )
    ui_color = "#e3f4e1"

    def __init__(
        self,
        *,
        job_id: str,
        output_format: str = "json",
        speaker_channel: int | None = None,
        summary: bool = False,
        translation_language: str | None = None,
        output_path: str | ObjectStoragePath | None = None,
        max_xcom_bytes: int = 48 * 1024,
        revai_conn_id: str = RevAIHook.default_conn_name,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_id = job_id
        self.output_format = output_format
        self.speaker_channel = speaker_channel
        self.summary = summary
        self.translation_language = translation_language
        self.output_path = output_path
        self.max_xcom_bytes = max_xcom_bytes
        self.revai_conn_id = revai_conn_id

    @cached_property
    def hook(self) -> RevAIHook:
        """The hook for ``revai_conn_id``."""
        return RevAIHook(self.revai_conn_id)

    def execute(self, context: Context) -> Any:
        """Fetch the result into XCom, or stream it to ``output_path`` and return a manifest."""
        job_id = validate_job_id(self.job_id)
        call = _api.result_call(
            job_id,
            self.output_format,
            speaker_channel=self.speaker_channel,
            summary=self.summary,
            translation_language=self.translation_language,
        )
        job = self._ready_job(job_id)
        fmt = self.output_format.lower()
        if self.output_path is None:
            return self._inline(call, fmt)
        return self._to_storage(call, job, fmt)

    def _ready_job(self, job_id: str) -> Job:
        """Return the job if it is transcribed; explain clearly why there is nothing to fetch."""
        job = self.hook.get_job(job_id)
        if job.status is JobStatus.FAILED:
            raise RevAIJobFailedError(
                job.id,
                job.failure,
                job.failure_detail,
                hint="there is nothing to fetch: a failed job has no transcript; fix the media and submit it "
                "again in a new DAG run",
            )
        if job.status is not JobStatus.TRANSCRIBED:
            raise RevAIInvalidStateError(
                409,
                title="Job is not transcribed yet",
                detail=f"Rev AI job {job.id} is {job.status.value}; fetch after it is transcribed "
                "(wait with TranscriptSensor first), or let the task retry",
                current_value=job.status.value,
                allowed_values=[JobStatus.TRANSCRIBED.value],
            )
        return job

    def _inline(self, call: _api.Call[Any], fmt: str) -> Any:
        data = bytearray()
        with self.hook.stream(call) as chunks:
            for chunk in chunks:
                data += chunk
                if len(data) > self.max_xcom_bytes:
                    raise RevAIInvalidInputError(
                        "output_path",
                        f"the {fmt} result of job {self.job_id} is over "
                        f"max_xcom_bytes={self.max_xcom_bytes}; "
                        "set output_path to write it to storage and get a small manifest in XCom.",
                    )
        text = data.decode("utf-8")
        return json.loads(text) if fmt == "json" else text

    def _to_storage(self, call: _api.Call[Any], job: Job, fmt: str) -> dict[str, Any]:
        path = (
            self.output_path
            if isinstance(self.output_path, ObjectStoragePath)
            else ObjectStoragePath(str(self.output_path))
        )
        if path.protocol in ("", "file", "local"):
            path.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        stats = TranscriptStats("summary" if self.summary else fmt)
        size = 0
        try:
            with self.hook.stream(call) as chunks, path.open("wb") as out:  # type: ignore[no-untyped-call]
                for chunk in chunks:
                    out.write(chunk)
                    digest.update(chunk)
                    stats.feed(chunk)
                    size += len(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        stats.finish()
        manifest = {
            "job_id": job.id,
            "uri": str(path),
            "format": fmt,
            "bytes": size,
            "sha256": digest.hexdigest(),
            "words": stats.words,
            "speakers": stats.speaker_count,
            "duration_seconds": job.duration_seconds,
        }
        self.log.info("Wrote %s bytes of %s for Rev AI job %s to %s", size, fmt, job.id, path)
        return manifest
