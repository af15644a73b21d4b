"""The I/O-free core of the Rev AI client, shared by the hook's sync and async methods.

Everything that is not moving bytes lives here: which request each endpoint sends
(:class:`ApiRequest`), how a response becomes a typed result or a typed error, and how a
local file becomes a streamed multipart body. The hook owns two thin transports (``requests``
for workers, ``aiohttp`` for the triggerer) that turn an :class:`ApiRequest` into an
:class:`ApiResponse`; every endpoint method is a one-liner over :class:`Call`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar, cast
from urllib.parse import quote

from airflow_provider_rev.exceptions import (
    RevAIAPIError,
    RevAIInvalidInputError,
    RevAIRateLimitError,
    error_class_for_status,
)
from airflow_provider_rev.models import CustomVocabulary, Job, Transcript
from airflow_provider_rev.options import (
    MAX_UPLOAD_BYTES,
    build_url_submission,
    build_vocabulary_submission,
    validate_job_id,
    validate_options,
)

API_PATH = "/speechtotext/v1"
REGION_ROOTS: Mapping[str, str] = {"us": "https://api.rev.ai", "eu": "https://ec1.api.rev.ai"}

ACCEPT_JSON = "application/json"
ACCEPT_TRANSCRIPT_JSON = "application/vnd.rev.transcript.v1.0+json"
ACCEPT_TEXT = "text/plain"
CAPTION_TYPES: Mapping[str, str] = {"srt": "application/x-subrip", "vtt": "text/vtt"}
MAX_PAGE_SIZE = 1000

T = TypeVar("T")


class MediaFile(Protocol):
    """A readable file: a :class:`pathlib.Path` or an Airflow ``ObjectStoragePath``."""

    @property
    def name(self) -> str: ...

    def is_file(self) -> bool: ...

    def stat(self) -> Any: ...

    def open(self, mode: str = ...) -> Any: ...


@dataclass(frozen=True)
class MultipartUpload:
    """A ``multipart/form-data`` body with a ``media`` file part and an ``options`` part.

    The body is produced in chunks straight from disk, and its exact length is known up
    front, so uploads of any size use constant memory and send a ``Content-Length``.
    """

    path: MediaFile
    options: Mapping[str, Any]
    boundary: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def content_type(self) -> str:
        """The request's Content-Type header."""
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def file_size(self) -> int:
        """Size of the media file in bytes."""
        size: int = self.path.stat().st_size
        return size

    def _head(self) -> bytes:
        name = self.path.name.replace('"', "_").replace("\r", "_").replace("\n", "_")
        options = json.dumps(dict(self.options), sort_keys=True)
        return (
            f"--{self.boundary}\r\n"
            'Content-Disposition: form-data; name="options"\r\n'
            "Content-Type: application/json\r\n\r\n"
            f"{options}\r\n"
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="media"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_length(self) -> int:
        """Exact size of the encoded body in bytes."""
        return len(self._head()) + self.file_size + len(self._tail())

    def iter_chunks(self, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        """Yield the encoded body, reading the file ``chunk_size`` bytes at a time."""
        yield self._head()
        with self.path.open("rb") as media:
            while chunk := media.read(chunk_size):
                yield chunk
        yield self._tail()

    def open(self, chunk_size: int = 1024 * 1024) -> _ChunkReader:
        """Return a file-like reader over the body, for clients that pull with ``read()``."""
        return _ChunkReader(self.iter_chunks(chunk_size), self.content_length)


class _ChunkReader:
    """A read-only file object over an iterator of byte chunks, with a known length.

    ``requests`` pulls the body with ``read(8192)``; slicing only what each read returns keeps
    that linear in the body size.
    """

    def __init__(self, chunks: Iterator[bytes], length: int) -> None:
        self._chunks = chunks
        self._current = b""
        self._pos = 0
        self._length = length

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        """Return up to ``size`` bytes (everything left when ``size`` is negative)."""
        parts: list[bytes] = []
        wanted = size if size >= 0 else None
        while wanted is None or wanted > 0:
            if self._pos >= len(self._current):
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._current, self._pos = chunk, 0
                continue
            end = len(self._current) if wanted is None else min(len(self._current), self._pos + wanted)
            parts.append(self._current[self._pos : end])
            if wanted is not None:
                wanted -= end - self._pos
            self._pos = end
        return b"".join(parts)


@dataclass(frozen=True)
class ApiRequest:
    """One HTTP request to the API, relative to the ``/speechtotext/v1`` root.

    :param route: the path template, used for logs and metrics (``GET /jobs/{id}``).
    :param idempotent: whether sending it twice is harmless; ``POST /jobs`` is not.
    """

    method: str
    path: str
    route: str
    params: Mapping[str, str] = field(default_factory=dict)
    json_body: Mapping[str, Any] | None = None
    upload: MultipartUpload | None = None
    accept: str = ACCEPT_JSON
    idempotent: bool = True

    @property
    def endpoint(self) -> str:
        """``METHOD /route`` for messages."""
        return f"{self.method} {self.route}"


@dataclass(frozen=True)
class ApiResponse:
    """A transport-neutral response: status, headers (lower-case names) and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """Decode the body as JSON."""
        return json.loads(self.body or b"null")

    @property
    def text(self) -> str:
        """Decode the body as UTF-8 text."""
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Call(Generic[T]):
    """An endpoint call: the request to send and how to read a successful response."""

    request: ApiRequest
    parse: Callable[[ApiResponse], T]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Read a ``Retry-After`` header given in seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_from_response(response: ApiResponse, request: ApiRequest) -> RevAIAPIError:
    """Turn an error response into the matching typed exception (problem details parsed)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        snippet = response.text[:200].strip()
        body = {"title": snippet} if snippet else {}
    parameters = body.get("parameters", body.get("parameter"))
    allowed = body.get("allowed_values")
    current = body.get("current_value")
    kwargs: dict[str, Any] = {
        "title": body.get("title") or body.get("error"),
        "detail": body.get("detail") or body.get("details"),
        "type": body.get("type"),
        "parameters": parameters if isinstance(parameters, dict) else None,
        "allowed_values": allowed if isinstance(allowed, list) else None,
        "current_value": str(current) if current is not None else None,
        "body": body,
        "endpoint": request.endpoint,
    }
    cls = error_class_for_status(response.status)
    if cls is RevAIRateLimitError:
        return RevAIRateLimitError(
            response.status, retry_after=parse_retry_after(response.headers.get("retry-after")), **kwargs
        )
    return cls(response.status, **kwargs)


def _parse_job(response: ApiResponse) -> Job:
    return Job.from_dict(response.json())


def _parse_jobs(response: ApiResponse) -> list[Job]:
    body = response.json()
    if not isinstance(body, list):
        raise ValueError("GET /jobs did not return a JSON array")
    return [Job.from_dict(item) for item in body]


def _parse_text(response: ApiResponse) -> str:
    return response.text


def _parse_json(response: ApiResponse) -> Any:
    return response.json()


def _parse_nothing(response: ApiResponse) -> None:
    return None


def _parse_transcript(response: ApiResponse) -> Transcript:
    return Transcript.from_dict(response.json())


def _job_path(job_id: str, suffix: str = "") -> str:
    return f"/jobs/{quote(validate_job_id(job_id), safe='')}{suffix}"


def submit_job(
    media_url: object, source_auth_headers: object, options: Mapping[str, Any], region: str | None = None
) -> Call[Job]:
    """``POST /jobs`` with media Rev AI downloads from ``media_url`` (options validated here, once)."""
    body = build_url_submission(media_url, source_auth_headers, options, region)
    return Call(ApiRequest("POST", "/jobs", "/jobs", json_body=body, idempotent=False), _parse_job)


def submit_local_file(
    path: str | os.PathLike[str] | MediaFile, options: Mapping[str, Any], region: str | None = None
) -> Call[Job]:
    """``POST /jobs`` as multipart, streaming a file (file and options checked before any byte is sent)."""
    media = cast(MediaFile, Path(path)) if isinstance(path, str | os.PathLike) else path
    if not media.is_file():
        raise RevAIInvalidInputError("local_file", f"{media} does not exist or is not a file.")
    size = media.stat().st_size
    if size == 0:
        raise RevAIInvalidInputError("local_file", f"{media} is empty; Rev AI would fail it as empty_media.")
    if size >= MAX_UPLOAD_BYTES:
        raise RevAIInvalidInputError(
            "local_file",
            f"{media} is {size} bytes; uploads must be under 2 GB. Put it where Rev AI can "
            "download it and submit media_url instead.",
        )
    upload = MultipartUpload(media, validate_options(options, region))
    return Call(ApiRequest("POST", "/jobs", "/jobs", upload=upload, idempotent=False), _parse_job)


def get_job(job_id: str) -> Call[Job]:
    """``GET /jobs/{id}``."""
    return Call(ApiRequest("GET", _job_path(job_id), "/jobs/{id}"), _parse_job)


def list_jobs_page(limit: int, starting_after: str | None) -> Call[list[Job]]:
    """``GET /jobs``: one page of jobs, newest first, older than ``starting_after``."""
    if not 0 < limit <= MAX_PAGE_SIZE:
        raise RevAIInvalidInputError("limit", f"page size must be between 1 and {MAX_PAGE_SIZE}.")
    params = {"limit": str(limit)}
    if starting_after is not None:
        params["starting_after"] = validate_job_id(starting_after, "starting_after")
    return Call(ApiRequest("GET", "/jobs", "/jobs", params=params), _parse_jobs)


def delete_job(job_id: str) -> Call[None]:
    """``DELETE /jobs/{id}`` (allowed once the job is transcribed or failed)."""
    return Call(ApiRequest("DELETE", _job_path(job_id), "/jobs/{id}"), _parse_nothing)


def get_transcript(job_id: str) -> Call[Transcript]:
    """``GET /jobs/{id}/transcript`` as JSON."""
    request = ApiRequest(
        "GET", _job_path(job_id, "/transcript"), "/jobs/{id}/transcript", accept=ACCEPT_TRANSCRIPT_JSON
    )
    return Call(request, _parse_transcript)


def get_transcript_text(job_id: str) -> Call[str]:
    """``GET /jobs/{id}/transcript`` as plain text."""
    request = ApiRequest("GET", _job_path(job_id, "/transcript"), "/jobs/{id}/transcript", accept=ACCEPT_TEXT)
    return Call(request, _parse_text)


def caption_type(fmt: str) -> str:
    """Return the Accept type of a caption format (``srt`` or ``vtt``), or raise."""
    try:
        return CAPTION_TYPES[fmt.lower()]
    except (KeyError, AttributeError):
        raise RevAIInvalidInputError("fmt", f"{fmt!r} is not a caption format; use 'srt' or 'vtt'.") from None


def _caption_params(speaker_channel: int | None) -> dict[str, str]:
    if speaker_channel is None:
        return {}
    if not isinstance(speaker_channel, int) or isinstance(speaker_channel, bool) or speaker_channel < 0:
        raise RevAIInvalidInputError("speaker_channel", "must be a non-negative channel index.")
    return {"speaker_channel": str(speaker_channel)}


def get_captions(job_id: str, fmt: str = "srt", speaker_channel: int | None = None) -> Call[str]:
    """``GET /jobs/{id}/captions`` as SRT or VTT."""
    request = ApiRequest(
        "GET",
        _job_path(job_id, "/captions"),
        "/jobs/{id}/captions",
        params=_caption_params(speaker_channel),
        accept=caption_type(fmt),
    )
    return Call(request, _parse_text)


def get_summary(job_id: str, as_json: bool = False) -> Call[Any]:
    """``GET /jobs/{id}/transcript/summary`` as text, or as ``{"summary"|"bullet_points": ...}``."""
    request = ApiRequest(
        "GET",
        _job_path(job_id, "/transcript/summary"),
        "/jobs/{id}/transcript/summary",
        accept=ACCEPT_JSON if as_json else ACCEPT_TEXT,
    )
    return Call(request, _parse_json if as_json else _parse_text)


def _language_path(language: str) -> str:
    if not isinstance(language, str) or not language.replace("-", "").isalpha():
        raise RevAIInvalidInputError("language", f"{language!r} is not a language code such as 'es'.")
    return language.lower()


def get_translation(job_id: str, language: str) -> Call[Transcript]:
    """``GET /jobs/{id}/transcript/translation/{language}`` as JSON."""
    path = _job_path(job_id, f"/transcript/translation/{_language_path(language)}")
    request = ApiRequest(
        "GET", path, "/jobs/{id}/transcript/translation/{language}", accept=ACCEPT_TRANSCRIPT_JSON
    )
    return Call(request, _parse_transcript)


def get_translation_text(job_id: str, language: str) -> Call[str]:
    """``GET /jobs/{id}/transcript/translation/{language}`` as plain text."""
    path = _job_path(job_id, f"/transcript/translation/{_language_path(language)}")
    request = ApiRequest("GET", path, "/jobs/{id}/transcript/translation/{language}", accept=ACCEPT_TEXT)
    return Call(request, _parse_text)


def get_translated_captions(
    job_id: str, language: str, fmt: str = "srt", speaker_channel: int | None = None
) -> Call[str]:
    """``GET /jobs/{id}/captions/translation/{language}`` as SRT or VTT."""
    path = _job_path(job_id, f"/captions/translation/{_language_path(language)}")
    request = ApiRequest(
        "GET",
        path,
        "/jobs/{id}/captions/translation/{language}",
        params=_caption_params(speaker_channel),
        accept=caption_type(fmt),
    )
    return Call(request, _parse_text)


def get_account() -> Call[dict[str, Any]]:
    """``GET /account``: the account email and remaining ``balance_seconds``."""
    return Call(ApiRequest("GET", "/account", "/account"), _parse_json)


def _parse_vocabulary(response: ApiResponse) -> CustomVocabulary:
    return CustomVocabulary.from_dict(response.json())


def _parse_vocabularies(response: ApiResponse) -> list[CustomVocabulary]:
    body = response.json()
    if not isinstance(body, list):
        raise ValueError("GET /vocabularies did not return a JSON array")
    return [CustomVocabulary.from_dict(item) for item in body]


def _vocabulary_path(vocabulary_id: str) -> str:
    return f"/vocabularies/{quote(validate_job_id(vocabulary_id, 'vocabulary_id'), safe='')}"


def submit_custom_vocabulary(
    custom_vocabularies: object, options: Mapping[str, Any]
) -> Call[CustomVocabulary]:
    """``POST /vocabularies``: phrases to compile, options validated before anything is sent.

    Not idempotent, like ``POST /jobs``: a retry after an unknown outcome could create a
    second vocabulary.
    """
    body = build_vocabulary_submission(custom_vocabularies, options)
    request = ApiRequest("POST", "/vocabularies", "/vocabularies", json_body=body, idempotent=False)
    return Call(request, _parse_vocabulary)


def get_custom_vocabulary(vocabulary_id: str) -> Call[CustomVocabulary]:
    """``GET /vocabularies/{id}``."""
    return Call(ApiRequest("GET", _vocabulary_path(vocabulary_id), "/vocabularies/{id}"), _parse_vocabulary)


def list_custom_vocabularies(limit: int | None = None) -> Call[list[CustomVocabulary]]:
    """``GET /vocabularies``: one request; without ``limit`` the API's default (100) applies.

    The endpoint has no cursor, so there is nothing to page through: ``limit`` (1 to 1000)
    is the whole listing.
    """
    params: dict[str, str] = {}
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_PAGE_SIZE:
            raise RevAIInvalidInputError(
                "limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}, or None; got {limit!r}."
            )
        params["limit"] = str(limit)
    return Call(ApiRequest("GET", "/vocabularies", "/vocabularies", params=params), _parse_vocabularies)


def delete_custom_vocabulary(vocabulary_id: str) -> Call[None]:
    """``DELETE /vocabularies/{id}`` (204, no body)."""
    return Call(ApiRequest("DELETE", _vocabulary_path(vocabulary_id), "/vocabularies/{id}"), _parse_nothing)


@dataclass
class JobPager:
    """Pagination state of ``GET /jobs`` shared by the sync and async job listings.

    :param limit: total number of jobs to yield (``None``: every job the API lists).
    :param starting_after: yield only jobs older than this job id.
    :param page_size: jobs requested per page (at most 1000).
    """

    limit: int | None = None
    starting_after: str | None = None
    page_size: int = MAX_PAGE_SIZE
    yielded: int = 0
    done: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.page_size, bool) or not isinstance(self.page_size, int):
            raise RevAIInvalidInputError("page_size", f"must be a whole number from 1 to {MAX_PAGE_SIZE}.")
        if not 0 < self.page_size <= MAX_PAGE_SIZE:
            raise RevAIInvalidInputError(
                "page_size", f"must be between 1 and {MAX_PAGE_SIZE}, got {self.page_size}."
            )
        if self.limit is not None and (not isinstance(self.limit, int) or self.limit < 0):
            raise RevAIInvalidInputError("limit", "must be a non-negative number of jobs, or None for all.")
        if self.limit is not None:
            self.page_size = max(1, min(self.page_size, self.limit))
        self.done = self.limit == 0

    def next_call(self) -> Call[list[Job]] | None:
        """Return the request for the next page, or ``None`` when the listing is complete."""
        if self.done:
            return None
        return list_jobs_page(self.page_size, self.starting_after)

    def accept(self, page: list[Job]) -> list[Job]:
        """Record a page and return the jobs from it that the caller should yield."""
        if self.limit is not None:
            page = page[: self.limit - self.yielded]
        self.yielded += len(page)
        full = len(page) >= self.page_size
        self.done = not full or (self.limit is not None and self.yielded >= self.limit)
        if page:
            self.starting_after = page[-1].id
        return page


def request_headers(request: ApiRequest, token: str, user_agent: str) -> dict[str, str]:
    """Return the headers of ``request``: bearer token, Accept, User-Agent and body type."""
    headers = {"Authorization": f"Bearer {token}", "Accept": request.accept, "User-Agent": user_agent}
    if request.upload is not None:
        headers["Content-Type"] = request.upload.content_type
    return headers


OUTPUT_FORMATS = ("json", "text", "srt", "vtt")


def result_call(
    job_id: str,
    output_format: str = "json",
    *,
    speaker_channel: int | None = None,
    summary: bool = False,
    translation_language: str | None = None,
) -> Call[Any]:
    """Pick the result endpoint for a fetch: transcript, captions, summary or translation."""
    fmt = output_format.lower() if isinstance(output_format, str) else output_format
    if fmt not in OUTPUT_FORMATS:
        raise RevAIInvalidInputError(
            "output_format", f"{output_format!r} is not supported; use one of {', '.join(OUTPUT_FORMATS)}."
        )
    if summary and translation_language:
        raise RevAIInvalidInputError("summary", "fetch either the summary or a translation, not both.")
    if speaker_channel is not None and fmt not in CAPTION_TYPES:
        raise RevAIInvalidInputError(
            "speaker_channel", "applies to captions only (output_format 'srt' or 'vtt')."
        )
    if summary:
        if fmt in CAPTION_TYPES:
            raise RevAIInvalidInputError("output_format", "a summary is available as 'json' or 'text' only.")
        return get_summary(job_id, as_json=fmt == "json")
    if translation_language:
        if fmt in CAPTION_TYPES:
            return get_translated_captions(job_id, translation_language, fmt, speaker_channel)
        if fmt == "json":
            return get_translation(job_id, translation_language)
        return get_translation_text(job_id, translation_language)
    if fmt in CAPTION_TYPES:
        return get_captions(job_id, fmt, speaker_channel)
    return get_transcript(job_id) if fmt == "json" else get_transcript_text(job_id)
