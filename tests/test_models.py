"""Typed models parse real API bodies tolerantly and round-trip through XCom-safe dicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from support import REFERENCE_BODIES, reference_body

from airflow_provider_rev.models import (
    TERMINAL_STATUSES,
    VOCABULARY_TERMINAL_STATUSES,
    CustomVocabulary,
    FailureReason,
    Job,
    JobStatus,
    Transcript,
    VocabularyStatus,
    parse_timestamp,
    redact_url,
)


def test_status_enum_and_terminal_set() -> None:
    assert {s.value for s in JobStatus} == {"in_progress", "transcribed", "failed"}
    assert TERMINAL_STATUSES == {JobStatus.TRANSCRIBED, JobStatus.FAILED}
    assert not JobStatus.IN_PROGRESS.is_terminal
    unknown = JobStatus("queued")
    assert unknown == "queued" and not unknown.is_terminal and unknown not in list(JobStatus)


def test_failure_reasons_cover_the_documented_codes() -> None:
    documented = (
        "internal_processing download_failure duration_exceeded duration_too_short invalid_media "
        "empty_media transcription insufficient_balance invoicing_limit_exceeded custom_vocabulary"
    ).split()
    assert [r.value for r in FailureReason] == documented


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-05-05T23:23:22.29Z", datetime(2018, 5, 5, 23, 23, 22, 290000, tzinfo=UTC)),
        ("2018-09-15T05:14:38.13", datetime(2018, 9, 15, 5, 14, 38, 130000, tzinfo=UTC)),
        ("2026-02-12T23:26:22.276Z", datetime(2026, 2, 12, 23, 26, 22, 276000, tzinfo=UTC)),
        ("not a date", None),
        (None, None),
    ],
)
def test_timestamps_with_or_without_z(text: str | None, expected: datetime | None) -> None:
    assert parse_timestamp(text) == expected


def test_job_missing_fields_are_none_and_unknown_fields_kept() -> None:
    job = Job.from_dict({"id": "abc", "status": "in_progress", "brand_new": [1, 2]})
    assert job.completed_on is None and job.failure is None and job.duration_seconds is None
    assert job.extra == {"brand_new": [1, 2]}
    assert job.to_dict() == {"id": "abc", "status": "in_progress", "brand_new": [1, 2]}


def test_job_round_trips_through_json() -> None:
    body = {
        "id": "abc",
        "status": "failed",
        "created_on": "2018-05-05T23:23:22.29Z",
        "completed_on": "2018-05-05T23:23:24.11Z",
        "failure": "download_failure",
        "failure_detail": "Failed to download media file.",
        "duration_seconds": 12.5,
        "summarization": {"status": "completed"},
    }
    job = Job.from_dict(body)
    assert job.failure is FailureReason.DOWNLOAD_FAILURE and job.is_terminal
    again = Job.from_xcom(json.loads(json.dumps(job.to_dict())))
    assert again == job
    assert job.to_dict()["created_on"] == "2018-05-05T23:23:22.290000Z"


def test_job_without_id_is_rejected() -> None:
    with pytest.raises(ValueError, match="id"):
        Job.from_dict({"status": "in_progress"})


def test_signed_media_url_is_redacted_but_debuggable() -> None:
    job = Job.from_dict(
        {
            "id": "a",
            "status": "transcribed",
            "media_url": "https://bucket.s3.amazonaws.com/a.mp3?X-Amz-Signature=s3cr3t",
        }
    )
    assert job.media_url == "https://bucket.s3.amazonaws.com/a.mp3?REDACTED"
    assert "s3cr3t" not in repr(job) and "s3cr3t" not in json.dumps(job.to_dict())
    assert redact_url("https://user:pw@host:8443/p") == "https://REDACTED@host:8443/p"
    assert redact_url("https://host/plain.wav") == "https://host/plain.wav"


def test_transcript_helpers() -> None:
    transcript = Transcript.from_dict(
        {
            "monologues": [
                {
                    "speaker": 1,
                    "elements": [
                        {"type": "text", "value": "Hello", "ts": 0.5, "end_ts": 1.5, "confidence": 1},
                        {"type": "punct", "value": " "},
                        {"type": "unknown", "value": "<inaudible>"},
                        {"type": "punct", "value": "."},
                    ],
                },
                {"speaker": 2, "elements": [{"type": "text", "value": "Bye", "ts": 2, "end_ts": 2.5}]},
            ]
        }
    )
    assert transcript.text == "Hello <inaudible>.\nBye"
    assert transcript.word_count == 2
    assert transcript.speakers == [1, 2]
    assert transcript.duration_seconds == 2.5
    assert Transcript.from_dict(transcript.to_dict()) == transcript


JOB_FIXTURES = sorted(p.name for p in REFERENCE_BODIES.glob("job_*.json"))


@pytest.mark.parametrize("name", JOB_FIXTURES)
def test_reference_job_bodies_parse(name: str) -> None:
    body = reference_body(name)
    for item in body if isinstance(body, list) else [body]:
        job = Job.from_dict(item)
        assert job.id == item["id"] and job.status == item["status"]
        assert job.created_on is not None
        assert (job.completed_on is not None) == ("completed_on" in item)
        assert set(job.to_dict()) == set(item)


def test_reference_failed_job() -> None:
    job = Job.from_dict(reference_body("job_failed_download.json"))
    assert job.status is JobStatus.FAILED and job.failure is FailureReason.DOWNLOAD_FAILURE
    assert job.failure_detail and "download" in job.failure_detail


@pytest.mark.parametrize(
    ("name", "words", "speakers"),
    [
        ("transcript_two_speakers.json", 8, [1, 2]),
        ("transcript_millisecond_time.json", 5, [0]),
        ("transcript_two_monologues_one_speaker.json", None, [0]),
    ],
)
def test_reference_transcripts_parse(name: str, words: int | None, speakers: list[int]) -> None:
    body = reference_body(name)
    transcript = Transcript.from_dict(body)
    expected_words = sum(1 for m in body["monologues"] for e in m["elements"] if e["type"] == "text")
    assert transcript.word_count == (words if words is not None else expected_words)
    assert transcript.speakers == speakers
    assert transcript.to_dict() == body
    first = body["monologues"][0]
    assert transcript.monologues[0].text == "".join(e["value"] for e in first["elements"]).strip()


def test_job_is_failed() -> None:
    assert Job.from_dict({"id": "a", "status": "failed"}).is_failed
    assert not Job.from_dict({"id": "a", "status": "transcribed"}).is_failed
    assert not Job.from_dict({"id": "a", "status": "in_progress"}).is_failed


def test_vocabulary_status_is_complete_not_completed() -> None:
    assert {s.value for s in VocabularyStatus} == {"in_progress", "complete", "failed"}
    assert VOCABULARY_TERMINAL_STATUSES == {VocabularyStatus.COMPLETE, VocabularyStatus.FAILED}
    assert not VocabularyStatus.IN_PROGRESS.is_terminal
    completed = VocabularyStatus("completed")
    assert completed == "completed" and not completed.is_terminal and completed not in list(VocabularyStatus)


VOCABULARY_IN_PROGRESS = {
    "id": "cvgnDwmB6iXevn",
    "status": "in_progress",
    "created_on": "2026-11-24T09:00:00.12Z",
    "metadata": "glossary v3",
}


def test_vocabulary_missing_fields_are_none_and_unknown_fields_kept() -> None:
    vocabulary = CustomVocabulary.from_dict({**VOCABULARY_IN_PROGRESS, "phrase_count": 12})
    assert vocabulary.id == "cvgnDwmB6iXevn"
    assert vocabulary.status is VocabularyStatus.IN_PROGRESS and not vocabulary.is_terminal
    assert vocabulary.created_on == datetime(2026, 11, 24, 9, 0, 0, 120000, tzinfo=UTC)
    assert (
        vocabulary.completed_on is None and vocabulary.failure is None and vocabulary.failure_detail is None
    )
    assert vocabulary.callback_url is None
    assert vocabulary.extra == {"phrase_count": 12}
    assert vocabulary.to_dict() == {
        "id": "cvgnDwmB6iXevn",
        "status": "in_progress",
        "created_on": "2026-11-24T09:00:00.120000Z",
        "metadata": "glossary v3",
        "phrase_count": 12,
    }


def test_vocabulary_tolerates_odd_values() -> None:
    vocabulary = CustomVocabulary.from_dict(
        {"id": "cv1", "status": "queued", "created_on": "yesterday", "metadata": 7, "failure": None}
    )
    assert vocabulary.status == "queued" and not vocabulary.is_terminal and not vocabulary.is_failed
    assert vocabulary.created_on is None and vocabulary.metadata is None and vocabulary.failure is None
    assert CustomVocabulary.from_dict({"id": "cv2"}).status is VocabularyStatus.IN_PROGRESS


@pytest.mark.parametrize("body", [{"status": "complete"}, {"id": "", "status": "complete"}, {"id": 42}])
def test_vocabulary_without_id_is_rejected(body: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="id"):
        CustomVocabulary.from_dict(body)


def test_complete_vocabulary() -> None:
    vocabulary = CustomVocabulary.from_dict(
        {**VOCABULARY_IN_PROGRESS, "status": "complete", "completed_on": "2026-11-24T09:00:06.5Z"}
    )
    assert vocabulary.status is VocabularyStatus.COMPLETE
    assert vocabulary.is_terminal and not vocabulary.is_failed
    assert vocabulary.completed_on == datetime(2026, 11, 24, 9, 0, 6, 500000, tzinfo=UTC)


def test_failed_vocabulary_round_trips_through_json() -> None:
    body = {
        "id": "cvyTRMp1vMZVgg",
        "status": "failed",
        "created_on": "2026-11-24T09:00:00.12Z",
        "completed_on": "2026-11-24T09:00:03.4Z",
        "failure": "internal_processing",
        "failure_detail": "Internal server error.",
        "callback_url": "https://hooks.example.com/cv",
        "brand_new": {"nested": [1, 2]},
    }
    vocabulary = CustomVocabulary.from_dict(body)
    assert vocabulary.is_failed and vocabulary.is_terminal
    assert vocabulary.failure == "internal_processing"
    assert vocabulary.failure_detail == "Internal server error."
    again = CustomVocabulary.from_xcom(json.loads(json.dumps(vocabulary.to_dict())))
    assert again == vocabulary
    assert set(vocabulary.to_dict()) == set(body)


def test_vocabulary_callback_url_and_failure_detail_are_redacted() -> None:
    vocabulary = CustomVocabulary.from_dict(
        {
            "id": "cv1",
            "status": "failed",
            "callback_url": "https://user:pw@hooks.example.com/cv?token=s3cr3t",
            "failure_detail": "could not notify https://hooks.example.com/cv?token=s3cr3t",
        }
    )
    assert vocabulary.callback_url == "https://REDACTED@hooks.example.com/cv?REDACTED"
    assert vocabulary.failure_detail == "could not notify https://hooks.example.com/cv?REDACTED"
    for text in (repr(vocabulary), json.dumps(vocabulary.to_dict())):
        assert "s3cr3t" not in text and ":pw@" not in text
