"""The webhook rules without I/O: the receiver's URL, the credential, the body, the connection extras."""

from __future__ import annotations

import json

import pytest
from support import TOKEN

from airflow_provider_rev.connection import ConnectionSettings, settings_from_connection
from airflow_provider_rev.exceptions import RevAIInvalidInputError
from airflow_provider_rev.idempotency import TaskInstanceRef, idempotency_key, tag_metadata
from airflow_provider_rev.webhooks import (
    MAX_BODY_BYTES,
    WebhookBodyError,
    base_url_for,
    is_authorized,
    notification_config,
    parse_delivery,
    webhook_url,
)

SECRET = "s3cret-for-webhooks-0123456789"
JOB = {
    "id": "Umx5c6F7pH7r",
    "status": "transcribed",
    "created_on": "2026-12-04T05:00:00.12Z",
    "completed_on": "2026-12-04T05:01:30Z",
    "duration_seconds": 61.5,
    "metadata": "nightly calls",
}


def settings(**extra: object) -> ConnectionSettings:
    return settings_from_connection(
        "revai_hooks", host="http://127.0.0.1:8808", port=None, schema=None, password=TOKEN, extra=extra
    )


def test_the_receiver_url_is_under_the_api_server_base() -> None:
    assert webhook_url("https://airflow.example.com/", "revai_default") == (
        "https://airflow.example.com/revai/webhooks/revai_default"
    )
    assert (
        webhook_url("https://example.com/airflow", "a b/c")
        == "https://example.com/airflow/revai/webhooks/a%20b%2Fc"
    )


def test_the_secret_turns_webhooks_on_and_never_shows_in_repr() -> None:
    assert settings().webhook is None
    on = settings(webhook_secret=f" {SECRET} ", webhook_base_url="https://airflow.example.com/")
    assert on.webhook is not None and on.webhook.secret == SECRET
    assert on.webhook.base_url == "https://airflow.example.com"
    assert SECRET not in repr(on) and SECRET not in repr(on.webhook)


def test_rotation_accepts_both_secrets_and_sends_the_new_one() -> None:
    old = "previous-secret-0123456789abcdef"
    rotating = settings(webhook_secret=SECRET, webhook_previous_secret=f" {old} ")
    assert rotating.webhook is not None and rotating.webhook.accepted_secrets == (SECRET, old)
    assert old not in repr(rotating) and "previous_secret=***" in repr(rotating.webhook)
    assert notification_config(rotating, "https://a.example.com")["auth_headers"] == {
        "Authorization": f"Bearer {SECRET}"
    }
    assert is_authorized(f"Bearer {old}", rotating.webhook.accepted_secrets)
    assert is_authorized(f"Bearer {SECRET}", rotating.webhook.accepted_secrets)
    assert not is_authorized(f"Bearer {old}", (SECRET,))
    same = settings(webhook_secret=SECRET, webhook_previous_secret=SECRET)
    assert same.webhook is not None and same.webhook.accepted_secrets == (SECRET,)
    for bad, field in (
        ({"webhook_previous_secret": old}, "webhook_secret"),
        ({"webhook_secret": SECRET, "webhook_previous_secret": "short"}, "webhook_previous_secret"),
    ):
        with pytest.raises(RevAIInvalidInputError) as caught:
            settings(**bad)
        assert caught.value.field == field and old not in str(caught.value)


def test_empty_form_fields_mean_no_webhooks() -> None:
    """The connection form stores untouched fields as null or blank strings."""
    assert settings(webhook_secret=None, webhook_base_url=None).webhook is None
    assert settings(webhook_secret="", webhook_base_url="").webhook is None
    on = settings(webhook_secret=SECRET, webhook_base_url="  ")
    assert on.webhook is not None and on.webhook.base_url is None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"webhook_secret": "short"}, "webhook_secret"),
        ({"webhook_secret": "has a space in the middle"}, "webhook_secret"),
        ({"webhook_secret": 1234567890123456789}, "webhook_secret"),
        ({"webhook_base_url": "https://airflow.example.com"}, "webhook_secret"),
        ({"webhook_secret": SECRET, "webhook_base_url": "airflow.example.com"}, "webhook_base_url"),
        (
            {"webhook_secret": SECRET, "webhook_base_url": "https://a.example.com/?token=x"},
            "webhook_base_url",
        ),
    ],
)
def test_bad_webhook_extras_name_the_field_and_the_fix(extra: dict[str, object], field: str) -> None:
    with pytest.raises(RevAIInvalidInputError) as caught:
        settings(**extra)
    assert caught.value.field == field
    assert SECRET not in str(caught.value)


def test_the_base_url_comes_from_the_connection_then_the_fallbacks() -> None:
    assert base_url_for(settings(webhook_secret=SECRET, webhook_base_url="https://conn"), "https://cfg") == (
        "https://conn"
    )
    assert base_url_for(settings(webhook_secret=SECRET), "", "https://api/") == "https://api"
    with pytest.raises(RevAIInvalidInputError, match=r"\[api\] base_url") as caught:
        base_url_for(settings(webhook_secret=SECRET), "", None)
    assert caught.value.field == "webhook_base_url"
    with pytest.raises(RevAIInvalidInputError) as caught:
        base_url_for(settings(), "https://cfg")
    assert caught.value.field == "webhook_secret"


def test_notification_config_carries_the_secret_as_a_bearer_header() -> None:
    config = notification_config(settings(webhook_secret=SECRET), "https://airflow.example.com")
    assert config == {
        "url": "https://airflow.example.com/revai/webhooks/revai_hooks",
        "auth_headers": {"Authorization": f"Bearer {SECRET}"},
    }


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        (f"Bearer {SECRET}", True),
        (f"  Bearer {SECRET} ", True),
        (SECRET, False),
        (f"Bearer {SECRET}x", False),
        (f"Basic {SECRET}", False),
        ("", False),
        (None, False),
        ("Bearer sécret", False),
    ],
)
def test_only_the_exact_bearer_secret_is_authorized(header: str | None, ok: bool) -> None:
    assert is_authorized(header, [SECRET]) is ok


def test_a_delivery_becomes_the_watchers_payload() -> None:
    ti = TaskInstanceRef("submit_dag", "scheduled__2026-12-04", "submit", 3)
    job = {**JOB, "metadata": tag_metadata("nightly calls", idempotency_key(*ti), ti)}
    payload = parse_delivery(json.dumps({"job": job}).encode())
    assert payload["id"] == JOB["id"] and payload["status"] == "transcribed"
    assert payload["metadata"] == "nightly calls" and payload["provider_job"] is True
    assert payload["submitted_by"] == {
        "dag_id": "submit_dag",
        "run_id": "scheduled__2026-12-04",
        "task_id": "submit",
        "map_index": 3,
    }
    assert payload["duration_seconds"] == 61.5
    failed = parse_delivery(
        json.dumps({"job": {**JOB, "status": "failed", "failure": "download_failure"}}).encode()
    )
    assert failed["failure"] == "download_failure" and failed["provider_job"] is False


def test_a_status_rev_ai_may_add_is_accepted() -> None:
    assert parse_delivery(json.dumps({"job": {**JOB, "status": "archived"}}).encode())["status"] == "archived"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"custom_vocabulary": {"id": "cv1"}}', 'no "job"'),
        (b'{"job": "Umx5c6F7pH7r"}', 'no "job"'),
        (b'{"job": {"id": "Umx5c6F7pH7r"}}', 'no "status"'),
        (b'{"job": {"status": "transcribed"}}', "no usable 'id'"),
        (json.dumps({"job": {**JOB, "status": "in_progress"}}).encode(), "still in_progress"),
        (b" " * (MAX_BODY_BYTES + 1), "at most"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(raw: bytes, says: str) -> None:
    with pytest.raises(WebhookBodyError, match=says):
        parse_delivery(raw)
