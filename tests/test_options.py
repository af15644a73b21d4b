"""Bad job options fail locally with the field and the fix; good ones become the API body."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_rev.exceptions import RevAIInvalidInputError
from airflow_provider_rev.options import build_url_submission, validate_job_id, validate_options

BAD_OPTIONS: list[tuple[dict[str, Any], str, str]] = [
    ({"metadata": "x" * 513}, "metadata", "513 characters"),
    ({"metadata": {"a": 1}}, "metadata", "must be a string"),
    ({"transcriber": "robot"}, "transcriber", "use one of fusion, human, low_cost, machine"),
    ({"speaker_channels_count": 9}, "speaker_channels_count", "between 1 and 8"),
    ({"speaker_channels_count": 0}, "speaker_channels_count", "between 1 and 8"),
    ({"speakers_count": 0}, "speakers_count", "at least 1"),
    ({"delete_after_seconds": -1}, "delete_after_seconds", "between 0 and 2592000"),
    ({"delete_after_seconds": 2_592_001}, "delete_after_seconds", "between 0 and 2592000"),
    ({"delete_after_seconds": "60"}, "delete_after_seconds", "must be an integer"),
    ({"skip_diarization": "yes"}, "skip_diarization", "true or false"),
    ({"diarization_type": "deluxe"}, "diarization_type", "premium, standard"),
    ({"language": "English"}, "language", "ISO 639"),
    (
        {"custom_vocabulary_id": "cv1", "custom_vocabularies": [{"phrases": ["a"]}]},
        "custom_vocabularies",
        "not both",
    ),
    ({"custom_vocabularies": [{"phrases": []}]}, "custom_vocabularies", "non-empty list"),
    ({"rush": True}, "rush", "transcriber='human'"),
    (
        {"transcriber": "human", "segments_to_transcribe": [{"start": 5, "end": 1}]},
        "segments_to_transcribe",
        "start < end",
    ),
    ({"transcriber": "human", "segments_to_transcribe": [{"start": 0}]}, "segments_to_transcribe", "item 0"),
    (
        {
            "transcriber": "human",
            "segments_to_transcribe": [{"start": 0, "end": 90}, {"start": 60, "end": 200}],
        },
        "segments_to_transcribe",
        "overlaps",
    ),
    ({"transcriber": "human", "speaker_names": [{"display_name": "x" * 51}]}, "speaker_names", "1 to 50"),
    ({"summarization_config": {"type": "bullets", "prompt": "p"}}, "summarization_config", "not both"),
    ({"summarization_config": {"type": "haiku"}}, "type", "bullets, paragraph"),
    (
        {"translation_config": {"target_languages": [{"language": "xx"}]}},
        "translation_config",
        "not supported",
    ),
    ({"translation_config": {"target_languages": [{"language": "es"}] * 6}}, "translation_config", "1 to 5"),
    (
        {"callback_url": "https://a/cb", "notification_url": "https://a/n"},
        "callback_url",
        "notification_config",
    ),
    ({"notification_url": "file:///tmp/x"}, "notification_url", "http(s) URL"),
    (
        {"notification_auth_headers": {"Authorization": "Bearer x"}},
        "notification_auth_headers",
        "needs notification_url",
    ),
    (
        {"notification_url": "https://a/n", "notification_auth_headers": {"X-Key": "1"}},
        "notification_auth_headers",
        "Authorization",
    ),
    ({"skip_diarisation": True}, "skip_diarisation", "extra_options"),
    ({"extra_options": ["a"]}, "extra_options", "dict"),
]


@pytest.mark.parametrize(("options", "field", "fix"), BAD_OPTIONS)
def test_bad_options_name_field_and_fix(options: dict[str, Any], field: str, fix: str) -> None:
    with pytest.raises(RevAIInvalidInputError) as err:
        validate_options(options)
    assert err.value.field == field
    assert fix in str(err.value)


def test_good_options_become_the_body() -> None:
    body = validate_options(
        {
            "metadata": "m",
            "skip_punctuation": False,
            "speakers_count": None,
            "transcriber": "human",
            "rush": True,
            "segments_to_transcribe": [{"start": 0, "end": 60.5}, {"start": 120, "end": 200}],
            "notification_url": "https://hooks.example.com/rev",
            "notification_auth_headers": {"Authorization": "Bearer n0t1fy"},
            "summarization_config": {"type": "bullets", "model": "premium"},
            "translation_config": {"target_languages": [{"language": "es", "model": "standard"}]},
            "extra_options": {"forced_alignment_v2": True},
        }
    )
    assert body == {
        "metadata": "m",
        "skip_punctuation": False,
        "transcriber": "human",
        "rush": True,
        "segments_to_transcribe": [{"start": 0, "end": 60.5}, {"start": 120, "end": 200}],
        "notification_config": {
            "url": "https://hooks.example.com/rev",
            "auth_headers": {"Authorization": "Bearer n0t1fy"},
        },
        "summarization_config": {"type": "bullets", "model": "premium"},
        "translation_config": {"target_languages": [{"language": "es", "model": "standard"}]},
        "forced_alignment_v2": True,
    }


@pytest.mark.parametrize(
    ("url", "headers", "field", "fix"),
    [
        (None, None, "media_url", "is empty"),
        ("s3://bucket/key.wav", None, "media_url", "local_file"),
        ("/data/a.wav", None, "media_url", "absolute http(s)"),
        ("https://example.com/" + "a" * 2048, None, "media_url", "at most 2048"),
        ("https://example.com/a.wav", {"X-Api-Key": "k"}, "source_auth_headers", "Authorization"),
        ("https://example.com/a.wav", {"Authorization": " "}, "source_auth_headers", "empty"),
    ],
)
def test_bad_media(url: str | None, headers: dict[str, str] | None, field: str, fix: str) -> None:
    with pytest.raises(RevAIInvalidInputError) as err:
        build_url_submission(url, headers, {})
    assert err.value.field == field and fix in str(err.value)


@pytest.mark.parametrize("job_id", ["", "   ", None, "../../account", "id?x=1", "a" * 65])
def test_bad_job_ids(job_id: Any) -> None:
    with pytest.raises(RevAIInvalidInputError, match="job_id"):
        validate_job_id(job_id)


def test_good_job_id() -> None:
    assert validate_job_id("Umx5c6F7pH7r") == "Umx5c6F7pH7r"
