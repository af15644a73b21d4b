"""Webhook delivery: POST ``{"job": ...}`` or ``{"custom_vocabulary": ...}``, retried on a schedule."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from airflow_provider_rev.emulator.clock import Clock
from airflow_provider_rev.emulator.config import EmulatorConfig
from airflow_provider_rev.emulator.options import UrlConfig

JOB = "job"
CUSTOM_VOCABULARY = "custom_vocabulary"


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook attempt.

    :param job_id: id of the job, or of the custom vocabulary when ``resource`` is ``"custom_vocabulary"``.
    :param status: HTTP status the receiver answered (``None`` if the request failed).
    :param error: why the attempt failed without a status (connection refused, timeout, ...).
    :param authorization: the ``Authorization`` header sent (from ``notification_config.auth_headers``).
    :param resource: the body's wrapper key: ``"job"`` or ``"custom_vocabulary"``.
    """

    job_id: str
    url: str
    attempt: int
    status: int | None
    error: str | None
    body: dict[str, Any]
    authorization: str | None
    sent_at: datetime
    resource: str = JOB

    @property
    def acknowledged(self) -> bool:
        """Tell whether the receiver acknowledged the webhook (exactly 200)."""
        return self.status == 200


@dataclass
class _Pending:
    job_id: str
    resource: str
    target: UrlConfig
    body: dict[str, Any]
    first_at: datetime
    deadline: datetime
    next_at: datetime
    attempts: int = 0
    in_flight: bool = False


class WebhookDispatcher:
    """Send job webhooks; retry every ``webhook_retry_seconds`` until 200 or the retry window ends.

    Attempt ``k`` (from 0) is due at ``first + k * webhook_retry_seconds``; the last one is the latest
    such time within ``webhook_retry_window_seconds`` (Rev: every 30 min for 24 h = 49 attempts).
    """

    def __init__(self, session: aiohttp.ClientSession, clock: Clock, config: EmulatorConfig) -> None:
        self.session = session
        self.clock = clock
        self.config = config
        self._pending: list[_Pending] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._deliveries: list[WebhookDelivery] = []
        self._cond = threading.Condition()

    def schedule(
        self, resource_id: str, target: UrlConfig, resource_json: dict[str, Any], resource: str = JOB
    ) -> None:
        """Queue the first attempt for a finished job or vocabulary (sent on the next dispatch).

        :param resource: the body's wrapper key, ``"job"`` or ``"custom_vocabulary"``.
        """
        now = self.clock.now()
        deadline = now + timedelta(seconds=self.config.webhook_retry_window_seconds)
        body = {resource: resource_json}
        self._pending.append(_Pending(resource_id, resource, target, body, now, deadline, now))

    def dispatch_due(self) -> None:
        """Start every attempt that is due."""
        now = self.clock.now()
        for pending in self._pending:
            if not pending.in_flight and pending.next_at <= now:
                pending.in_flight = True
                task = asyncio.get_running_loop().create_task(self._attempt(pending))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _attempt(self, pending: _Pending) -> None:
        pending.attempts += 1
        headers = {"Content-Type": "application/json"}
        if pending.target.authorization:
            headers["Authorization"] = pending.target.authorization
        status: int | None = None
        error: str | None = None
        timeout = aiohttp.ClientTimeout(total=self.config.webhook_timeout_seconds)
        try:
            async with self.session.post(
                pending.target.url, data=json.dumps(pending.body), headers=headers, timeout=timeout
            ) as response:
                status = response.status
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        now = self.clock.now()
        delivery = WebhookDelivery(
            pending.job_id,
            pending.target.url,
            pending.attempts,
            status,
            error,
            pending.body,
            pending.target.authorization,
            now,
            pending.resource,
        )
        # attempts are pinned to first + k * interval, so a compressed clock gives the same attempt count
        interval = timedelta(seconds=self.config.webhook_retry_seconds)
        pending.next_at = pending.first_at + pending.attempts * interval
        pending.in_flight = False
        if (delivery.acknowledged or pending.next_at > pending.deadline) and pending in self._pending:
            self._pending.remove(pending)
        with self._cond:
            self._deliveries.append(delivery)
            self._cond.notify_all()

    def deliveries(self) -> list[WebhookDelivery]:
        """Return every attempt so far (thread-safe copy)."""
        with self._cond:
            return list(self._deliveries)

    def wait_for(self, count: int, timeout: float) -> bool:
        """Block until ``count`` attempts were made; ``False`` on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._deliveries) >= count, timeout)

    def reset(self) -> None:
        """Forget pending retries and recorded deliveries."""
        self._pending.clear()
        with self._cond:
            self._deliveries.clear()

    async def close(self) -> None:
        """Cancel attempts in flight."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._pending.clear()
