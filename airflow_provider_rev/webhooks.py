"""Webhook delivery of finished jobs: the address, the credential and the body, without any I/O.

A ``revai`` connection with ``extra.webhook_secret`` asks Rev AI to call the Airflow API
server when each job it submits finishes, instead of anyone polling. The submit operator
puts :func:`notification_config` into the job; Rev AI then POSTs ``{"job": {...}}`` to
``<base URL>/revai/webhooks/<conn_id>`` with ``Authorization: Bearer <secret>``, and retries
every 30 minutes for 24 hours until it gets a 200. The receiver (the provider's API-server
plugin, :mod:`airflow_provider_rev.receiver`) checks the header with :func:`is_authorized`,
reads the body with :func:`parse_delivery`, and records the same Asset event the watcher
would (:func:`~airflow_provider_rev.completions.completion_payload`).

Rev AI documents no signature on webhook calls; the bearer secret it echoes back is the only
credential, so it is compared in constant time, never logged, and the base URL should be
https.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from airflow_provider_rev.completions import JobCompletion, completion_payload
from airflow_provider_rev.connection import ConnectionSettings
from airflow_provider_rev.exceptions import RevAIInvalidInputError
from airflow_provider_rev.models import Job, JobStatus

#: Where the plugin's app is mounted on the API server.
URL_PREFIX = "/revai"
#: The receiver's route under :data:`URL_PREFIX`.
ROUTE = "/webhooks/{conn_id}"
#: Largest webhook body read (a job object is a few kilobytes).
MAX_BODY_BYTES = 256 * 1024


class WebhookBodyError(ValueError):
    """A webhook body that is not Rev AI's ``{"job": {...}}`` for a finished job (answered 400)."""


def webhook_url(base_url: str, conn_id: str) -> str:
    """Return the receiver's public URL for ``conn_id`` under the API server's ``base_url``."""
    return base_url.rstrip("/") + URL_PREFIX + ROUTE.format(conn_id=quote(conn_id, safe=""))


def base_url_for(settings: ConnectionSettings, *fallbacks: str | None) -> str:
    """Return where Rev AI reaches the API server: the connection's, else the first fallback set.

    The operator passes ``[revai] webhook_base_url`` then ``[api] base_url`` as fallbacks.
    """
    webhook = settings.webhook
    if webhook is None:
        raise RevAIInvalidInputError(
            "webhook_secret",
            f"connection {settings.conn_id!r} has no webhook_secret; add one to its extra to receive "
            "Rev AI webhooks, or submit with notify=False.",
        )
    for candidate in (webhook.base_url, *fallbacks):
        if candidate and candidate.strip():
            return candidate.strip().rstrip("/")
    raise RevAIInvalidInputError(
        "webhook_base_url",
        f"no public URL for the Airflow API server: set webhook_base_url in connection "
        f"{settings.conn_id!r}'s extra, or [revai] webhook_base_url, or [api] base_url.",
    )


def authorization(secret: str) -> str:
    """Return the ``Authorization`` value Rev AI sends back with each webhook."""
    return f"Bearer {secret}"


def notification_config(settings: ConnectionSettings, base_url: str) -> dict[str, Any]:
    """Return the job's ``notification_config``: the receiver's URL and the secret as a bearer header."""
    if settings.webhook is None:
        raise RevAIInvalidInputError(
            "webhook_secret", f"connection {settings.conn_id!r} has no webhook_secret."
        )
    return {
        "url": webhook_url(base_url, settings.conn_id),
        "auth_headers": {"Authorization": authorization(settings.webhook.secret)},
    }


def is_authorized(header: str | None, secrets: Sequence[str]) -> bool:
    """Tell whether a call's ``Authorization`` header carries one of ``secrets``, in constant time.

    Every secret is compared, so the time taken does not say which one matched.
    """
    given = (header or "").strip().encode()
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(given, authorization(secret).encode())
    return matched


def parse_delivery(raw: bytes) -> JobCompletion:
    """Return the event payload of a webhook body, or raise :class:`WebhookBodyError` saying why.

    The body must be ``{"job": {...}}`` with the job's id and a status other than
    ``in_progress``; a status Rev AI may add later is accepted (the job called back, so it ended).
    """
    if len(raw) > MAX_BODY_BYTES:
        raise WebhookBodyError(f"body is {len(raw)} bytes; a Rev AI job webhook is at most {MAX_BODY_BYTES}")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookBodyError(f"body is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(body, Mapping):
        raise WebhookBodyError('body must be a JSON object {"job": {...}}')
    job_body = body.get("job")
    if not isinstance(job_body, Mapping):
        raise WebhookBodyError(f'body has no "job" object (keys: {sorted(body)[:10]})')
    if not isinstance(job_body.get("status"), str):
        raise WebhookBodyError('"job" has no "status"')
    try:
        job = Job.from_dict(job_body)
    except ValueError as exc:
        raise WebhookBodyError(str(exc)) from None
    if job.status is JobStatus.IN_PROGRESS:
        raise WebhookBodyError(f"job {job.id} is still in_progress; Rev AI calls back only when a job ends")
    return completion_payload(job)
