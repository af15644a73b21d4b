"""The retry policy decides the same way for every request, sync or async."""

from __future__ import annotations

import random

import pytest

from airflow_provider_rev.exceptions import (
    RevAIBadRequestError,
    RevAIConnectionError,
    RevAIInvalidStateError,
    RevAIRateLimitError,
    RevAIServerError,
)
from airflow_provider_rev.retry import RetryPolicy


def test_backoff_doubles_with_jitter_inside_bounds() -> None:
    state = RetryPolicy(base_delay=1, max_delay=10, jitter=0.5).start(random.Random(7))
    delays = [state.next_delay(RevAIServerError(503), idempotent=True) for _ in range(5)]
    assert delays[-1] is not None
    for n, delay in enumerate(delays):
        nominal = min(10, 2**n)
        assert delay is not None and nominal * 0.5 <= delay <= nominal
    assert state.next_delay(RevAIServerError(503), idempotent=True) is None


@pytest.mark.parametrize(
    ("error", "idempotent", "retried"),
    [
        (RevAIServerError(502), True, True),
        (RevAIServerError(503), True, True),
        (RevAIServerError(504), True, True),
        (RevAIServerError(500), True, False),
        (RevAIServerError(503), False, False),
        (RevAIConnectionError("dropped", outcome_unknown=True), True, True),
        (RevAIConnectionError("dropped", outcome_unknown=True), False, False),
        (RevAIConnectionError("refused", outcome_unknown=False), False, True),
        (RevAIRateLimitError(retry_after=1), False, True),
        (RevAIBadRequestError(400), True, False),
        (RevAIInvalidStateError(409), True, False),
    ],
)
def test_what_is_retried(error: Exception, idempotent: bool, retried: bool) -> None:
    state = RetryPolicy().start()
    assert (state.next_delay(error, idempotent=idempotent) is not None) is retried  # type: ignore[arg-type]


def test_retry_after_wins_over_backoff_and_counts_toward_total_wait() -> None:
    state = RetryPolicy(max_total_wait=10).start()
    assert state.next_delay(RevAIRateLimitError(retry_after=6), idempotent=True) == 6
    assert state.next_delay(RevAIRateLimitError(retry_after=6), idempotent=True) is None


def test_policy_validates_itself() -> None:
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=2)
    with pytest.raises(ValueError, match="max_transient_retries"):
        RetryPolicy(max_transient_retries=-1)
