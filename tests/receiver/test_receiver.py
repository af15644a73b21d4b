"""The webhook receiver over real HTTP: the emulator calls it, it records Asset events in Airflow's database.

A uvicorn server on 127.0.0.1 mounts the plugin's app under its prefix, as the API server does;
the emulator delivers real webhooks to it for jobs that ``SubmitTranscriptionOperator.execute``
submitted on a connection with a ``webhook_secret``; events land in the test's Airflow
database through Airflow's own ``AssetManager``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from support import MediaServer, Receiver, connection_json, declare_asset, recorded_events, task_context

from airflow_provider_rev.completions import CompletionFilter
from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.operators.revai import SubmitTranscriptionOperator
from airflow_provider_rev.receiver import RevAIWebhookPlugin

CONN = "revai_hooks"
SECRET = "receiver-secret-0123456789abcdef"
ASSET = f"revai_jobs__{CONN}"


@pytest.fixture(scope="module")
def receiver(airflow_db: None) -> Iterator[Receiver]:
    with Receiver(CONN, SECRET) as running:
        yield running


@pytest.fixture
def hooks_emu(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[RevAIEmulator]:
    """The emulator as connection ``revai_hooks`` with a webhook secret; retries every 0.2 s for 5 s."""
    with RevAIEmulator(
        processing_seconds=0.2, webhook_retry_seconds=0.2, webhook_retry_window_seconds=5
    ) as emu:
        monkeypatch.setenv(
            f"AIRFLOW_CONN_{CONN.upper()}",
            connection_json(
                emu.base_url, emu.token, webhook_secret=SECRET, webhook_base_url=receiver.base_url
            ),
        )
        yield emu


@pytest.fixture
def secret_conn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connection ``revai_hooks`` with the webhook secret, for calls made without the emulator."""
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{CONN.upper()}", connection_json("http://127.0.0.1:9", webhook_secret=SECRET)
    )


@pytest.fixture
def asset_name(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh Asset per test, so events of one test never count in another."""
    name = f"{ASSET}__{request.node.name}"
    declare_asset(name, CONN)
    yield name
    from airflow.models.asset import AssetActive
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(AssetActive).where(AssetActive.name == name))


def submit(media: MediaServer, name: str, *, map_index: int = -1, **kwargs: Any) -> str:
    url = media.add(name, seconds=1, transcript=f"Speaker 0: {name}.")
    operator = SubmitTranscriptionOperator(
        task_id="submit", media_url=url, revai_conn_id=CONN, metadata="nightly", **kwargs
    )
    job_id: str = operator.execute(task_context(dag_id="calls", task_id="submit", map_index=map_index))
    return job_id


def test_the_plugin_mounts_the_receiver_under_revai() -> None:
    (app,) = RevAIWebhookPlugin.fastapi_apps
    assert app["url_prefix"] == "/revai" and app["name"] == "Rev AI webhooks"


def test_a_finished_job_is_recorded_once_with_the_watchers_payload(
    hooks_emu: RevAIEmulator, media: MediaServer, asset_name: str
) -> None:
    job_id = submit(media, "call-1", map_index=4)
    assert hooks_emu.wait_for_webhooks(1, timeout=15)
    (delivery,) = hooks_emu.webhook_deliveries
    assert delivery.status == 200 and delivery.url.endswith(f"/revai/webhooks/{CONN}")
    assert delivery.authorization == f"Bearer {SECRET}"
    (event,) = recorded_events(asset_name)
    assert event["from_webhook"] is True
    payload = event["payload"]
    assert payload["id"] == job_id and payload["status"] == "transcribed" and payload["metadata"] == "nightly"
    assert payload["submitted_by"] == {
        "dag_id": "calls",
        "run_id": "run1",
        "task_id": "submit",
        "map_index": 4,
    }
    assert hooks_emu.request_counts["GET /jobs/{id}"] == 0 and hooks_emu.request_counts["GET /jobs"] == 0


def test_a_repeated_delivery_records_nothing(
    hooks_emu: RevAIEmulator, media: MediaServer, asset_name: str
) -> None:
    job_id = submit(media, "call-2")
    assert hooks_emu.wait_for_webhooks(1, timeout=15)
    body = hooks_emu.webhook_deliveries[0].body
    receiver_url = hooks_emu.webhook_deliveries[0].url
    again = requests.post(receiver_url, json=body, headers={"Authorization": f"Bearer {SECRET}"}, timeout=10)
    assert again.status_code == 200, again.text
    assert again.json()["recorded"] == [] and asset_name in again.json()["duplicate"]
    assert [e["payload"]["id"] for e in recorded_events(asset_name)] == [job_id]


@pytest.mark.usefixtures("secret_conn")
def test_concurrent_deliveries_of_one_job_record_one_event(receiver: Receiver, asset_name: str) -> None:
    job: dict[str, Any] = {
        "id": "RaceJob00001",
        "status": "transcribed",
        "created_on": "2026-12-04T05:00:00Z",
    }
    body = {"job": job}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: receiver.post(body), range(8)))
    # Not a provider job (no tag): the default filter skips it, for every delivery alike.
    assert {a.status_code for a in answers} == {200} and recorded_events(asset_name) == []
    from airflow_provider_rev.idempotency import TaskInstanceRef, idempotency_key, tag_metadata

    ti = TaskInstanceRef("calls", "run1", "submit", 0)
    job["metadata"] = tag_metadata("x", idempotency_key(*ti), ti)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: receiver.post(body), range(8)))
    statuses = [a.status_code for a in answers]
    assert 200 in statuses and set(statuses) <= {200, 500}, [a.text for a in answers]
    assert [e["payload"]["id"] for e in recorded_events(asset_name)] == ["RaceJob00001"]


@pytest.mark.parametrize(
    ("secret", "conn_id"),
    [
        ("wrong-secret-0123456789abcdef", CONN),
        (None, CONN),
        (SECRET, "revai_unknown"),
        (SECRET, "revai_nosecret"),
    ],
)
@pytest.mark.usefixtures("secret_conn")
def test_a_call_without_the_secret_is_refused_alike(
    receiver: Receiver,
    asset_name: str,
    secret: str | None,
    conn_id: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{CONN.upper()}", connection_json("http://127.0.0.1:9", webhook_secret=SECRET)
    )
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_NOSECRET", connection_json("http://127.0.0.1:9"))
    body = {"job": {"id": "Refused00001", "status": "transcribed"}}
    with caplog.at_level(logging.INFO):
        answer = receiver.post(body, secret=secret, conn_id=conn_id)
    assert (answer.status_code, answer.json()) == (401, {"detail": "not authorized"})
    assert recorded_events(asset_name) == []
    logged = caplog.text
    assert "not authorized" in logged and SECRET not in logged and "wrong-secret" not in logged


def test_while_rotating_the_previous_secret_is_accepted_until_it_is_cleared(
    receiver: Receiver, asset_name: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    new = "rotated-secret-abcdef0123456789"
    env = f"AIRFLOW_CONN_{CONN.upper()}"
    monkeypatch.setenv(
        env, connection_json("http://127.0.0.1:9", webhook_secret=new, webhook_previous_secret=SECRET)
    )
    from airflow_provider_rev.idempotency import TaskInstanceRef, idempotency_key, tag_metadata

    tagged = tag_metadata(None, idempotency_key(*TaskInstanceRef("calls", "run1", "submit", -1)))
    old_job = {"job": {"id": "Rotated00001", "status": "transcribed", "metadata": tagged}}
    new_job = {"job": {"id": "Rotated00002", "status": "failed", "metadata": tagged}}
    assert receiver.post(old_job, secret=SECRET).status_code == 200
    assert receiver.post(new_job, secret=new).status_code == 200
    assert (
        receiver.post({"job": {"id": "Rotated00003", "status": "transcribed"}}, secret="x" * 20).status_code
        == 401
    )
    monkeypatch.setenv(env, connection_json("http://127.0.0.1:9", webhook_secret=new))
    with caplog.at_level(logging.INFO):
        late = receiver.post({"job": {"id": "Rotated00004", "status": "transcribed"}}, secret=SECRET)
    assert late.status_code == 401 and SECRET not in caplog.text and new not in caplog.text
    assert [e["payload"]["id"] for e in recorded_events(asset_name)] == ["Rotated00001", "Rotated00002"]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{", "not JSON"),
        (b'{"jobs": []}', 'no "job"'),
        (b'{"job": {"id": "Umx5c6F7pH7r", "status": "in_progress"}}', "in_progress"),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_problem(
    receiver: Receiver, asset_name: str, raw: bytes, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{CONN.upper()}", connection_json("http://127.0.0.1:9", webhook_secret=SECRET)
    )
    answer = receiver.post(raw)
    assert answer.status_code == 400 and says in answer.json()["detail"]
    assert recorded_events(asset_name) == []


def test_without_an_asset_rev_ai_is_told_to_deliver_again(
    receiver: Receiver, hooks_emu: RevAIEmulator, media: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = "revai_later"
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{conn.upper()}",
        connection_json(
            hooks_emu.base_url, hooks_emu.token, webhook_secret=SECRET, webhook_base_url=receiver.base_url
        ),
    )
    url = media.add("call-later", seconds=1, transcript="Speaker 0: Later.")
    job_id = SubmitTranscriptionOperator(task_id="submit", media_url=url, revai_conn_id=conn).execute(
        task_context(dag_id="calls", task_id="submit", map_index=7)
    )
    assert hooks_emu.wait_for_webhooks(1, timeout=15)
    assert hooks_emu.webhook_deliveries[0].status == 503
    declare_asset(f"revai_jobs__{conn}", conn_id=conn)
    deadline = time.monotonic() + 10
    while not any(d.status == 200 for d in hooks_emu.webhook_deliveries):
        assert time.monotonic() < deadline, hooks_emu.webhook_deliveries
        time.sleep(0.1)
    assert [e["payload"]["id"] for e in recorded_events(f"revai_jobs__{conn}")] == [job_id]


def test_each_asset_applies_its_own_filter(
    hooks_emu: RevAIEmulator, media: MediaServer, asset_name: str
) -> None:
    other = f"{asset_name}__other"
    declare_asset(other, CONN, accept=CompletionFilter(metadata_prefix="other"))
    submit(media, "call-3")
    assert hooks_emu.wait_for_webhooks(1, timeout=15)
    answer = hooks_emu.webhook_deliveries[0]
    assert answer.status == 200
    assert len(recorded_events(asset_name)) == 1 and recorded_events(other) == []
