"""Webhooks: POST {"job": ...} with the configured Authorization, retried until a 200."""

from __future__ import annotations

import json
from pathlib import Path

from emulator.emulator_support import Api, LoopbackServer, eventually

from airflow_provider_rev.emulator import RevAIEmulator


def test_notification_config_webhook_with_auth(
    emu: RevAIEmulator, api: Api, wav: Path, loopback: LoopbackServer
) -> None:
    job = api.submit_file(
        wav,
        notification_config={"url": f"{loopback.url}/hook", "auth_headers": {"Authorization": "Bearer hook"}},
    )
    assert emu.wait_for_webhooks(1)
    eventually(lambda: len(loopback.posts()) == 1)
    hit = loopback.posts()[0]
    assert hit.path == "/hook"
    assert hit.headers["Authorization"] == "Bearer hook"
    assert hit.headers["Content-Type"] == "application/json"
    body = json.loads(hit.body)
    assert set(body) == {"job"}
    assert body["job"]["id"] == job["id"]
    assert body["job"]["status"] == "transcribed"
    assert "notification_config" not in body["job"]
    delivery = emu.webhook_deliveries[0]
    assert (delivery.job_id, delivery.status, delivery.attempt, delivery.authorization) == (
        job["id"],
        200,
        1,
        "Bearer hook",
    )


def test_callback_url_on_failure(
    emu: RevAIEmulator, api: Api, tmp_path: Path, loopback: LoopbackServer
) -> None:
    job = api.submit(media_url=(tmp_path / "missing.wav").as_uri(), callback_url=f"{loopback.url}/cb")
    assert emu.wait_for_webhooks(1)
    body = json.loads(loopback.posts()[0].body)
    assert body["job"]["id"] == job["id"]
    assert body["job"]["status"] == "failed"
    assert body["job"]["failure"] == "download_failure"
    assert body["job"]["callback_url"] == f"{loopback.url}/cb"
    assert "Authorization" not in loopback.posts()[0].headers


def test_non_200_is_retried_until_200(
    emu: RevAIEmulator, api: Api, wav: Path, loopback: LoopbackServer
) -> None:
    loopback.statuses = [500, 204]
    api.submit_file(wav, callback_url=f"{loopback.url}/cb")
    assert emu.wait_for_webhooks(3)
    assert [d.status for d in emu.webhook_deliveries] == [500, 204, 200]
    assert [d.attempt for d in emu.webhook_deliveries] == [1, 2, 3]
    assert not emu.wait_for_webhooks(4, timeout=0.2)
    assert len(loopback.posts()) == 3


def test_retries_stop_after_the_window(wav: Path, loopback: LoopbackServer) -> None:
    loopback.statuses = [503] * 100
    with RevAIEmulator(
        processing_seconds=0.02,
        webhook_retry_seconds=1800,
        webhook_retry_window_seconds=86400,
        clock_speed=1e6,
    ) as emu:
        import requests

        with requests.Session() as http:
            http.headers.update(emu.auth_headers)
            http.post(
                emu.api_url + "/jobs",
                json={"source_config": {"url": wav.as_uri()}, "callback_url": f"{loopback.url}/cb"},
            )
        # every 30 min for 24 h: the first attempt plus 48 retries
        eventually(lambda: len(emu.webhook_deliveries) >= 49)
        assert not emu.wait_for_webhooks(50, timeout=0.3)
        assert {d.status for d in emu.webhook_deliveries} == {503}


def test_unreachable_receiver_is_recorded(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    api.submit_file(wav, callback_url="http://127.0.0.1:9/cb")
    assert emu.wait_for_webhooks(1)
    first = emu.webhook_deliveries[0]
    assert first.status is None and first.error
