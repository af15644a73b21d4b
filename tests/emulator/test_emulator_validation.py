"""Submission validation: 400 problem bodies with a ``parameters`` map, and 413 for big uploads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from emulator.emulator_support import Api

from airflow_provider_rev.emulator import RevAIEmulator

URL = "http://127.0.0.1:9/a.wav"
SRC = {"source_config": {"url": URL}}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**SRC, "metadata": "x" * 513}, "metadata"),
        ({**SRC, "delete_after_seconds": -1}, "delete_after_seconds"),
        ({**SRC, "delete_after_seconds": 2_592_001}, "delete_after_seconds"),
        ({**SRC, "speaker_channels_count": 0}, "speaker_channels_count"),
        ({**SRC, "speaker_channels_count": 9}, "speaker_channels_count"),
        ({**SRC, "speakers_count": 0}, "speakers_count"),
        (
            {**SRC, "custom_vocabulary_id": "cvX", "custom_vocabularies": [{"phrases": ["a"]}]},
            "custom_vocabularies",
        ),
        ({**SRC, "media_url": URL}, "source_config"),
        ({}, "media_url"),
        (
            {
                **SRC,
                "callback_url": "http://127.0.0.1/cb",
                "notification_config": {"url": "http://127.0.0.1/n"},
            },
            "notification_config",
        ),
        ({**SRC, "summarization_config": {"prompt": "p", "type": "bullets"}}, "summarization_config"),
        (
            {
                **SRC,
                "translation_config": {
                    "target_languages": [{"language": c} for c in "es fr de it ja ko".split()]
                },
            },
            "translation_config.target_languages",
        ),
        (
            {**SRC, "translation_config": {"target_languages": [{"language": "xx"}]}},
            "translation_config.target_languages.language",
        ),
        ({**SRC, "transcriber": "robot"}, "transcriber"),
        ({**SRC, "rush": True}, "rush"),
        ({**SRC, "test_mode": True}, "test_mode"),
        ({**SRC, "speaker_names": [{"display_name": "A"}]}, "speaker_names"),
        ({**SRC, "segments_to_transcribe": [{"start": 0, "end": 120}]}, "segments_to_transcribe"),
        ({**SRC, "transcriber": "human", "remove_disfluencies": True}, "remove_disfluencies"),
        ({**SRC, "transcriber": "human", "summarization_config": {}}, "summarization_config"),
        ({**SRC, "language": "es", "filter_profanity": True}, "filter_profanity"),
        ({**SRC, "skip_diarization": "yes"}, "skip_diarization"),
        ({**SRC, "diarization_type": "fancy"}, "diarization_type"),
        ({**SRC, "transcriber": "low_cost", "diarization_type": "premium"}, "diarization_type"),
        ({"source_config": {"url": "ftp://example.com/a.wav"}}, "source_config.url"),
        ({**SRC, "callback_url": "not a url"}, "callback_url"),
        (
            {**SRC, "notification_config": {"url": URL, "auth_headers": {"X-Key": "v"}}},
            "notification_config.auth_headers",
        ),
    ],
)
def test_invalid_submission_is_400(api: Api, payload: dict[str, Any], field: str) -> None:
    response = api.post("/jobs", json=payload)
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "https://www.rev.ai/api/v1/errors/invalid-parameters"
    assert body["title"] == "Your request parameters didn't validate"
    assert body["status"] == 400
    assert field in body["parameters"], body
    assert all(isinstance(m, str) for messages in body["parameters"].values() for m in messages)
    assert api.emu.jobs() == []


def test_bad_media_url_has_the_live_message(api: Api) -> None:
    response = api.post("/jobs", json={"media_url": "s3://bucket/key.mp3"})
    assert response.status_code == 400
    assert response.json()["parameters"] == {
        "media_url": ["Provided media_url is not a valid fully-qualified http, or https URL."]
    }


def test_neither_source_uses_documented_message(api: Api) -> None:
    response = api.post("/jobs", json={"metadata": "m"})
    assert response.json()["parameters"] == {"media_url": ["The media_url field is required"]}


def test_malformed_json_is_400(api: Api) -> None:
    response = api.post("/jobs", data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "body" in response.json()["parameters"]
    assert api.post("/jobs", json=["a"]).status_code == 400


def test_valid_human_and_boundary_options_are_accepted(api: Api) -> None:
    job = api.submit(
        **SRC,
        transcriber="human",
        rush=True,
        test_mode=True,
        verbatim=True,
        segments_to_transcribe=[{"start": 0, "end": 60}, {"start": 60, "end": 130.5}],
        speaker_names=[{"display_name": "Ann"}],
        delete_after_seconds=0,
        metadata="x" * 512,
    )
    assert job["transcriber"] == "human"
    assert job["rush"] is True and job["verbatim"] is True
    assert job["segments_to_transcribe"] == [{"start": 0.0, "end": 60.0}, {"start": 60.0, "end": 130.5}]
    assert "test_mode" not in job and "speaker_names" not in job


def test_unknown_fields_and_explicit_nulls_are_tolerated(api: Api) -> None:
    job = api.submit(**SRC, some_future_option=True, metadata=None, callback_url=None)
    assert "metadata" not in job and "some_future_option" not in job


def test_multipart_above_limit_is_413(tmp_path: Path) -> None:
    big = tmp_path / "big.wav"
    big.write_bytes(b"RIFF" + b"\0" * 5000)
    with RevAIEmulator(processing_seconds=0.05, max_upload_bytes=4096) as emu, requests.Session() as http:
        with big.open("rb") as handle:
            response = http.post(
                emu.api_url + "/jobs",
                headers=emu.auth_headers,
                files={"media": ("big.wav", handle)},
                timeout=10,
            )
        assert response.status_code == 413
        assert response.json() == {
            "detail": "Submitted payload exceeds maximum allowed file size",
            "status": 413,
            "title": "Payload Too Large",
        }
        assert emu.jobs() == []


def test_multipart_limit_is_enforced_while_streaming(tmp_path: Path) -> None:
    """Chunked uploads carry no Content-Length: the limit applies while the part is read."""
    payload = b"RIFF" + b"\0" * 20000
    boundary = "xyzBOUNDARY"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="media"; filename="a.wav"\r\n\r\n'.encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunks() -> Any:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    with RevAIEmulator(processing_seconds=0.05, max_upload_bytes=8192) as emu, requests.Session() as http:
        headers = {**emu.auth_headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        response = http.post(emu.api_url + "/jobs", headers=headers, data=chunks(), timeout=10)
        assert response.status_code == 413
        assert list(emu.core.workdir.iterdir()) == []


def test_multipart_without_media_is_400(api: Api) -> None:
    response = api.post("/jobs", files={"options": (None, "{}")})
    assert response.status_code == 400
    assert "media" in response.json()["parameters"]
