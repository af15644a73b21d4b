"""The watcher behind :func:`~airflow_provider_rev.completions.revai_jobs_asset`: one event per finished job.

:class:`JobCompletionTrigger` lists the connection's jobs (``GET /jobs``, newest first) every
``poll_interval`` and fires one event for each job that reached ``transcribed`` or ``failed``
since the previous listing. What it has seen is a small :class:`Watermark`:

- ``frontier``: the newest ``created_on`` listed so far (Rev AI's clock), and the ids created at
  that instant. A job created after it is new: if it is already finished it finished after the
  previous listing, so it is reported.
- ``pending``: the jobs of interest that were still ``in_progress`` at the previous listing,
  with their ``created_on``. One of them listed as finished is reported.

A listing reads pages back to the oldest pending job (or the frontier if none is pending), so
it costs one request while nothing older is in progress. A job is reported once: it leaves
``pending`` (or falls behind the frontier) in the listing that reports it. A round is all or
nothing: a listing interrupted by an error reports nothing and is repeated.

On Airflow 3.3+ the watermark is kept in the Asset's state store, written a few seconds after
a round's events were handed to the triggerer, so a restarted triggerer (or the watcher moving
to another one) continues where it left off. Older Airflow keeps it in memory only; see
``docs/completions.md`` for exactly what a restart does on each line.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_rev import _api
from airflow_provider_rev.clock import SYSTEM_CLOCK, Clock
from airflow_provider_rev.completions import (
    DEFAULT_POLL_INTERVAL,
    CompletionFilter,
    JobCompletion,
    completion_payload,
)
from airflow_provider_rev.exceptions import RevAIError
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.models import Job, parse_timestamp

#: Key of the watermark in the Asset's state store (Airflow 3.3+).
STATE_KEY = "revai_job_completions"
#: How far back a brand-new watcher looks for jobs still in progress (before ``since``, or its start).
FIRST_SCAN_SECONDS = 48 * 3600.0
#: Longest pause between listings while Rev AI keeps failing.
MAX_ERROR_BACKOFF_SECONDS = 600.0


class CompletionEvent(TriggerEvent):
    """One finished job's event; logged by the triggerer as one short line."""

    def __init__(self, payload: JobCompletion) -> None:
        super().__init__(payload)  # type: ignore[no-untyped-call]  # Airflow leaves it untyped

    def __repr__(self) -> str:
        payload = self.payload if isinstance(self.payload, dict) else {}
        return f"TriggerEvent<Rev AI job {payload.get('id')} {payload.get('status')}>"

    __str__ = __repr__


def _created(job: Job) -> float | None:
    return job.created_on.timestamp() if job.created_on is not None else None


@dataclass
class Watermark:
    """What a watcher has seen; JSON-native through :meth:`to_json` (see the module docstring).

    :param frontier: newest ``created_on`` (epoch seconds) listed so far; ``None`` before the first listing.
    :param frontier_ids: ids of the jobs created exactly at ``frontier``.
    :param pending: job id -> ``created_on`` of the jobs of interest in progress at the last listing.
    :param since: for the first listing only: report jobs that finished at or after this (epoch).
    :param started: when the watcher first started (our clock), the first listing's reference.
    """

    frontier: float | None = None
    frontier_ids: list[str] = field(default_factory=list)
    pending: dict[str, float] = field(default_factory=dict)
    since: float | None = None
    started: float | None = None

    VERSION: ClassVar[int] = 1

    def floor(self, now: float) -> float:
        """Return the oldest ``created_on`` the next listing must reach."""
        if self.frontier is None:
            start = self.since if self.since is not None else (self.started or now)
            return start - FIRST_SCAN_SECONDS
        return min([self.frontier, *self.pending.values()])

    def is_new(self, job: Job, created: float) -> bool:
        """Whether ``job`` was created after the previous listing."""
        if self.frontier is None:
            return True
        return created > self.frontier or (created == self.frontier and job.id not in self.frontier_ids)

    def advance(
        self, listed: Iterable[Job], accept: CompletionFilter, now: float
    ) -> tuple[list[Job], Watermark]:
        """Return the jobs that newly finished, oldest completion first, and the watermark after them.

        ``listed`` must be every job back to :meth:`floor` (newest first, as ``GET /jobs`` lists).
        """
        floor = self.floor(now)
        first = self.frontier is None
        finished: list[Job] = []
        pending: dict[str, float] = {}
        newest: float | None = None
        at_newest: list[str] = []
        for job in listed:
            created = _created(job)
            if created is None:
                continue  # Rev AI always dates jobs; one without a date cannot be placed
            if newest is None or created > newest:
                newest, at_newest = created, [job.id]
            elif created == newest:
                at_newest.append(job.id)
            if created < floor or not accept.matches(job):
                continue
            if not job.status.is_terminal:
                pending[job.id] = created
            elif first:
                done = job.completed_on.timestamp() if job.completed_on is not None else None
                if self.since is not None and done is not None and done >= self.since:
                    finished.append(job)
            elif job.id in self.pending or self.is_new(job, created):
                finished.append(job)
        if newest is None or (self.frontier is not None and newest < self.frontier):
            frontier, frontier_ids = (
                (floor, []) if self.frontier is None else (self.frontier, self.frontier_ids)
            )
        elif self.frontier is not None and newest == self.frontier:
            frontier, frontier_ids = newest, sorted(set(self.frontier_ids) | set(at_newest))
        else:
            frontier, frontier_ids = newest, sorted(at_newest)
        finished.sort(
            key=lambda job: (job.completed_on.timestamp() if job.completed_on else math.inf, job.id)
        )
        after = Watermark(frontier, frontier_ids, pending, self.since, self.started)
        return finished, after

    def to_json(self) -> dict[str, Any]:
        """Return the watermark as stored in the Asset's state store."""
        return {
            "version": self.VERSION,
            "frontier": self.frontier,
            "frontier_ids": list(self.frontier_ids),
            "pending": dict(self.pending),
            "since": self.since,
            "started": self.started,
        }

    @classmethod
    def from_json(cls, value: Any) -> Watermark | None:
        """Read a stored watermark; ``None`` if there is none or it is not one this version wrote."""
        if not isinstance(value, dict) or value.get("version") != cls.VERSION:
            return None
        try:
            return cls(
                frontier=None if value.get("frontier") is None else float(value["frontier"]),
                frontier_ids=[str(i) for i in value.get("frontier_ids") or []],
                pending={str(k): float(v) for k, v in (value.get("pending") or {}).items()},
                since=None if value.get("since") is None else float(value["since"]),
                started=None if value.get("started") is None else float(value["started"]),
            )
        except (TypeError, ValueError, AttributeError):
            return None


class JobCompletionTrigger(BaseEventTrigger):
    """Watch a connection's jobs and fire one event per job that finishes; an Asset watcher.

    Build it through :func:`~airflow_provider_rev.completions.revai_jobs_asset`. Each event's
    payload is a :class:`~airflow_provider_rev.completions.JobCompletion`.

    A brand-new watcher reports jobs that finish after its first listing (plus, with ``since``,
    those that finished since then). Jobs still in progress are followed back to
    :data:`FIRST_SCAN_SECONDS` before its start. Transient errors (429 with ``Retry-After``,
    5xx, dropped connections) are retried by the hook's retry policy, then the round is
    repeated after a growing pause; permanent ones (a revoked token) are logged and retried
    every :data:`MAX_ERROR_BACKOFF_SECONDS`, so fixing the connection resumes the watch.

    It does not join the shared poll loop of waiting triggers (``shared_stream_key`` is
    ``None``): that loop lists only as deep as the waiting jobs need and broadcasts only those
    jobs, while a watcher must see every finished job back to its watermark, and it keeps a
    persistent watermark per Asset that a shared broadcast has no place for.

    :param revai_conn_id: the ``revai`` connection; only its id is serialized.
    :param poll_interval: seconds between listings.
    :param only_provider_jobs: only jobs submitted through this provider (carrying its tag).
    :param metadata_prefix: only jobs whose metadata (without the tag) starts with this.
    :param since: ISO-8601; a brand-new watcher also reports jobs that finished since then.
    :param asset_name: the watched Asset, whose state store keeps the watermark (Airflow 3.3+).
    """

    clock: ClassVar[Clock] = SYSTEM_CLOCK
    #: Seconds between a round's events and the watermark write that covers them: the triggerer
    #: hands events to the database within a sync (about a second), so a restart in this window
    #: repeats the round's events rather than losing them.
    settle_seconds: ClassVar[float] = 5.0
    #: Jobs per ``GET /jobs`` page.
    page_size: int = _api.MAX_PAGE_SIZE

    def __init__(
        self,
        revai_conn_id: str = RevAIHook.default_conn_name,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        only_provider_jobs: bool = True,
        metadata_prefix: str | None = None,
        since: str | None = None,
        asset_name: str | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.revai_conn_id = revai_conn_id
        self.poll_interval = float(poll_interval)
        if self.poll_interval <= 0:
            raise ValueError(f"poll_interval must be positive, got {poll_interval!r}")
        self.only_provider_jobs = bool(only_provider_jobs)
        self.metadata_prefix = metadata_prefix or None
        if since is not None and parse_timestamp(since) is None:
            raise ValueError(f"since must be an ISO-8601 time such as 2026-12-01T00:00:00Z, got {since!r}")
        self.since = since
        self.asset_name = asset_name

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the classpath and JSON-native kwargs that rebuild this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "revai_conn_id": self.revai_conn_id,
                "poll_interval": self.poll_interval,
                "only_provider_jobs": self.only_provider_jobs,
                "metadata_prefix": self.metadata_prefix,
                "since": self.since,
                "asset_name": self.asset_name,
            },
        )

    @property
    def filter(self) -> CompletionFilter:
        """Which jobs this watcher reports."""
        return CompletionFilter(self.only_provider_jobs, self.metadata_prefix)

    # ------------------------------------------------------------------ the watermark's home

    def _store(self) -> Any:
        """Return the Asset's state store accessor (Airflow 3.3+ watchers), else ``None``."""
        store = getattr(self, "asset_state_store", None)
        if store is None:
            return None
        if self.asset_name:
            try:
                from airflow.sdk import Asset

                return store[Asset.ref(name=self.asset_name)]
            except (KeyError, TypeError, AttributeError, ImportError):
                pass
        return store

    async def _load(self) -> Watermark | None:
        store = self._store()
        if store is None:
            return None
        try:
            return Watermark.from_json(await store.aget(STATE_KEY))
        except Exception as exc:  # noqa: BLE001  # a watcher without its watermark still works
            self.log.warning("Rev AI job watcher: could not read its watermark (%s); starting afresh", exc)
            return None

    async def _save(self, watermark: Watermark) -> bool:
        store = self._store()
        if store is None:
            return False
        try:
            await store.aset(STATE_KEY, watermark.to_json())
        except Exception as exc:  # noqa: BLE001  # kept in memory; the next round writes again
            self.log.warning("Rev AI job watcher: could not store its watermark (%s)", exc)
            return False
        return True

    # ------------------------------------------------------------------ the loop

    async def _receives_webhooks(self) -> bool:
        """Whether the connection (read afresh) has a ``webhook_secret``: then the receiver reports jobs."""
        hook = RevAIHook(self.revai_conn_id)
        try:
            return (await hook.asettings()).webhook is not None
        except Exception:  # noqa: BLE001  # an unreadable connection: the listing reports why
            return False
        finally:
            await hook.aclose()

    async def list_back_to(self, hook: RevAIHook, floor: float) -> tuple[list[Job], int]:
        """List jobs newest first until one older than ``floor`` (or the end); return them and the pages."""
        pager = _api.JobPager(page_size=self.page_size)
        jobs: list[Job] = []
        pages = 0
        while (call := pager.next_call()) is not None:
            page = pager.accept(await hook.arun(call))
            pages += 1
            jobs.extend(page)
            oldest = _created(page[-1]) if page else None
            if oldest is not None and oldest < floor:
                break
        return jobs, pages

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """List, report what newly finished, remember it; forever (the triggerer cancels watchers)."""
        hook = RevAIHook(self.revai_conn_id)
        clock = self.clock
        accept = self.filter
        watermark = await self._load()
        stored = watermark.to_json() if watermark is not None else None
        if watermark is None:
            since = parse_timestamp(self.since)
            watermark = Watermark(since=since.timestamp() if since else None, started=clock.time())
            self.log.info(
                "Rev AI job watcher (%s): first start, reporting jobs that finish from now%s",
                self.revai_conn_id,
                f" and since {self.since}" if self.since else "",
            )
        else:
            self.log.info(
                "Rev AI job watcher (%s): resuming, %d jobs in progress",
                self.revai_conn_id,
                len(watermark.pending),
            )
        failures = 0
        idle = False
        try:
            while True:
                delay = self.poll_interval
                if await self._receives_webhooks():
                    if not idle:
                        self.log.info(
                            "Rev AI job watcher (%s): the connection has a webhook_secret, so Rev AI "
                            "calls the webhook receiver; not listing jobs",
                            self.revai_conn_id,
                        )
                    idle = True
                    await clock.sleep(delay)
                    continue
                if idle:
                    # webhooks delivered everything up to now: start afresh rather than report it again
                    idle = False
                    watermark = Watermark(started=clock.time())
                    self.log.info(
                        "Rev AI job watcher (%s): no webhook_secret any more; listing jobs "
                        "that finish from now",
                        self.revai_conn_id,
                    )
                now = clock.time()
                try:
                    listed, pages = await self.list_back_to(hook, watermark.floor(now))
                except RevAIError as exc:
                    failures += 1
                    delay = (
                        MAX_ERROR_BACKOFF_SECONDS
                        if exc.permanent
                        else min(MAX_ERROR_BACKOFF_SECONDS, self.poll_interval * 2**failures)
                    )
                    log = self.log.error if exc.permanent else self.log.warning
                    log(
                        "Rev AI job watcher (%s): %s; listing again in %.0f s", self.revai_conn_id, exc, delay
                    )
                    await clock.sleep(delay)
                    continue
                failures = 0
                finished, watermark = watermark.advance(listed, accept, now)
                for job in finished:
                    yield CompletionEvent(completion_payload(job))
                self.log.log(
                    logging.INFO if finished else logging.DEBUG,
                    "Rev AI job watcher (%s): %d finished, %d in progress, %d jobs on %d list pages",
                    self.revai_conn_id,
                    len(finished),
                    len(watermark.pending),
                    len(listed),
                    pages,
                )
                state = watermark.to_json()
                if state != stored:
                    if finished:
                        settle = min(self.settle_seconds, delay)
                        await clock.sleep(settle)
                        delay -= settle
                    if await self._save(watermark):
                        stored = state
                await clock.sleep(delay)
        finally:
            await hook.aclose()
