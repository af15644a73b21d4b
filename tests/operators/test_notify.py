"""SubmitTranscriptionOperator(notify=...): the job calls the API server's webhook receiver when it ends."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from support import Reply, ScriptedServer, connection_json, pushed, task_context

from airflow_provider_rev.exceptions import RevAIInvalidInputError
from airflow_provider_rev.operators.revai import SubmitTranscriptionOperator

SECRET = "notify-secret-0123456789abcdef"
JOB = {"id": "job1", "status": "in_progress", "created_on": "2026-12-04T05:00:00Z"}
MEDIA = "https://media.example.com/a.wav"


@pytest.fixture
def hooks_server(server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> ScriptedServer:
    """``revai_default`` with a webhook secret and no base URL of its own."""
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json(server.root_url, webhook_secret=SECRET))
    monkeypatch.delenv("AIRFLOW__REVAI__WEBHOOK_BASE_URL", raising=False)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/")
    server.add("POST /jobs", *[Reply(200, JOB)] * 3)
    return server


class Logs:
    """Everything the operator logged: structlog (stdout) or stdlib logging, by Airflow version."""

    def __init__(self, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
        self.capsys, self.caplog = capsys, caplog
        caplog.set_level(logging.DEBUG)

    @property
    def text(self) -> str:
        return self.capsys.readouterr().out + self.caplog.text


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Logs:
    return Logs(capsys, caplog)


def submitted(server: ScriptedServer, logs: Logs, **kwargs: Any) -> tuple[dict[str, Any], str]:
    """Run the operator; return the ``POST /jobs`` body it sent and what it logged."""
    ctx = task_context()
    assert SubmitTranscriptionOperator(task_id="submit", media_url=MEDIA, **kwargs).execute(ctx) == "job1"
    logged = logs.text
    assert SECRET not in logged and SECRET not in repr(pushed(ctx))
    body: dict[str, Any] = server.received[-1].json()
    return body, logged


def test_a_connection_with_a_secret_notifies_by_default(hooks_server: ScriptedServer, logs: Logs) -> None:
    body, logged = submitted(hooks_server, logs)
    assert body["notification_config"] == {
        "url": "https://airflow.example.com/revai/webhooks/revai_default",
        "auth_headers": {"Authorization": f"Bearer {SECRET}"},
    }
    assert "will call back https://airflow.example.com/revai/webhooks/revai_default" in logged


def test_the_base_url_prefers_the_connection_then_the_revai_config(
    hooks_server: ScriptedServer, logs: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__REVAI__WEBHOOK_BASE_URL", "https://public.example.com/airflow")
    assert submitted(hooks_server, logs)[0]["notification_config"]["url"] == (
        "https://public.example.com/airflow/revai/webhooks/revai_default"
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_REVAI_DEFAULT",
        connection_json(
            hooks_server.root_url, webhook_secret=SECRET, webhook_base_url="https://conn.example.com"
        ),
    )
    assert submitted(hooks_server, logs)[0]["notification_config"]["url"] == (
        "https://conn.example.com/revai/webhooks/revai_default"
    )


def test_notify_false_or_a_webhook_of_ones_own_is_left_alone(
    hooks_server: ScriptedServer, logs: Logs
) -> None:
    assert "notification_config" not in submitted(hooks_server, logs, notify=False)[0]
    own, _ = submitted(hooks_server, logs, notification_url="https://mine.example.com/hook")
    assert own["notification_config"] == {"url": "https://mine.example.com/hook"}


def test_notify_true_without_a_secret_fails_before_sending(
    revai_conn: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com")
    with pytest.raises(RevAIInvalidInputError) as caught:
        SubmitTranscriptionOperator(task_id="submit", media_url=MEDIA, notify=True).execute(task_context())
    assert caught.value.field == "webhook_secret" and "notify=False" in str(caught.value)
    assert revai_conn.received == []


def test_notify_true_with_a_webhook_of_ones_own_is_a_conflict(
    hooks_server: ScriptedServer,
) -> None:
    operator = SubmitTranscriptionOperator(
        task_id="submit", media_url=MEDIA, notify=True, notification_url="https://mine.example.com/hook"
    )
    with pytest.raises(RevAIInvalidInputError) as caught:
        operator.execute(task_context())
    assert caught.value.field == "notify" and "notification_url" in str(caught.value)
    assert hooks_server.received == []


def test_without_any_public_url_the_error_names_the_three_places(
    hooks_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIRFLOW__API__BASE_URL")
    with pytest.raises(RevAIInvalidInputError) as caught:
        SubmitTranscriptionOperator(task_id="submit", media_url=MEDIA).execute(task_context())
    assert caught.value.field == "webhook_base_url"
    assert "[revai] webhook_base_url" in str(caught.value) and "[api] base_url" in str(caught.value)
    assert hooks_server.received == []
