"""Registering the provider's secrets with Airflow's secrets masker, and scrubbing free text.

Anything registered here is replaced by ``***`` in task logs, trigger logs and rendered
fields. The token, every ``Authorization`` header value (and its bare credential), and the
query string of media URLs (where pre-signed URLs keep their signature) are registered as
soon as the provider sees them, before any request or log line.

The masker only protects what Airflow itself writes (logs, rendered fields). Text the
provider builds from a server reply, such as an exception message, is not passed through it;
:func:`redact_text` is for that: it masks every registered secret and hides the query string
and credentials of every URL in the text, so it also works in a process (the triggerer) that
never saw the signed URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from airflow.providers.common.compat.sdk import mask_secret as _airflow_mask_secret, redact as _airflow_redact

#: What a hidden secret or URL query reads as in text the provider builds.
REDACTED = "REDACTED"
_MIN_SECRET_CHARS = 5
#: ``scheme://[userinfo@]rest`` of an http(s) URL inside free text; stops at whitespace and quotes.
_URL_IN_TEXT = re.compile(r"""\b(https?://)([^\s/?#@'"<>]*@)?([^\s?#'"<>]*)(\?[^\s#'"<>]*)?""", re.I)


def mask_secret(value: str | None) -> None:
    """Register one secret value (short values are skipped: masking them would garble logs)."""
    if value and len(value) >= _MIN_SECRET_CHARS:
        _airflow_mask_secret(value)


def mask_auth_headers(headers: Mapping[str, Any] | None) -> None:
    """Register each header value, and the credential after its scheme (``Bearer <token>``)."""
    if not isinstance(headers, Mapping):
        return
    for value in headers.values():
        if isinstance(value, str):
            mask_secret(value)
            _, _, credential = value.strip().partition(" ")
            mask_secret(credential.strip())


def mask_url_query(url: str | None) -> None:
    """Register a URL's query string, each of its values and any user info; the rest stays readable."""
    if not isinstance(url, str):
        return
    try:
        parts = urlsplit(url)
    except ValueError:
        # Not a URL at all (validation will say so); register it whole rather than risk it.
        mask_secret(url)
        return
    if parts.query:
        mask_secret(parts.query)
        for _, value in parse_qsl(parts.query):
            mask_secret(value)
    if parts.password:
        mask_secret(parts.password)


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
    extra = options.get("extra_options")
    if isinstance(extra, Mapping):
        mask_submission(None, None, {k: v for k, v in extra.items() if k != "extra_options"})


def redact_url_queries(text: str) -> str:
    """Hide the query string and user info of every http(s) URL in ``text``; keep host and path."""

    def _scrub(match: re.Match[str]) -> str:
        scheme, userinfo, rest, query = match.groups()
        return scheme + (f"{REDACTED}@" if userinfo else "") + rest + (f"?{REDACTED}" if query else "")

    return _URL_IN_TEXT.sub(_scrub, text)


def redact_text(text: str) -> str:
    """Return ``text`` safe to show: registered secrets masked, URL queries and credentials hidden.

    Meant for messages built from what a server sent back (an error's ``title`` or
    ``detail`` may quote the request), which Airflow's log masker never sees when the
    message travels elsewhere, e.g. to a failure callback or a notifier.
    """
    masked = _airflow_redact(text)
    return redact_url_queries(masked if isinstance(masked, str) else text)
