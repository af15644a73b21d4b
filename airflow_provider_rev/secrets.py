"""Registering the provider's secrets with Airflow's secrets masker.

Anything registered here is replaced by ``***`` in task logs, trigger logs and rendered
fields. The token, every ``Authorization`` header value (and its bare credential), and the
query string of media URLs (where pre-signed URLs keep their signature) are registered as
soon as the provider sees them, before any request or log line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from airflow.providers.common.compat.sdk import mask_secret as _airflow_mask_secret

_MIN_SECRET_CHARS = 5


def mask_secret(value: str | None) -> None:
    """Register one secret value (short values are skipped: masking them would garble logs)."""
    if value and len(value) >= _MIN_SECRET_CHARS:
        _airflow_mask_secret(value)


def mask_auth_headers(headers: Mapping[str, Any] | None) -> None:
    """Register each header value, and the credential after its scheme (``Bearer <token>``)."""
    for value in (headers or {}).values():
        if isinstance(value, str):
            mask_secret(value)
            _, _, credential = value.partition(" ")
            mask_secret(credential.strip())


def mask_url_query(url: str | None) -> None:
    """Register a URL's query string and each of its values; the rest stays readable in logs."""
    if not isinstance(url, str):
        return
    query = urlsplit(url).query
    if query:
        mask_secret(query)
        for _, value in parse_qsl(query):
            mask_secret(value)


def mask_submission(
    media_url: str | None, source_auth_headers: Mapping[str, Any] | None, options: Mapping[str, Any]
) -> None:
    """Register every secret a job submission carries."""
    mask_url_query(media_url)
    mask_auth_headers(source_auth_headers)
    mask_auth_headers(options.get("notification_auth_headers"))
    config = options.get("notification_config")
    if isinstance(config, Mapping):
        mask_auth_headers(config.get("auth_headers"))
        mask_url_query(config.get("url"))
    mask_url_query(options.get("notification_url"))
    mask_url_query(options.get("callback_url"))
