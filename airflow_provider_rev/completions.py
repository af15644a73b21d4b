"""Completion without waiting tasks: what a finished job's Asset event carries, and which jobs count.

A DAG can start when Rev AI jobs finish instead of keeping a task (or a deferred trigger)
waiting for each one: a watcher polls the connection's job list (see
:class:`~airflow_provider_rev.triggers.completions.JobCompletionTrigger`), or, when the
connection has a ``webhook_secret``, the provider's API-server plugin receives Rev AI's
``{"job": {...}}`` callback (see :mod:`airflow_provider_rev.webhooks`). Both go through
:func:`completion_payload`, so a DAG scheduled on the Asset reads the same payload whichever
delivered it, and both apply the same :class:`CompletionFilter`, which the Asset carries in
its ``extra``.

DAG authors use two functions: :func:`revai_jobs_asset` builds the Asset (with its watcher)
in one line, and :func:`finished_jobs` reads the payloads out of ``triggering_asset_events``.
See ``docs/completions.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from airflow_provider_rev.idempotency import parse_tag, user_metadata
from airflow_provider_rev.models import Job, format_timestamp

if TYPE_CHECKING:
    from airflow.sdk import Asset

#: Default seconds between two listings of the connection's jobs.
DEFAULT_POLL_INTERVAL = 60.0
#: Key of the filter in the Asset's ``extra`` (read by the webhook receiver).
FILTER_EXTRA_KEY = "revai_completions"


class SubmittedBy(TypedDict):
    """The task instance that submitted a job (from the job's pay-once tag)."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int


class JobCompletion(TypedDict):
    """The payload of one finished job's Asset event (JSON-native).

    :param id: the job id (what ``FetchTranscriptOperator`` takes).
    :param status: ``transcribed`` or ``failed``.
    :param failure: the failure code of a failed job (``download_failure``, ...), else ``None``.
    :param failure_detail: Rev AI's human-readable reason, else ``None``.
    :param duration_seconds: the media's length, ``None`` if Rev AI could not read it.
    :param created_on: ISO-8601 UTC submission time.
    :param completed_on: ISO-8601 UTC time the job finished.
    :param metadata: the submitter's metadata, without the provider's tag.
    :param submitted_by: the task instance that submitted it, when its tag names one, else ``None``.
    :param provider_job: whether it was submitted through this provider (carries its tag).
    """

    id: str
    status: str
    failure: str | None
    failure_detail: str | None
    duration_seconds: float | None
    created_on: str | None
    completed_on: str | None
    metadata: str | None
    submitted_by: SubmittedBy | None
    provider_job: bool


def completion_payload(job: Job) -> JobCompletion:
    """Return the event payload of a finished job: the one place this payload is built."""
    tag = parse_tag(job.metadata)
    ti = tag[1] if tag is not None else None
    return JobCompletion(
        id=job.id,
        status=job.status.value,
        failure=job.failure.value if job.failure is not None else None,
        failure_detail=job.failure_detail,
        duration_seconds=job.duration_seconds,
        created_on=format_timestamp(job.created_on),
        completed_on=format_timestamp(job.completed_on),
        metadata=user_metadata(job),
        submitted_by=(
            SubmittedBy(dag_id=ti.dag_id, run_id=ti.run_id, task_id=ti.task_id, map_index=ti.map_index)
            if ti is not None
            else None
        ),
        provider_job=tag is not None,
    )


def webhook_payload(body: Mapping[str, Any]) -> JobCompletion:
    """Return the payload for Rev AI's webhook body ``{"job": {...}}``: the same as the watcher's."""
    job = body.get("job")
    if not isinstance(job, Mapping):
        raise ValueError(f"Rev AI webhook body has no 'job' object: {sorted(body)}")
    return completion_payload(Job.from_dict(job))


@dataclass(frozen=True)
class CompletionFilter:
    """Which finished jobs produce an event.

    :param only_provider_jobs: only jobs submitted through this provider (they carry its tag);
        ``False`` also reports jobs submitted by other tools on the same account.
    :param metadata_prefix: only jobs whose metadata (without the tag) starts with this.
    """

    only_provider_jobs: bool = True
    metadata_prefix: str | None = None

    def matches(self, job: Job) -> bool:
        """Whether ``job`` belongs to this filter (whatever its status)."""
        return self._admits(parse_tag(job.metadata) is not None, user_metadata(job))

    def accepts(self, payload: JobCompletion) -> bool:
        """Whether a finished job's payload belongs to this filter (as :meth:`matches` its job)."""
        return self._admits(bool(payload.get("provider_job")), payload.get("metadata"))

    def _admits(self, provider_job: bool, metadata: str | None) -> bool:
        if self.only_provider_jobs and not provider_job:
            return False
        if self.metadata_prefix:
            return (metadata or "").startswith(self.metadata_prefix)
        return True

    def to_json(self) -> dict[str, Any]:
        """Return the filter as the Asset's ``extra`` keeps it."""
        return {"only_provider_jobs": self.only_provider_jobs, "metadata_prefix": self.metadata_prefix}


def finished_jobs(events: Iterable[Any]) -> list[JobCompletion]:
    """Return the finished jobs in Asset events (``triggering_asset_events[asset]``), oldest first.

    Accepts Airflow's asset event objects (their ``extra``) or plain dicts; a watcher event
    keeps the payload under ``extra["payload"]``. Events without a job are skipped, and a job
    reported twice (two events for one job) is listed once.
    """
    found: dict[str, JobCompletion] = {}
    for asset_event in events:
        extra = (
            asset_event.get("extra")
            if isinstance(asset_event, Mapping)
            else getattr(asset_event, "extra", None)
        )
        payload = extra.get("payload", extra) if isinstance(extra, Mapping) else None
        if isinstance(payload, Mapping) and isinstance(payload.get("id"), str) and "status" in payload:
            found.setdefault(payload["id"], JobCompletion(**payload))  # type: ignore[typeddict-item]
    return list(found.values())


def asset_name(
    revai_conn_id: str, only_provider_jobs: bool = True, metadata_prefix: str | None = None
) -> str:
    """Return the default Asset name: ``revai_jobs__<conn>[__all][__<prefix>]``."""
    name = f"revai_jobs__{revai_conn_id}"
    if not only_provider_jobs:
        name += "__all"
    if metadata_prefix:
        name += f"__{metadata_prefix}"
    return name


def asset_uri(revai_conn_id: str, name: str) -> str:
    """Return a completion Asset's URI, ``revai://<conn>/jobs/<name>`` (the receiver finds them by it)."""
    return f"revai://{revai_conn_id}/jobs/{name}"


def revai_jobs_asset(
    revai_conn_id: str = "revai_default",
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    only_provider_jobs: bool = True,
    metadata_prefix: str | None = None,
    since: str | None = None,
    name: str | None = None,
) -> Asset:
    """Return an Asset with an event for every Rev AI job that finishes (``transcribed`` or ``failed``).

    Schedule a DAG on it (``schedule=[revai_jobs_asset("revai_default")]``) and read the jobs with
    :func:`finished_jobs`. The connection decides how completions arrive: without a
    ``webhook_secret`` the watcher lists jobs in the triggerer (see
    :class:`~airflow_provider_rev.triggers.completions.JobCompletionTrigger` for what it reports
    after a first start and after a restart); with one, Rev AI calls the API server's webhook
    receiver and the watcher stays idle. The DAG code is the same either way.

    :param revai_conn_id: the ``revai`` connection whose jobs are watched.
    :param poll_interval: seconds between listings (each costs at least one ``GET /jobs``).
    :param only_provider_jobs: only jobs submitted through this provider.
    :param metadata_prefix: only jobs whose metadata starts with this.
    :param since: ISO-8601 time; a brand-new watcher also reports jobs that finished since then
        (default: only jobs finishing after it starts). Keep it a constant: it is part of the
        trigger's identity.
    :param name: the Asset's name (default :func:`asset_name`); its URI is ``revai://<conn>/jobs/<name>``.
    """
    from airflow.sdk import Asset, AssetWatcher

    from airflow_provider_rev.triggers.completions import JobCompletionTrigger

    asset = name or asset_name(revai_conn_id, only_provider_jobs, metadata_prefix)
    accept = CompletionFilter(only_provider_jobs, metadata_prefix)
    trigger = JobCompletionTrigger(
        revai_conn_id,
        poll_interval=poll_interval,
        only_provider_jobs=only_provider_jobs,
        metadata_prefix=metadata_prefix,
        since=since,
        asset_name=asset,
    )
    return Asset(
        name=asset,
        uri=asset_uri(revai_conn_id, asset),
        extra={FILTER_EXTRA_KEY: accept.to_json()},
        watchers=[AssetWatcher(name=f"{asset}__watcher", trigger=trigger)],
    )
