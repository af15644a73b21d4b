"""The one retry policy for every Rev AI request, sync or async.

The policy only decides; the hook's sync and async loops only sleep. Rules, from the API
reference: 429 is always retried (honouring ``Retry-After`` when the server sends it,
otherwise exponential backoff with jitter); 502/503/504 and dropped connections are retried
at most ``max_transient_retries`` times; every other 4xx/5xx is raised at once. All waiting
is bounded by ``max_total_wait``.

A request that is not idempotent (``POST /jobs``) is only retried when the server surely did
not act on it: a 429, or a connection that was never established. A 5xx or a connection
dropped mid-request may have created a job, and submitting again could bill twice, so those
are raised as "outcome unknown" for the caller to reconcile.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from airflow_provider_rev.exceptions import (
    RevAIConnectionError,
    RevAIError,
    RevAIRateLimitError,
    RevAIServerError,
)

RETRYABLE_SERVER_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How persistently one request is retried.

    :param max_transient_retries: retries after 502/503/504 or a dropped connection.
    :param max_rate_limit_retries: retries after 429.
    :param base_delay: first backoff delay in seconds; doubles on each retry.
    :param max_delay: cap of one backoff delay (a longer ``Retry-After`` is still honoured).
    :param max_total_wait: cap of all waiting for one request, in seconds.
    :param jitter: fraction of each backoff delay that is randomised (0 disables).
    """

    max_transient_retries: int = 5
    max_rate_limit_retries: int = 20
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_total_wait: float = 300.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        for name in ("max_transient_retries", "max_rate_limit_retries"):
            if getattr(self, name) < 0:
                raise ValueError(f"RetryPolicy.{name} must be >= 0")
        for name in ("base_delay", "max_delay", "max_total_wait"):
            if getattr(self, name) < 0:
                raise ValueError(f"RetryPolicy.{name} must be >= 0 seconds")
        if not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy.jitter must be between 0 and 1")

    def start(self, rng: random.Random | None = None) -> RetryState:
        """Begin tracking the attempts of one request."""
        return RetryState(self, rng or random.Random())


@dataclass
class RetryState:
    """Attempts made so far for one request; asks the policy how long to wait next."""

    policy: RetryPolicy
    rng: random.Random
    transient_retries: int = 0
    rate_limit_retries: int = 0
    waited: float = 0.0
    history: list[str] = field(default_factory=list)

    def next_delay(self, error: RevAIError, *, idempotent: bool) -> float | None:
        """Return the seconds to wait before retrying after ``error``, or ``None`` to raise it."""
        policy = self.policy
        if isinstance(error, RevAIRateLimitError):
            if self.rate_limit_retries >= policy.max_rate_limit_retries:
                return None
            self.rate_limit_retries += 1
            if error.retry_after is not None:
                delay = max(0.0, error.retry_after)
            else:
                delay = self._backoff(self.rate_limit_retries)
        elif self._is_transient(error, idempotent=idempotent):
            if self.transient_retries >= policy.max_transient_retries:
                return None
            self.transient_retries += 1
            delay = self._backoff(self.transient_retries)
        else:
            return None
        if self.waited + delay > policy.max_total_wait:
            return None
        self.waited += delay
        self.history.append(type(error).__name__)
        return delay

    @staticmethod
    def _is_transient(error: RevAIError, *, idempotent: bool) -> bool:
        if isinstance(error, RevAIServerError):
            return idempotent and error.status in RETRYABLE_SERVER_STATUSES
        if isinstance(error, RevAIConnectionError):
            return idempotent or not error.outcome_unknown
        return False

    def _backoff(self, retry_number: int) -> float:
        policy = self.policy
        delay = min(policy.max_delay, policy.base_delay * 2 ** (retry_number - 1))
        return float(delay * (1 - policy.jitter * self.rng.random()))
