"""Problem-details (RFC 7807) error bodies with the type URIs and titles Rev AI uses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"

INVALID_PARAMETERS_TYPE = "https://www.rev.ai/api/v1/errors/invalid-parameters"
JOB_NOT_FOUND_TYPE = "https://www.rev.ai/api/v1/errors/job-not-found"
VOCABULARY_NOT_FOUND_TYPE = "https://www.rev.ai/api/v1/errors/custom-vocabulary-not-found"
INVALID_JOB_STATE_TYPE = "https://rev.ai/api/v1/errors/invalid-job-state"
INVALID_JOB_PROPERTIES_TYPE = "https://rev.ai/api/v1/errors/invalid-job-properties"
UNSUPPORTED_OUTPUT_FORMAT_TYPE = "https://www.rev.ai/api/v1/errors/unsupported-output-format"
NOT_FOUND_TYPE = "https://www.rev.ai/api/v1/errors/not-found"
TOO_MANY_REQUESTS_TYPE = "https://www.rev.ai/api/v1/errors/too-many-requests"

INVALID_PARAMETERS_TITLE = "Your request parameters didn't validate"
INVALID_JOB_STATE_TITLE = "Job is in invalid state"

#: Parameter errors: field name -> list of messages (the live ``parameters`` spelling).
ParameterErrors = dict[str, list[str]]


@dataclass(frozen=True)
class Problem:
    """One problem-details body plus the extra response headers that go with it."""

    status: int
    title: str
    type: str | None = None
    detail: str | None = None
    parameters: ParameterErrors | None = None
    allowed_values: list[str] | None = None
    current_value: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Render the body, omitting absent members like the real API does."""
        body: dict[str, Any] = {}
        for key in ("parameters", "allowed_values", "current_value", "type", "title", "detail", "status"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body

    def encode(self) -> bytes:
        """Serialise the body to UTF-8 JSON bytes."""
        return json.dumps(self.to_json()).encode()


class ProblemError(Exception):
    """Raised inside handlers to answer with a problem-details body."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem.status} {problem.title}")
        self.problem = problem


def invalid_parameters(errors: ParameterErrors, detail: str | None = None) -> Problem:
    """Build the 400 body with a ``parameters`` map."""
    return Problem(400, INVALID_PARAMETERS_TITLE, INVALID_PARAMETERS_TYPE, detail, parameters=errors)


def unauthorized() -> Problem:
    """Build the 401 body (no ``type``, as in the reference)."""
    return Problem(401, "Authorization has been denied for this request")


def job_not_found() -> Problem:
    """Build the 404 body for an unknown (or deleted) job id."""
    return Problem(404, "could not find job", JOB_NOT_FOUND_TYPE)


def vocabulary_not_found(detail: str | None = None) -> Problem:
    """Build the 404 body for an unknown, deleted or (on job submission) unusable custom vocabulary id."""
    return Problem(404, "could not find custom vocabulary", VOCABULARY_NOT_FOUND_TYPE, detail)


def resource_not_found(title: str, detail: str | None = None) -> Problem:
    """Build a 404 body for something other than a job (unknown route, summary not requested)."""
    return Problem(404, title, NOT_FOUND_TYPE, detail)


def method_not_allowed(method: str) -> Problem:
    """Build a 405 body for a verb the route does not support."""
    return Problem(405, "Method Not Allowed", None, f"The requested method {method} is not allowed")


def invalid_job_state(current: str, allowed: list[str], detail: str) -> Problem:
    """Build the 409 body carrying ``allowed_values`` and ``current_value``."""
    return Problem(
        409,
        INVALID_JOB_STATE_TITLE,
        INVALID_JOB_STATE_TYPE,
        detail,
        allowed_values=allowed,
        current_value=current,
    )


def unsupported_output_format(current: str, allowed: list[str]) -> Problem:
    """Build the 406 body for an ``Accept`` value the endpoint cannot produce."""
    return Problem(
        406,
        "Output format is not supported",
        UNSUPPORTED_OUTPUT_FORMAT_TYPE,
        f"Unsupported value {current}",
        allowed_values=allowed,
        current_value=current,
    )


def captions_need_speaker_channel() -> Problem:
    """Build the documented 405 for captions of a speaker-channel job without ``speaker_channel``."""
    return Problem(
        405,
        "Job contains unsupported properties",
        INVALID_JOB_PROPERTIES_TYPE,
        "Job with speaker channels provided are not supported for retrieving captions",
    )


def payload_too_large() -> Problem:
    """Build the 413 body for an oversized multipart upload."""
    return Problem(413, "Payload Too Large", None, "Submitted payload exceeds maximum allowed file size")


def too_many_requests(retry_after: int | None) -> Problem:
    """Build a 429 body; ``Retry-After`` (seconds) is added when given."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Problem(
        429, "Too Many Requests", TOO_MANY_REQUESTS_TYPE, "Rate limit exceeded, retry later", headers=headers
    )
