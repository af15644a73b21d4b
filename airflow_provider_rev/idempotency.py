"""Pay-once submission: a task retry reconnects to what an earlier try submitted instead of paying twice.

Rev AI cannot cancel a job, so every duplicate submission is billed (custom vocabularies
likewise cost a submission). Each submission is tagged, in its ``metadata``, with a key
derived from the task instance (dag id, run id, task id, map index): stable across tries of
one task instance, different across runs and map indexes. When it fits in Rev AI's 512
characters, the tag also names that task instance (``[airflow-revai:<key> <dag>/<run>/<task>/<map>]``,
each part percent-encoded), so whoever reads a finished job (a completion watcher, a webhook)
knows which task submitted it; :func:`parse_tag` reads it back and trusts it only when the
key matches. :class:`PayOnce` holds the whole
protocol: look for the earlier try's resource (the task state store on Airflow 3.3+, else a
scan of recent submissions for the key), or submit; when a submission's outcome is unknown
(a dropped connection, a 5xx after the request was sent), look again before submitting again.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Protocol, TypeVar
from urllib.parse import quote, unquote

from airflow_provider_rev.exceptions import (
    RevAIConnectionError,
    RevAIError,
    RevAIInvalidInputError,
    RevAIServerError,
)
from airflow_provider_rev.options import MAX_METADATA_CHARS

if TYPE_CHECKING:
    from airflow.sdk import Context

KEY_PREFIX = "airflow-revai:"
#: Task state store key (Airflow 3.3+) holding the id of the job this task instance submitted.
STATE_STORE_KEY = "revai_job_id"
#: Margin for clock skew between hosts when the scan stops at the DAG run's start.
SCAN_CLOCK_SKEW = timedelta(minutes=10)


class Billable(Protocol):
    """A submitted resource pay-once can recognise: a job or a custom vocabulary."""

    @property
    def id(self) -> str: ...

    @property
    def metadata(self) -> str | None: ...

    @property
    def created_on(self) -> datetime | None: ...

    @property
    def is_failed(self) -> bool: ...


B = TypeVar("B", bound=Billable)


def idempotency_key(dag_id: str, run_id: str, task_id: str, map_index: int | None) -> str:
    """Return the key of one task instance, the same on every try."""
    identity = "\x1f".join(
        str(part) for part in (dag_id, run_id, task_id, -1 if map_index is None else map_index)
    )
    return KEY_PREFIX + hashlib.sha256(identity.encode()).hexdigest()[:24]


class TaskInstanceRef(NamedTuple):
    """The task instance that submitted a job, as its tag names it."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int

    @property
    def key(self) -> str:
        """Its idempotency key."""
        return idempotency_key(self.dag_id, self.run_id, self.task_id, self.map_index)

    def encoded(self) -> str:
        """``dag/run/task/map``, each part percent-encoded (no space, ``/`` or ``]`` left)."""
        return "/".join(quote(str(part), safe="-_.~:+") for part in self)


#: A tag in job metadata: the key, then optionally the task instance it was derived from.
_TAG_PATTERN = re.compile(r"\[(" + re.escape(KEY_PREFIX) + r"[0-9a-f]{24})(?: ([^\]\s]+))?\]")


def _tag(key: str) -> str:
    return f"[{key}]"


def _named_tag(key: str, ti: TaskInstanceRef) -> str:
    return f"[{key} {ti.encoded()}]"


def tag_metadata(metadata: str | None, key: str, ti: TaskInstanceRef | None = None) -> str:
    """Return ``metadata`` with the key appended, or raise if the two exceed 512 characters.

    With ``ti`` the tag also names the task instance, unless that would not fit: then the
    short tag is used, so naming the task never costs the user any of the room they had.
    """
    if metadata is not None and not isinstance(metadata, str):
        raise RevAIInvalidInputError("metadata", "must be a string (serialise structured data yourself).")
    if ti is not None:
        named = _named_tag(key, ti)
        combined = f"{metadata} {named}" if metadata else named
        if len(combined) <= MAX_METADATA_CHARS:
            return combined
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


def user_metadata(job: Billable) -> str | None:
    """Return the job's metadata without the provider's idempotency tag."""
    if job.metadata is None:
        return None
    start = job.metadata.find("[" + KEY_PREFIX)
    return job.metadata if start < 0 else (job.metadata[:start].rstrip() or None)


def carries_key(job: Billable, key: str) -> bool:
    """Whether ``job`` was submitted under ``key`` (with a short or a named tag)."""
    metadata = job.metadata or ""
    return _tag(key) in metadata or f"[{key} " in metadata


def parse_tag(metadata: str | None) -> tuple[str, TaskInstanceRef | None] | None:
    """Return the key in a job's tag and the task instance it names, or ``None`` without a tag.

    The task instance is ``None`` when the tag is short (it did not fit, or an older provider
    wrote it) or when what it names does not hash to the key (edited by hand).
    """
    tags = list(_TAG_PATTERN.finditer(metadata or ""))
    if not tags:
        return None
    found = tags[-1]  # the provider appends its tag, so the last one is ours
    key, encoded = found.group(1), found.group(2)
    if encoded is None:
        return key, None
    parts = encoded.split("/")
    if len(parts) != 4:
        return key, None
    dag_id, run_id, task_id, map_index = (unquote(part) for part in parts)
    try:
        ti = TaskInstanceRef(dag_id, run_id, task_id, int(map_index))
    except ValueError:
        return key, None
    return key, ti if ti.key == key else None


def find_reusable(resources: Iterable[B], key: str, not_before: datetime | None = None) -> B | None:
    """Return the newest resource under ``key`` that has not failed, if any.

    ``resources`` is a listing, newest first (consumed lazily); the scan stops at the first
    one created before ``not_before``, so it reads no further back than the task's own run.
    Failed ones are skipped: a new submission is the right answer to those.
    """
    for resource in resources:
        if not_before is not None and resource.created_on is not None and resource.created_on < not_before:
            return None
        if carries_key(resource, key) and not resource.is_failed:
            return resource
    return None


@dataclass(frozen=True)
class Submission(Generic[B]):
    """One billable submission, as pay-once needs to see it; every callable does the I/O.

    :param noun: what is submitted, for logs (``job``, ``custom vocabulary``).
    :param state_key: the task state store key that remembers its id.
    :param send: submit it (the request is already built and validated).
    :param get: read one by id.
    :param recent: list recent ones, newest first, for the scan.
    """

    noun: str
    state_key: str
    send: Callable[[], B]
    get: Callable[[str], B]
    recent: Callable[[], Iterable[B]]


def _outcome_unknown(exc: RevAIError) -> bool:
    """Whether a failed submission may still have created the resource."""
    if isinstance(exc, RevAIConnectionError):
        return exc.outcome_unknown
    return isinstance(exc, RevAIServerError)


@dataclass(frozen=True)
class PayOnce:
    """The pay-once protocol for one task instance; build it with :meth:`from_context`.

    :param key: the task instance's idempotency key (see :func:`idempotency_key`).
    :param ti: the task instance itself, named in the tag when it fits.
    :param try_number: the task try; a first try without a state store entry submits at once.
    :param state_store: Airflow 3.3's task state store, or ``None`` on older versions.
    :param not_before: the scan reads no further back than this (the run's start, minus skew).
    """

    key: str
    ti: TaskInstanceRef | None = None
    try_number: int = 1
    state_store: Any = None
    not_before: datetime | None = None
    log: Any = logging.getLogger(__name__)

    @classmethod
    def from_context(cls, context: Context, log: Any = None) -> PayOnce:
        """Build the protocol from a task context: its key, try, state store and run start."""
        ti = context["ti"]
        number = getattr(ti, "try_number", 1)
        dag_run = context.get("dag_run")
        started = getattr(dag_run, "start_date", None) or getattr(dag_run, "queued_at", None)
        map_index = -1 if ti.map_index is None else ti.map_index
        ref = TaskInstanceRef(str(ti.dag_id), str(ti.run_id), str(ti.task_id), int(map_index))
        return cls(
            key=ref.key,
            ti=ref,
            try_number=number if isinstance(number, int) else 1,
            state_store=context.get("task_state_store"),
            not_before=started - SCAN_CLOCK_SKEW if isinstance(started, datetime) else None,
            log=log or logging.getLogger(__name__),
        )

    def tag(self, metadata: str | None) -> str:
        """Return the user's metadata with this task instance's key (and, if it fits, name) appended."""
        return tag_metadata(metadata, self.key, self.ti)

    def submit(self, submission: Submission[B]) -> B:
        """Return what an earlier try submitted, or submit now; never submit twice knowingly."""
        earlier = self.find_earlier(submission)
        if earlier is not None:
            self.log.info("Reusing Rev AI %s %s submitted by an earlier try", submission.noun, earlier.id)
            return self._remember(submission, earlier)
        try:
            return self._remember(submission, submission.send())
        except (RevAIConnectionError, RevAIServerError) as exc:
            if not _outcome_unknown(exc):
                raise
            self.log.warning(
                "Rev AI %s submission outcome unknown (%s); looking for it", submission.noun, exc
            )
            found = self._scan(submission)
        if found is not None:
            return self._remember(submission, found)
        self.log.warning("No Rev AI %s under key %s was created; submitting again", submission.noun, self.key)
        return self._remember(submission, submission.send())

    def find_earlier(self, submission: Submission[B]) -> B | None:
        """Find the earlier try's submission: task state store first, then the scan on retries."""
        if self.state_store is not None:
            earlier_id = self.state_store.get(submission.state_key)
            if isinstance(earlier_id, str) and earlier_id:
                resource = submission.get(earlier_id)
                if not resource.is_failed:
                    return resource
                self.log.info(
                    "The earlier try's Rev AI %s %s failed; submitting a new one", submission.noun, earlier_id
                )
                return None
        if self.try_number <= 1:
            return None
        return self._scan(submission)

    def _scan(self, submission: Submission[B]) -> B | None:
        return find_reusable(submission.recent(), self.key, self.not_before)

    def _remember(self, submission: Submission[B], resource: B) -> B:
        if self.state_store is not None:
            self.state_store.set(submission.state_key, resource.id)
        return resource
