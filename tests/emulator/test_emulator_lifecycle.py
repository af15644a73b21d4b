"""Job lifecycle: timing, every failure code, uploads, balance, the emulated clock and sub-jobs."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from emulator.emulator_support import Api, LoopbackServer

from airflow_provider_rev.emulator import RevAIEmulator, make_wav

DOWNLOAD_DETAIL = "Failed to download media file. Please check your url and file type"
REV_JSON = "application/vnd.rev.transcript.v1.0+json"
NLP = 600.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fails(api: Api, url: str, **options: object) -> dict[str, object]:
    job = api.wait(api.submit(source_config={"url": url}, **options)["id"])
    assert job["status"] == "failed", job
    assert "completed_on" in job
    return job


def test_download_failure_for_404_refused_and_missing_file(
    api: Api, loopback: LoopbackServer, tmp_path: Path
) -> None:
    for url in (
        f"{loopback.url}/nope.wav",
        f"http://127.0.0.1:{_free_port()}/a.wav",
        (tmp_path / "x.wav").as_uri(),
    ):
        job = _fails(api, url)
        assert job["failure"] == "download_failure"
        assert job["failure_detail"] == DOWNLOAD_DETAIL
        assert "duration_seconds" not in job


def test_remote_hosts_are_not_contacted_by_default(api: Api) -> None:
    job = _fails(api, "https://example.invalid/a.wav")
    assert job["failure"] == "download_failure"


def test_invalid_media(api: Api, tmp_path: Path) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio at all")
    assert _fails(api, text.as_uri())["failure"] == "invalid_media"


def test_empty_media(api: Api, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    assert _fails(api, empty.as_uri())["failure"] == "empty_media"
    silent = make_wav(tmp_path / "zero.wav", seconds=0)
    assert _fails(api, silent.as_uri())["failure"] == "empty_media"


def test_duration_too_short(api: Api, tmp_path: Path) -> None:
    short = make_wav(tmp_path / "short.wav", seconds=0.5)
    job = _fails(api, short.as_uri())
    assert job["failure"] == "duration_too_short"
    assert job["duration_seconds"] == 0.5


def test_more_speaker_channels_than_audio_channels_is_invalid_media(api: Api, tmp_path: Path) -> None:
    stereo = make_wav(tmp_path / "stereo.wav", seconds=2, channels=2)
    job = _fails(api, stereo.as_uri(), speaker_channels_count=3)
    assert job["failure"] == "invalid_media"
    assert "channel" in job["failure_detail"]
    ok = api.wait(api.submit_file(stereo, speaker_channels_count=2)["id"])
    assert ok["status"] == "transcribed"
    assert ok["speaker_channels_count"] == 2


def test_insufficient_balance_and_billing(emu: RevAIEmulator, api: Api, tmp_path: Path) -> None:
    stereo = make_wav(tmp_path / "stereo.wav", seconds=2.5, channels=2)
    emu.set_balance(8)
    api.transcribe(stereo, speaker_channels_count=2)  # ceil(2.5) * 2 channels
    assert emu.balance_seconds == 2
    job = _fails(api, stereo.as_uri())
    assert job["failure"] == "insufficient_balance"
    assert emu.balance_seconds == 2
    api.transcribe(stereo, transcriber="human", test_mode=True)
    assert emu.balance_seconds == 2


def test_estimated_duration_for_mp3(api: Api, tmp_path: Path) -> None:
    mp3 = tmp_path / "talk.mp3"
    mp3.write_bytes(b"ID3" + b"\0" * (32_000 - 3))  # 2 s at 128 kbit/s
    job = api.wait(api.submit_file(mp3)["id"])
    assert job["status"] == "transcribed"
    assert job["duration_seconds"] == 2.0


def test_processing_time_scales_with_duration(tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "a.wav", seconds=2)
    with (
        RevAIEmulator(processing_seconds=0.05, seconds_per_audio_second=0.1) as emu,
        requests.Session() as http,
    ):
        http.headers.update(emu.auth_headers)
        started = time.monotonic()
        job = http.post(emu.api_url + "/jobs", json={"source_config": {"url": wav.as_uri()}}).json()
        time.sleep(0.1)
        assert http.get(f"{emu.api_url}/jobs/{job['id']}").json()["status"] == "in_progress"
        done = emu.wait_for_job(job["id"])
        assert done["status"] == "transcribed"
        assert time.monotonic() - started >= 0.25


def test_clock_advance_and_speed(tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "a.wav", seconds=2)
    with RevAIEmulator(processing_seconds=600) as emu, requests.Session() as http:
        http.headers.update(emu.auth_headers)
        job = http.post(emu.api_url + "/jobs", json={"source_config": {"url": wav.as_uri()}}).json()
        emu.wait_for_requests("POST /jobs")
        time.sleep(0.05)
        assert emu.job(job["id"])["status"] == "in_progress"  # type: ignore[index]
        emu.advance_clock(601)
        assert http.get(f"{emu.api_url}/jobs/{job['id']}").json()["status"] == "transcribed"
    with RevAIEmulator(processing_seconds=600, clock_speed=10_000) as fast, requests.Session() as http:
        http.headers.update(fast.auth_headers)
        job = http.post(fast.api_url + "/jobs", json={"source_config": {"url": wav.as_uri()}}).json()
        assert fast.wait_for_job(job["id"], timeout=3)["status"] == "transcribed"


def test_multipart_upload_with_options(api: Api, tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "meeting.wav", seconds=3)
    with wav.open("rb") as handle:
        response = api.post(
            "/jobs",
            files={
                "media": (str(wav), handle, "audio/wav"),
                "options": (None, json.dumps({"metadata": "upload", "media_url": "ignored"})),
            },
        )
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["name"] == "meeting.wav"
    assert job["metadata"] == "upload"
    assert "media_url" not in job
    done = api.wait(job["id"])
    assert done["status"] == "transcribed"
    assert done["duration_seconds"] == 3.0
    assert done["name"] == "meeting.wav"


def test_multipart_config_part_and_no_options(api: Api, wav: Path) -> None:
    with wav.open("rb") as handle:
        job = api.post(
            "/jobs", files={"media": ("a.wav", handle), "config": (None, '{"metadata": "vercel"}')}
        ).json()
    assert job["metadata"] == "vercel"
    with wav.open("rb") as handle:
        bare = api.post("/jobs", files={"media": ("b.wav", handle)}).json()
    assert api.wait(bare["id"])["status"] == "transcribed"


def test_multipart_invalid_options_are_400_and_leave_no_file(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    with wav.open("rb") as handle:
        response = api.post(
            "/jobs", files={"media": ("a.wav", handle), "options": (None, '{"speakers_count": 0}')}
        )
    assert response.status_code == 400
    assert "speakers_count" in response.json()["parameters"]
    assert list(emu.core.workdir.iterdir()) == []


def test_uploaded_invalid_media_fails(api: Api) -> None:
    job = api.post("/jobs", files={"media": ("x.wav", b"garbage bytes")}).json()
    done = api.wait(job["id"])
    assert done["failure"] == "invalid_media"


@pytest.mark.parametrize("seconds", [1.0, 4.2])
def test_wav_duration_is_measured(api: Api, tmp_path: Path, seconds: float) -> None:
    wav = make_wav(tmp_path / "a.wav", seconds=seconds, rate=8000)
    assert api.transcribe(wav)["duration_seconds"] == seconds


# ---- sub-jobs: summarization and translation ----------------------------------------------------


@contextmanager
def _nlp_api(**overrides: Any) -> Iterator[Api]:
    """Jobs transcribe at once; sub-jobs only finish when the test advances the clock."""
    with (
        RevAIEmulator(processing_seconds=0.05, nlp_seconds=NLP, **overrides) as emu,
        requests.Session() as http,
    ):
        http.headers.update(emu.auth_headers)
        yield Api(emu, http)


def _time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _languages(job: dict[str, Any]) -> list[str]:
    return [lang["status"] for lang in job["translation"]["target_languages"]]


def _results(api: Api, job_id: str) -> dict[str, int]:
    """Status code of the summary and of each translated transcript."""
    summary = api.get(f"/jobs/{job_id}/transcript/summary", headers={"Accept": "application/json"})
    codes = {"summary": summary.status_code}
    for language in ("es", "de", "fr"):
        response = api.get(f"/jobs/{job_id}/transcript/translation/{language}", headers={"Accept": REV_JSON})
        codes[language] = response.status_code
    return codes


def _sub_job_state(api: Api, path: str, accept: str = REV_JSON) -> tuple[int, Any, Any]:
    """Status, ``current_value`` and ``allowed_values`` of a result endpoint."""
    response = api.get(path, headers={"Accept": accept})
    body = response.json()
    return response.status_code, body.get("current_value"), body.get("allowed_values")


THREE_LANGUAGES = {"target_languages": [{"language": code} for code in ("es", "de", "fr")]}


def test_sub_jobs_finish_on_their_own_schedules(wav: Path) -> None:
    with _nlp_api() as api:
        job = api.transcribe(wav, summarization_config={}, translation_config=THREE_LANGUAGES)
        transcribed_at = _time(job["completed_on"])
        assert job["summarization"]["status"] == "in_progress"
        assert _languages(job) == ["in_progress"] * 3
        assert _results(api, job["id"]) == {"summary": 409, "es": 409, "de": 409, "fr": 409}

        api.emu.advance_clock(NLP)
        job = api.get(f"/jobs/{job['id']}").json()
        assert job["summarization"]["status"] == "completed"
        assert _time(job["summarization"]["completed_on"]) == transcribed_at + timedelta(seconds=NLP)
        assert _languages(job) == ["completed", "in_progress", "in_progress"]
        assert "completed_on" not in job["translation"]
        assert _results(api, job["id"]) == {"summary": 200, "es": 200, "de": 409, "fr": 409}

        api.emu.advance_clock(NLP * 0.5)
        job = api.get(f"/jobs/{job['id']}").json()
        assert _languages(job) == ["completed", "completed", "in_progress"]
        assert "completed_on" not in job["translation"]

        api.emu.advance_clock(NLP * 0.5)
        job = api.get(f"/jobs/{job['id']}").json()
        assert _languages(job) == ["completed"] * 3
        assert _time(job["translation"]["completed_on"]) == transcribed_at + timedelta(seconds=2 * NLP)
        assert _results(api, job["id"]) == {"summary": 200, "es": 200, "de": 200, "fr": 200}


def test_fail_summaries(wav: Path) -> None:
    with _nlp_api(fail_summaries=True) as api:
        job = api.transcribe(
            wav, summarization_config={}, translation_config={"target_languages": [{"language": "es"}]}
        )
        summary = f"/jobs/{job['id']}/transcript/summary"
        assert _sub_job_state(api, summary, "text/plain") == (409, "in_progress", ["completed"])
        api.emu.advance_clock(NLP)
        done = api.get(f"/jobs/{job['id']}").json()
        assert done["status"] == "transcribed"
        assert done["summarization"]["status"] == "failed"
        assert done["summarization"]["failure"] == "internal_processing"
        assert _time(done["summarization"]["completed_on"]) == _time(job["completed_on"]) + timedelta(
            seconds=NLP
        )
        assert _languages(done) == ["completed"]
        failed = api.get(summary, headers={"Accept": "application/json"})
        assert failed.status_code == 409
        assert failed.headers["Content-Type"] == "application/problem+json"
        assert failed.json() == {
            "allowed_values": ["completed"],
            "current_value": "failed",
            "type": "https://rev.ai/api/v1/errors/invalid-job-state",
            "title": "Job is in invalid state",
            "detail": "Summarization failed",
            "status": 409,
        }
        assert _results(api, job["id"])["es"] == 200


def test_fail_translation_languages(wav: Path) -> None:
    config = {"target_languages": [{"language": "es"}, {"language": "de"}]}
    with _nlp_api(fail_translation_languages={"de"}) as api:
        job = api.transcribe(wav, summarization_config={}, translation_config=config)
        api.emu.advance_clock(NLP * 1.5)
        done = api.get(f"/jobs/{job['id']}").json()
        assert done["translation"]["target_languages"] == [
            {"language": "es", "model": "standard", "status": "completed"},
            {"language": "de", "model": "standard", "status": "failed", "failure": "internal_processing"},
        ]
        assert _time(done["translation"]["completed_on"]) == _time(job["completed_on"]) + timedelta(
            seconds=NLP * 1.5
        )
        assert done["summarization"]["status"] == "completed"
        assert _results(api, job["id"]) == {"summary": 200, "es": 200, "de": 409, "fr": 404}
        for path, accept in (
            ("transcript/translation/de", REV_JSON),
            ("captions/translation/de", "text/vtt"),
        ):
            assert _sub_job_state(api, f"/jobs/{job['id']}/{path}", accept) == (409, "failed", ["completed"])
        detail = api.get(f"/jobs/{job['id']}/transcript/translation/de", headers={"Accept": REV_JSON}).json()[
            "detail"
        ]
        assert detail == "Translation to de failed"
        es_captions = api.get(f"/jobs/{job['id']}/captions/translation/es", headers={"Accept": "text/vtt"})
        assert es_captions.status_code == 200


def test_failed_job_fails_its_sub_jobs_at_once(tmp_path: Path) -> None:
    with _nlp_api() as api:
        job = api.wait(
            api.submit(
                media_url=(tmp_path / "missing.wav").as_uri(),
                summarization_config={},
                translation_config={"target_languages": [{"language": "es"}, {"language": "de"}]},
            )["id"]
        )
        assert job["status"] == "failed"
        summarization, translation = job["summarization"], job["translation"]
        assert (summarization["status"], summarization["failure"]) == ("failed", "download_failure")
        assert summarization["completed_on"] == job["completed_on"]
        assert _languages(job) == ["failed", "failed"]
        assert {lang["failure"] for lang in translation["target_languages"]} == {"download_failure"}
        assert translation["completed_on"] == job["completed_on"]
        api.emu.advance_clock(3 * NLP)
        assert api.get(f"/jobs/{job['id']}").json() == job
        summary = f"/jobs/{job['id']}/transcript/summary"
        assert _sub_job_state(api, summary, "text/plain") == (409, "failed", ["transcribed"])
