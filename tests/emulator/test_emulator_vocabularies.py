"""Custom Vocabulary API: CRUD, validation, lifecycle, failures, webhooks, and jobs that reference one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from emulator.emulator_support import FAST, Api, LoopbackServer, eventually

from airflow_provider_rev.emulator import EmulatorConfig, RevAIEmulator

PHRASES = {"custom_vocabularies": [{"phrases": ["Airflow", "Rev AI"]}, {"phrases": ["DAG"]}]}
VOCAB_ID = re.compile(r"^cv[A-Za-z0-9]{12}$")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NOT_FOUND = {
    "type": "https://www.rev.ai/api/v1/errors/custom-vocabulary-not-found",
    "title": "could not find custom vocabulary",
    "status": 404,
}
SLOW = 600.0


@pytest.fixture
def slow_emu() -> Iterator[RevAIEmulator]:
    """Jobs finish fast, vocabularies only when the test advances the clock by ``SLOW`` seconds."""
    with RevAIEmulator(**{**FAST, "vocabulary_seconds": SLOW}) as emulator:
        yield emulator


@pytest.fixture
def slow(slow_emu: RevAIEmulator) -> Iterator[Api]:
    with requests.Session() as http:
        http.headers.update(slow_emu.auth_headers)
        yield Api(slow_emu, http)


def _create(api: Api, **extra: Any) -> dict[str, Any]:
    response = api.post("/vocabularies", json={**PHRASES, **extra})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    vocabulary: dict[str, Any] = response.json()
    return vocabulary


def _complete(api: Api, **extra: Any) -> dict[str, Any]:
    vocabulary = _create(api, **extra)
    api.emu.advance_clock(SLOW + 1)
    done: dict[str, Any] = api.get(f"/vocabularies/{vocabulary['id']}").json()
    assert done["status"] == "complete", done
    return done


def _time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _problem(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


# ---- create / get / list / delete -----------------------------------------------------------------


def test_create_answers_the_in_progress_vocabulary(slow: Api) -> None:
    vocabulary = _create(
        slow,
        metadata="meta",
        callback_url="http://127.0.0.1:9/cb",
        strict_custom_vocabulary=True,
        unknown_field="ignored",
    )
    assert VOCAB_ID.match(vocabulary["id"])
    assert ISO_Z.match(vocabulary["created_on"])
    assert vocabulary == {
        "id": vocabulary["id"],
        "status": "in_progress",
        "created_on": vocabulary["created_on"],
        "metadata": "meta",
        "callback_url": "http://127.0.0.1:9/cb",
    }
    assert slow.get(f"/vocabularies/{vocabulary['id']}").json() == vocabulary
    assert slow.emu.vocabulary(vocabulary["id"]) == vocabulary
    assert slow.emu.request_counts["POST /vocabularies"] == 1


def test_notification_config_is_not_echoed(slow: Api) -> None:
    vocabulary = _create(slow, notification_config={"url": "http://127.0.0.1:9/n"})
    assert set(vocabulary) == {"id", "status", "created_on"}


def test_list_is_newest_first_with_limit(slow: Api) -> None:
    ids = [_create(slow)["id"] for _ in range(3)]
    listed = slow.get("/vocabularies")
    assert listed.status_code == 200
    assert listed.headers["Content-Type"] == "application/json"
    assert [v["id"] for v in listed.json()] == ids[::-1]
    assert [v["id"] for v in slow.get("/vocabularies?limit=2").json()] == [ids[2], ids[1]]
    assert slow.get("/vocabularies?limit=0").json() == []
    assert [v["id"] for v in slow.emu.vocabularies()] == ids[::-1]
    too_many = _problem(slow.get("/vocabularies?limit=1001"), 400)
    assert too_many["parameters"] == {"limit": ["The max value for limit is 1000"]}
    assert "limit" in _problem(slow.get("/vocabularies?limit=-1"), 400)["parameters"]
    assert "limit" in _problem(slow.get("/vocabularies?limit=many"), 400)["parameters"]
    assert slow.emu.request_counts["GET /vocabularies"] == 6


def test_list_defaults_to_100(slow: Api) -> None:
    for _ in range(101):
        _create(slow)
    assert len(slow.get("/vocabularies").json()) == 100
    assert len(slow.get("/vocabularies?limit=1000").json()) == 101


def test_delete_in_any_status_then_404(slow: Api) -> None:
    running = _create(slow)
    done = _complete(slow)
    for vocabulary in (running, done):
        deleted = slow.delete(f"/vocabularies/{vocabulary['id']}")
        assert deleted.status_code == 204
        assert deleted.content == b""
        assert _problem(slow.get(f"/vocabularies/{vocabulary['id']}"), 404) == NOT_FOUND
        assert _problem(slow.delete(f"/vocabularies/{vocabulary['id']}"), 404) == NOT_FOUND
        assert slow.emu.vocabulary(vocabulary["id"]) is None
    assert slow.get("/vocabularies").json() == []
    assert slow.emu.request_counts["DELETE /vocabularies/{id}"] == 4


def test_unknown_id_is_404(api: Api) -> None:
    assert _problem(api.get("/vocabularies/cvNope00000000"), 404) == NOT_FOUND


def test_trailing_slash_as_the_python_sdk_sends(slow: Api) -> None:
    response = slow.post("/vocabularies/", json=PHRASES)
    assert response.status_code == 200
    assert [v["id"] for v in slow.get("/vocabularies/").json()] == [response.json()["id"]]
    assert slow.emu.request_counts["POST /vocabularies"] == 1
    assert slow.emu.request_counts["GET /vocabularies"] == 1


def test_auth_and_faults_apply(emu: RevAIEmulator, api: Api) -> None:
    anonymous = requests.post(emu.api_url + "/vocabularies", json=PHRASES, timeout=5)
    assert _problem(anonymous, 401)["title"] == "Authorization has been denied for this request"
    emu.inject("POST /vocabularies", 503, after_commit=True)
    assert _problem(api.post("/vocabularies", json=PHRASES), 503)["status"] == 503
    assert len(emu.vocabularies()) == 1
    emu.inject("GET /vocabularies/{id}", 429, retry_after=3)
    limited = api.get(f"/vocabularies/{emu.vocabularies()[0]['id']}")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert emu.faulted_counts == {"POST /vocabularies": 1, "GET /vocabularies/{id}": 1}


def test_ids_are_seeded_and_independent_of_job_ids(wav: Path) -> None:
    def run(with_vocabulary: bool) -> tuple[str | None, str]:
        with RevAIEmulator(**FAST) as emulator, requests.Session() as http:
            http.headers.update(emulator.auth_headers)
            vocab_id = None
            if with_vocabulary:
                vocab_id = http.post(emulator.api_url + "/vocabularies", json=PHRASES).json()["id"]
            job = http.post(emulator.api_url + "/jobs", json={"source_config": {"url": wav.as_uri()}})
            return vocab_id, job.json()["id"]

    first, second, plain = run(True), run(True), run(False)
    assert first == second
    assert first[1] == plain[1]
    assert first[0] is not None and VOCAB_ID.match(first[0])


def test_reset_forgets_vocabularies(emu: RevAIEmulator, api: Api) -> None:
    _create(api)
    emu.reset()
    assert emu.vocabularies() == []


# ---- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "custom_vocabularies"),
        ({"custom_vocabularies": None}, "custom_vocabularies"),
        ({"custom_vocabularies": []}, "custom_vocabularies"),
        ({"custom_vocabularies": [{"phrases": ["a"]}] * 51}, "custom_vocabularies"),
        ({"custom_vocabularies": [{"phrases": []}]}, "custom_vocabularies"),
        ({"custom_vocabularies": [{"phrases": [""]}]}, "custom_vocabularies"),
        ({"custom_vocabularies": [{"phrases": "Airflow"}]}, "custom_vocabularies"),
        ({"custom_vocabularies": [{"phrases": [3]}]}, "custom_vocabularies"),
        ({"custom_vocabularies": ["Airflow"]}, "custom_vocabularies"),
        ({**PHRASES, "metadata": "x" * 513}, "metadata"),
        ({**PHRASES, "metadata": 5}, "metadata"),
        (
            {
                **PHRASES,
                "callback_url": "http://127.0.0.1/cb",
                "notification_config": {"url": "http://127.0.0.1/n"},
            },
            "notification_config",
        ),
        ({**PHRASES, "callback_url": "ftp://127.0.0.1/cb"}, "callback_url"),
        ({**PHRASES, "notification_config": {"url": "not a url"}}, "notification_config.url"),
        ({**PHRASES, "notification_config": "http://127.0.0.1/n"}, "notification_config"),
        ({**PHRASES, "strict_custom_vocabulary": "yes"}, "strict_custom_vocabulary"),
        (["not", "an", "object"], "body"),
    ],
)
def test_invalid_submissions_are_400(emu: RevAIEmulator, api: Api, payload: Any, field: str) -> None:
    body = _problem(api.post("/vocabularies", json=payload), 400)
    assert body["type"] == "https://www.rev.ai/api/v1/errors/invalid-parameters"
    assert body["title"] == "Your request parameters didn't validate"
    assert body["status"] == 400
    assert field in body["parameters"], body
    assert emu.vocabularies() == []


def test_boundaries_are_accepted(api: Api) -> None:
    fifty = {"custom_vocabularies": [{"phrases": [f"term {i}"]} for i in range(50)], "metadata": "x" * 512}
    assert api.post("/vocabularies", json=fifty).status_code == 200


def test_invalid_json_is_400(api: Api) -> None:
    response = api.post("/vocabularies", data=b"{nope", headers={"Content-Type": "application/json"})
    assert "body" in _problem(response, 400)["parameters"]


# ---- lifecycle ------------------------------------------------------------------------------------


def test_completes_after_vocabulary_seconds(slow: Api) -> None:
    vocabulary = _create(slow)
    slow.emu.advance_clock(SLOW - 10)
    assert slow.get(f"/vocabularies/{vocabulary['id']}").json()["status"] == "in_progress"
    slow.emu.advance_clock(11)
    done = slow.get(f"/vocabularies/{vocabulary['id']}").json()
    assert done["status"] == "complete"
    assert ISO_Z.match(done["completed_on"])
    assert _time(done["completed_on"]) - _time(done["created_on"]) == timedelta(seconds=SLOW)
    assert "failure" not in done and "failure_detail" not in done


def test_vocabulary_seconds_defaults_to_processing_seconds() -> None:
    assert EmulatorConfig(processing_seconds=3).effective_vocabulary_seconds == 3
    assert EmulatorConfig(processing_seconds=3, vocabulary_seconds=0).effective_vocabulary_seconds == 0
    with RevAIEmulator(processing_seconds=SLOW) as emulator, requests.Session() as http:
        http.headers.update(emulator.auth_headers)
        vocabulary = http.post(emulator.api_url + "/vocabularies", json=PHRASES).json()
        emulator.advance_clock(SLOW - 10)
        assert emulator.vocabulary(vocabulary["id"])["status"] == "in_progress"  # type: ignore[index]
        emulator.advance_clock(11)
        assert emulator.vocabulary(vocabulary["id"])["status"] == "complete"  # type: ignore[index]


def test_fail_vocabularies(wav: Path) -> None:
    with (
        RevAIEmulator(**{**FAST, "vocabulary_seconds": SLOW, "fail_vocabularies": True}) as emulator,
        requests.Session() as http,
    ):
        http.headers.update(emulator.auth_headers)
        api = Api(emulator, http)
        vocabulary = _create(api, metadata="doomed")
        emulator.advance_clock(SLOW + 1)
        failed = api.get(f"/vocabularies/{vocabulary['id']}").json()
        assert failed == {
            "id": vocabulary["id"],
            "status": "failed",
            "created_on": vocabulary["created_on"],
            "completed_on": failed["completed_on"],
            "metadata": "doomed",
            "failure": "internal_processing",
            "failure_detail": "Internal server error.",
        }
        refused = _problem(
            api.post(
                "/jobs",
                json={"source_config": {"url": wav.as_uri()}, "custom_vocabulary_id": vocabulary["id"]},
            ),
            404,
        )
        assert refused["detail"] == f"Custom vocabulary {vocabulary['id']} is failed, not complete"


# ---- webhooks -------------------------------------------------------------------------------------


def test_webhook_on_complete_with_auth(slow: Api, loopback: LoopbackServer) -> None:
    hook = {"url": f"{loopback.url}/cv", "auth_headers": {"Authorization": "Bearer cv-hook"}}
    vocabulary = _create(slow, notification_config=hook)
    slow.emu.advance_clock(SLOW + 1)
    assert slow.emu.wait_for_webhooks(1)
    eventually(lambda: len(loopback.posts()) == 1)
    hit = loopback.posts()[0]
    assert hit.path == "/cv"
    assert hit.headers["Authorization"] == "Bearer cv-hook"
    assert hit.headers["Content-Type"] == "application/json"
    body = json.loads(hit.body)
    assert body == {"custom_vocabulary": slow.get(f"/vocabularies/{vocabulary['id']}").json()}
    assert body["custom_vocabulary"]["status"] == "complete"
    delivery = slow.emu.webhook_deliveries[0]
    assert (delivery.resource, delivery.job_id, delivery.status, delivery.attempt) == (
        "custom_vocabulary",
        vocabulary["id"],
        200,
        1,
    )


def test_webhook_on_failure_is_retried_until_200(loopback: LoopbackServer) -> None:
    loopback.statuses = [500, 204]
    with (
        RevAIEmulator(**{**FAST, "vocabulary_seconds": SLOW, "fail_vocabularies": True}) as emulator,
        requests.Session() as http,
    ):
        http.headers.update(emulator.auth_headers)
        vocabulary = _create(Api(emulator, http), callback_url=f"{loopback.url}/cb")
        emulator.advance_clock(SLOW + 1)
        assert emulator.wait_for_webhooks(3)
        assert [d.status for d in emulator.webhook_deliveries] == [500, 204, 200]
        assert not emulator.wait_for_webhooks(4, timeout=0.2)
    bodies = [json.loads(hit.body) for hit in loopback.posts()]
    assert {body["custom_vocabulary"]["id"] for body in bodies} == {vocabulary["id"]}
    assert bodies[0]["custom_vocabulary"]["status"] == "failed"
    assert bodies[0]["custom_vocabulary"]["callback_url"] == f"{loopback.url}/cb"
    assert "Authorization" not in loopback.posts()[0].headers


# ---- jobs with custom_vocabulary_id ---------------------------------------------------------------


def _submit_with(api: Api, wav: Path, vocab_id: str) -> requests.Response:
    return api.post("/jobs", json={"source_config": {"url": wav.as_uri()}, "custom_vocabulary_id": vocab_id})


def _upload_with(api: Api, wav: Path, vocab_id: str) -> requests.Response:
    with wav.open("rb") as handle:
        options = json.dumps({"custom_vocabulary_id": vocab_id})
        return api.post("/jobs", files={"media": ("a.wav", handle), "options": (None, options)})


@pytest.mark.parametrize("submit", [_submit_with, _upload_with], ids=["json", "multipart"])
def test_job_needs_a_complete_vocabulary(slow: Api, wav: Path, submit: Any) -> None:
    deleted = _complete(slow)["id"]
    assert slow.delete(f"/vocabularies/{deleted}").status_code == 204
    complete = _complete(slow)["id"]
    running = _create(slow)["id"]
    assert slow.get(f"/vocabularies/{running}").json()["status"] == "in_progress"
    cases = {
        "cvUnknown00000": "does not exist",
        deleted: "does not exist",
        running: "is in_progress, not complete",
    }
    for vocab_id, reason in cases.items():
        body = _problem(submit(slow, wav, vocab_id), 404)
        assert body == {**NOT_FOUND, "detail": f"Custom vocabulary {vocab_id} {reason}"}
    assert slow.emu.jobs() == []
    assert list(slow.emu.core.workdir.iterdir()) == []
    accepted = submit(slow, wav, complete)
    assert accepted.status_code == 200, accepted.text
    job = accepted.json()
    assert job["custom_vocabulary_id"] == complete
    assert slow.wait(job["id"])["status"] == "transcribed"
    assert slow.wait(job["id"])["custom_vocabulary_id"] == complete


def test_both_vocabulary_options_stay_400_before_the_id_check(api: Api, wav: Path) -> None:
    payload = {
        "source_config": {"url": wav.as_uri()},
        "custom_vocabulary_id": "cvUnknown00000",
        "custom_vocabularies": [{"phrases": ["a"]}],
    }
    assert "custom_vocabularies" in _problem(api.post("/jobs", json=payload), 400)["parameters"]
