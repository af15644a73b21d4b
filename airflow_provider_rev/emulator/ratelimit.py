"""An account-wide request rate limit: a token bucket on the emulator's clock.

Random 429s (``FaultConfig.rate_limit_fraction``) test that a client copes with a 429; this
limit tests whether a client *causes* them. Every request takes a token; tokens come back at
``rate`` per emulated second up to ``burst``. A request finding the bucket empty is answered 429
with ``Retry-After``: the whole emulated seconds until a token is free, at least 1. A refused
request takes no token, so a client that honours ``Retry-After`` gets through.
"""

from __future__ import annotations

import math
import threading

from airflow_provider_rev.emulator.clock import Clock


class TokenBucket:
    """Admit at most ``rate`` requests per emulated second on average, ``burst`` at once.

    :param rate: tokens added per emulated second.
    :param burst: bucket size, the most requests admitted at once after a quiet spell.
    """

    def __init__(self, clock: Clock, rate: float, burst: int) -> None:
        if rate <= 0:
            raise ValueError("the rate limit must be positive")
        if burst < 1:
            raise ValueError("the rate limit burst must be at least 1")
        self.clock = clock
        self.rate = rate
        self.burst = burst
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Fill the bucket."""
        with self._lock:
            self._tokens = float(self.burst)
            self._updated = self.clock.now().timestamp()

    def take(self) -> int | None:
        """Take a token; return ``None`` if one was free, else the ``Retry-After`` seconds."""
        now = self.clock.now().timestamp()
        with self._lock:
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            return max(1, math.ceil((1.0 - self._tokens) / self.rate))
