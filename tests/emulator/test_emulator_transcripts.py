"""Transcript, captions, summary and translation endpoints: negotiation, states, content, options."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from emulator.emulator_support import Api

from airflow_provider_rev.emulator import RevAIEmulator, make_wav

REV_JSON = "application/vnd.rev.transcript.v1.0+json"
SIDECAR = "Speaker 0: Well damn, um, that works. <laugh>\nSpeaker 1: Hello there! Uh, nice.\n"


@pytest.fixture
def talk(tmp_path: Path) -> Path:
    wav = make_wav(tmp_path / "talk.wav", seconds=4, channels=2)
    (tmp_path / "talk.txt").write_text(SIDECAR)
    return wav


def _json(api: Api, job_id: str, path: str = "transcript") -> dict[str, Any]:
    response = api.get(f"/jobs/{job_id}/{path}", headers={"Accept": REV_JSON})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == REV_JSON
    body: dict[str, Any] = response.json()
    return body


def _text(api: Api, job_id: str, path: str = "transcript") -> str:
    response = api.get(f"/jobs/{job_id}/{path}", headers={"Accept": "text/plain"})
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    return response.text


def _words(transcript: dict[str, Any]) -> list[str]:
    return [e["value"] for m in transcript["monologues"] for e in m["elements"] if e["type"] == "text"]


def test_transcript_json_shape(api: Api, wav: Path) -> None:
    job = api.transcribe(wav)
    transcript = _json(api, job["id"])
    assert transcript["monologues"]
    last_end = 0.0
    for monologue in transcript["monologues"]:
        assert isinstance(monologue["speaker"], int)
        for element in monologue["elements"]:
            assert element["type"] in {"text", "punct", "unknown"}
            if element["type"] == "text":
                assert set(element) == {"type", "value", "ts", "end_ts", "confidence"}
                assert last_end <= element["ts"] < element["end_ts"] <= 2.0
                assert 0 <= element["confidence"] <= 1
                last_end = element["end_ts"]
            else:
                assert set(element) == {"type", "value"}
    assert 4 <= len(_words(transcript)) <= 6  # ~2.5 words per second


def test_missing_accept_defaults_to_json(api: Api, wav: Path) -> None:
    job = api.transcribe(wav)
    response = api.get(f"/jobs/{job['id']}/transcript", headers={"Accept": None})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == REV_JSON
    multi = api.get(f"/jobs/{job['id']}/transcript", headers={"Accept": f"application/json, {REV_JSON}"})
    assert multi.headers["Content-Type"] == REV_JSON


def test_unsupported_accept_is_406(api: Api, wav: Path) -> None:
    job = api.transcribe(wav)
    response = api.get(f"/jobs/{job['id']}/transcript", headers={"Accept": "*/*"})
    assert response.status_code == 406
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "allowed_values": ["text/plain", REV_JSON],
        "current_value": "*/*",
        "type": "https://www.rev.ai/api/v1/errors/unsupported-output-format",
        "title": "Output format is not supported",
        "detail": "Unsupported value */*",
        "status": 406,
    }
    captions = api.get(f"/jobs/{job['id']}/captions", headers={"Accept": "application/json"})
    assert captions.status_code == 406
    assert captions.json()["allowed_values"] == ["application/x-subrip", "text/vtt"]


def test_results_before_transcription_are_409(tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "a.wav", seconds=2)
    with RevAIEmulator(processing_seconds=600) as emu:
        import requests

        with requests.Session() as http:
            http.headers.update(emu.auth_headers)
            job = http.post(emu.api_url + "/jobs", json={"source_config": {"url": wav.as_uri()}}).json()
            for path, accept in [
                ("transcript", REV_JSON),
                ("captions", "text/vtt"),
                ("transcript/summary", "text/plain"),
            ]:
                response = http.get(f"{emu.api_url}/jobs/{job['id']}/{path}", headers={"Accept": accept})
                assert response.status_code == 409
                assert response.json() == {
                    "allowed_values": ["transcribed"],
                    "current_value": "in_progress",
                    "type": "https://rev.ai/api/v1/errors/invalid-job-state",
                    "title": "Job is in invalid state",
                    "detail": "Job is in progress or failed",
                    "status": 409,
                }


def test_results_of_failed_job_are_409(api: Api, tmp_path: Path) -> None:
    job = api.wait(api.submit(media_url=(tmp_path / "nope.wav").as_uri())["id"])
    response = api.get(f"/jobs/{job['id']}/transcript", headers={"Accept": REV_JSON})
    assert response.status_code == 409
    assert response.json()["current_value"] == "failed"
    assert api.get("/jobs/unknown/transcript", headers={"Accept": REV_JSON}).status_code == 404


def test_text_transcript_format(api: Api, talk: Path) -> None:
    job = api.transcribe(talk)
    lines = _text(api, job["id"]).split("\n")
    assert lines == [
        "Speaker 0    00:00:00    Well damn, um, that works. <laugh>",
        "Speaker 1    00:00:02    Hello there! Uh, nice.",
    ]


def test_sidecar_for_http_media(api: Api, loopback: Any) -> None:
    make_wav(loopback.root / "call.wav", seconds=2)
    (loopback.root / "call.txt").write_text("Good morning team.")
    job = api.wait(api.submit(media_url=f"{loopback.url}/call.wav")["id"])
    assert _words(_json(api, job["id"])) == ["Good", "morning", "team"]


def test_sidecar_in_media_root_for_uploads(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "memo.txt").write_text("Upload words here.")
    wav = make_wav(tmp_path / "memo.wav", seconds=2)
    import requests

    with RevAIEmulator(processing_seconds=0.02, media_root=root) as emu, requests.Session() as http:
        http.headers.update(emu.auth_headers)
        with wav.open("rb") as handle:
            job = http.post(emu.api_url + "/jobs", files={"media": ("memo.wav", handle)}).json()
        emu.wait_for_job(job["id"])
        body = http.get(f"{emu.api_url}/jobs/{job['id']}/transcript", headers={"Accept": REV_JSON}).json()
        assert _words(body) == ["Upload", "words", "here"]


def test_elements_concatenate_to_text_and_atmospherics_are_unknown(api: Api, talk: Path) -> None:
    transcript = _json(api, api.transcribe(talk)["id"])
    first = transcript["monologues"][0]
    assert "".join(e["value"] for e in first["elements"]) == "Well damn, um, that works. <laugh>"
    assert {"type": "unknown", "value": "<laugh>"} in first["elements"]
    assert [m["speaker"] for m in transcript["monologues"]] == [0, 1]


def test_placeholder_transcript_is_deterministic(api: Api, tmp_path: Path) -> None:
    first = make_wav(tmp_path / "one.wav", seconds=6)
    second = make_wav(tmp_path / "two.wav", seconds=6)
    other = make_wav(tmp_path / "three.wav", seconds=6, frequency=300)
    a, b, c = (_json(api, api.transcribe(p)["id"]) for p in (first, second, other))
    assert a == b
    assert a != c


@pytest.mark.parametrize(
    ("options", "check"),
    [
        ({"skip_diarization": True}, lambda t: {m["speaker"] for m in t["monologues"]} == {0}),
        (
            {"skip_punctuation": True},
            lambda t: all(e["type"] != "punct" for m in t["monologues"] for e in m["elements"]),
        ),
        ({"remove_disfluencies": True}, lambda t: not {"um", "Uh", "<laugh>"} & set(_values(t))),
        ({"remove_atmospherics": True}, lambda t: "<laugh>" not in _values(t) and "um" in _values(t)),
        ({"filter_profanity": True}, lambda t: "d**n" in _values(t) and "damn" not in _values(t)),
        ({"skip_postprocessing": True}, lambda t: "well" in _values(t) and "," not in _values(t)),
    ],
)
def test_options_shape_the_transcript(api: Api, talk: Path, options: dict[str, Any], check: Any) -> None:
    job = api.transcribe(talk, **options)
    assert check(_json(api, job["id"]))
    for key, value in options.items():
        assert job[key] == value


def _values(transcript: dict[str, Any]) -> list[str]:
    return [e["value"] for m in transcript["monologues"] for e in m["elements"]]


def test_skip_punctuation_text_keeps_spaces(api: Api, talk: Path) -> None:
    text = _text(api, api.transcribe(talk, skip_punctuation=True)["id"])
    assert text.split("\n")[0] == "Speaker 0    00:00:00    Well damn um that works <laugh>"


def test_speaker_channels_make_speaker_the_channel(api: Api, talk: Path) -> None:
    transcript = _json(api, api.transcribe(talk, speaker_channels_count=2)["id"])
    assert {m["speaker"] for m in transcript["monologues"]} == {0, 1}
    starts = [next(e["ts"] for e in m["elements"] if "ts" in e) for m in transcript["monologues"]]
    assert max(starts) < 0.1  # channels run in parallel over the whole duration


def test_captions_srt_and_vtt(api: Api, talk: Path) -> None:
    job = api.transcribe(talk)
    srt = api.get(f"/jobs/{job['id']}/captions", headers={"Accept": "application/x-subrip"})
    assert srt.status_code == 200
    assert srt.headers["Content-Type"] == "application/x-subrip; charset=utf-8"
    cues = srt.text.strip().split("\n\n")
    assert cues[0].split("\n")[0] == "1"
    assert re.fullmatch(r"\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}", cues[0].split("\n")[1])
    assert cues[0].split("\n")[2] == "Well damn, um, that works."
    default = api.get(f"/jobs/{job['id']}/captions", headers={"Accept": None})
    assert default.headers["Content-Type"].startswith("application/x-subrip")
    assert default.text == srt.text
    vtt = api.get(f"/jobs/{job['id']}/captions", headers={"Accept": "text/vtt"})
    assert vtt.headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert vtt.text.startswith("WEBVTT\n\n1\n")
    assert re.search(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", vtt.text)


def test_captions_speaker_channel_rules(api: Api, talk: Path) -> None:
    channel_job = api.transcribe(talk, speaker_channels_count=2)
    plain_job = api.transcribe(talk)
    response = api.get(f"/jobs/{channel_job['id']}/captions", headers={"Accept": "text/vtt"})
    assert response.status_code == 405
    assert response.json() == {
        "type": "https://rev.ai/api/v1/errors/invalid-job-properties",
        "title": "Job contains unsupported properties",
        "detail": "Job with speaker channels provided are not supported for retrieving captions",
        "status": 405,
    }
    one = api.get(
        f"/jobs/{channel_job['id']}/captions", params={"speaker_channel": 1}, headers={"Accept": "text/vtt"}
    )
    assert one.status_code == 200
    assert "Hello there!" in one.text and "Well" not in one.text
    out_of_range = api.get(
        f"/jobs/{channel_job['id']}/captions?speaker_channel=2", headers={"Accept": "text/vtt"}
    )
    assert out_of_range.status_code == 400
    not_channel = api.get(
        f"/jobs/{plain_job['id']}/captions?speaker_channel=0", headers={"Accept": "text/vtt"}
    )
    assert not_channel.status_code == 400
    assert "speaker_channel" in not_channel.json()["parameters"]


def _settled(emu: RevAIEmulator, job_id: str) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + 5
    while True:
        job = emu.job(job_id)
        assert job is not None
        subs = [job.get("summarization", {}).get("status")] + [
            t["status"] for t in job.get("translation", {}).get("target_languages", [])
        ]
        if "in_progress" not in subs:
            return job
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_summary_paragraph_bullets_and_prompt(emu: RevAIEmulator, api: Api, talk: Path) -> None:
    paragraph = api.transcribe(talk, summarization_config={})
    bullets = api.transcribe(talk, summarization_config={"type": "bullets", "model": "premium"})
    prompt = api.transcribe(talk, summarization_config={"prompt": "Summarize"})
    for job in (paragraph, bullets, prompt):
        _settled(emu, job["id"])
    job = api.get(f"/jobs/{bullets['id']}").json()
    assert job["summarization"]["status"] == "completed"
    assert job["summarization"]["model"] == "premium"
    assert job["summarization"]["type"] == "bullets"
    assert "completed_on" in job["summarization"]
    url = "/jobs/{}/transcript/summary"
    body = api.get(url.format(paragraph["id"]), headers={"Accept": "application/json"})
    assert body.headers["Content-Type"] == "application/json"
    assert body.json() == {"summary": "Well damn, um, that works. <laugh> Hello there! Uh, nice."}
    assert api.get(url.format(bullets["id"]), headers={"Accept": "application/json"}).json() == {
        "bullet_points": ["Well damn, um, that works.", "<laugh> Hello there!", "Uh, nice."]
    }
    text = api.get(url.format(bullets["id"]), headers={"Accept": "text/plain"})
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert text.text.startswith("- Well damn")
    assert api.get(url.format(prompt["id"]), headers={"Accept": "text/plain"}).text.startswith(
        "## Summary\n\n"
    )
    assert "type" not in api.get(f"/jobs/{prompt['id']}").json()["summarization"]
    assert api.get(url.format(prompt["id"]), headers={"Accept": "text/html"}).status_code == 406


def test_summary_not_requested_or_in_progress(tmp_path: Path, api: Api, wav: Path) -> None:
    job = api.transcribe(wav)
    response = api.get(f"/jobs/{job['id']}/transcript/summary", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    import requests

    with RevAIEmulator(processing_seconds=0.02, nlp_seconds=600) as emu, requests.Session() as http:
        http.headers.update(emu.auth_headers)
        slow = http.post(
            emu.api_url + "/jobs",
            json={"source_config": {"url": wav.as_uri()}, "summarization_config": {}},
        ).json()
        done = emu.wait_for_job(slow["id"])
        assert done["status"] == "transcribed"
        assert done["summarization"]["status"] == "in_progress"
        pending = http.get(
            f"{emu.api_url}/jobs/{slow['id']}/transcript/summary", headers={"Accept": "text/plain"}
        )
        assert pending.status_code == 409
        assert pending.json()["allowed_values"] == ["completed"]
        assert pending.json()["current_value"] == "in_progress"
        emu.advance_clock(601)
        ready = http.get(
            f"{emu.api_url}/jobs/{slow['id']}/transcript/summary", headers={"Accept": "text/plain"}
        )
        assert ready.status_code == 200


def test_translation_results(emu: RevAIEmulator, api: Api, talk: Path) -> None:
    config = {"target_languages": [{"language": "es", "model": "premium"}, {"language": "de"}]}
    job = api.transcribe(talk, translation_config=config)
    settled = _settled(emu, job["id"])
    assert settled["translation"]["target_languages"] == [
        {"language": "es", "model": "premium", "status": "completed"},
        {"language": "de", "model": "standard", "status": "completed"},
    ]
    translated = _json(api, job["id"], "transcript/translation/es")
    assert _words(translated)[:2] == ["es:Well", "es:damn"]
    assert _text(api, job["id"], "transcript/translation/de").startswith("Speaker 0    00:00:00    de:Well")
    srt = api.get(f"/jobs/{job['id']}/captions/translation/es", headers={"Accept": "application/x-subrip"})
    assert srt.status_code == 200 and "es:Hello" in srt.text
    vtt = api.get(f"/jobs/{job['id']}/captions/translation/es", headers={"Accept": "text/vtt"})
    assert vtt.text.startswith("WEBVTT")
    missing = api.get(f"/jobs/{job['id']}/transcript/translation/fr", headers={"Accept": REV_JSON})
    assert missing.status_code == 404


def test_failed_job_fails_its_sub_jobs(api: Api, tmp_path: Path) -> None:
    job = api.wait(
        api.submit(
            media_url=(tmp_path / "nope.wav").as_uri(),
            summarization_config={"type": "paragraph"},
            translation_config={"target_languages": [{"language": "es"}]},
        )["id"]
    )
    assert job["summarization"]["status"] == "failed"
    assert job["translation"]["target_languages"][0]["status"] == "failed"
