"""The trigger that waits in the triggerer until a Rev AI job (or custom vocabulary) ends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_rev.exceptions import RevAIError
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.options import validate_job_id
from airflow_provider_rev.waiting import WATCH_KINDS, EventStatus, Watch, event

#: Longest pause between checks while Rev AI keeps answering with transient errors.
MAX_ERROR_BACKOFF_SECONDS = 600.0


class TranscriptTrigger(BaseTrigger):
    """Poll a job with async HTTP and fire exactly one event when it ends.

    The event is a :class:`~airflow_provider_rev.waiting.TranscriptEvent` whose ``status``
    is ``transcribed``, ``failed``, ``timeout`` (``end_time`` passed) or ``error`` (a
    permanent API error such as a revoked token or an unknown job). Transient errors (429,
    5xx, dropped connections) never end the wait: the hook retries them, and the trigger
    then keeps polling with a growing pause. When the wait is over is decided by
    :class:`~airflow_provider_rev.waiting.Watch`, the same rule every waiting path uses.

    :param job_id: the job (or, with ``resource="custom_vocabulary"``, the vocabulary) to wait for.
    :param revai_conn_id: the ``revai`` connection; only its id is serialized, never a token.
    :param poll_interval: seconds between status checks.
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
    """

    def __init__(
        self,
        job_id: str,
        revai_conn_id: str = RevAIHook.default_conn_name,
        poll_interval: float = 30.0,
        end_time: float | None = None,
        first_check_at: float | None = None,
        wait_for_subjobs: bool = True,
        resource: str = "job",
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
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Check the job until it is terminal, the deadline passes or a permanent error occurs."""
        hook = RevAIHook(self.revai_conn_id)
        watch = Watch(self.resource, self.wait_for_subjobs)
        failures = 0
        try:
            await self._until_first_check()
            while True:
                delay = self.poll_interval
                try:
                    resource = await hook.arun(watch.call(self.job_id))
                except RevAIError as exc:
                    if exc.permanent:
                        message = f"Rev AI {watch.noun} {self.job_id}: giving up on a permanent error: {exc}"
                        self.log.error(message)
                        yield TriggerEvent(event(EventStatus.ERROR, self.job_id, message, permanent=True))
                        return
                    failures += 1
                    delay = min(MAX_ERROR_BACKOFF_SECONDS, self.poll_interval * 2**failures)
                    self.log.warning(
                        "Rev AI %s %s: %s; checking again in %.0f s", watch.noun, self.job_id, exc, delay
                    )
                else:
                    failures = 0
                    self.log.info(watch.describe(resource))
                    if watch.over(resource):
                        yield TriggerEvent(watch.event(resource))
                        return
                if self.end_time is not None and time.time() + delay > self.end_time:
                    remaining = self.end_time - time.time()
                    if remaining > 0:
                        await asyncio.sleep(remaining)
                        continue_check = await self._final_check(hook, watch)
                        if continue_check is not None:
                            yield continue_check
                            return
                    message = f"Rev AI {watch.noun} {self.job_id} was still in progress at the deadline"
                    yield TriggerEvent(event(EventStatus.TIMEOUT, self.job_id, message))
                    return
                await asyncio.sleep(delay)
        finally:
            await hook.aclose()

    async def _until_first_check(self) -> None:
        """Sleep until ``first_check_at`` (never past ``end_time``); at once if it has passed."""
        if self.first_check_at is None:
            return
        wake = self.first_check_at if self.end_time is None else min(self.first_check_at, self.end_time)
        pause = wake - time.time()
        if pause > 0:
            await asyncio.sleep(pause)

    async def _final_check(self, hook: RevAIHook, watch: Watch) -> TriggerEvent | None:
        """Check once more at the deadline, so a job finishing just in time is not lost."""
        try:
            resource = await hook.arun(watch.call(self.job_id))
        except RevAIError:
            return None
        self.log.info(watch.describe(resource))
        return TriggerEvent(watch.event(resource)) if watch.over(resource) else None
