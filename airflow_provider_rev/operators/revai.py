"""Operators that submit media and custom vocabularies to Rev AI, fetch results and delete jobs."""

from __future__ import annotations

import hashlib
import inspect
import json
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow.providers.common.compat.sdk import BaseOperator, ObjectStoragePath, conf

from airflow_provider_rev import _api, webhooks
from airflow_provider_rev.exceptions import (
    RevAIInvalidInputError,
    RevAIInvalidStateError,
    RevAIJobFailedError,
    RevAINotFoundError,
    RevAITransientError,
    RevAIWaitTimeoutError,
)
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.idempotency import STATE_STORE_KEY, PayOnce, Submission
from airflow_provider_rev.lineage import DatasetRef, job_dataset, location_dataset, operator_lineage
from airflow_provider_rev.links import RevAIJobLink
from airflow_provider_rev.models import CustomVocabulary, Job, JobStatus
from airflow_provider_rev.options import JOB_OPTIONS, did_you_mean, validate_job_id
from airflow_provider_rev.secrets import mask_submission
from airflow_provider_rev.stats import TranscriptStats
from airflow_provider_rev.triggers.revai import TranscriptTrigger
from airflow_provider_rev.waiting import (
    PENDING,
    Watch,
    check_subjob,
    deferral_message,
    subjob_states,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

JOB_XCOM_KEY = "job"
VOCABULARY_XCOM_KEY = "custom_vocabulary"
#: Task state store key (Airflow 3.3+) holding the id of the vocabulary a task instance submitted.
VOCABULARY_STATE_STORE_KEY = "revai_vocabulary_id"
DEFAULT_WAIT_TIMEOUT = timedelta(days=7)
#: The submit operator's keywords besides the job options (:data:`~.options.JOB_OPTIONS`).
SUBMIT_KEYWORDS = (
    "media_url",
    "source_auth_headers",
    "local_file",
    "extra_options",
    "wait_for_completion",
    "wait_for_subjobs",
    "deferrable",
    "poll_interval",
    "wait_timeout",
    "revai_conn_id",
    "max_scan_jobs",
    "shared_polling",
    "notify",
)


def _default_deferrable() -> bool:
    return bool(conf.getboolean("operators", "default_deferrable", fallback=False))


def _media_file(local_file: Any) -> Any:
    """Return a local path as given, or an ``ObjectStoragePath`` for URIs (``s3://``, ``file://``)."""
    if isinstance(local_file, str) and "://" in local_file:
        return ObjectStoragePath(local_file)
    return local_file


_LOCAL_PROTOCOLS = ("", "file", "local")
_ABSOLUTE = (
    "use an absolute path (/data/transcripts/t.json) or a URL such as "
    "file:///data/transcripts/t.json or s3://aws_default@bucket/transcripts/t.json"
)


_RELATIVE_WHY = {False: "is a relative path", True: "is a relative path (fsspec does not expand ~)"}


def _relative(given: str, why: str) -> RevAIInvalidInputError:
    return RevAIInvalidInputError(
        "output_path",
        f"{given!r} {why}, so it would be written under the worker's working directory, which "
        f"differs between workers and restarts; {_ABSOLUTE}.",
    )


def _output_location(output_path: object) -> ObjectStoragePath:
    """Return where a fetch writes its result, given the rendered ``output_path``; raise if it cannot.

    Checked before anything is fetched, so what no try can fix fails the task at once as bad
    input (permanent) instead of as an ``OSError`` the task would retry: a relative local path
    or ``file:`` URL (``out/t.json``, ``file://out/t.json``), which fsspec resolves against the
    worker's working directory; a local path that is a folder; and one under a file.
    Object-storage URLs (``s3://``, ``gs://``, ...) are left to their filesystem.
    """
    given = str(output_path)
    if isinstance(output_path, ObjectStoragePath):
        path = output_path
    else:
        if not given.strip():
            raise RevAIInvalidInputError(
                "output_path",
                "is empty; check the template that renders it, or leave output_path unset to get "
                "the result in XCom.",
            )
        parts = urlsplit(given)
        if parts.scheme in ("file", "local") and parts.hostname:
            raise _relative(
                given, f"is a relative file URL ({parts.hostname!r} is read as a folder, not a host)"
            )
        if parts.scheme in ("file", "local") and not parts.path.startswith("/"):
            raise _relative(given, "is a relative file URL")
        if not parts.scheme and not given.startswith("/"):
            # Judged on the text: older ObjectStoragePath releases (Airflow 3.1) turn
            # "out/t.json" into "/out/t.json", which would then look absolute.
            raise _relative(given, _RELATIVE_WHY[given.startswith("~")])
        path = ObjectStoragePath(given)
    if path.protocol not in _LOCAL_PROTOCOLS:
        return path
    if not path.is_absolute():
        raise _relative(given, _RELATIVE_WHY[given.startswith("~")])
    local = Path(path.path)
    if local.is_dir():
        raise RevAIInvalidInputError(
            "output_path",
            f"{local} is a folder; name the file to write in it, e.g. {local / 'transcript.json'}.",
        )
    folder = next((parent for parent in local.parents if parent.exists()), None)
    if folder is not None and not folder.is_dir():
        raise RevAIInvalidInputError(
            "output_path",
            f"cannot write {local}: {folder} is a file, not a folder; remove or rename that file, "
            "or set output_path to a path in another folder.",
        )
    return path


@cache
def _keywords(operator: type[BaseOperator]) -> frozenset[str]:
    """Every keyword ``operator`` takes: its own, its bases' and ``BaseOperator``'s."""
    return frozenset(
        name
        for klass in operator.__mro__
        if issubclass(klass, BaseOperator)
        for name, parameter in inspect.signature(klass.__init__).parameters.items()
        if parameter.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        and name != "self"
    )


def _refuse_unknown_keywords(operator: type[BaseOperator], kwargs: Mapping[str, Any]) -> None:
    """Refuse, when the DAG is parsed, a keyword ``operator`` does not take, naming the one meant.

    Airflow's own error for it ("Invalid arguments were passed") names no alternative, and a
    misspelt job option (``speaker_count``) looks like any other keyword. Names starting with
    ``_`` are Airflow's internal flags: they are left to ``BaseOperator``.
    """
    known = _keywords(operator)
    for name in kwargs:
        if name not in known and not name.startswith("_"):
            hint = (
                did_you_mean(name, known)
                or "check the spelling, or pass new API fields through extra_options."
            )
            raise RevAIInvalidInputError(name, f"unknown keyword for {operator.__name__}; {hint}")


Resource = Job | CustomVocabulary


class _SubmitAndWait(BaseOperator):
    """What submitting operators share: refusing misspelt keywords, pay-once submission, recording, the wait.

    The wait runs in the triggerer when ``deferrable`` (a :class:`TranscriptTrigger`) or on
    the worker otherwise; both judge the resource with the same
    :class:`~airflow_provider_rev.waiting.Watch`.
    """

    xcom_key: str = JOB_XCOM_KEY

    def __init__(
        self,
        *,
        wait_for_completion: bool,
        deferrable: bool | None,
        poll_interval: float,
        wait_timeout: timedelta | float,
        revai_conn_id: str,
        shared_polling: bool = True,
        **kwargs: Any,
    ) -> None:
        _refuse_unknown_keywords(type(self), kwargs)
        super().__init__(**kwargs)
        self.shared_polling = shared_polling
        self.wait_for_completion = wait_for_completion
        self.deferrable = _default_deferrable() if deferrable is None else deferrable
        self.poll_interval = poll_interval
        self.wait_timeout = (
            wait_timeout if isinstance(wait_timeout, timedelta) else timedelta(seconds=wait_timeout)
        )
        self.revai_conn_id = revai_conn_id

    @cached_property
    def hook(self) -> RevAIHook:
        """The hook for ``revai_conn_id``."""
        return RevAIHook(self.revai_conn_id)

    @property
    def watch(self) -> Watch:
        """How the wait judges the submitted resource."""
        raise NotImplementedError

    def _record(self, context: Context, resource: Resource) -> None:
        """Push the resource before any waiting, so it is in XCom even if the wait fails."""
        self._resource_id = resource.id
        context["ti"].xcom_push(key=self.xcom_key, value=resource.to_dict())

    def _finish(self, context: Context, resource: Resource) -> str:
        """Record the resource, then wait for it when asked to; return its id."""
        self._record(context, resource)
        if not self.wait_for_completion:
            return resource.id
        deadline = self._deadline()
        if self.deferrable and not self.watch.done(resource):
            self.log.info(
                deferral_message(self.watch.noun, resource.id, self.poll_interval, deadline - time.time())
            )
            self.defer(
                trigger=TranscriptTrigger(
                    resource.id,
                    self.revai_conn_id,
                    self.poll_interval,
                    deadline,
                    first_check_at=time.time() + self.poll_interval,
                    wait_for_subjobs=self.watch.subjobs,
                    resource=self.watch.kind,
                    shared_polling=self.shared_polling,
                ),
                method_name="execute_complete",
            )
        return self._poll(context, resource, deadline)

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> str:
        """Resume after the trigger fired: return the id, or raise what the event means."""
        resource = self.watch.from_event(event)
        self._record(context, resource)
        self.log.info(self.watch.describe(resource))
        return resource.id

    def on_kill(self) -> None:
        """Say what a kill cannot do: Rev AI has no cancel, so the submission runs (and bills) on."""
        self.log.warning(
            "Rev AI submissions cannot be cancelled: a submitted job keeps running and is billed. "
            "A retry of this task reconnects to it instead of submitting again."
        )

    def _deadline(self) -> float:
        limits = [self.wait_timeout]
        if self.execution_timeout is not None:
            limits.append(self.execution_timeout)
        return time.time() + min(limits).total_seconds()

    def _poll(self, context: Context, resource: Resource, deadline: float) -> str:
        """Wait on the worker, checking every ``poll_interval`` seconds."""
        watch = self.watch
        while not watch.done(resource):
            if time.time() + self.poll_interval > deadline:
                raise RevAIWaitTimeoutError(
                    f"Rev AI {watch.noun} {resource.id} was still in progress at the deadline"
                )
            time.sleep(self.poll_interval)
            try:
                resource = self.hook.run(watch.call(resource.id))
            except RevAITransientError as exc:
                self.log.warning("Rev AI %s %s: %s; will check again", watch.noun, resource.id, exc)
                continue
            self.log.info(watch.describe(resource))
        self._record(context, resource)
        return resource.id


class SubmitTranscriptionOperator(_SubmitAndWait):
    """Submit audio or video to Rev AI and return the job id, optionally waiting for the transcript.

    Give exactly one media source: ``media_url`` (Rev AI downloads it; ``source_auth_headers``
    are sent with the download) or ``local_file`` (a path or object-storage URI, uploaded as
    streamed multipart). Every job option of the option table (``docs/options.md``,
    :data:`~airflow_provider_rev.options.JOB_OPTIONS`) is a keyword argument and a template
    field; ``extra_options`` passes fields the API adds later, untouched. Options are
    validated once, before anything is sent; a keyword that is neither an option nor a
    parameter fails when the DAG is parsed, naming the closest one (``speakers_count``).

    Submission is pay-once: a retry of the task reconnects to the job an earlier try
    submitted (see :class:`~airflow_provider_rev.idempotency.PayOnce`). The return value is
    the job id; the job's details go to XCom key ``job``. With ``wait_for_completion=True``
    the task ends when the job is transcribed and, unless ``wait_for_subjobs=False``, its
    requested summary and translations have left ``in_progress``; it waits in the triggerer
    when ``deferrable`` or on the worker otherwise, and fails without retries when the job fails.

    :param media_url: direct-download http(s) URL of the media.
    :param source_auth_headers: ``{"Authorization": "<scheme> <token>"}`` for the download.
    :param local_file: file to upload instead: a local path or an ``ObjectStoragePath``/URI.
    :param extra_options: API fields the provider does not know yet, sent as given.
    :param wait_for_completion: wait until the job is transcribed.
    :param wait_for_subjobs: when waiting, also wait for the summary and translations.
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``).
    :param poll_interval: seconds between status checks while waiting.
    :param wait_timeout: longest wait for the transcript (``execution_timeout`` also applies,
        even while deferred).
    :param revai_conn_id: the ``revai`` connection.
    :param max_scan_jobs: how many recent jobs a retry reads, at most, to find the job an
        earlier try submitted (on Airflow 3.3+ the task state store usually answers first).
    :param shared_polling: when deferred on Airflow 3.3+, share one poll loop with every job
        waiting on the same connection (``False``: this job polls on its own, for debugging).
    :param notify: have Rev AI call the API server's webhook receiver when the job finishes
        (``notification_config`` is filled from the connection's ``webhook_secret`` and
        ``webhook_base_url``; see :mod:`airflow_provider_rev.webhooks`). ``None`` (default):
        when the connection has a ``webhook_secret`` and no other webhook was given.
        ``True`` requires one; ``False`` never.
    """

    template_fields: Sequence[str] = (
        "media_url",
        "local_file",
        "revai_conn_id",
        "extra_options",
        *(option.name for option in JOB_OPTIONS if not option.secret),
    )
    template_fields_renderers = {
        option.name: "json" for option in JOB_OPTIONS if option.type in (list, dict) and not option.secret
    } | {"extra_options": "json"}
    operator_extra_links = (RevAIJobLink(),)
    ui_color = "#d9e8fb"

    def __init__(
        self,
        *,
        media_url: str | None = None,
        source_auth_headers: dict[str, str] | None = None,
        local_file: Any = None,
        metadata: str | None = None,
        language: str | None = None,
        transcriber: str | None = None,
        notification_url: str | None = None,
        notification_auth_headers: dict[str, str] | None = None,
        notification_config: dict[str, Any] | None = None,
        callback_url: str | None = None,
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
        verbatim: bool | None = None,
        forced_alignment: bool | None = None,
        rush: bool | None = None,
        test_mode: bool | None = None,
        segments_to_transcribe: list[dict[str, float]] | None = None,
        speaker_names: list[dict[str, str]] | None = None,
        summarization_config: dict[str, Any] | None = None,
        translation_config: dict[str, Any] | None = None,
        extra_options: dict[str, Any] | None = None,
        wait_for_completion: bool = False,
        wait_for_subjobs: bool = True,
        deferrable: bool | None = None,
        poll_interval: float = 30.0,
        wait_timeout: timedelta | float = DEFAULT_WAIT_TIMEOUT,
        revai_conn_id: str = RevAIHook.default_conn_name,
        max_scan_jobs: int = 5000,
        shared_polling: bool = True,
        notify: bool | None = None,
        **kwargs: Any,
    ) -> None:
        given = dict(locals())
        super().__init__(
            wait_for_completion=wait_for_completion,
            deferrable=deferrable,
            poll_interval=poll_interval,
            wait_timeout=wait_timeout,
            revai_conn_id=revai_conn_id,
            shared_polling=shared_polling,
            **kwargs,
        )
        for option in JOB_OPTIONS:
            setattr(self, option.name, given[option.name])
        self.media_url = media_url
        self.source_auth_headers = source_auth_headers
        self.local_file = local_file
        self.extra_options = extra_options
        self.wait_for_subjobs = wait_for_subjobs
        self.max_scan_jobs = max_scan_jobs
        self.notify = notify
        if media_url is not None and local_file is not None:
            raise RevAIInvalidInputError("media_url", "give media_url or local_file, not both.")
        mask_submission(None, source_auth_headers, self.job_options())

    @property
    def watch(self) -> Watch:
        """Jobs, with or without their sub-jobs."""
        return Watch("job", self.wait_for_subjobs)

    def render_template_fields(self, context: Context, jinja_env: Any = None) -> None:
        """Render templates, then register any rendered signed-URL query as a secret."""
        super().render_template_fields(context, jinja_env)
        mask_submission(self.media_url, None, self.job_options())

    def job_options(self) -> dict[str, Any]:
        """Return the options as given (table options plus ``extra_options``); the request validates them."""
        options = {option.name: getattr(self, option.name) for option in JOB_OPTIONS}
        return {**options, "extra_options": self.extra_options}

    def _submission(self, pay_once: PayOnce) -> _api.Call[Job]:
        """Build the tagged, validated ``POST /jobs`` request; nothing is sent."""
        if (self.media_url is None) == (self.local_file is None):
            raise RevAIInvalidInputError(
                "media_url",
                "give exactly one media source: media_url (Rev AI downloads it) or local_file (uploaded).",
            )
        options = self.job_options()
        options["metadata"] = pay_once.tag(options["metadata"])
        notification = self._notification(options)
        if notification is not None:
            options["notification_config"] = notification
        region = self.hook.settings.region
        if self.media_url is not None:
            return _api.submit_job(self.media_url, self.source_auth_headers, options, region)
        return _api.submit_local_file(_media_file(self.local_file), options, region)

    def _notification(self, options: dict[str, Any]) -> dict[str, Any] | None:
        """Return the receiver's ``notification_config`` when this job should call back, else ``None``."""
        settings = self.hook.settings
        given = [
            name for name in ("notification_url", "notification_config", "callback_url") if options.get(name)
        ]
        if self.notify is False or (self.notify is None and (settings.webhook is None or given)):
            return None
        if given:
            raise RevAIInvalidInputError(
                "notify",
                f"notify=True fills notification_config itself; drop {', '.join(given)} or set notify=False.",
            )
        base_url = webhooks.base_url_for(
            settings,
            conf.get("revai", "webhook_base_url", fallback=""),
            conf.get("api", "base_url", fallback=""),
        )
        config = webhooks.notification_config(settings, base_url)
        self.log.info("Rev AI will call back %s when the job finishes", config["url"])
        return config

    def execute(self, context: Context) -> str:
        """Submit the job, or reconnect to the one an earlier try submitted; record it; wait if asked."""
        RevAIJobLink.begin(context)
        pay_once = PayOnce.from_context(context, self.log)
        call = self._submission(pay_once)
        job = pay_once.submit(
            Submission(
                "job",
                STATE_STORE_KEY,
                send=lambda: self.hook.run(call),
                get=self.hook.get_job,
                recent=lambda: self.hook.list_jobs(limit=self.max_scan_jobs),
            )
        )
        self.log.info("Rev AI job %s (%s): %s", job.id, job.status.value, self.hook.settings.job_url(job.id))
        RevAIJobLink.remember(context, self.hook.settings.job_url(job.id))
        return self._finish(context, job)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage (when installed): the media in, the Rev AI job out.

        A media URL is named without its query, so a signed URL's signature is never reported.
        """
        media = self.media_url if self.media_url is not None else self.local_file
        inputs = [location_dataset(media)] if media is not None else []
        job_id = getattr(self, "_resource_id", None)
        outputs = [job_dataset(self.hook.settings.root_url, job_id)] if job_id else []
        return operator_lineage(inputs, outputs)


class CreateCustomVocabularyOperator(_SubmitAndWait):
    """Create a custom vocabulary, wait until it is ``complete``, and return its id.

    Pass the id to ``SubmitTranscriptionOperator(custom_vocabulary_id=...)``: a vocabulary
    compiled once is reused by every job that names it, which saves the per-job compilation
    of inline ``custom_vocabularies``. Submission is pay-once like job submission, and the
    wait uses the same trigger (deferrable) or worker polling; a ``failed`` vocabulary fails
    the task without retries. The vocabulary's details go to XCom key ``custom_vocabulary``.

    :param custom_vocabularies: 1 to 50 ``{"phrases": [...]}`` objects.
    :param metadata: free text stored with the vocabulary.
    :param strict_custom_vocabulary: use phrases only as whole phrases.
    :param notification_url: webhook Rev AI POSTs ``{"custom_vocabulary": ...}`` to when it ends.
    :param notification_auth_headers: ``{"Authorization": ...}`` sent with the webhook.
    :param extra_options: API fields the provider does not know yet, sent as given.
    :param wait_for_completion: wait until the vocabulary is ``complete`` (default ``True``:
        only a complete vocabulary can be used by a job).
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``).
    :param poll_interval: seconds between status checks while waiting.
    :param wait_timeout: longest wait.
    :param revai_conn_id: the ``revai`` connection.
    :param max_scan_vocabularies: how many recent vocabularies a retry reads to find the one an
        earlier try submitted (at most 1000: the API lists no more).
    """

    template_fields: Sequence[str] = (
        "custom_vocabularies",
        "metadata",
        "notification_url",
        "extra_options",
        "revai_conn_id",
    )
    template_fields_renderers = {"custom_vocabularies": "json", "extra_options": "json"}
    xcom_key = VOCABULARY_XCOM_KEY
    ui_color = "#f3e8fb"

    def __init__(
        self,
        *,
        custom_vocabularies: list[dict[str, Any]],
        metadata: str | None = None,
        strict_custom_vocabulary: bool | None = None,
        notification_url: str | None = None,
        notification_auth_headers: dict[str, str] | None = None,
        extra_options: dict[str, Any] | None = None,
        wait_for_completion: bool = True,
        deferrable: bool | None = None,
        poll_interval: float = 10.0,
        wait_timeout: timedelta | float = timedelta(hours=1),
        revai_conn_id: str = RevAIHook.default_conn_name,
        max_scan_vocabularies: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            wait_for_completion=wait_for_completion,
            deferrable=deferrable,
            poll_interval=poll_interval,
            wait_timeout=wait_timeout,
            revai_conn_id=revai_conn_id,
            **kwargs,
        )
        self.custom_vocabularies = custom_vocabularies
        self.metadata = metadata
        self.strict_custom_vocabulary = strict_custom_vocabulary
        self.notification_url = notification_url
        self.notification_auth_headers = notification_auth_headers
        self.extra_options = extra_options
        self.max_scan_vocabularies = max_scan_vocabularies
        mask_submission(None, None, {"notification_auth_headers": notification_auth_headers})

    @property
    def watch(self) -> Watch:
        """Custom vocabularies: over at ``complete`` or ``failed``."""
        return Watch("custom_vocabulary")

    def execute(self, context: Context) -> str:
        """Create the vocabulary, or reconnect to the one an earlier try created; wait for it."""
        pay_once = PayOnce.from_context(context, self.log)
        options = {
            "metadata": pay_once.tag(self.metadata),
            "strict_custom_vocabulary": self.strict_custom_vocabulary,
            "notification_url": self.notification_url,
            "notification_auth_headers": self.notification_auth_headers,
            "extra_options": self.extra_options,
        }
        call = _api.submit_custom_vocabulary(self.custom_vocabularies, options)
        vocabulary = pay_once.submit(
            Submission(
                "custom vocabulary",
                VOCABULARY_STATE_STORE_KEY,
                send=lambda: self.hook.run(call),
                get=self.hook.get_custom_vocabulary,
                recent=lambda: self.hook.list_custom_vocabularies(
                    limit=min(self.max_scan_vocabularies, 1000)
                ),
            )
        )
        self.log.info("Rev AI custom vocabulary %s: %s", vocabulary.id, vocabulary.status.value)
        return self._finish(context, vocabulary)


class DeleteJobOperator(BaseOperator):
    """Delete a finished Rev AI job and all its data (media, transcript, outputs), for data retention.

    Idempotent: a job that is already gone (deleted earlier, or by ``delete_after_seconds``)
    counts as deleted. A job still in progress cannot be deleted yet (409): the task fails
    with a retryable error, so its retries wait for the job to finish.

    :param job_id: the job, e.g. ``"{{ ti.xcom_pull(task_ids='submit') }}"``.
    :param revai_conn_id: the ``revai`` connection.
    """

    template_fields: Sequence[str] = ("job_id", "revai_conn_id")
    ui_color = "#fbe3e3"

    def __init__(
        self, *, job_id: str, revai_conn_id: str = RevAIHook.default_conn_name, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.job_id = job_id
        self.revai_conn_id = revai_conn_id

    @cached_property
    def hook(self) -> RevAIHook:
        """The hook for ``revai_conn_id``."""
        return RevAIHook(self.revai_conn_id)

    def execute(self, context: Context) -> bool:
        """Delete the job; return ``True`` if this call deleted it, ``False`` if it was already gone."""
        return delete_job(self.hook, validate_job_id(self.job_id), self.log)


def delete_job(hook: RevAIHook, job_id: str, log: Any) -> bool:
    """Delete ``job_id``, treating "not found" as already deleted; return whether this call deleted it."""
    try:
        hook.delete_job(job_id)
    except RevAINotFoundError:
        log.info("Rev AI job %s is already deleted", job_id)
        return False
    log.info("Deleted Rev AI job %s and its data", job_id)
    return True


class FetchTranscriptOperator(BaseOperator):
    """Fetch a transcribed job's transcript, captions, summary or translation.

    Without ``output_path`` the result is the return value (a dict for ``json``, a string
    otherwise), refused with a clear error above ``max_xcom_bytes`` so a long transcript
    cannot bloat the metadata database. With ``output_path`` (an absolute path or any
    ``ObjectStoragePath`` URI) the result is streamed to storage and the return value is a
    small manifest: ``job_id``, ``uri``, ``format``, ``bytes``, ``sha256``, ``words``,
    ``speakers``, ``duration_seconds``.

    :param job_id: the job, e.g. ``"{{ ti.xcom_pull(task_ids='submit') }}"``.
    :param output_format: ``json`` (default), ``text``, ``srt`` or ``vtt``.
    :param speaker_channel: for captions of a speaker-channel job, the channel.
    :param summary: fetch the summary (``json`` or ``text``) instead of the transcript.
    :param translation_language: fetch the translation into this language instead.
    :param output_path: where to write the result (templated), e.g.
        ``"s3://aws_default@bucket/{{ run_id }}/{{ ti.map_index }}.json"``: an
        ``ObjectStoragePath`` URI or an absolute local path. A relative path, or one under a
        file, fails the task at once, before anything is fetched.
    :param max_xcom_bytes: largest result returned inline (default 48 KiB).
    :param delete_after_fetch: delete the job and all its data once the result is safely
        stored (written to ``output_path``, or pushed to XCom); never when storing failed.
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
        delete_after_fetch: bool = False,
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
        self.delete_after_fetch = delete_after_fetch
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
        path = None if self.output_path is None else _output_location(self.output_path)
        job = self._ready_job(job_id)
        fmt = self.output_format.lower()
        if path is None:
            result, size = self._inline(call, fmt)
            manifest = {"job_id": job.id, "format": fmt, "bytes": size}
            if self.delete_after_fetch and self.do_xcom_push:
                context["ti"].xcom_push(key="return_value", value=result)
        else:
            result = manifest = self._to_storage(call, job, fmt, path)
        self._attach_to_outlets(context, manifest)
        if self.delete_after_fetch:
            delete_job(self.hook, job_id, self.log)
        return result

    def _attach_to_outlets(self, context: Context, manifest: dict[str, Any]) -> None:
        """Put the manifest in the ``extra`` of each outlet Asset's event.

        Downstream DAGs scheduled on the Asset read what arrived from
        ``triggering_asset_events`` without opening the file; each mapped fetch makes its own
        event. An inline result attaches only its job, format and size.
        """
        from airflow.sdk import Asset

        for outlet in self.outlets:
            if isinstance(outlet, Asset):
                context["outlet_events"][outlet].extra.update(manifest)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage (when installed): the Rev AI job in, the written file out (none for XCom)."""
        job_id = validate_job_id(self.job_id)
        outputs: list[DatasetRef] = []
        if self.output_path is not None:
            outputs.append(location_dataset(_media_file(self.output_path)))
        return operator_lineage([job_dataset(self.hook.settings.root_url, job_id)], outputs)

    @property
    def _subjob(self) -> str | None:
        """The sub-job whose output this fetch reads, if any."""
        if self.summary:
            return "summarization"
        if self.translation_language:
            return f"translation into {self.translation_language.lower()}"
        return None

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
        subjob = self._subjob
        if subjob is not None:
            check_subjob(job, subjob)
            if subjob_states(job).get(subjob) == PENDING:
                raise RevAIInvalidStateError(
                    409,
                    title="Sub-job is not finished yet",
                    detail=f"Rev AI job {job.id}: the {subjob} is still in progress; wait with "
                    "TranscriptSensor first (it waits for sub-jobs), or let the task retry",
                    current_value=PENDING,
                    allowed_values=["completed"],
                )
        return job

    def _inline(self, call: _api.Call[Any], fmt: str) -> tuple[Any, int]:
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
        self.log.info(
            "Fetched %s for Rev AI job %s: %s bytes, returned to XCom",
            self._what(fmt),
            self.job_id,
            len(data),
        )
        return (json.loads(text) if fmt == "json" else text), len(data)

    def _what(self, fmt: str) -> str:
        """Name what this fetch reads, for its log line: ``"the transcript as srt"``, ``"the summary"``."""
        if self.summary:
            return f"the summary as {fmt}"
        if self.translation_language:
            return f"the {self.translation_language.lower()} translation as {fmt}"
        return f"the transcript as {fmt}"

    def _to_storage(
        self, call: _api.Call[Any], job: Job, fmt: str, path: ObjectStoragePath
    ) -> dict[str, Any]:
        if path.protocol in _LOCAL_PROTOCOLS:
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
        self.log.info(
            "Fetched %s for Rev AI job %s: %s bytes, written to %s", self._what(fmt), job.id, size, path
        )
        return manifest
