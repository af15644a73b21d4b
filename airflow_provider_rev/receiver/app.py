"""The webhook receiver: ``POST /revai/webhooks/{conn_id}`` on the Airflow API server.

Each call is checked in this order, and answered as Rev AI's retry rule expects (anything
but 200 is retried every 30 minutes for 24 hours):

1. the connection exists and has a ``webhook_secret``, and the ``Authorization`` header
   carries it (constant-time comparison) -> else **401**, the same answer for an unknown
   connection as for a wrong secret, so callers learn nothing;
2. the body is ``{"job": {...}}`` of a finished job -> else **400**;
3. some DAG declares a completion Asset for the connection -> else **503**, so Rev AI keeps
   the job until one is deployed;
4. the event is recorded and committed -> **200** with what was recorded; a database error
   is a **500** and Rev AI delivers again.

Neither the header nor the secret is ever logged or echoed.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from airflow_provider_rev.completions import JobCompletion
from airflow_provider_rev.receiver.record import (
    DuplicateDelivery,
    Outcome,
    completion_assets,
    record_completion,
)
from airflow_provider_rev.webhooks import (
    MAX_BODY_BYTES,
    ROUTE,
    WebhookBodyError,
    is_authorized,
    parse_delivery,
)

log = logging.getLogger(__name__)
#: How often a delivery that lost a race to a concurrent one is re-run (it then finds the job).
RACE_RETRIES = 3
#: One recording transaction at a time in this process: before Airflow 3.3 the duplicate check
#: relies on a row lock, which SQLite ignores; across processes the database settles it.
_RECORDING = threading.Lock()
#: Logged when a concurrent delivery of the same job committed first.
RACE_LOST = "a concurrent delivery recorded it first"


def _secrets(conn_id: str) -> tuple[str, ...]:
    """Return the secrets the connection accepts; none if it has no secret or does not exist."""
    from airflow.models.connection import Connection

    from airflow_provider_rev.hooks.revai import RevAIHook

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except Exception as exc:  # noqa: BLE001  # not found (or the secrets backend failed): refused
        if type(exc).__name__ != "AirflowNotFoundException":
            log.warning("Rev AI webhook for connection %s refused: reading it failed: %s", conn_id, exc)
        return ()
    try:
        settings = RevAIHook.settings_from(conn_id, conn, conn.extra_dejson)
    except Exception as exc:  # noqa: BLE001  # a broken connection refuses webhooks, and says why
        log.error("Rev AI webhook for connection %s refused: the connection is invalid: %s", conn_id, exc)
        return ()
    return settings.webhook.accepted_secrets if settings.webhook is not None else ()


def _record(conn_id: str, payload: JobCompletion) -> Outcome | None:
    """Record the job in one committed transaction; ``None`` if the connection has no Asset."""
    from airflow.utils.session import create_session

    for attempt in range(RACE_RETRIES):
        try:
            with _RECORDING, create_session() as session:
                if not completion_assets(session, conn_id):
                    return None
                return record_completion(session, conn_id, payload)
        except DuplicateDelivery:
            log.info("Rev AI webhook for job %s: %s, checking again", payload["id"], RACE_LOST)
            if attempt == RACE_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _answer(status: int, detail: str, **body: Any) -> JSONResponse:
    return JSONResponse({"detail": detail, **body}, status_code=status)


def create_app() -> FastAPI:
    """Build the receiver app the plugin mounts at ``/revai``."""
    app = FastAPI(title="Rev AI webhooks", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post(ROUTE)
    async def receive(conn_id: str, request: Request) -> JSONResponse:
        secrets = await run_in_threadpool(_secrets, conn_id)
        client = request.client.host if request.client else "?"
        if not is_authorized(request.headers.get("authorization"), secrets):
            log.warning("Rev AI webhook for connection %s from %s refused: not authorized", conn_id, client)
            return _answer(401, "not authorized")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return _answer(400, f"body larger than {MAX_BODY_BYTES} bytes")
        try:
            payload = parse_delivery(await request.body())
        except WebhookBodyError as exc:
            log.warning("Rev AI webhook for connection %s refused: %s", conn_id, exc)
            return _answer(400, str(exc))
        try:
            outcome = await run_in_threadpool(_record, conn_id, payload)
        except Exception:
            log.exception("Rev AI webhook for job %s (connection %s) not recorded", payload["id"], conn_id)
            return _answer(500, "not recorded; deliver again")
        if outcome is None:
            log.error(
                "Rev AI webhook for job %s: no DAG uses an Asset of connection %s "
                "(revai_jobs_asset(%r)); answered 503 so that Rev AI delivers it again",
                payload["id"],
                conn_id,
                conn_id,
            )
            return _answer(503, f"no DAG is scheduled on a completion Asset of connection {conn_id}")
        log.info(
            "Rev AI webhook: job %s %s recorded on %s%s",
            payload["id"],
            payload["status"],
            outcome.recorded or "no Asset",
            f" (already recorded on {outcome.duplicate})" if outcome.duplicate else "",
        )
        return _answer(200, "recorded", job_id=payload["id"], **outcome.to_json())

    return app
