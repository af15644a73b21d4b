"""The exception tree: where each error sits, and what its text may carry."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_rev import exceptions, waiting
from airflow_provider_rev.exceptions import (
    RevAIError,
    RevAIFailedError,
    RevAIJobFailedError,
    RevAIVocabularyFailedError,
    RevAIWaitTimeoutError,
)

SIGNED = "https://bucket.example.com/call.wav?X-Amz-Signature=abc123&X-Amz-Credential=key"


@pytest.mark.parametrize(
    ("error", "names"),
    [
        (RevAIJobFailedError("job1", "download_failure", f"Could not fetch {SIGNED}"), ("job", "job1")),
        (
            RevAIVocabularyFailedError("cv1", "internal_processing", f"Failed on {SIGNED}"),
            ("custom vocabulary", "cv1"),
        ),
    ],
)
def test_failed_jobs_and_vocabularies_share_one_base_that_redacts_the_detail(
    error: RevAIFailedError, names: tuple[str, str]
) -> None:
    noun, resource_id = names
    assert isinstance(error, RevAIFailedError) and isinstance(error, AirflowFailException)
    assert error.resource_id == resource_id and str(error).startswith(f"Rev AI {noun} {resource_id} failed: ")
    assert "abc123" not in str(error) and "X-Amz-Credential=key" not in str(error)
    assert error.failure_detail is not None and "abc123" not in error.failure_detail
    assert "bucket.example.com/call.wav" in str(error)  # what failed is still said


def test_the_failed_errors_keep_their_named_ids() -> None:
    assert RevAIJobFailedError("job1", None, None, hint="submit it again").job_id == "job1"
    assert str(RevAIJobFailedError("job1", None, None, hint="submit it again")).endswith("; submit it again")
    assert RevAIVocabularyFailedError("cv1", None, None).vocabulary_id == "cv1"


def test_a_wait_timeout_is_in_the_tree_and_may_be_retried() -> None:
    assert issubclass(RevAIWaitTimeoutError, RevAIError)
    assert not issubclass(RevAIWaitTimeoutError, AirflowFailException)
    assert waiting.RevAIWaitTimeoutError is RevAIWaitTimeoutError  # the old import path still works
    assert "RevAIWaitTimeoutError" in (exceptions.__doc__ or "")
