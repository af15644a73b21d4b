"""Bad job options fail locally with the field and the fix; good ones become the API body."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_rev.exceptions import RevAIInvalidInputError
from airflow_provider_rev.options import build_url_submission, validate_job_id, validate_options

BAD_OPTIONS: list[tuple[dict[str, Any], str, str]] = [
    ({"metadata": "x" * 513}, "metadata", "513 characters"),
    ({"metadata": {"a": 1}}, "metadata", "must be a string"),
    ({"transcriber": 7}, "transcriber", "non-empty string"),
    ({"speaker_channels_count": 9}, "speaker_channels_count", "between 1 and 8"),
    ({"speaker_channels_count": 0}, "speaker_channels_count", "between 1 and 8"),
    ({"speakers_count": 0}, "speakers_count", "at least 1"),
    ({"delete_after_seconds": -1}, "delete_after_seconds", "between 0 and 2592000"),
    ({"delete_after_seconds": 2_592_001}, "delete_after_seconds", "between 0 and 2592000"),
    ({"delete_after_seconds": "60"}, "delete_after_seconds", "must be an integer"),
    ({"skip_diarization": "yes"}, "skip_diarization", "true or false"),
    ({"diarization_type": ""}, "diarization_type", "non-empty string"),
    ({"transcriber": "human", "diarization_type": "premium"}, "diarization_type", "not available with"),
    ({"language": "de", "skip_punctuation": True}, "skip_punctuation", "not 'de'"),
    ({"language": "fr", "custom_vocabulary_id": "cvAbc"}, "custom_vocabulary_id", "extra_options"),
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
    ({"summarization_config": {"type": 3}}, "summarization_config.type", "non-empty string"),
    (
        {"translation_config": {"target_languages": [{"language": "x y"}]}},
        "translation_config",
        "target 0 language 'x y' is not an ISO 639 code",
    ),
    ({"translation_config": {"target_languages": ["es"]}}, "translation_config", "target 0 must be"),
    ({"translation_config": {"target_languages": [{"language": "es"}] * 6}}, "translation_config", "1 to 5"),
    (
        {"callback_url": "https://a/cb", "notification_url": "https://a/n"},
        "notification_url",
        "set callback_url or notification_url, not both",
    ),
    (
        {"transcriber": "human", "segments_to_transcribe": [{"start": 0, "end": 30}]},
        "segments_to_transcribe",
        "at least 60 s",
    ),
    (
        {"custom_vocabularies": [{"phrases": ["one two three four five six seven eight nine ten 11 12 13"]}]},
        "custom_vocabularies",
        "at most 12",
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
            "extra_options": {"forced_alignment_v2": True, "speakers_count": None},
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
        "forced_alignment_v2": True,
        "speakers_count": None,
    }


def test_sub_job_configs_become_the_body() -> None:
    configs = {
        "summarization_config": {"type": "bullets", "model": "premium"},
        "translation_config": {"target_languages": [{"language": "es", "model": "standard"}]},
    }
    assert validate_options(configs) == configs


@pytest.mark.parametrize(
    ("options", "field", "value"),
    [
        ({"transcriber": "reverb_v9"}, "transcriber", "reverb_v9"),
        ({"language": "tlh"}, "language", "tlh"),
        ({"diarization_type": "ultra"}, "diarization_type", "ultra"),
        ({"summarization_config": {"type": "haiku"}}, "summarization_config.type", "haiku"),
        ({"summarization_config": {"model": "max", "tone": "dry"}}, "summarization_config key", "tone"),
        (
            {"translation_config": {"target_languages": [{"language": "nl", "model": "turbo"}]}},
            "translation_config target 0 language",
            "nl",
        ),
    ],
)
def test_values_rev_ai_may_add_go_through_with_a_warning(
    options: dict[str, Any], field: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = validate_options(options)
    assert body == options
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(m.startswith(f"{field}: {value!r} is not a value this provider knows (") for m in warned), (
        warned
    )


def test_language_codes_match_case_insensitively(caplog: pytest.LogCaptureFixture) -> None:
    body = validate_options(
        {
            "language": "EN-US",
            "skip_punctuation": True,
            "translation_config": {"target_languages": [{"language": "PT-BR"}]},
        }
    )
    assert body["language"] == "en-us" and body["translation_config"]["target_languages"] == [
        {"language": "pt-br"}
    ]
    assert not [r for r in caplog.records if r.levelname == "WARNING"]


def test_rules_of_unknown_transcribers_and_languages_are_left_to_rev_ai(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = validate_options(
        {"transcriber": "reverb_v9", "language": "tlh", "rush": True, "skip_punctuation": True}
    )
    assert body == {"transcriber": "reverb_v9", "language": "tlh", "rush": True, "skip_punctuation": True}


def test_extra_options_override_the_transcriber_the_rules_see() -> None:
    body = validate_options({"rush": True, "extra_options": {"transcriber": "human"}})
    assert body == {"rush": True, "transcriber": "human"}


def test_options_only_one_region_accepts() -> None:
    with pytest.raises(RevAIInvalidInputError, match="'eu' deployment") as err:
        validate_options({"custom_vocabulary_id": "cvAbc"}, region="eu")
    assert err.value.field == "custom_vocabulary_id"
    assert validate_options({"custom_vocabulary_id": "cvAbc"}, region="us") == {
        "custom_vocabulary_id": "cvAbc"
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
