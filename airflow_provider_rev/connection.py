"""Reading a ``revai`` Airflow connection into the settings the client needs.

Connection fields: the access token is the password; ``host`` is optional (empty means the
public root of ``extra.region``: ``api.rev.ai``, the default, or ``ec1.api.rev.ai``, the hosts
the connection form stores; ``us`` and ``eu`` are accepted too, but Airflow's secrets masker
warns about values that short, see ``docs/ui.md``); any other root, such as the local
emulator at ``http://127.0.0.1:8808`` or a proxy, may be given as host. A host without a
scheme gets ``https``, except loopback hosts, which get ``http``. The ``/speechtotext/v1``
path is always appended by the client. Proxy, TLS and header extras are parsed by
:mod:`airflow_provider_rev.transport`. ``extra.webhook_secret`` turns on webhook delivery of
finished jobs (see :mod:`airflow_provider_rev.webhooks`), ``extra.webhook_previous_secret`` keeps
accepting the old one while rotating it, and ``extra.webhook_base_url`` says where Rev AI reaches
the Airflow API server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_rev._api import API_PATH, REGION_ROOTS
from airflow_provider_rev.exceptions import RevAIInvalidInputError
from airflow_provider_rev.transport import TransportSettings, transport_from_extra

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
#: Where the Rev AI web dashboard shows a job (the public API's jobs only).
DASHBOARD_JOB_URL = "https://www.rev.ai/jobs/{job_id}"
#: ``extra.region`` may also name the public API host (what the connection form stores).
REGION_BY_HOST = {str(urlsplit(root).hostname): region for region, root in REGION_ROOTS.items()}


@dataclass(frozen=True)
class WebhookSettings:
    """Webhook delivery of finished jobs to the Airflow API server. ``repr`` never shows the secret.

    :param secret: what Rev AI sends back as ``Authorization: Bearer <secret>`` with each webhook.
    :param base_url: the API server's public URL as Rev AI reaches it; ``None``: from the config.
    :param previous_secret: while rotating, the secret jobs submitted before the rotation carry;
        the receiver accepts it too, new jobs get ``secret``.
    """

    secret: str
    base_url: str | None = None
    previous_secret: str | None = None

    @property
    def accepted_secrets(self) -> tuple[str, ...]:
        """The secrets a webhook may carry: the current one, and the previous one while rotating."""
        return (self.secret,) if self.previous_secret is None else (self.secret, self.previous_secret)

    def __repr__(self) -> str:
        rotating = ", previous_secret=***" if self.previous_secret is not None else ""
        return f"WebhookSettings(secret=***, base_url={self.base_url!r}{rotating})"


@dataclass(frozen=True)
class ConnectionSettings:
    """Where, as whom and through what to call Rev AI. ``repr`` never shows the token."""

    conn_id: str
    root_url: str
    token: str
    region: str
    transport: TransportSettings = field(default_factory=TransportSettings)
    webhook: WebhookSettings | None = None

    @property
    def api_url(self) -> str:
        """The async API base URL, e.g. ``https://api.rev.ai/speechtotext/v1``."""
        return self.root_url + API_PATH

    def job_url(self, job_id: str) -> str:
        """Return the job's page for people, or ``""`` when there is none (docs/ui.md).

        The public API's jobs are on the Rev AI dashboard; a loopback base URL is the
        emulator, which serves a job page at ``/jobs/{id}``. Any other base URL (a proxy or a
        self-hosted gateway) has no page a browser could open: its API answers 401 without
        the token.
        """
        if self.root_url in REGION_ROOTS.values():
            return DASHBOARD_JOB_URL.format(job_id=job_id)
        if urlsplit(self.root_url).hostname in LOOPBACK_HOSTS:
            return f"{self.root_url}/jobs/{job_id}"
        return ""

    def __repr__(self) -> str:
        return (
            f"ConnectionSettings(conn_id={self.conn_id!r}, root_url={self.root_url!r}, "
            f"region={self.region!r}, transport={self.transport!r}, webhook={self.webhook!r})"
        )


def _root_from_host(host: str, port: int | None, schema: str | None) -> str:
    host = host.strip().rstrip("/")
    if "://" not in host:
        bare = urlsplit(f"//{host}").hostname or host
        scheme = schema if schema in ("http", "https") else ("http" if bare in LOOPBACK_HOSTS else "https")
        host = f"{scheme}://{host}"
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RevAIInvalidInputError(
            "host", f"{host!r} is not a URL; use e.g. https://api.rev.ai or http://127.0.0.1:8808."
        )
    netloc = parts.netloc
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    if path.endswith(API_PATH):
        path = path[: -len(API_PATH)]
    return f"{parts.scheme}://{netloc}{path}"


def settings_from_connection(
    conn_id: str,
    *,
    host: str | None,
    port: int | None,
    schema: str | None,
    password: str | None,
    extra: Mapping[str, Any],
) -> ConnectionSettings:
    """Build :class:`ConnectionSettings` from the fields of an Airflow connection."""
    if not password or not password.strip():
        raise RevAIInvalidInputError(
            "password",
            f"connection {conn_id!r} has no access token; put your Rev AI access token in its "
            "password field (the 'Access token' box in the UI).",
        )
    region_value = extra.get("region") or "us"
    region = str(region_value).strip().lower()
    region = REGION_BY_HOST.get(region, region)
    if region not in REGION_ROOTS:
        raise RevAIInvalidInputError(
            "region",
            f"connection {conn_id!r} has region {region_value!r}; use one of "
            f"{', '.join(sorted(REGION_ROOTS))} (or the host: {', '.join(sorted(REGION_BY_HOST))}).",
        )
    root = _root_from_host(host, port, schema) if host and host.strip() else REGION_ROOTS[region]
    return ConnectionSettings(
        conn_id=conn_id,
        root_url=root,
        token=password.strip(),
        region=region,
        transport=transport_from_extra(conn_id, extra),
        webhook=_webhook_from_extra(conn_id, extra),
    )


#: Shortest webhook secret accepted: it is the only thing that authenticates a webhook call.
MIN_WEBHOOK_SECRET_CHARS = 16


def _webhook_from_extra(conn_id: str, extra: Mapping[str, Any]) -> WebhookSettings | None:
    """Read the ``webhook_*`` extras; without ``webhook_secret`` there are no webhooks."""
    secret = _webhook_secret(conn_id, extra, "webhook_secret")
    previous = _webhook_secret(conn_id, extra, "webhook_previous_secret")
    base_url = extra.get("webhook_base_url")
    if base_url is not None and not str(base_url).strip():
        base_url = None
    if secret is None:
        for needs_secret, value in (("webhook_base_url", base_url), ("webhook_previous_secret", previous)):
            if value:
                raise RevAIInvalidInputError(
                    "webhook_secret",
                    f"connection {conn_id!r} has {needs_secret} but no webhook_secret; add a random secret "
                    "of 16+ characters (python -c 'import secrets; print(secrets.token_urlsafe())').",
                )
        return None
    if base_url is not None:
        parts = urlsplit(str(base_url).strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise RevAIInvalidInputError(
                "webhook_base_url",
                f"connection {conn_id!r} has webhook_base_url {base_url!r}; give the Airflow API server's "
                "public URL as Rev AI reaches it, e.g. https://airflow.example.com.",
            )
        base_url = str(base_url).strip().rstrip("/")
    return WebhookSettings(
        secret=secret, base_url=base_url or None, previous_secret=previous if previous != secret else None
    )


def _webhook_secret(conn_id: str, extra: Mapping[str, Any], key: str) -> str | None:
    """Return the stripped secret under ``key``; ``None`` when unset or blank (an untouched form field)."""
    secret = extra.get(key)
    if secret is None or (isinstance(secret, str) and not secret.strip()):
        return None
    if not isinstance(secret, str) or len(secret.strip()) < MIN_WEBHOOK_SECRET_CHARS or " " in secret.strip():
        raise RevAIInvalidInputError(
            key,
            f"connection {conn_id!r} has a {key} that is not a string of at least "
            f"{MIN_WEBHOOK_SECRET_CHARS} characters without spaces; generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe())'.",
        )
    return secret.strip()
