"""Contract tests: submit, get, list, delete, account, auth and routing over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import requests
from emulator.emulator_support import Api, LoopbackServer

from airflow_provider_rev.emulator import RevAIEmulator, make_wav

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_submit_by_source_config_echoes_documented_fields(api: Api, wav: Path) -> None:
    response = api.post(
        "/jobs",
        json={
            "source_config": {"url": wav.as_uri(), "auth_headers": None},
            "metadata": "meta",
            "delete_after_seconds": 3600,
            "skip_diarization": True,
            "notification_config": {"url": "http://127.0.0.1:9/hook"},
        },
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    job = response.json()
    assert re.fullmatch(r"[A-Za-z0-9]{12}", job["id"])
    assert ISO_Z.match(job["created_on"])
    assert job["status"] == "in_progress"
    assert job["type"] == "async"
    assert job["language"] == "en"
    assert job["transcriber"] == "machine"
    assert job["metadata"] == "meta"
    assert job["delete_after_seconds"] == 3600
    assert job["skip_diarization"] is True
    for absent in ("source_config", "notification_config", "media_url", "completed_on", "failure", "name"):
        assert absent not in job
    assert None not in job.values()


def test_job_becomes_transcribed_with_duration(api: Api, wav: Path) -> None:
    job = api.wait(api.submit_file(wav)["id"])
    assert job["status"] == "transcribed"
    assert job["duration_seconds"] == 2.0
    assert ISO_Z.match(job["completed_on"])
    assert job["completed_on"] >= job["created_on"]
    assert "failure" not in job


def test_media_url_is_downloaded_and_echoed(api: Api, loopback: LoopbackServer) -> None:
    make_wav(loopback.root / "talk.wav", seconds=3)
    url = f"{loopback.url}/talk.wav"
    job = api.submit(media_url=url, callback_url="http://127.0.0.1:9/cb")
    assert job["media_url"] == url
    assert job["callback_url"] == "http://127.0.0.1:9/cb"
    done = api.wait(job["id"])
    assert done["status"] == "transcribed"
    assert done["duration_seconds"] == 3.0
    assert [hit.path for hit in loopback.hits][:1] == ["/talk.wav"]


def test_source_config_auth_header_is_sent_to_the_media_server(api: Api, loopback: LoopbackServer) -> None:
    make_wav(loopback.root / "secret.wav", seconds=2)
    loopback.required_auth = "Bearer media-secret"
    ok = api.submit(
        source_config={
            "url": f"{loopback.url}/secret.wav",
            "auth_headers": {"Authorization": "Bearer media-secret"},
        }
    )
    denied = api.submit(source_config={"url": f"{loopback.url}/secret.wav"})
    assert api.wait(ok["id"])["status"] == "transcribed"
    failed = api.wait(denied["id"])
    assert failed["status"] == "failed"
    assert failed["failure"] == "download_failure"
    sent = {hit.headers.get("Authorization") for hit in loopback.hits}  # concurrent downloads, any order
    assert sent == {"Bearer media-secret", None}


def test_get_unknown_job_is_404_problem(api: Api) -> None:
    response = api.get("/jobs/doesnotexist")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://www.rev.ai/api/v1/errors/job-not-found",
        "title": "could not find job",
        "status": 404,
    }


def test_list_is_newest_first_with_limit_and_starting_after(api: Api, wav: Path) -> None:
    ids = [api.submit_file(wav)["id"] for _ in range(5)]
    listed = api.get("/jobs").json()
    assert [job["id"] for job in listed] == ids[::-1]
    page = api.get("/jobs", params={"limit": 2}).json()
    assert [job["id"] for job in page] == [ids[4], ids[3]]
    page = api.get("/jobs", params={"limit": 2, "starting_after": ids[3]}).json()
    assert [job["id"] for job in page] == [ids[2], ids[1]]
    page = api.get("/jobs", params={"limit": 2, "starting_after": ids[1]}).json()
    assert [job["id"] for job in page] == [ids[0]]
    assert api.get("/jobs", params={"limit": 0}).json() == []
    assert api.get("/jobs?").status_code == 200


def test_list_limit_above_1000_is_400(api: Api) -> None:
    response = api.get("/jobs", params={"limit": 1001})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "parameters": {"limit": ["The max value for limit is 1000"]},
        "type": "https://www.rev.ai/api/v1/errors/invalid-parameters",
        "title": "Your request parameters didn't validate",
        "status": 400,
    }
    assert api.get("/jobs", params={"limit": 1000}).status_code == 200
    assert api.get("/jobs", params={"limit": -1}).status_code == 400
    assert api.get("/jobs", params={"limit": "ten"}).status_code == 400


def test_list_default_limit_is_100(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    emu.set_balance(10**6)
    for _ in range(101):
        api.submit_file(wav)
    assert len(api.get("/jobs").json()) == 100
    assert len(api.get("/jobs", params={"limit": 1000}).json()) == 101


def test_delete_rules(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    slow = RevAIEmulator(processing_seconds=60)
    with slow, requests.Session() as http:
        http.headers.update(slow.auth_headers)
        job = http.post(slow.api_url + "/jobs", json={"source_config": {"url": wav.as_uri()}}).json()
        response = http.delete(f"{slow.api_url}/jobs/{job['id']}")
        assert response.status_code == 409
        assert response.json() == {
            "allowed_values": ["transcribed", "failed"],
            "current_value": "in_progress",
            "type": "https://rev.ai/api/v1/errors/invalid-job-state",
            "title": "Job is in invalid state",
            "detail": "Job is in invalid state to be deleted",
            "status": 409,
        }
    done = api.wait(api.submit_file(wav)["id"])
    response = api.delete(f"/jobs/{done['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"/jobs/{done['id']}").status_code == 404
    assert api.delete(f"/jobs/{done['id']}").status_code == 404


def test_failed_jobs_can_be_deleted(api: Api, tmp_path: Path) -> None:
    job = api.wait(api.submit(media_url=(tmp_path / "missing.wav").as_uri())["id"])
    assert job["status"] == "failed"
    assert api.delete(f"/jobs/{job['id']}").status_code == 204


def test_delete_after_seconds_removes_job_after_completion(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    job = api.wait(api.submit_file(wav, delete_after_seconds=3600)["id"])
    assert job["delete_after_seconds"] == 3600
    emu.advance_clock(3599)
    assert api.get(f"/jobs/{job['id']}").status_code == 200
    emu.advance_clock(2)
    assert api.get(f"/jobs/{job['id']}").status_code == 404
    assert emu.job(job["id"]) is None


def test_account(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    emu.set_balance(100)
    response = api.get("/account")
    assert response.status_code == 200
    assert response.json() == {"email": "emulator@example.com", "balance_seconds": 100}
    api.transcribe(wav)
    assert api.get("/account").json()["balance_seconds"] == 98


def test_auth_required_everywhere(emu: RevAIEmulator) -> None:
    body = {"title": "Authorization has been denied for this request", "status": 401}
    with requests.Session() as http:
        for method, path in [
            ("GET", "/jobs"),
            ("POST", "/jobs"),
            ("GET", "/account"),
            ("GET", "/jobs/x/transcript"),
        ]:
            response = http.request(method, emu.api_url + path, timeout=5)
            assert response.status_code == 401
            assert response.headers["Content-Type"] == "application/problem+json"
            assert response.json() == body
        wrong = http.get(emu.api_url + "/jobs", headers={"Authorization": "Bearer nope"}, timeout=5)
        assert wrong.status_code == 401
        right = http.get(emu.api_url + "/jobs", headers={"Authorization": f"Bearer {emu.token}"}, timeout=5)
        assert right.status_code == 200
    assert emu.request_counts["GET /jobs"] == 3


def test_unknown_route_and_method(api: Api) -> None:
    response = api.get("/topics")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    assert api.request("PUT", "/jobs").status_code == 405
    outside = api.session.get(api.emu.base_url + "/jobs", timeout=5)
    assert outside.status_code == 404


def test_base_and_api_urls(emu: RevAIEmulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emu.base_url)
    assert emu.api_url == emu.base_url + "/speechtotext/v1"
    assert emu.port == int(emu.base_url.rsplit(":", 1)[1])
