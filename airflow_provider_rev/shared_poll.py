"""One poll loop for every job waiting on one connection in one triggerer (Airflow 3.3+).

Airflow 3.3's triggerer runs a single ``open_shared_stream`` loop for all triggers whose
``shared_stream_key`` is equal, broadcasts what it yields to each of them, and lets each
trigger pick its own event out of the broadcast (``filter_shared_stream``). For Rev AI that
turns N status requests per interval into about one: ``GET /jobs`` lists up to 1,000 jobs,
newest first, with their statuses.

This module holds that loop's state and decisions; the trigger only wires it in:

- :class:`Registry` knows which jobs are waiting and when each is next due. Triggers add
  themselves when their filter starts and remove themselves when it ends (done, cancelled,
  timed out, moved to another triggerer). Sharing it through a class-level dict is safe
  because a triggerer is one process running every trigger and every stream on one event
  loop: registry reads and writes never interleave with each other mid-update.
- :func:`poll_round` refreshes the due jobs with as few requests as it can: list pages while
  they are cheaper than one ``GET /jobs/{id}`` per remaining job, individual GETs for jobs
  the list cannot reach (older than the pages it would have to read, or not listed).
- :class:`Throttle` is the connection's one request budget and one 429 backoff: requests
  are spaced, and a 429 pauses the whole stream for ``Retry-After`` (or the retry policy's
  backoff) instead of every trigger retrying on its own.

A round never raises on transient errors (a raise would be fanned out to every subscriber as
a failure): the affected jobs stay due. Permanent errors (401, 403) are broadcast so each
subscriber ends with the ``error`` event it would produce on its own.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from airflow_provider_rev import _api
from airflow_provider_rev.clock import Clock
from airflow_provider_rev.exceptions import RevAIError, RevAINotFoundError, RevAIRateLimitError
from airflow_provider_rev.models import Job
from airflow_provider_rev.retry import RetryPolicy, RetryState
from airflow_provider_rev.waiting import error_reason, next_check_delay, wait_over

#: Share of its interval a check may come early to join a round that is going out anyway.
COALESCE_SHARE = 0.25
#: Sends one prepared call, once (the hook's ``arun`` with a retry policy that never retries).
Send = Callable[[_api.Call[Any]], Awaitable[Any]]


class Batch(TypedDict):
    """One broadcast: what a round learnt. Every subscriber gets the same object.

    :param jobs: job id -> the job in the API's shape, for every waiting job seen this round.
    :param errors: job id -> error of a job that could not be checked (``permanent`` or not).
    :param fatal: an error that ends every wait on this connection (401/403), or ``None``.
    :param due: the jobs this round was for (others in ``jobs`` came along on a list page).
    """

    jobs: dict[str, dict[str, Any]]
    errors: dict[str, dict[str, Any]]
    fatal: dict[str, Any] | None
    due: frozenset[str]


@dataclass
class Waiter:
    """One subscribed trigger: its job and its schedule on the stream's clock."""

    job_id: str
    poll_interval: float
    next_check: float
    end_time: float | None = None
    subjobs: bool = True

    def due_at(self) -> float:
        """When this waiter next needs fresh status: its next check, or its deadline if sooner.

        A check may come up to :data:`COALESCE_SHARE` of the interval early, so waits that
        became due a few seconds apart (sensors deferring one by one) share one list request
        instead of costing a ``GET /jobs/{id}`` each. Deadlines are never moved.
        """
        early = self.next_check - COALESCE_SHARE * self.poll_interval
        return early if self.end_time is None else min(early, self.end_time)


@dataclass
class Registry:
    """The waiting jobs of one stream key, and what the stream learnt about them."""

    waiters: dict[int, Waiter] = field(default_factory=dict)
    by_job: dict[str, set[int]] = field(default_factory=dict)
    created_on: dict[str, float] = field(default_factory=dict)
    first_page_floor: float | None = None
    streams: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, token: int, waiter: Waiter) -> None:
        """Register a subscriber and wake the loop (its first check may be due now)."""
        self.waiters[token] = waiter
        self.by_job.setdefault(waiter.job_id, set()).add(token)
        self.changed.set()

    def remove(self, token: int) -> None:
        """Forget a subscriber; forget its job once nobody waits for it."""
        waiter = self.waiters.pop(token, None)
        if waiter is None:
            return
        tokens = self.by_job.get(waiter.job_id, set())
        tokens.discard(token)
        if not tokens:
            self.by_job.pop(waiter.job_id, None)
            self.created_on.pop(waiter.job_id, None)

    def waiting_ids(self) -> set[str]:
        """Every job somebody waits for."""
        return set(self.by_job)

    def due_ids(self, now: float) -> set[str]:
        """Jobs at least one waiter needs fresh status for now."""
        return {waiter.job_id for waiter in self.waiters.values() if waiter.due_at() <= now}

    def next_due(self) -> float | None:
        """Return the earliest moment any waiter is due, or ``None`` with no waiter."""
        return min((waiter.due_at() for waiter in self.waiters.values()), default=None)

    def seen(self, job: Job, now: float) -> None:
        """Record a fresh status: remember when the job was created, reschedule its waiters."""
        if job.created_on is not None:
            self.created_on[job.id] = job.created_on.timestamp()
        for token in self.by_job.get(job.id, ()):
            waiter = self.waiters[token]
            if not wait_over(job, waiter.subjobs):
                waiter.next_check = now + next_check_delay(job, waiter.poll_interval, now)

    def retry_later(self, job_ids: Iterable[str], now: float, delay: float) -> None:
        """Push the checks of jobs that could not be refreshed back by ``delay`` seconds."""
        for job_id in job_ids:
            for token in self.by_job.get(job_id, ()):
                waiter = self.waiters[token]
                waiter.next_check = max(waiter.next_check, now + delay)


#: Registries by stream key; see the module docstring for why a process-wide dict is safe.
REGISTRIES: dict[Hashable, Registry] = {}


def release(key: Hashable, registry: Registry) -> None:
    """Drop a registry once no loop runs on it and nobody waits in it (whichever leaves last)."""
    if not registry.waiters and registry.streams == 0 and REGISTRIES.get(key) is registry:
        del REGISTRIES[key]


class Throttle:
    """The connection's request budget and shared 429 backoff, on the stream's clock.

    :param max_per_second: requests per second at most (the budget).
    :param retry_policy: decides backoff delays after 429/5xx, as it does for single requests.
    """

    def __init__(self, clock: Clock, max_per_second: float, retry_policy: RetryPolicy) -> None:
        self.clock = clock
        self.spacing = 1.0 / max_per_second if max_per_second > 0 else 0.0
        self.retry_policy = retry_policy
        self.next_slot = 0.0
        self.paused_until = 0.0
        self.retries: RetryState = retry_policy.start()
        self.rate_limited = 0

    async def slot(self) -> None:
        """Wait for the next request slot (after any 429 pause)."""
        now = self.clock.time()
        start = max(now, self.next_slot, self.paused_until)
        self.next_slot = start + self.spacing
        if start > now:
            await self.clock.sleep(start - now)

    def succeeded(self) -> None:
        """Record a request that went through: the backoff starts over."""
        self.retries = self.retry_policy.start()

    def failed(self, exc: RevAIError) -> float:
        """Record a transient failure; pause every request for the delay it calls for."""
        if isinstance(exc, RevAIRateLimitError):
            self.rate_limited += 1
        delay = self.retries.next_delay(exc, idempotent=True)
        if delay is None:
            delay = self.retry_policy.max_delay
            self.retries = self.retry_policy.start()
        self.paused_until = max(self.paused_until, self.clock.time() + delay)
        return delay


def pages_worth_reading(
    remaining: dict[str, float | None], first: float, last: float, full: bool, pages_read: int = 1
) -> bool:
    """Whether reading further list pages costs fewer requests than one GET per remaining job.

    A page costs one request and each job fetched on its own costs one. For jobs whose age is
    known, the pages to reach the oldest are estimated from the span the last page covered.
    Jobs never seen yet (just deferred, or re-created after a restart) have no known age: the
    listing goes on while pages read stay fewer than the jobs still missing, so it costs at most
    about twice the cheaper choice either way.

    :param remaining: due jobs not seen yet -> their ``created_on`` (epoch), ``None`` if unknown.
    :param first: ``created_on`` of the newest job on the page just read.
    :param last: ``created_on`` of the oldest job on it.
    :param full: whether that page was full (a short page ends the listing).
    :param pages_read: pages this round has read so far.
    """
    if not full or len(remaining) <= 1:
        return False
    if any(created is None for created in remaining.values()):
        return pages_read < len(remaining)
    oldest = min(created for created in remaining.values() if created is not None)
    if oldest >= last:
        return False  # it should have been listed already: not listed, fetch it on its own
    span = max(first - last, 1e-3)
    pages_needed = math.ceil((last - oldest) / span)
    return pages_needed < len(remaining)


def first_page_pays(registry: Registry, remaining: dict[str, float | None], waiting: int) -> bool:
    """Whether a round should start with a list page rather than one GET per due job.

    With several jobs due, one page may answer them all. With one, a page costs the same single
    request and refreshes every other waiting job on it too (which then come due together
    instead of one GET each), so it pays when the job is likely on the first page: it has not
    been seen yet (just deferred), or it is no older than the first page reached last time.
    """
    if len(remaining) > 1:
        return True
    if not remaining or waiting <= 1:
        return False
    floor = registry.first_page_floor
    return all(created is None or floor is None or created >= floor for created in remaining.values())


@dataclass
class RoundResult:
    """What one round did, for the loop's log line and the benchmark."""

    list_pages: int = 0
    job_requests: int = 0
    seen: int = 0


async def poll_round(
    registry: Registry,
    send: Send,
    throttle: Throttle,
    clock: Clock,
    page_size: int = _api.MAX_PAGE_SIZE,
) -> tuple[Batch, RoundResult]:
    """Refresh the due jobs of ``registry`` and return the batch to broadcast.

    Lists pages newest first while that is cheaper than individual GETs (see
    :func:`pages_worth_reading`), then fetches each due job the list did not reach. Every
    waiting job a page shows is reported too, at no extra cost. Jobs seen in a round are
    rescheduled from the round's start, so they come due together again rather than spread
    over the seconds the round's requests took.
    """
    now = clock.time()
    due = registry.due_ids(now)
    waiting = registry.waiting_ids()
    batch = Batch(jobs={}, errors={}, fatal=None, due=frozenset(due))
    result = RoundResult()
    remaining: dict[str, float | None] = {job_id: registry.created_on.get(job_id) for job_id in due}
    pager = _api.JobPager(page_size=page_size)
    try:
        reading = first_page_pays(registry, remaining, len(waiting))
        while reading and (call := pager.next_call()) is not None:
            await throttle.slot()
            page: list[Job] = await send(call)
            throttle.succeeded()
            result.list_pages += 1
            listed = pager.accept(page)
            if result.list_pages == 1:
                full = len(page) >= pager.page_size
                registry.first_page_floor = _ts(listed[-1]) if listed and full else float("-inf")
            for job in listed:
                if job.id in waiting:
                    batch["jobs"][job.id] = job.to_dict()
                    registry.seen(job, now)
                    remaining.pop(job.id, None)
            reading = bool(listed) and pages_worth_reading(
                remaining, _ts(listed[0]), _ts(listed[-1]), len(page) >= pager.page_size, result.list_pages
            )
        for job_id in list(remaining):
            await throttle.slot()
            try:
                job = await send(_api.get_job(job_id))
            except RevAINotFoundError as exc:
                result.job_requests += 1
                batch["errors"][job_id] = {"message": error_reason(exc), "permanent": True}
                remaining.pop(job_id)
                continue
            throttle.succeeded()
            result.job_requests += 1
            batch["jobs"][job_id] = job.to_dict()
            registry.seen(job, now)
            remaining.pop(job_id)
    except RevAIError as exc:
        if exc.permanent:
            batch["fatal"] = {"message": error_reason(exc), "permanent": True}
        else:
            delay = throttle.failed(exc)
            registry.retry_later(remaining, clock.time(), delay)
            for job_id in remaining:
                batch["errors"][job_id] = {"message": error_reason(exc), "permanent": False}
    result.seen = len(batch["jobs"])
    return batch, result


def _ts(job: Job) -> float:
    return job.created_on.timestamp() if job.created_on is not None else 0.0


async def until_due_or_changed(registry: Registry, clock: Clock) -> None:
    """Sleep until the next waiter is due, or until a subscriber joins (whichever is first)."""
    registry.changed.clear()
    next_due = registry.next_due()
    if next_due is not None and next_due <= clock.time():
        return
    changed = asyncio.ensure_future(registry.changed.wait())
    pending: set[asyncio.Future[Any]] = {changed}
    if next_due is not None:
        pending.add(asyncio.ensure_future(clock.sleep(next_due - clock.time())))
    try:
        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
