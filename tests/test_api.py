"""The I/O-free core: error bodies become typed exceptions, uploads encode exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support import reference_body

from airflow_provider_rev import _api
from airflow_provider_rev.exceptions import (
    RevAIAPIError,
    RevAIAuthError,
    RevAIBadRequestError,
    RevAIInvalidStateError,
    RevAINotFoundError,
    RevAIPayloadTooLargeError,
    RevAIRateLimitError,
    RevAIUnsupportedFormatError,
)

REQUEST = _api.ApiRequest("GET", "/jobs/abc", "/jobs/{id}")


def response(status: int, body: object, **headers: str) -> _api.ApiResponse:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return _api.ApiResponse(status, headers, data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("0.5", 0.5),
        ("-3", 0.0),
        ("Wed, 25 Nov 2026 10:00:30 GMT", 30.0),
        ("soon", None),
        (None, None),
    ],
)
def test_retry_after_parsing(value: str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)
    assert _api.parse_retry_after(value, now) == expected


def test_rate_limit_carries_retry_after() -> None:
    error = _api.error_from_response(
        response(429, {"title": "Too Many Requests"}, **{"retry-after": "12"}), REQUEST
    )
    assert isinstance(error, RevAIRateLimitError) and error.retry_after == 12.0


def test_non_json_error_body_is_kept_short() -> None:
    error = _api.error_from_response(response(502, b"<html>Bad Gateway</html>" * 50), REQUEST)
    assert error.status == 502 and len(str(error)) < 300


REFERENCE_ERRORS = [
    ("error_400_parameter_docs_spelling.json", RevAIBadRequestError),
    ("error_400_parameters_live_spelling.json", RevAIBadRequestError),
    ("error_401_no_type.json", RevAIAuthError),
    ("error_403_out_of_credit_legacy.json", RevAIAuthError),
    ("error_404_job_not_found.json", RevAINotFoundError),
    ("error_406_transcript_accept.json", RevAIUnsupportedFormatError),
    ("error_406_captions_accept.json", RevAIUnsupportedFormatError),
    ("error_409_transcript_of_failed_job.json", RevAIInvalidStateError),
    ("error_409_delete_in_progress.json", RevAIInvalidStateError),
    ("error_413_no_type.json", RevAIPayloadTooLargeError),
]


@pytest.mark.parametrize(("name", "cls"), REFERENCE_ERRORS)
def test_reference_error_bodies(name: str, cls: type[RevAIAPIError]) -> None:
    body = reference_body(name)
    error = _api.error_from_response(response(body["status"], body), REQUEST)
    assert type(error) is cls
    assert error.title == body["title"] and error.title in str(error)
    assert error.detail == body.get("detail")
    assert error.parameters == body.get("parameters", body.get("parameter", {}))
    assert error.allowed_values == body.get("allowed_values", [])
    assert error.current_value == body.get("current_value")


def test_forbidden_body_with_error_field() -> None:
    body = reference_body("error_403_error_field_no_title.json")
    error = _api.error_from_response(response(403, body), REQUEST)
    assert isinstance(error, RevAIAuthError) and error.title == body["error"] and body["error"] in str(error)


def test_multipart_length_is_exact_and_chunks_are_bounded(tmp_path: Path) -> None:
    media = tmp_path / 'odd "name".wav'
    media.write_bytes(bytes(range(256)) * 1000)
    upload = _api.MultipartUpload(media, {"metadata": "m"}, boundary="b0undary")
    chunks = list(upload.iter_chunks(chunk_size=4096))
    body = b"".join(chunks)
    assert len(body) == upload.content_length
    assert max(len(c) for c in chunks[1:-1]) == 4096
    assert b'filename="odd _name_.wav"' in body
    assert body.endswith(b"\r\n--b0undary--\r\n")
    reader = upload.open(chunk_size=1000)
    assert len(reader) == upload.content_length
    pieces = []
    while piece := reader.read(8192):
        assert len(piece) <= 8192
        pieces.append(piece)
    assert b"".join(pieces) == body
    assert upload.open().read() == body


def test_pager_stops_on_short_page_and_limit() -> None:
    from airflow_provider_rev.models import Job

    jobs = [Job.from_dict({"id": f"j{i}", "status": "transcribed"}) for i in range(3)]
    pager = _api.JobPager(limit=None, page_size=3)
    first = pager.next_call()
    assert first is not None and first.request.params == {"limit": "3"}
    assert pager.accept(jobs) == jobs
    second = pager.next_call()
    assert second is not None and second.request.params == {"limit": "3", "starting_after": "j2"}
    assert pager.accept(jobs[:1]) == jobs[:1] and pager.next_call() is None
    limited = _api.JobPager(limit=2)
    assert limited.page_size == 2
    assert limited.accept(jobs) == jobs[:2] and limited.next_call() is None
    assert _api.JobPager(limit=0).next_call() is None
