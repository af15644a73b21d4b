"""Fault injection: seeded random faults and scripted one-shot faults, decided per request."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

#: Status codes used for random server errors (the retryable ones Rev documents).
SERVER_ERROR_STATUSES: tuple[int, ...] = (502, 503, 504)

_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FaultKind(StrEnum):
    """What a fault does to a request."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    STATUS = "status"
    DROP = "drop"
    DELAY = "delay"


@dataclass(frozen=True)
class FaultConfig:
    """Random faults, all off by default; deterministic for a given ``seed`` and request order.

    :param rate_limit_fraction: share of requests answered 429 with ``Retry-After: retry_after``.
    :param retry_after: seconds put in the ``Retry-After`` header of 429 answers (``None``: no header).
    :param error_fraction: share of requests answered 502/503/504 (chosen by the seeded generator).
    :param drop_fraction: share of requests whose connection is closed without any HTTP response.
    :param latency: seconds added before every (matching) request is handled.
    :param seed: seed of the generator deciding which requests fail.
    :param routes: route templates (e.g. ``"GET /jobs/{id}"``) the faults apply to; empty means all.
    """

    rate_limit_fraction: float = 0.0
    retry_after: int | None = 1
    error_fraction: float = 0.0
    drop_fraction: float = 0.0
    latency: float = 0.0
    seed: int | None = 0
    routes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        """Reject fractions outside 0..1 and negative latency."""
        total = 0.0
        for name in ("rate_limit_fraction", "error_fraction", "drop_fraction"):
            value = float(getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")
            total += value
        if total > 1.0:
            raise ValueError("the fault fractions must add up to at most 1")
        if self.latency < 0:
            raise ValueError("latency must not be negative")

    def applies_to(self, route: str) -> bool:
        """Tell whether random faults apply to ``route``."""
        return not self.routes or route in self.routes


@dataclass
class ScriptedFault:
    """A one-shot (or ``times``-shot) fault queued by a test with :meth:`FaultPlan.inject`.

    :param route: route template it applies to; ``None`` matches every route.
    :param status: HTTP status to answer with (ignored when ``drop``); ``None`` with ``delay`` only
        slows the request down and then answers it normally.
    :param times: how many matching requests it affects.
    :param after_commit: run the real handler first (e.g. create the job), then replace its response.
    :param drop: close the connection without an HTTP response instead of answering ``status``.
    :param retry_after: ``Retry-After`` header value in seconds (defaults to 1 for 429).
    :param delay: seconds to wait before faulting: before the handler runs, or with ``after_commit``
        between the handler's commit and the faulty answer (a window in which to kill the client).
    """

    route: str | None = None
    status: int | None = 503
    times: int = 1
    after_commit: bool = False
    drop: bool = False
    retry_after: int | None = None
    delay: float = 0.0
    fired: int = 0

    @property
    def remaining(self) -> int:
        """Return how many more requests this fault will affect."""
        return max(self.times - self.fired, 0)

    @property
    def kind(self) -> FaultKind:
        """Return the kind of fault."""
        if self.drop:
            return FaultKind.DROP
        return FaultKind.DELAY if self.status is None else FaultKind.STATUS


@dataclass(frozen=True)
class FaultAction:
    """The decision for one request: answer ``status`` (or drop), before or after the handler."""

    kind: FaultKind
    status: int = 0
    retry_after: int | None = None
    after_commit: bool = False
    delay: float = 0.0
    scripted: bool = False

    @property
    def reason(self) -> str:
        """Return a short reason phrase for ``status``."""
        return _REASONS.get(self.status, "Error")


@dataclass
class FaultPlan:
    """Thread-safe holder of the random fault settings and the scripted fault queue."""

    config: FaultConfig = field(default_factory=FaultConfig)
    _scripted: list[ScriptedFault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        """Seed the generator from the configuration."""
        self._rng.seed(self.config.seed)

    def configure(self, config: FaultConfig) -> None:
        """Replace the random fault settings and reseed the generator."""
        with self._lock:
            self.config = config
            self._rng.seed(config.seed)

    def update(self, **changes: Any) -> FaultConfig:
        """Change some random fault settings at runtime (same names as :class:`FaultConfig`)."""
        routes: Iterable[str] | None = changes.pop("routes", None)
        if routes is not None:
            changes["routes"] = frozenset(routes)
        new = replace(self.config, **changes)
        self.configure(new)
        return new

    def inject(self, fault: ScriptedFault) -> ScriptedFault:
        """Queue a scripted fault; scripted faults win over random ones, first queued first."""
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._scripted.append(fault)
        return fault

    def clear(self) -> None:
        """Drop every queued scripted fault and switch random faults off."""
        with self._lock:
            self._scripted.clear()
            self.config = FaultConfig()
            self._rng.seed(self.config.seed)

    def latency_for(self, route: str) -> float:
        """Return the random-fault latency to add to a request on ``route``."""
        config = self.config
        return config.latency if config.applies_to(route) else 0.0

    def decide(self, route: str) -> FaultAction | None:
        """Pick the fault (if any) for one request on ``route``; consumes scripted faults."""
        with self._lock:
            for fault in self._scripted:
                if fault.remaining and fault.route in (None, route):
                    fault.fired += 1
                    retry_after = fault.retry_after
                    if retry_after is None and fault.status == 429:
                        retry_after = 1
                    self._scripted = [f for f in self._scripted if f.remaining]
                    return FaultAction(
                        fault.kind,
                        fault.status or 0,
                        retry_after,
                        fault.after_commit,
                        fault.delay,
                        scripted=True,
                    )
            config = self.config
            if not config.applies_to(route):
                return None
            if not (config.drop_fraction or config.rate_limit_fraction or config.error_fraction):
                return None
            roll = self._rng.random()
            if roll < config.drop_fraction:
                return FaultAction(FaultKind.DROP)
            roll -= config.drop_fraction
            if roll < config.rate_limit_fraction:
                return FaultAction(FaultKind.RATE_LIMIT, 429, config.retry_after)
            roll -= config.rate_limit_fraction
            if roll < config.error_fraction:
                return FaultAction(FaultKind.SERVER_ERROR, self._rng.choice(SERVER_ERROR_STATUSES))
            return None

    @property
    def pending(self) -> list[ScriptedFault]:
        """Return the scripted faults that have not fired out yet."""
        with self._lock:
            return [f for f in self._scripted if f.remaining]
