"""Fault injection (scripted and seeded random), latency, drops, request counting and observers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import aiohttp
import pytest
import requests
from emulator.emulator_support import Api

from airflow_provider_rev.emulator import FaultConfig, RecordedRequest, RevAIEmulator


def test_request_counts_per_route_template(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    job = api.submit_file(wav)
    api.get(f"/jobs/{job['id']}")
    api.get(f"/jobs/{job['id']}")
    api.get(f"/jobs/{job['id']}/transcript", headers={"Accept": "text/plain"})
    api.get("/jobs")
    api.get("/account")
    api.get("/nothing/here")
    counts = emu.request_counts
    assert counts["POST /jobs"] == 1
    assert counts["GET /jobs/{id}"] == 2
    assert counts["GET /jobs/{id}/transcript"] == 1
    assert counts["GET /jobs"] == 1
    assert counts["GET /account"] == 1
    assert counts["UNMATCHED"] == 1
    assert emu.total_requests == 7
    assert [r.route for r in emu.requests][:2] == ["POST /jobs", "GET /jobs/{id}"]
    emu.reset()
    assert emu.total_requests == 0 and emu.jobs() == []


def test_scripted_status_fault_before_handler(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    fault = emu.inject("POST /jobs", 503, times=2)
    for _ in range(2):
        response = api.post("/jobs", json={"source_config": {"url": wav.as_uri()}})
        assert response.status_code == 503
        assert response.headers["Content-Type"] == "application/problem+json"
    assert fault.remaining == 0
    assert emu.jobs() == []
    assert api.post("/jobs", json={"source_config": {"url": wav.as_uri()}}).status_code == 200
    assert emu.request_counts["POST /jobs"] == 3
    assert emu.faulted_counts["POST /jobs"] == 2


def test_after_commit_creates_exactly_one_job(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    emu.inject("POST /jobs", 504, after_commit=True)
    response = api.post("/jobs", json={"source_config": {"url": wav.as_uri()}, "metadata": "ti-key"})
    assert response.status_code == 504
    assert response.headers["Content-Type"] == "text/html"
    jobs = emu.jobs()
    assert len(jobs) == 1
    assert jobs[0]["metadata"] == "ti-key"
    assert [j["id"] for j in api.get("/jobs").json()] == [jobs[0]["id"]]


def test_after_commit_drop(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    emu.inject("POST /jobs", drop=True, after_commit=True)
    with pytest.raises(requests.ConnectionError):
        api.post("/jobs", json={"source_config": {"url": wav.as_uri()}})
    assert len(emu.jobs()) == 1
    assert emu.faulted_counts["POST /jobs"] == 1
    assert emu.requests[-1].fault == "drop"


def test_drop_before_handler_creates_nothing(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    emu.inject("POST /jobs", drop=True)
    with pytest.raises(requests.ConnectionError):
        api.post("/jobs", json={"source_config": {"url": wav.as_uri()}})
    assert emu.jobs() == []


def test_scripted_429_has_retry_after(emu: RevAIEmulator, api: Api) -> None:
    emu.inject("GET /account", 429, retry_after=7)
    emu.inject(None, 429)
    first = api.get("/account")
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "7"
    assert first.json()["status"] == 429
    assert api.get("/jobs").headers["Retry-After"] == "1"
    assert api.get("/account").status_code == 200


def test_random_rate_limit_fraction(emu: RevAIEmulator, api: Api) -> None:
    emu.set_faults(rate_limit_fraction=1.0, retry_after=3)
    response = api.get("/account")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    emu.set_faults(rate_limit_fraction=0.5, seed=1)
    statuses = [api.get("/account").status_code for _ in range(40)]
    assert 5 < statuses.count(429) < 35
    assert set(statuses) == {200, 429}
    emu.set_faults(FaultConfig(rate_limit_fraction=0.5, seed=1))
    assert [api.get("/account").status_code for _ in range(40)] == statuses  # deterministic per seed


def test_random_server_errors_and_route_filter(emu: RevAIEmulator, api: Api) -> None:
    emu.set_faults(error_fraction=1.0, routes=["GET /jobs"])
    statuses = {api.get("/jobs").status_code for _ in range(20)}
    assert statuses <= {502, 503, 504} and statuses
    assert api.get("/account").status_code == 200
    assert emu.faulted_counts["GET /jobs"] == 20
    assert emu.faulted_counts["GET /account"] == 0
    emu.clear_faults()
    assert api.get("/jobs").status_code == 200


def test_random_drop_fraction(emu: RevAIEmulator, api: Api) -> None:
    emu.set_faults(drop_fraction=1.0)
    with pytest.raises(requests.ConnectionError):
        api.get("/account")


def test_latency(emu: RevAIEmulator, api: Api) -> None:
    emu.set_faults(latency=0.2)
    started = time.monotonic()
    assert api.get("/account").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_fault_config_validation() -> None:
    with pytest.raises(ValueError, match="within 0..1"):
        FaultConfig(error_fraction=1.5)
    with pytest.raises(ValueError, match="at most 1"):
        FaultConfig(error_fraction=0.6, drop_fraction=0.6)


def test_faults_from_constructor(tmp_path: Path) -> None:
    with RevAIEmulator(faults=FaultConfig(rate_limit_fraction=1.0)) as emu, requests.Session() as http:
        assert http.get(emu.api_url + "/account", headers=emu.auth_headers).status_code == 429


def test_observer_and_wait_for_requests(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    seen: list[RecordedRequest] = []
    event = threading.Event()

    def observe(request: RecordedRequest) -> None:
        seen.append(request)
        event.set()

    unsubscribe = emu.on_request(observe, route="GET /jobs/{id}")
    job = api.submit_file(wav)
    api.get(f"/jobs/{job['id']}")
    assert event.wait(1)
    assert emu.wait_for_requests("GET /jobs/{id}", count=1, timeout=1)
    assert not emu.wait_for_requests("GET /jobs/{id}", count=2, timeout=0.05)
    unsubscribe()
    api.get(f"/jobs/{job['id']}")
    assert [r.path for r in seen] == [f"/speechtotext/v1/jobs/{job['id']}"]
    assert seen[0].headers["Authorization"] == f"Bearer {emu.token}"


async def test_async_client_in_another_loop(emu: RevAIEmulator, wav: Path) -> None:
    async with aiohttp.ClientSession(headers=emu.auth_headers) as http:
        async with http.post(
            emu.api_url + "/jobs", json={"source_config": {"url": wav.as_uri()}}
        ) as response:
            assert response.status == 200
            job = await response.json()
        emu.inject("GET /jobs/{id}", 503)
        async with http.get(f"{emu.api_url}/jobs/{job['id']}") as response:
            assert response.status == 503
        async with http.get(f"{emu.api_url}/jobs/{job['id']}") as response:
            assert (await response.json())["id"] == job["id"]
        # aiohttp silently retries an idempotent request once when a reused connection is dropped
        emu.inject("GET /account", drop=True, times=2)
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with http.get(emu.api_url + "/account") as response:
                await response.read()
        assert emu.faulted_counts["GET /account"] == 2


def test_scripted_delay_only(emu: RevAIEmulator, api: Api) -> None:
    emu.inject("GET /account", None, delay=0.2)
    started = time.monotonic()
    assert api.get("/account").status_code == 200
    assert time.monotonic() - started >= 0.2
    assert emu.faulted_counts["GET /account"] == 0
    with pytest.raises(requests.Timeout):
        emu.inject("GET /account", None, delay=0.5)
        api.get("/account", timeout=0.1)
