"""Typed models of Rev AI's async API: jobs, transcripts and custom vocabularies.

Parsing is tolerant on purpose: the API omits null fields, adds new fields and enum values
over time, and writes timestamps with or without a trailing ``Z``. Unknown fields are kept
in ``extra`` and unknown enum values become pseudo-members, so nothing a newer API sends
makes an older provider crash.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_rev.secrets import REDACTED, redact_text


class _TolerantStrEnum(enum.StrEnum):
    """A string enum that turns unknown values into pseudo-members instead of raising."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, str):
            return None
        member = str.__new__(cls, value)
        member._name_ = value.upper()
        member._value_ = value
        return member


class JobStatus(_TolerantStrEnum):
    """Lifecycle state of an async job; see :data:`TERMINAL_STATUSES`."""

    IN_PROGRESS = "in_progress"
    TRANSCRIBED = "transcribed"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        """Whether the job will never change state again."""
        return self in TERMINAL_STATUSES


#: The states a job never leaves.
TERMINAL_STATUSES: frozenset[JobStatus] = frozenset({JobStatus.TRANSCRIBED, JobStatus.FAILED})


class FailureReason(_TolerantStrEnum):
    """Documented values of a failed job's ``failure`` field."""

    INTERNAL_PROCESSING = "internal_processing"
    DOWNLOAD_FAILURE = "download_failure"
    DURATION_EXCEEDED = "duration_exceeded"
    DURATION_TOO_SHORT = "duration_too_short"
    INVALID_MEDIA = "invalid_media"
    EMPTY_MEDIA = "empty_media"
    TRANSCRIPTION = "transcription"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    INVOICING_LIMIT_EXCEEDED = "invoicing_limit_exceeded"
    CUSTOM_VOCABULARY = "custom_vocabulary"


def parse_timestamp(value: object) -> datetime | None:
    """Parse an API timestamp such as ``2018-05-05T23:23:22.29Z`` (the ``Z`` is optional).

    Timestamps without an offset are UTC, as every Rev AI timestamp is.
    """
    if not isinstance(value, str) or not value:
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_timestamp(value: datetime | None) -> str | None:
    """Format a timestamp the way the API does (UTC, ``Z`` suffix)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _scrubbed(text: str | None) -> str | None:
    return None if text is None else redact_text(text)


def redact_url(url: str | None) -> str | None:
    """Hide a URL's query string and credentials, keeping scheme, host and path for debugging.

    Pre-signed media URLs carry their signature in the query string, so the query is the
    secret part; the rest of the URL stays useful in logs and XCom.
    """
    if not url:
        return url
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if parts.username or parts.password:
        netloc = f"{REDACTED}@{netloc}"
    query = REDACTED if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _as_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _as_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _api_shape(model: Job | CustomVocabulary) -> dict[str, Any]:
    """Serialise a resource model back to the API's JSON shape: nulls omitted, ``extra`` merged."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(model):
        if f.name == "extra":
            continue
        value = getattr(model, f.name)
        if value is None:
            continue
        if isinstance(value, datetime):
            value = format_timestamp(value)
        elif isinstance(value, enum.Enum):
            value = value.value
        out[f.name] = value
    out.update({k: v for k, v in model.extra.items() if k not in out})
    return out


@dataclass(frozen=True)
class Job:
    """One Rev AI job as returned by ``GET /jobs/{id}``, ``POST /jobs`` or ``GET /jobs``.

    ``media_url`` and ``callback_url`` are stored redacted (see :func:`redact_url`) so a job
    can be logged or pushed to XCom without leaking a signed URL.
    """

    id: str
    status: JobStatus
    created_on: datetime | None = None
    completed_on: datetime | None = None
    name: str | None = None
    metadata: str | None = None
    media_url: str | None = None
    callback_url: str | None = None
    duration_seconds: float | None = None
    failure: FailureReason | None = None
    failure_detail: str | None = None
    delete_after_seconds: int | None = None
    language: str | None = None
    transcriber: str | None = None
    type: str | None = None
    summarization: dict[str, Any] | None = None
    translation: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _KNOWN = frozenset(
        {
            "id",
            "status",
            "created_on",
            "completed_on",
            "name",
            "metadata",
            "media_url",
            "callback_url",
            "duration_seconds",
            "failure",
            "failure_detail",
            "delete_after_seconds",
            "language",
            "transcriber",
            "type",
            "summarization",
            "translation",
        }
    )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Job:
        """Build a job from an API body; absent keys become ``None``, unknown keys go to ``extra``."""
        job_id = data.get("id")
        if not isinstance(job_id, str) or not job_id:
            raise ValueError(f"Rev AI job body has no usable 'id': {sorted(data)}")
        failure = data.get("failure")
        summarization = data.get("summarization")
        translation = data.get("translation")
        return cls(
            id=job_id,
            status=JobStatus(str(data.get("status", JobStatus.IN_PROGRESS))),
            created_on=parse_timestamp(data.get("created_on")),
            completed_on=parse_timestamp(data.get("completed_on")),
            name=_as_str(data.get("name")),
            metadata=_as_str(data.get("metadata")),
            media_url=redact_url(_as_str(data.get("media_url"))),
            callback_url=redact_url(_as_str(data.get("callback_url"))),
            duration_seconds=_as_float(data.get("duration_seconds")),
            failure=FailureReason(failure) if isinstance(failure, str) else None,
            failure_detail=_scrubbed(_as_str(data.get("failure_detail"))),
            delete_after_seconds=_as_int(data.get("delete_after_seconds")),
            language=_as_str(data.get("language")),
            transcriber=_as_str(data.get("transcriber")),
            type=_as_str(data.get("type")),
            summarization=dict(summarization) if isinstance(summarization, Mapping) else None,
            translation=dict(translation) if isinstance(translation, Mapping) else None,
            extra={k: v for k, v in data.items() if k not in cls._KNOWN},
        )

    @classmethod
    def from_xcom(cls, data: Mapping[str, Any]) -> Job:
        """Rebuild a job from :meth:`to_dict` output (the shape pushed to XCom)."""
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict in the API's own shape (null fields omitted), fit for XCom."""
        return _api_shape(self)

    @property
    def is_terminal(self) -> bool:
        """Whether the job reached ``transcribed`` or ``failed``."""
        return self.status.is_terminal

    @property
    def is_failed(self) -> bool:
        """Whether the job ended ``failed`` (a finished job that produced nothing usable)."""
        return self.status == JobStatus.FAILED


class VocabularyStatus(_TolerantStrEnum):
    """Lifecycle state of a custom vocabulary.

    A vocabulary ends ``complete`` (not ``completed``, unlike NLP jobs); only then can a job
    use it through ``custom_vocabulary_id``.
    """

    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        """Whether the vocabulary will never change state again."""
        return self in VOCABULARY_TERMINAL_STATUSES


#: The states a custom vocabulary never leaves.
VOCABULARY_TERMINAL_STATUSES: frozenset[VocabularyStatus] = frozenset(
    {VocabularyStatus.COMPLETE, VocabularyStatus.FAILED}
)


@dataclass(frozen=True)
class CustomVocabulary:
    """One custom vocabulary as returned by ``POST /vocabularies`` or ``GET /vocabularies[/{id}]``.

    ``callback_url`` is stored redacted (see :func:`redact_url`) and ``failure_detail``
    scrubbed of registered secrets, so the object can be logged or pushed to XCom as is.
    ``failure`` stays a plain string: the API documents one code (``internal_processing``)
    and may add others.
    """

    id: str
    status: VocabularyStatus
    created_on: datetime | None = None
    completed_on: datetime | None = None
    metadata: str | None = None
    callback_url: str | None = None
    failure: str | None = None
    failure_detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _KNOWN = frozenset(
        {
            "id",
            "status",
            "created_on",
            "completed_on",
            "metadata",
            "callback_url",
            "failure",
            "failure_detail",
        }
    )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CustomVocabulary:
        """Build a vocabulary from an API body; absent keys become ``None``, unknown keys go to ``extra``."""
        vocabulary_id = data.get("id")
        if not isinstance(vocabulary_id, str) or not vocabulary_id:
            raise ValueError(f"Rev AI custom vocabulary body has no usable 'id': {sorted(data)}")
        return cls(
            id=vocabulary_id,
            status=VocabularyStatus(_as_str(data.get("status")) or VocabularyStatus.IN_PROGRESS),
            created_on=parse_timestamp(data.get("created_on")),
            completed_on=parse_timestamp(data.get("completed_on")),
            metadata=_as_str(data.get("metadata")),
            callback_url=redact_url(_as_str(data.get("callback_url"))),
            failure=_as_str(data.get("failure")),
            failure_detail=_scrubbed(_as_str(data.get("failure_detail"))),
            extra={k: v for k, v in data.items() if k not in cls._KNOWN},
        )

    @classmethod
    def from_xcom(cls, data: Mapping[str, Any]) -> CustomVocabulary:
        """Rebuild a vocabulary from :meth:`to_dict` output (the shape pushed to XCom)."""
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict in the API's own shape (null fields omitted), fit for XCom."""
        return _api_shape(self)

    @property
    def is_terminal(self) -> bool:
        """Whether the vocabulary reached ``complete`` or ``failed``."""
        return self.status.is_terminal

    @property
    def is_failed(self) -> bool:
        """Whether compiling the vocabulary failed; jobs cannot use it."""
        return self.status == VocabularyStatus.FAILED


@dataclass(frozen=True)
class Element:
    """One transcript element: a word (``text``), a ``punct`` (spaces included) or ``unknown``."""

    type: str
    value: str
    ts: float | None = None
    end_ts: float | None = None
    confidence: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Element:
        """Build an element from its JSON form."""
        return cls(
            type=str(data.get("type", "unknown")),
            value=str(data.get("value", "")),
            ts=_as_float(data.get("ts")),
            end_ts=_as_float(data.get("end_ts")),
            confidence=_as_float(data.get("confidence")),
        )


@dataclass(frozen=True)
class Monologue:
    """A run of elements spoken by one speaker."""

    speaker: int
    elements: tuple[Element, ...]
    speaker_info: dict[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Monologue:
        """Build a monologue from its JSON form."""
        info = data.get("speaker_info")
        elements: Sequence[Mapping[str, Any]] = data.get("elements") or ()
        return cls(
            speaker=_as_int(data.get("speaker")) or 0,
            elements=tuple(Element.from_dict(e) for e in elements),
            speaker_info=dict(info) if isinstance(info, Mapping) else None,
        )

    @property
    def text(self) -> str:
        """The monologue as text: the element values concatenated, as the API intends."""
        return "".join(e.value for e in self.elements).strip()


@dataclass(frozen=True)
class Transcript:
    """A JSON transcript (``application/vnd.rev.transcript.v1.0+json``) with reading helpers."""

    monologues: tuple[Monologue, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transcript:
        """Build a transcript from its JSON form."""
        monologues: Sequence[Mapping[str, Any]] = data.get("monologues") or ()
        return cls(monologues=tuple(Monologue.from_dict(m) for m in monologues))

    @property
    def text(self) -> str:
        """Plain text, one line per monologue."""
        return "\n".join(t for t in (m.text for m in self.monologues) if t)

    @property
    def word_count(self) -> int:
        """Number of spoken words (``text`` elements)."""
        return sum(1 for m in self.monologues for e in m.elements if e.type == "text")

    @property
    def speakers(self) -> list[int]:
        """Distinct speaker numbers, sorted."""
        return sorted({m.speaker for m in self.monologues})

    @property
    def duration_seconds(self) -> float | None:
        """End time of the last timed element, or ``None`` when nothing is timed."""
        ends = [e.end_ts for m in self.monologues for e in m.elements if e.end_ts is not None]
        return max(ends) if ends else None

    def to_dict(self) -> dict[str, Any]:
        """Return the API's JSON shape (absent timings omitted)."""
        return {
            "monologues": [
                {
                    "speaker": m.speaker,
                    **({"speaker_info": m.speaker_info} if m.speaker_info else {}),
                    "elements": [
                        {k: v for k, v in dataclasses.asdict(e).items() if v is not None} for e in m.elements
                    ],
                }
                for m in self.monologues
            ]
        }
