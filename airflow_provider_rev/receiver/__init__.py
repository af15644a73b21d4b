"""The provider's Airflow plugin: the Rev AI webhook receiver on the API server.

Airflow loads it from the provider info (``plugins``), so installing the provider is all it
takes. The FastAPI app is built on its first request, so the other Airflow components that
load plugins (scheduler, workers, triggerer) never import it.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.sdk import AirflowPlugin

from airflow_provider_rev.webhooks import URL_PREFIX


class _ReceiverApp:
    """An ASGI app that builds :func:`~airflow_provider_rev.receiver.app.create_app` on first use."""

    def __init__(self) -> None:
        self._app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            from airflow_provider_rev.receiver.app import create_app

            self._app = create_app()
        await self._app(scope, receive, send)

    def __repr__(self) -> str:
        return "airflow_provider_rev.receiver.app:create_app"


class RevAIWebhookPlugin(AirflowPlugin):
    """Mounts ``POST /revai/webhooks/{conn_id}`` (see :mod:`airflow_provider_rev.receiver.app`)."""

    name = "revai_webhooks"
    fastapi_apps = [{"app": _ReceiverApp(), "url_prefix": URL_PREFIX, "name": "Rev AI webhooks"}]
