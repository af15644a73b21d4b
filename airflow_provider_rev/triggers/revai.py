"""The trigger that waits in the triggerer until a Rev AI job (or custom vocabulary) ends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Hashable
from typing import Any, ClassVar

from airflow.providers.common.compat.sdk import conf
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from airflow_provider_rev.clock import SYSTEM_CLOCK, Clock
from airflow_provider_rev.exceptions import RevAIError
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.models import Job
from airflow_provider_rev.options import validate_job_id
from airflow_provider_rev.retry import RetryPolicy
from airflow_provider_rev.shared_poll import (
    REGISTRIES,
    Batch,
    Registry,
    Throttle,
    Waiter,
    poll_round,
    release,
    until_due_or_changed,
)
from airflow_provider_rev.waiting import (
    WATCH_KINDS,
    EventStatus,
    TranscriptEvent,
    Watch,
    error_reason,
    event,
    next_check_delay,
    permanent_error_message,
    timeout_message,
)

#: Longest pause between checks while Rev AI keeps answering with transient errors.
MAX_ERROR_BACKOFF_SECONDS = 600.0
#: ``[revai]`` options read in the triggerer (see ``docs/scale.md``).
CONFIG_SECTION = "revai"
DEFAULT_SHARED_POLL_REQUESTS_PER_SECOND = 5.0
#: The shared poll sends each request once; it backs off for the whole connection itself.
SINGLE_ATTEMPT = RetryPolicy(max_transient_retries=0, max_rate_limit_retries=0)


class RevAITriggerEvent(TriggerEvent):
    """The event a :class:`TranscriptTrigger` fires: the same payload, a one-line log entry.

    The triggerer logs every event it fires with its ``repr``; the payload carries the whole
    job for the task that resumes, so the log line shows only the event's message.
    """

    def __init__(self, payload: TranscriptEvent) -> None:
        super().__init__(payload)  # type: ignore[no-untyped-call]  # Airflow leaves it untyped

    def __repr__(self) -> str:
        payload = self.payload if isinstance(self.payload, dict) else {}
        return f"TriggerEvent<{payload.get('message') or payload.get('status')}>"

    __str__ = __repr__


class TranscriptTrigger(BaseEventTrigger):
    """Wait for a job with async HTTP and fire exactly one event when it ends.

    The event is a :class:`~airflow_provider_rev.waiting.TranscriptEvent` whose ``status``
    is ``transcribed``, ``failed``, ``timeout`` (``end_time`` passed) or ``error`` (a
    permanent API error such as a revoked token or an unknown job). Transient errors (429,
    5xx, dropped connections) never end the wait. When the wait is over is decided by
    :class:`~airflow_provider_rev.waiting.Watch`, the same rule every waiting path uses.

    On Airflow 3.3+ every job waiting on one connection in one triggerer shares ONE poll loop
    (Airflow's shared trigger streams, see :mod:`airflow_provider_rev.shared_poll`): statuses
    are refreshed in bulk with ``GET /jobs``. :meth:`run`, one poll loop per job, is what
    Airflow 3.1/3.2 and ``dag.test()`` use, and what ``shared_polling=False`` or
    ``[revai] shared_polling = False`` select. Both produce identical events.

    :param job_id: the job (or, with ``resource="custom_vocabulary"``, the vocabulary) to wait for.
    :param revai_conn_id: the ``revai`` connection; only its id is serialized, never a token.
    :param poll_interval: seconds between status checks (longer for long media once Rev AI
        reports the duration, see :func:`~airflow_provider_rev.waiting.next_check_delay`).
    :param end_time: wall-clock deadline (epoch seconds). A deadline survives triggerer
        restarts, unlike a duration, and Airflow's ``execution_timeout`` does not apply
        while a task is deferred.
    :param first_check_at: wall-clock time (epoch seconds) of the first check. A task that
        has just checked the job defers with ``now + poll_interval`` so the trigger does not
        repeat that check at once; a trigger re-created after a triggerer restart, when this
        moment has passed, checks immediately.
    :param wait_for_subjobs: for a job, also wait until its requested summary and
        translations leave ``in_progress`` (``False``: the transcript only).
    :param resource: ``job`` or ``custom_vocabulary`` (whose wait ends at ``complete``).
    :param shared_polling: share one poll loop per connection on Airflow 3.3+ (jobs only).
    """

    #: The clock every wait reads and sleeps on; a benchmark may swap in a compressed one.
    clock: ClassVar[Clock] = SYSTEM_CLOCK

    def __init__(
        self,
        job_id: str,
        revai_conn_id: str = RevAIHook.default_conn_name,
        poll_interval: float = 30.0,
        end_time: float | None = None,
        first_check_at: float | None = None,
        wait_for_subjobs: bool = True,
        resource: str = "job",
        shared_polling: bool = True,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.job_id = validate_job_id(job_id)
        self.revai_conn_id = revai_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = float(end_time) if end_time is not None else None
        self.first_check_at = float(first_check_at) if first_check_at is not None else None
        self.wait_for_subjobs = bool(wait_for_subjobs)
        if resource not in WATCH_KINDS:
            raise ValueError(f"resource must be one of {WATCH_KINDS}, got {resource!r}")
        self.resource = resource
        self.shared_polling = bool(shared_polling)
        self._last_progress: str | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the classpath and JSON-native kwargs that rebuild this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_id": self.job_id,
                "revai_conn_id": self.revai_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "first_check_at": self.first_check_at,
                "wait_for_subjobs": self.wait_for_subjobs,
                "resource": self.resource,
                "shared_polling": self.shared_polling,
            },
        )

    @property
    def watch(self) -> Watch:
        """What this trigger waits for, and when that wait is over."""
        return Watch(self.resource, self.wait_for_subjobs)

    # ------------------------------------------------------------------ one loop per job

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Check the job until it is over, the deadline passes or a permanent error occurs."""
        hook = RevAIHook(self.revai_conn_id)
        watch, clock = self.watch, self.clock
        failures = 0
        try:
            await self._until_first_check()
            while True:
                delay = self.poll_interval
                try:
                    resource = await hook.arun(watch.call(self.job_id))
                except RevAIError as exc:
                    if exc.permanent:
                        message = permanent_error_message(watch.noun, self.job_id, error_reason(exc))
                        self.log.error(message)
                        yield RevAITriggerEvent(
                            event(EventStatus.ERROR, self.job_id, message, permanent=True)
                        )
                        return
                    failures += 1
                    delay = min(MAX_ERROR_BACKOFF_SECONDS, self.poll_interval * 2**failures)
                    self.log.warning(
                        "Rev AI %s %s: %s; checking again in %.0f s", watch.noun, self.job_id, exc, delay
                    )
                else:
                    failures = 0
                    self._progress(watch.describe(resource))
                    if watch.over(resource):
                        yield RevAITriggerEvent(watch.event(resource))
                        return
                    if isinstance(resource, Job):
                        delay = next_check_delay(resource, self.poll_interval, clock.time())
                if self.end_time is not None and clock.time() + delay > self.end_time:
                    remaining = self.end_time - clock.time()
                    if remaining > 0:
                        await clock.sleep(remaining)
                        final = await self._final_check(hook, watch)
                        if final is not None:
                            yield final
                            return
                    message = timeout_message(watch.noun, self.job_id)
                    yield RevAITriggerEvent(event(EventStatus.TIMEOUT, self.job_id, message))
                    return
                await clock.sleep(delay)
        finally:
            await hook.aclose()

    def _progress(self, line: str) -> None:
        """Log a status line unless it repeats the last one word for word.

        A transcribed job waiting for its summary reads the same at every check; one line says it.
        """
        if line != self._last_progress:
            self.log.info(line)
            self._last_progress = line

    async def _until_first_check(self) -> None:
        """Sleep until ``first_check_at`` (never past ``end_time``); at once if it has passed."""
        if self.first_check_at is None:
            return
        wake = self.first_check_at if self.end_time is None else min(self.first_check_at, self.end_time)
        pause = wake - self.clock.time()
        if pause > 0:
            await self.clock.sleep(pause)

    async def _final_check(self, hook: RevAIHook, watch: Watch) -> TriggerEvent | None:
        """Check once more at the deadline, so a job finishing just in time is not lost."""
        try:
            resource = await hook.arun(watch.call(self.job_id))
        except RevAIError:
            return None
        self._progress(watch.describe(resource))
        return RevAITriggerEvent(watch.event(resource)) if watch.over(resource) else None

    # ------------------------------------------------------------------ one loop per connection

    def shared_stream_key(self) -> Hashable | None:
        """Share one poll loop with every job waiting on the same connection (Airflow 3.3+).

        The connection id decides the API root, region and token, so equal ids can share one
        listing; the job id, interval and deadline may differ between subscribers. ``None``
        (each trigger polls on its own, through :meth:`run`) for custom vocabularies, with
        ``shared_polling=False``, or with ``[revai] shared_polling = False``.
        """
        if self.resource != "job" or not self.shared_polling:
            return None
        if not conf.getboolean(CONFIG_SECTION, "shared_polling", fallback=True):
            return None
        return _stream_key(self.revai_conn_id)

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        """Poll every job waiting on ``kwargs["revai_conn_id"]`` and yield one :class:`Batch` per round.

        Runs until the triggerer cancels it (its last subscriber left). Never raises on
        transient errors; see :mod:`airflow_provider_rev.shared_poll`.
        """
        conn_id = str(kwargs["revai_conn_id"])
        key = _stream_key(conn_id)
        registry = REGISTRIES.setdefault(key, Registry())
        registry.streams += 1
        clock = cls.clock
        hook = RevAIHook(conn_id, retry_policy=SINGLE_ATTEMPT)
        rate = conf.getfloat(
            CONFIG_SECTION,
            "shared_poll_requests_per_second",
            fallback=DEFAULT_SHARED_POLL_REQUESTS_PER_SECOND,
        )
        throttle = Throttle(clock, rate, RetryPolicy())
        log = hook.log
        log.info("Rev AI shared poll started for connection %s (%.1f requests/s at most)", conn_id, rate)
        try:
            while True:
                await until_due_or_changed(registry, clock)
                if not registry.due_ids(clock.time()):
                    continue
                waiting = len(registry.waiting_ids())
                batch, result = await poll_round(registry, hook.arun, throttle, clock)
                log.info(
                    "Rev AI shared poll (%s): %d waiting jobs, %d refreshed with %d list pages and "
                    "%d job requests%s",
                    conn_id,
                    waiting,
                    result.seen,
                    result.list_pages,
                    result.job_requests,
                    f"; {len(batch['errors'])} not checked, retrying" if batch["errors"] else "",
                )
                yield batch
        finally:
            registry.streams -= 1
            release(key, registry)
            await hook.aclose()

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        """Wait for this trigger's job in the shared poll's broadcast; fire its one event."""
        key = _stream_key(self.revai_conn_id)
        registry = REGISTRIES.setdefault(key, Registry())
        now = self.clock.time()
        first = self.first_check_at if self.first_check_at is not None else now
        token = id(self)
        registry.add(
            token,
            Waiter(self.job_id, self.poll_interval, first, self.end_time, self.wait_for_subjobs),
        )
        try:
            async for batch in shared_stream:
                found = self._event_in(batch)
                if found is not None:
                    yield RevAITriggerEvent(found)
                    return
        finally:
            registry.remove(token)
            release(key, registry)

    def _event_in(self, batch: Batch) -> TranscriptEvent | None:
        """Return this trigger's event in a broadcast, if the broadcast ends its wait."""
        watch = self.watch
        failure = batch["fatal"] or batch["errors"].get(self.job_id)
        if failure is not None and failure["permanent"]:
            message = permanent_error_message(watch.noun, self.job_id, failure["message"])
            self.log.error(message)
            return event(EventStatus.ERROR, self.job_id, message, permanent=True)
        data = batch["jobs"].get(self.job_id)
        if data is not None:
            job = Job.from_dict(data)
            over = watch.over(job)
            if over or self.job_id in batch["due"]:
                self._progress(watch.describe(job))
            if over:
                return watch.event(job)
        if self.end_time is not None and self.clock.time() >= self.end_time:
            return event(EventStatus.TIMEOUT, self.job_id, timeout_message(watch.noun, self.job_id))
        return None


def _stream_key(conn_id: str) -> tuple[str, str]:
    return ("airflow_provider_rev.TranscriptTrigger", conn_id)
