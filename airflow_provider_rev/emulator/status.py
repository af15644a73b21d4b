"""Job, sub-job and custom vocabulary status enumerations, and job failure codes."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    """Status of a transcription job."""

    IN_PROGRESS = "in_progress"
    TRANSCRIBED = "transcribed"
    FAILED = "failed"


class TaskStatus(StrEnum):
    """Status of a summarization or translation sub-job."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"


class VocabularyStatus(StrEnum):
    """Status of a custom vocabulary (``complete``, not ``completed``, as the API spells it)."""

    IN_PROGRESS = "in_progress"
    COMPLETE = "complete"
    FAILED = "failed"


class FailureCode(StrEnum):
    """``failure`` values of failed jobs."""

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


#: ``failure_detail`` texts; the download one is Rev's documented wording.
FAILURE_DETAILS: dict[FailureCode, str] = {
    FailureCode.DOWNLOAD_FAILURE: "Failed to download media file. Please check your url and file type",
    FailureCode.INVALID_MEDIA: "The media file is invalid or in an unsupported format",
    FailureCode.EMPTY_MEDIA: "The media file contains no audio",
    FailureCode.DURATION_TOO_SHORT: "The media duration is too short to transcribe",
    FailureCode.DURATION_EXCEEDED: "The media duration exceeds the maximum allowed",
    FailureCode.INSUFFICIENT_BALANCE: "Insufficient balance to transcribe this media",
    FailureCode.INTERNAL_PROCESSING: "Internal server error.",
}
