"""The provider's one exception tree.

::

    RevAIError (AirflowException)
    ├── RevAIInvalidInputError          bad argument or connection, raised before any request *
    ├── RevAITLSError                   certificate refused: server's not trusted, or ours rejected *
    ├── RevAITransientError             worth retrying: the request may succeed later
    │   ├── RevAIConnectionError        dropped connection, timeout, connect failure
    │   └── (RevAIRateLimitError, RevAIServerError, RevAIInvalidStateError below)
    ├── RevAIAPIError                   the API answered with an error status
    │   ├── RevAIBadRequestError        400 *
    │   ├── RevAIAuthError              401, 403 *
    │   ├── RevAINotFoundError          404 *
    │   ├── RevAIUnsupportedFormatError 406 *
    │   ├── RevAIInvalidStateError      409 (job not ready yet; transient)
    │   ├── RevAIPayloadTooLargeError   413 *
    │   ├── RevAIRateLimitError         429 (transient, carries ``retry_after``)
    │   └── RevAIServerError            5xx (transient)
    ├── RevAIFailedError                a job or vocabulary ended ``failed`` *
    │   ├── RevAIJobFailedError         the job ended ``failed`` *
    │   └── RevAIVocabularyFailedError  a custom vocabulary ended ``failed`` *
    ├── RevAISubJobFailedError          its summary or a translation ended ``failed`` *
    ├── RevAIWaitTimeoutError           still in progress when the wait's deadline passed
    └── RevAIPermanentError             a permanent error reported by the triggerer *

Classes marked ``*`` are permanent: they also derive from Airflow's ``AirflowFailException``,
so a task that raises one fails at once instead of spending its retries on a request that
cannot succeed. Exceptions are plain data: they never perform I/O and their text never
contains a token, auth header or signed URL query string.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

from airflow_provider_rev.secrets import redact_text


class RevAIError(AirflowException):
    """Root of every error this provider raises."""

    @property
    def permanent(self) -> bool:
        """Whether retrying cannot help (the error is also an ``AirflowFailException``)."""
        return isinstance(self, AirflowFailException)


class _Permanent(AirflowFailException):
    """Marks an error that a task retry cannot fix."""


class RevAIInvalidInputError(RevAIError, _Permanent, ValueError):
    """An argument, option or connection field is invalid; nothing was sent to Rev AI.

    :param field: the parameter or connection field at fault.
    :param message: what is wrong and how to fix it.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class RevAITransientError(RevAIError):
    """A failure that may go away on its own; retrying later is reasonable."""

    #: For a submission: the request may have reached Rev AI, so a job may exist.
    outcome_unknown: bool = False


class RevAIConnectionError(RevAITransientError):
    """The connection failed, dropped or timed out before a full response arrived."""

    def __init__(self, message: str, *, outcome_unknown: bool = False) -> None:
        self.outcome_unknown = outcome_unknown
        super().__init__(message)


class RevAIAPIError(RevAIError):
    """Rev AI answered with an error status and (usually) an RFC 7807 problem-details body.

    :param status: HTTP status code.
    :param title: problem-details ``title``.
    :param detail: problem-details ``detail``.
    :param type: problem-details ``type`` URI.
    :param parameters: for 400, field name to list of messages.
    :param allowed_values: for 406/409, the values the API would have accepted.
    :param current_value: for 406/409, the value it got (a job status or an Accept header).
    :param body: the whole decoded error body, for fields the API adds later.
    :param endpoint: ``METHOD /path`` of the failed request, for the message.
    """

    def __init__(
        self,
        status: int,
        *,
        title: str | None = None,
        detail: str | None = None,
        type: str | None = None,
        parameters: Mapping[str, list[str]] | None = None,
        allowed_values: list[str] | None = None,
        current_value: str | None = None,
        body: Mapping[str, Any] | None = None,
        endpoint: str | None = None,
    ) -> None:
        self.status = status
        self.title = _scrub(title)
        self.detail = _scrub(detail)
        self.type = type
        self.parameters = {
            name: [redact_text(str(m)) for m in msgs] for name, msgs in (parameters or {}).items()
        }
        self.allowed_values = list(allowed_values or [])
        self.current_value = _scrub(current_value)
        self.body = _scrub_json(dict(body or {}))
        self.endpoint = endpoint
        super().__init__(redact_text(self._message()))

    @property
    def reason(self) -> str:
        """The error without the endpoint, for messages that must read the same whichever request failed."""
        return redact_text(self._message(with_endpoint=False))

    def _message(self, with_endpoint: bool = True) -> str:
        parts = [f"Rev AI API error {self.status}"]
        if self.endpoint and with_endpoint:
            parts[0] += f" on {self.endpoint}"
        if self.title:
            parts.append(self.title)
        if self.detail and self.detail != self.title:
            parts.append(self.detail)
        for name, messages in self.parameters.items():
            parts.append(f"{name}: {'; '.join(messages)}")
        if self.current_value is not None:
            allowed = ", ".join(self.allowed_values) or "?"
            parts.append(f"current value {self.current_value!r}, allowed: {allowed}")
        return ": ".join(parts[:2]) + "".join(f" ({p})" for p in parts[2:])


def _scrub(text: str | None) -> str | None:
    """Server text may quote the request back (token, auth header, signed URL): hide those."""
    return None if text is None else redact_text(text)


def _scrub_json(value: Any) -> Any:
    """:func:`_scrub` every string inside a decoded JSON body."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {key: _scrub_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub_json(item) for item in value]
    return value


class RevAIBadRequestError(RevAIAPIError, _Permanent):
    """400: the request parameters did not validate."""


class RevAIAuthError(RevAIAPIError, _Permanent):
    """401 or 403: the access token is missing, wrong, or not allowed on this deployment.

    The hook names its connection (:meth:`for_connection`), so the message says which
    connection to fix and how.
    """

    conn_id: str | None = None
    root_url: str | None = None

    def for_connection(self, conn_id: str, root_url: str) -> RevAIAuthError:
        """Say which connection was refused and where it points; return ``self``."""
        self.conn_id, self.root_url = conn_id, root_url
        self.args = (redact_text(self._message()),)
        return self

    def _message(self, with_endpoint: bool = True) -> str:
        message = super()._message(with_endpoint)
        if self.conn_id is None:
            return message
        return (
            f"{message}. Connection {self.conn_id!r} sent its token to {self.root_url}: check that"
            " the connection's password is a current Rev AI access token. US and EU accounts have"
            " different tokens and base URLs, so the host must match the account's region"
            " (https://api.rev.ai for US, https://ec1.api.rev.ai for EU)."
        )


class RevAINotFoundError(RevAIAPIError, _Permanent):
    """404: no such job (or an API or option unsupported in this deployment)."""


class RevAIMethodNotAllowedError(RevAIAPIError, _Permanent):
    """405: the job does not support this request (e.g. captions of a speaker-channel job)."""


class RevAIUnsupportedFormatError(RevAIAPIError, _Permanent):
    """406: the requested output format (Accept header) is not supported."""


class RevAIInvalidStateError(RevAIAPIError, RevAITransientError):
    """409: the job is not in a state that allows the call, typically not transcribed yet."""


class RevAIPayloadTooLargeError(RevAIAPIError, _Permanent):
    """413: the uploaded file is over the 2 GB multipart limit; submit it by URL instead."""


class RevAIRateLimitError(RevAIAPIError, RevAITransientError):
    """429: too many requests; ``retry_after`` is the server's requested wait in seconds."""

    def __init__(self, status: int = 429, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(status, **kwargs)


class RevAIServerError(RevAIAPIError, RevAITransientError):
    """5xx: an error on Rev AI's side."""


class RevAIFailedError(RevAIError, _Permanent):
    """A Rev AI resource (a job, a custom vocabulary) ended ``failed``; retrying will not change that.

    The API's ``failure_detail`` may quote the request back (a signed media URL), so the
    message carries it redacted.

    :param resource_id: the failed job or vocabulary.
    :param failure: the API's ``failure`` code, e.g. ``download_failure``.
    :param failure_detail: the API's human-readable reason.
    :param hint: what the caller can do about it, appended to the message.
    """

    #: How the message names the resource.
    noun = "resource"

    def __init__(
        self, resource_id: str, failure: str | None, failure_detail: str | None, *, hint: str | None = None
    ) -> None:
        self.resource_id = resource_id
        self.failure = failure
        self.failure_detail = None if failure_detail is None else redact_text(failure_detail)
        super().__init__(
            f"Rev AI {self.noun} {resource_id} failed: {failure or 'unknown failure'}"
            + (f" ({self.failure_detail})" if self.failure_detail else "")
            + (f"; {hint}" if hint else "")
        )


class RevAIJobFailedError(RevAIFailedError):
    """The job ended in ``failed``; retrying the task will not change that."""

    noun = "job"

    def __init__(
        self, job_id: str, failure: str | None, failure_detail: str | None, *, hint: str | None = None
    ) -> None:
        super().__init__(job_id, failure, failure_detail, hint=hint)

    @property
    def job_id(self) -> str:
        """The failed job."""
        return self.resource_id


class RevAISubJobFailedError(RevAIError, _Permanent):
    """A transcribed job's summarization or translation ended ``failed``; the transcript is fine.

    :param job_id: the job.
    :param subjob: what failed, e.g. ``summarization`` or ``translation into de``.
    :param failure: the API's ``failure`` code of the sub-job.
    """

    def __init__(self, job_id: str, subjob: str, failure: str | None) -> None:
        self.job_id = job_id
        self.subjob = subjob
        self.failure = failure
        super().__init__(
            f"Rev AI job {job_id}: the {subjob} failed ({failure or 'no failure code'}); there is nothing "
            "to fetch for it. The transcript and other outputs of the job are still available."
        )


class RevAIVocabularyFailedError(RevAIFailedError):
    """A custom vocabulary ended ``failed``; submit its phrases again in a new DAG run."""

    noun = "custom vocabulary"

    def __init__(self, vocabulary_id: str, failure: str | None, failure_detail: str | None) -> None:
        super().__init__(vocabulary_id, failure, failure_detail)

    @property
    def vocabulary_id(self) -> str:
        """The failed vocabulary."""
        return self.resource_id


class RevAIWaitTimeoutError(RevAIError):
    """The job (or vocabulary) was still in progress when the wait's deadline passed.

    Not permanent: a task retry waits again for the same job, which pay-once reconnects to.
    """


class RevAITLSError(RevAIError, _Permanent):
    """TLS failed on a certificate: the server's is not trusted, or the server refused ours.

    Not a :class:`RevAIConnectionError`, which is transient: the same certificates fail the
    same way on every retry, so this fails the task at once with a message naming the
    connection extra (``verify`` or ``cert``) that fixes it.
    """


class RevAIPermanentError(RevAIError, _Permanent):
    """A permanent failure reported second-hand, e.g. by the triggerer in an event."""


_BY_STATUS: dict[int, type[RevAIAPIError]] = {
    400: RevAIBadRequestError,
    401: RevAIAuthError,
    403: RevAIAuthError,
    404: RevAINotFoundError,
    405: RevAIMethodNotAllowedError,
    406: RevAIUnsupportedFormatError,
    409: RevAIInvalidStateError,
    413: RevAIPayloadTooLargeError,
    429: RevAIRateLimitError,
}


def error_class_for_status(status: int) -> type[RevAIAPIError]:
    """Return the exception class for an HTTP error status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return RevAIServerError
    return RevAIAPIError
