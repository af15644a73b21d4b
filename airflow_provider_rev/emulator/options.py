"""Parsing and validation of ``POST /jobs`` and ``POST /vocabularies`` bodies into typed options."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_rev.emulator.errors import ParameterErrors, ProblemError, invalid_parameters

MAX_METADATA = 512
MAX_MEDIA_URL = 2048
MAX_CALLBACK_URL = 1024
MAX_DELETE_AFTER = 2_592_000
MAX_TRANSLATION_TARGETS = 5
ENGLISH = frozenset({"en", "en-us", "en-gb"})
TRANSLATION_LANGUAGES = frozenset(
    "en en-us en-gb ar pt pt-br pt-pt fr fr-ca es es-es es-la it ja ko de ru".split()
)
MODELS = frozenset({"standard", "premium"})
URL_MESSAGE = "Provided {field} is not a valid fully-qualified http, or https URL."

#: Boolean options echoed back in the Job object when the caller set them.
ECHOED_FLAGS = (
    "skip_diarization",
    "skip_punctuation",
    "skip_postprocessing",
    "remove_disfluencies",
    "remove_atmospherics",
    "filter_profanity",
    "verbatim",
    "rush",
)
_OTHER_FLAGS = ("test_mode", "strict_custom_vocabulary", "forced_alignment")
_HUMAN_ONLY = ("rush", "test_mode", "segments_to_transcribe", "speaker_names")
_NOT_FOR_HUMAN = (
    "remove_disfluencies",
    "remove_atmospherics",
    "speaker_channels_count",
    "speakers_count",
    "diarization_type",
    "summarization_config",
    "translation_config",
)
_ENGLISH_ONLY = (
    "skip_punctuation",
    "remove_disfluencies",
    "filter_profanity",
    "speaker_channels_count",
    "custom_vocabulary_id",
)


class Transcriber(StrEnum):
    """Accepted ``transcriber`` values (``machine_v2`` is the legacy name still used by SDK tests)."""

    MACHINE = "machine"
    LOW_COST = "low_cost"
    FUSION = "fusion"
    HUMAN = "human"
    MACHINE_V2 = "machine_v2"


class SummaryFormat(StrEnum):
    """Summary formatting types."""

    PARAGRAPH = "paragraph"
    BULLETS = "bullets"


@dataclass(frozen=True)
class UrlConfig:
    """A ``source_config`` / ``notification_config``: URL plus optional ``Authorization`` value."""

    url: str
    authorization: str | None = None


@dataclass(frozen=True)
class SummarizationRequest:
    """Requested summarization; ``type`` is ``None`` when a custom ``prompt`` is used."""

    model: str
    type: SummaryFormat | None
    prompt: str | None


@dataclass(frozen=True)
class TranslationTarget:
    """One requested translation language."""

    language: str
    model: str


@dataclass(frozen=True)
class Segment:
    """A ``segments_to_transcribe`` entry, in seconds."""

    start: float
    end: float


@dataclass(frozen=True)
class JobOptions:
    """Validated submission options; ``None`` means "not given"."""

    media_url: str | None = None
    source_config: UrlConfig | None = None
    callback_url: str | None = None
    notification_config: UrlConfig | None = None
    metadata: str | None = None
    delete_after_seconds: int | None = None
    language: str = "en"
    transcriber: Transcriber = Transcriber.MACHINE
    skip_diarization: bool | None = None
    skip_punctuation: bool | None = None
    skip_postprocessing: bool | None = None
    remove_disfluencies: bool | None = None
    remove_atmospherics: bool | None = None
    filter_profanity: bool | None = None
    verbatim: bool | None = None
    rush: bool | None = None
    test_mode: bool | None = None
    strict_custom_vocabulary: bool | None = None
    forced_alignment: bool | None = None
    speaker_channels_count: int | None = None
    speakers_count: int | None = None
    diarization_type: str | None = None
    custom_vocabulary_id: str | None = None
    custom_vocabularies: tuple[tuple[str, ...], ...] | None = None
    segments_to_transcribe: tuple[Segment, ...] | None = None
    speaker_names: tuple[str, ...] | None = None
    summarization: SummarizationRequest | None = None
    translation: tuple[TranslationTarget, ...] | None = None

    @property
    def media_source(self) -> UrlConfig | None:
        """Return where to fetch the media from (``source_config`` or the deprecated ``media_url``)."""
        if self.source_config is not None:
            return self.source_config
        return UrlConfig(self.media_url) if self.media_url is not None else None

    @property
    def webhook(self) -> UrlConfig | None:
        """Return where to send the completion webhook, if anywhere."""
        return _webhook_target(self.notification_config, self.callback_url)

    def echo(self) -> dict[str, Any]:
        """Return the options the Job object echoes (never ``source_config``/``notification_config``)."""
        out: dict[str, Any] = {}
        for key in ("media_url", "callback_url", "metadata", "delete_after_seconds", *ECHOED_FLAGS):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        for key in ("speaker_channels_count", "speakers_count", "diarization_type", "custom_vocabulary_id"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.segments_to_transcribe is not None:
            out["segments_to_transcribe"] = [
                {"start": s.start, "end": s.end} for s in self.segments_to_transcribe
            ]
        out["language"] = self.language
        out["transcriber"] = self.transcriber.value
        return out


@dataclass(frozen=True)
class VocabularyOptions:
    """A validated ``POST /vocabularies`` body; ``phrases`` holds one tuple per submitted object."""

    phrases: tuple[tuple[str, ...], ...]
    metadata: str | None = None
    callback_url: str | None = None
    notification_config: UrlConfig | None = None
    strict_custom_vocabulary: bool | None = None

    @property
    def webhook(self) -> UrlConfig | None:
        """Return where to send the completion webhook, if anywhere."""
        return _webhook_target(self.notification_config, self.callback_url)


def _webhook_target(notification_config: UrlConfig | None, callback_url: str | None) -> UrlConfig | None:
    if notification_config is not None:
        return notification_config
    return UrlConfig(callback_url) if callback_url is not None else None


class _Checker:
    """Read typed fields from a submitted JSON object, collecting parameter errors."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.errors: ParameterErrors = {}

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def has(self, key: str) -> bool:
        return self.payload.get(key) is not None

    def string(self, key: str, max_len: int | None = None) -> str | None:
        value = self.payload.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(key, f"The {key} field must be a string")
            return None
        if max_len is not None and len(value) > max_len:
            self.fail(key, f"The field {key} must be a string with a maximum length of {max_len}.")
            return None
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.payload.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.fail(key, f"The {key} field must be a boolean")
            return None
        return value

    def integer(self, key: str, low: int, high: int | None = None) -> int | None:
        value = self.payload.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, f"The {key} field must be an integer")
            return None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.fail(key, f"The field {key} must be {bound}.")
            return None
        return value

    def url(self, key: str, value: Any, max_len: int, allow_file: bool) -> str | None:
        if not isinstance(value, str) or len(value) > max_len or not _is_acceptable_url(value, allow_file):
            self.fail(key, URL_MESSAGE.format(field=key))
            return None
        return value

    def url_config(self, key: str, allow_file: bool) -> UrlConfig | None:
        value = self.payload.get(key)
        if value is None:
            return None
        if not isinstance(value, dict) or "url" not in value:
            self.fail(key, f"The {key} field must be an object with a url")
            return None
        url = self.url(f"{key}.url", value["url"], MAX_MEDIA_URL, allow_file)
        headers = value.get("auth_headers")
        authorization: str | None = None
        if headers is not None:
            if not isinstance(headers, dict) or set(headers) - {"Authorization"}:
                self.fail(f"{key}.auth_headers", "Only the Authorization header is supported")
            elif headers.get("Authorization") is not None:
                if not isinstance(headers["Authorization"], str):
                    self.fail(f"{key}.auth_headers", "The Authorization header must be a string")
                else:
                    authorization = headers["Authorization"]
        return UrlConfig(url, authorization) if url is not None else None

    def choice(self, key: str, value: Any, allowed: frozenset[str] | set[str]) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or value not in allowed:
            self.fail(key, f"The {key} field must be one of: {', '.join(sorted(allowed))}")
            return None
        return value


def _is_acceptable_url(value: str, allow_file: bool) -> bool:
    parts = urlsplit(value)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc) and " " not in value
    return allow_file and parts.scheme == "file" and bool(parts.path)


def _vocabularies(check: _Checker) -> tuple[tuple[str, ...], ...] | None:
    value = check.payload.get("custom_vocabularies")
    if value is None:
        return None
    ok = isinstance(value, list) and 1 <= len(value) <= 50
    result: list[tuple[str, ...]] = []
    for item in value if ok else []:
        phrases = item.get("phrases") if isinstance(item, dict) else None
        if not isinstance(phrases, list) or not phrases or not all(isinstance(p, str) and p for p in phrases):
            ok = False
            break
        result.append(tuple(phrases))
    if not ok:
        check.fail("custom_vocabularies", "custom_vocabularies must hold 1-50 objects with non-empty phrases")
        return None
    return tuple(result)


def _segments(check: _Checker) -> tuple[Segment, ...] | None:
    value = check.payload.get("segments_to_transcribe")
    if value is None:
        return None
    segments: list[Segment] = []
    for item in value if isinstance(value, list) else [None]:
        start = item.get("start") if isinstance(item, dict) else None
        end = item.get("end") if isinstance(item, dict) else None
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (start, end)):
            check.fail("segments_to_transcribe", "Each segment needs numeric start and end")
            return None
        segments.append(Segment(float(start), float(end)))  # type: ignore[arg-type]
    segments.sort(key=lambda s: s.start)
    for index, segment in enumerate(segments):
        if segment.end - segment.start < 60:
            check.fail("segments_to_transcribe", "Each segment must be at least 1 minute long")
            return None
        if index and segment.start < segments[index - 1].end:
            check.fail("segments_to_transcribe", "Segments must not overlap")
            return None
    return tuple(segments)


def _speaker_names(check: _Checker) -> tuple[str, ...] | None:
    value = check.payload.get("speaker_names")
    if value is None:
        return None
    names = (
        [item.get("display_name") if isinstance(item, dict) else None for item in value]
        if isinstance(value, list)
        else [None]
    )
    if len(names) > 100 or not all(isinstance(n, str) and 0 < len(n) <= 50 for n in names):
        check.fail("speaker_names", "speaker_names must hold at most 100 display names of 1-50 characters")
        return None
    return tuple(n for n in names if isinstance(n, str))


def _summarization(check: _Checker) -> SummarizationRequest | None:
    value = check.payload.get("summarization_config")
    if value is None:
        return None
    if not isinstance(value, dict):
        check.fail("summarization_config", "summarization_config must be an object")
        return None
    model = check.choice("summarization_config.model", value.get("model"), MODELS) or "standard"
    kind = check.choice("summarization_config.type", value.get("type"), {f.value for f in SummaryFormat})
    prompt = value.get("prompt")
    if prompt is not None and not isinstance(prompt, str):
        check.fail("summarization_config.prompt", "prompt must be a string")
        return None
    if prompt is not None and kind is not None:
        check.fail("summarization_config", "prompt and type cannot be used together")
        return None
    summary_type = SummaryFormat(kind) if kind else (None if prompt else SummaryFormat.PARAGRAPH)
    return SummarizationRequest(model, summary_type, prompt)


def _translation(check: _Checker) -> tuple[TranslationTarget, ...] | None:
    value = check.payload.get("translation_config")
    if value is None:
        return None
    targets = value.get("target_languages") if isinstance(value, dict) else None
    if not isinstance(targets, list) or not targets:
        check.fail("translation_config.target_languages", "At least one target language is required")
        return None
    if len(targets) > MAX_TRANSLATION_TARGETS:
        check.fail(
            "translation_config.target_languages",
            f"At most {MAX_TRANSLATION_TARGETS} target languages are supported",
        )
        return None
    result: list[TranslationTarget] = []
    for item in targets:
        entry = item if isinstance(item, dict) else {}
        language = check.choice(
            "translation_config.target_languages.language", entry.get("language"), TRANSLATION_LANGUAGES
        )
        model = check.choice("translation_config.target_languages.model", entry.get("model"), MODELS)
        if language is None:
            if entry.get("language") is None:
                check.fail("translation_config.target_languages.language", "language is required")
            return None
        if any(t.language == language for t in result):
            check.fail("translation_config.target_languages", f"Duplicate target language {language}")
            return None
        result.append(TranslationTarget(language, model or "standard"))
    return tuple(result)


def _callback_url(check: _Checker) -> str | None:
    raw = check.payload.get("callback_url")
    return None if raw is None else check.url("callback_url", raw, MAX_CALLBACK_URL, False)


def _one_webhook_target(check: _Checker) -> None:
    if check.has("callback_url") and check.has("notification_config"):
        check.fail("notification_config", "Only one of notification_config and callback_url may be set")


def _cross_checks(check: _Checker, options: JobOptions, multipart: bool) -> None:
    payload = check.payload
    if not multipart:
        if check.has("media_url") and check.has("source_config"):
            check.fail("source_config", "Only one of source_config and media_url may be set")
        elif not check.has("media_url") and not check.has("source_config"):
            check.fail("media_url", "The media_url field is required")
    _one_webhook_target(check)
    if check.has("custom_vocabulary_id") and check.has("custom_vocabularies"):
        check.fail(
            "custom_vocabularies", "custom_vocabularies cannot be used together with custom_vocabulary_id"
        )
    human = options.transcriber == Transcriber.HUMAN
    for key in _HUMAN_ONLY if not human else _NOT_FOR_HUMAN:
        if payload.get(key) not in (None, False):
            rule = "only available" if not human else "not available"
            check.fail(key, f"The {key} option is {rule} with the human transcriber")
    if options.diarization_type is not None and options.transcriber == Transcriber.LOW_COST:
        check.fail("diarization_type", "diarization_type is not available with the low_cost transcriber")
    if options.language.lower() not in ENGLISH:
        for key in _ENGLISH_ONLY:
            if payload.get(key) not in (None, False):
                check.fail(key, f"The {key} option is only available for English")


def parse_options(payload: Any, *, multipart: bool, allow_file_urls: bool = True) -> JobOptions:
    """Validate a submission and return its options, or raise a 400 :class:`ProblemError`.

    :param payload: the decoded JSON body (or the multipart ``options`` part; ``None`` if absent).
    :param multipart: whether the media comes as an upload (media URL fields are then ignored).
    :param allow_file_urls: accept ``file://`` media URLs (an emulator extension).
    """
    if payload is None and multipart:
        payload = {}
    if not isinstance(payload, dict):
        raise ProblemError(invalid_parameters({"options": ["The request body must be a JSON object"]}))
    check = _Checker(payload)
    media_url = source = None
    if not multipart:
        raw = payload.get("media_url")
        media_url = None if raw is None else check.url("media_url", raw, MAX_MEDIA_URL, allow_file_urls)
        source = check.url_config("source_config", allow_file_urls)
    callback = _callback_url(check)
    flags = {key: check.boolean(key) for key in (*ECHOED_FLAGS, *_OTHER_FLAGS)}
    transcriber = check.choice("transcriber", payload.get("transcriber"), {t.value for t in Transcriber})
    options = JobOptions(
        media_url=media_url,
        source_config=source,
        callback_url=callback,
        notification_config=check.url_config("notification_config", False),
        metadata=check.string("metadata", MAX_METADATA),
        delete_after_seconds=check.integer("delete_after_seconds", 0, MAX_DELETE_AFTER),
        language=check.string("language") or "en",
        transcriber=Transcriber(transcriber) if transcriber else Transcriber.MACHINE,
        speaker_channels_count=check.integer("speaker_channels_count", 1, 8),
        speakers_count=check.integer("speakers_count", 1),
        diarization_type=check.choice("diarization_type", payload.get("diarization_type"), MODELS),
        custom_vocabulary_id=check.string("custom_vocabulary_id"),
        custom_vocabularies=_vocabularies(check),
        segments_to_transcribe=_segments(check),
        speaker_names=_speaker_names(check),
        summarization=_summarization(check),
        translation=_translation(check),
        **flags,
    )
    _cross_checks(check, options, multipart)
    if check.errors:
        raise ProblemError(invalid_parameters(check.errors))
    return options


def parse_vocabulary_options(payload: Any) -> VocabularyOptions:
    """Validate a ``POST /vocabularies`` body and return its options, or raise a 400 :class:`ProblemError`.

    Same rules as the matching job options: 1-50 ``{"phrases": [...]}`` objects with non-empty phrase
    strings, ``metadata`` up to 512 characters, ``callback_url`` or ``notification_config`` (not both),
    boolean ``strict_custom_vocabulary``. Unknown fields are ignored.
    """
    if not isinstance(payload, dict):
        raise ProblemError(invalid_parameters({"body": ["The request body must be a JSON object"]}))
    check = _Checker(payload)
    phrases = _vocabularies(check)
    if not check.has("custom_vocabularies"):
        check.fail("custom_vocabularies", "The custom_vocabularies field is required")
    options = VocabularyOptions(
        phrases=phrases or (),
        metadata=check.string("metadata", MAX_METADATA),
        callback_url=_callback_url(check),
        notification_config=check.url_config("notification_config", False),
        strict_custom_vocabulary=check.boolean("strict_custom_vocabulary"),
    )
    _one_webhook_target(check)
    if check.errors:
        raise ProblemError(invalid_parameters(check.errors))
    return options
