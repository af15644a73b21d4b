"""Request recording for tests: per-route counters, a request log and observers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Route template used for requests that match no API route.
UNMATCHED_ROUTE = "UNMATCHED"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it.

    :param route: route template such as ``"GET /jobs/{id}"`` (relative to ``/speechtotext/v1``).
    :param path: the raw request path.
    :param fault: kind of fault applied to it (``None`` if answered normally).
    """

    method: str
    route: str
    path: str
    query: str
    headers: dict[str, str]
    received_at: float
    fault: str | None = None


RequestObserver = Callable[[RecordedRequest], None]


@dataclass
class _Observer:
    callback: RequestObserver
    route: str | None


@dataclass
class RequestRecorder:
    """Thread-safe counters and log of every request, faulted ones included."""

    counts: Counter[str] = field(default_factory=Counter)
    faulted_counts: Counter[str] = field(default_factory=Counter)
    log: list[RecordedRequest] = field(default_factory=list)
    bodies: list[tuple[str, Any]] = field(default_factory=list)
    _observers: list[_Observer] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def record(self, method: str, route: str, path: str, query: str, headers: dict[str, str]) -> int:
        """Count a received request, notify observers and return its index in :attr:`log`."""
        entry = RecordedRequest(method, route, path, query, headers, time.time())
        with self._cond:
            self.counts[route] += 1
            self.log.append(entry)
            index = len(self.log) - 1
            observers = [o for o in self._observers if o.route in (None, route)]
            self._cond.notify_all()
        for observer in observers:
            observer.callback(entry)
        return index

    def record_body(self, route: str, body: Any) -> None:
        """Keep a submission's decoded JSON body as received, before any validation."""
        with self._cond:
            self.bodies.append((route, body))

    def bodies_for(self, route: str) -> list[Any]:
        """Return the kept bodies of ``route``, oldest first."""
        with self._cond:
            return [body for seen, body in self.bodies if seen == route]

    def mark_faulted(self, index: int, fault: str) -> None:
        """Note that the request at ``index`` got a fault instead of (or on top of) its answer."""
        with self._cond:
            entry = self.log[index]
            self.log[index] = RecordedRequest(
                entry.method, entry.route, entry.path, entry.query, entry.headers, entry.received_at, fault
            )
            self.faulted_counts[entry.route] += 1

    def observe(self, callback: RequestObserver, route: str | None = None) -> Callable[[], None]:
        """Call ``callback`` (in the server thread) for each request on ``route``; return an unsubscriber."""
        observer = _Observer(callback, route)
        with self._cond:
            self._observers.append(observer)

        def unsubscribe() -> None:
            with self._cond:
                if observer in self._observers:
                    self._observers.remove(observer)

        return unsubscribe

    def wait_for(self, route: str, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until ``route`` has been requested ``count`` times in total; ``False`` on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.counts[route] >= count, timeout)

    def snapshot(self) -> tuple[Counter[str], Counter[str], list[RecordedRequest]]:
        """Return copies of the counters and of the log."""
        with self._cond:
            return Counter(self.counts), Counter(self.faulted_counts), list(self.log)

    def reset(self) -> None:
        """Forget all counts and the log (observers stay)."""
        with self._cond:
            self.counts.clear()
            self.faulted_counts.clear()
            self.log.clear()
            self.bodies.clear()
