"""Local validation of job submissions, so bad input fails before anything is sent or billed.

Every check raises :class:`~airflow_provider_rev.exceptions.RevAIInvalidInputError` naming
the field and the fix. Options the provider does not know yet go through ``extra_options``
unchecked, because the API grows faster than any client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_rev.exceptions import RevAIInvalidInputError

MAX_METADATA_CHARS = 512
MAX_MEDIA_URL_CHARS = 2048
MAX_CALLBACK_URL_CHARS = 1024
MAX_DELETE_AFTER_SECONDS = 2_592_000
MAX_UPLOAD_BYTES = 2 * 1024**3
TRANSCRIBERS = frozenset({"machine", "low_cost", "fusion", "human", "machine_v2"})
DIARIZATION_TYPES = frozenset({"standard", "premium"})
SUMMARY_MODELS = frozenset({"standard", "premium"})
SUMMARY_TYPES = frozenset({"paragraph", "bullets"})
TRANSLATION_LANGUAGES = frozenset(
    "en en-us en-gb ar pt pt-br pt-pt fr fr-ca es es-es es-la it ja ko de ru".split()
)
HUMAN_ONLY = ("rush", "test_mode", "segments_to_transcribe", "speaker_names")
BOOLEAN_OPTIONS = frozenset(
    {
        "skip_diarization",
        "skip_punctuation",
        "skip_postprocessing",
        "remove_disfluencies",
        "remove_atmospherics",
        "filter_profanity",
        "strict_custom_vocabulary",
        "verbatim",
        "rush",
        "test_mode",
        "forced_alignment",
    }
)
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z]{2})?$")
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _fail(field: str, message: str) -> RevAIInvalidInputError:
    return RevAIInvalidInputError(field, message)


def validate_job_id(job_id: object, field: str = "job_id") -> str:
    """Return ``job_id`` if it is a safe, non-empty Rev AI job id, else raise."""
    if not isinstance(job_id, str) or job_id.strip() in ("", "None"):
        raise _fail(field, "is empty; pass the id returned by the submit task (its XCom return_value).")
    if not _JOB_ID.match(job_id):
        raise _fail(
            field,
            f"{job_id[:80]!r} is not a Rev AI job id (letters, digits, '-' and '_' only); "
            "check the template that renders it.",
        )
    return job_id


def validate_http_url(url: object, field: str, max_chars: int) -> str:
    """Return ``url`` if it is an absolute http(s) URL within ``max_chars``, else raise."""
    if not isinstance(url, str) or not url.strip():
        raise _fail(field, "is empty; give an http(s) URL Rev AI can download directly.")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as err:
        raise _fail(
            field, f"is not a valid URL ({err}); give an absolute http(s) URL with a well-formed host."
        ) from None
    if parts.scheme not in ("http", "https") or not hostname:
        scheme = parts.scheme or "no scheme"
        raise _fail(
            field,
            f"must be an absolute http(s) URL, got {scheme!r}; upload local or object-storage "
            "files with local_file instead.",
        )
    if len(url) > max_chars:
        raise _fail(field, f"is {len(url)} characters; Rev AI accepts at most {max_chars}.")
    return url


def validate_auth_headers(headers: object, field: str) -> dict[str, str] | None:
    """Return the auth headers if they are ``{"Authorization": "<scheme> <token>"}``, else raise."""
    if headers is None:
        return None
    if not isinstance(headers, Mapping) or set(headers) != {"Authorization"}:
        raise _fail(field, 'must be {"Authorization": "<scheme> <token>"}; Rev AI supports no other header.')
    value = headers["Authorization"]
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, 'the "Authorization" value is empty.')
    return {"Authorization": value}


def _int_in(options: Mapping[str, Any], name: str, low: int, high: int | None) -> None:
    value = options.get(name)
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(name, f"must be an integer, got {type(value).__name__}.")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise _fail(name, f"is {value}; it must be {bound}.")


def _one_of(options: Mapping[str, Any], name: str, allowed: frozenset[str]) -> None:
    value = options.get(name)
    if value is not None and value not in allowed:
        raise _fail(name, f"is {value!r}; use one of {', '.join(sorted(allowed))}.")


def _check_segments(segments: object) -> None:
    if not isinstance(segments, list) or not segments:
        raise _fail("segments_to_transcribe", 'must be a non-empty list of {"start": s, "end": s}.')
    checked: list[tuple[float, float, int]] = []
    for i, segment in enumerate(segments):
        if not isinstance(segment, Mapping) or set(segment) != {"start", "end"}:
            raise _fail("segments_to_transcribe", f'item {i} must be {{"start": seconds, "end": seconds}}.')
        start, end = segment["start"], segment["end"]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (start, end)):
            raise _fail("segments_to_transcribe", f"item {i}: start and end must be numbers of seconds.")
        if start < 0 or end <= start:
            raise _fail("segments_to_transcribe", f"item {i}: need 0 <= start < end, got {start}..{end}.")
        checked.append((start, end, i))
    checked.sort()
    for (_, previous_end, j), (start, _, i) in zip(checked, checked[1:], strict=False):
        if start < previous_end:
            raise _fail(
                "segments_to_transcribe",
                f"item {i} overlaps the previous segment (item {j}); segments must not overlap.",
            )


def _check_speaker_names(names: object) -> None:
    if not isinstance(names, list) or not 1 <= len(names) <= 100:
        raise _fail("speaker_names", 'must be a list of 1 to 100 {"display_name": name} objects.')
    for i, item in enumerate(names):
        name = item.get("display_name") if isinstance(item, Mapping) else None
        if not isinstance(name, str) or not 0 < len(name) <= 50:
            raise _fail("speaker_names", f"item {i} needs a display_name of 1 to 50 characters.")


def _check_vocabularies(vocabularies: object) -> None:
    if not isinstance(vocabularies, list) or not 1 <= len(vocabularies) <= 50:
        raise _fail("custom_vocabularies", 'must be a list of 1 to 50 {"phrases": [...]} objects.')
    for i, item in enumerate(vocabularies):
        phrases = item.get("phrases") if isinstance(item, Mapping) else None
        if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p for p in phrases):
            raise _fail("custom_vocabularies", f"item {i} needs a non-empty list of phrase strings.")


def _check_summarization(config: object) -> None:
    if not isinstance(config, Mapping):
        raise _fail("summarization_config", 'must be a dict such as {"type": "bullets"}.')
    unknown = set(config) - {"model", "type", "prompt"}
    if unknown:
        raise _fail("summarization_config", f"unknown keys {sorted(unknown)}; use model, type or prompt.")
    _one_of(config, "model", SUMMARY_MODELS)
    _one_of(config, "type", SUMMARY_TYPES)
    if config.get("prompt") is not None and config.get("type") is not None:
        raise _fail("summarization_config", "set either prompt or type, not both.")


def _check_translation(config: object) -> None:
    targets = config.get("target_languages") if isinstance(config, Mapping) else None
    if not isinstance(targets, list) or not 1 <= len(targets) <= 5:
        raise _fail(
            "translation_config",
            'must be {"target_languages": [{"language": "es"}, ...]} with 1 to 5 languages.',
        )
    for i, target in enumerate(targets):
        language = target.get("language") if isinstance(target, Mapping) else None
        if language not in TRANSLATION_LANGUAGES:
            raise _fail(
                "translation_config",
                f"target {i} language {language!r} is not supported; use one of "
                f"{', '.join(sorted(TRANSLATION_LANGUAGES))}.",
            )
        if isinstance(target, Mapping):
            _one_of(target, "model", SUMMARY_MODELS)


def validate_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Check documented job options and return them without ``None`` values.

    ``extra_options`` (a dict) is merged in unchecked, for fields the API adds later.
    ``notification_url`` and ``notification_auth_headers`` are folded into
    ``notification_config``.
    """
    opts = {k: v for k, v in options.items() if v is not None}
    extra = opts.pop("extra_options", None) or {}
    if not isinstance(extra, Mapping):
        raise _fail("extra_options", "must be a dict of additional API fields.")
    notification_url = opts.pop("notification_url", None)
    notification_headers = opts.pop("notification_auth_headers", None)
    if notification_url is not None:
        if "notification_config" in opts:
            raise _fail("notification_url", "set notification_url or notification_config, not both.")
        opts["notification_config"] = {"url": notification_url, "auth_headers": notification_headers}
    elif notification_headers is not None:
        raise _fail("notification_auth_headers", "needs notification_url.")

    unknown = sorted(set(opts) - _KNOWN_OPTIONS)
    if unknown:
        raise _fail(
            unknown[0],
            "is not a documented Rev AI job option; check the spelling, or pass new API "
            "fields through extra_options.",
        )
    for name in BOOLEAN_OPTIONS & set(opts):
        if not isinstance(opts[name], bool):
            raise _fail(name, f"must be true or false, got {opts[name]!r}.")
    metadata = opts.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, str):
            raise _fail("metadata", "must be a string (serialise structured data yourself).")
        if len(metadata) > MAX_METADATA_CHARS:
            raise _fail("metadata", f"is {len(metadata)} characters; Rev AI allows {MAX_METADATA_CHARS}.")
    if "callback_url" in opts:
        validate_http_url(opts["callback_url"], "callback_url", MAX_CALLBACK_URL_CHARS)
        if "notification_config" in opts:
            raise _fail("callback_url", "is deprecated and cannot be combined with notification_config.")
    if "notification_config" in opts:
        config = opts["notification_config"]
        if not isinstance(config, Mapping):
            raise _fail("notification_config", 'must be {"url": ..., "auth_headers": ...}.')
        url = validate_http_url(config.get("url"), "notification_url", MAX_CALLBACK_URL_CHARS)
        headers = validate_auth_headers(config.get("auth_headers"), "notification_auth_headers")
        opts["notification_config"] = {"url": url, **({"auth_headers": headers} if headers else {})}
    _int_in(opts, "delete_after_seconds", 0, MAX_DELETE_AFTER_SECONDS)
    _int_in(opts, "speaker_channels_count", 1, 8)
    _int_in(opts, "speakers_count", 1, None)
    _one_of(opts, "transcriber", TRANSCRIBERS)
    _one_of(opts, "diarization_type", DIARIZATION_TYPES)
    language = opts.get("language")
    if language is not None and (not isinstance(language, str) or not _LANGUAGE.match(language)):
        raise _fail("language", f"{language!r} is not an ISO 639 code such as 'en', 'es' or 'cmn'.")
    if "custom_vocabulary_id" in opts and "custom_vocabularies" in opts:
        raise _fail("custom_vocabularies", "set custom_vocabulary_id or custom_vocabularies, not both.")
    vocabulary_id = opts.get("custom_vocabulary_id")
    if vocabulary_id is not None and (not isinstance(vocabulary_id, str) or not vocabulary_id.strip()):
        raise _fail("custom_vocabulary_id", "must be the id of a completed custom vocabulary.")
    if "custom_vocabularies" in opts:
        _check_vocabularies(opts["custom_vocabularies"])
    if opts.get("transcriber") != "human":
        for name in HUMAN_ONLY:
            if opts.get(name) not in (None, False):
                raise _fail(name, "is only available with transcriber='human'.")
    if "segments_to_transcribe" in opts:
        _check_segments(opts["segments_to_transcribe"])
    if "speaker_names" in opts:
        _check_speaker_names(opts["speaker_names"])
    if "summarization_config" in opts:
        _check_summarization(opts["summarization_config"])
    if "translation_config" in opts:
        _check_translation(opts["translation_config"])
    return {**opts, **{k: v for k, v in extra.items() if v is not None}}


_KNOWN_OPTIONS = frozenset(
    BOOLEAN_OPTIONS
    | {
        "metadata",
        "callback_url",
        "notification_config",
        "delete_after_seconds",
        "speaker_channels_count",
        "speakers_count",
        "diarization_type",
        "custom_vocabulary_id",
        "custom_vocabularies",
        "language",
        "transcriber",
        "segments_to_transcribe",
        "speaker_names",
        "summarization_config",
        "translation_config",
    }
)


def build_url_submission(
    media_url: object, source_auth_headers: object, options: Mapping[str, Any]
) -> dict[str, Any]:
    """Return the JSON body of ``POST /jobs`` for media Rev AI downloads itself.

    The URL goes in ``source_config``, which Rev AI stores encrypted and never echoes, rather
    than in the deprecated ``media_url``.
    """
    url = validate_http_url(media_url, "media_url", MAX_MEDIA_URL_CHARS)
    headers = validate_auth_headers(source_auth_headers, "source_auth_headers")
    body = validate_options(options)
    body["source_config"] = {"url": url, **({"auth_headers": headers} if headers else {})}
    return body
