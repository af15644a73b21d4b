"""The emulator's clock: wall time that can run faster than real time and be advanced by tests."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


def format_timestamp(moment: datetime) -> str:
    """Format ``moment`` as ISO-8601 UTC with milliseconds and a ``Z`` suffix (``...22.290Z``)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Clock:
    """Emulated UTC time: ``start + elapsed_real * speed + advanced``.

    :param speed: how many emulated seconds pass per real second (``60`` makes a minute take a second).
    :param origin: start from another clock's :attr:`origin` to agree with it (default: now).
    """

    def __init__(self, speed: float = 1.0, *, origin: tuple[datetime, float] | None = None) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self._start_wall, self._start_mono = origin or (datetime.now(UTC), time.monotonic())
        self._advanced = 0.0
        self._lock = threading.Lock()

    @property
    def origin(self) -> tuple[datetime, float]:
        """Return an emulated moment and the :func:`time.monotonic` reading it belongs to.

        ``Clock(clock.speed, origin=clock.origin)`` reads the same time as ``clock`` until either
        is advanced, in this process or another one on the same host (Linux and macOS share one
        monotonic clock between processes): a client can follow an emulator's compressed time.
        """
        with self._lock:
            return self._start_wall + timedelta(seconds=self._advanced), self._start_mono

    def now(self) -> datetime:
        """Return the current emulated time (timezone-aware, UTC)."""
        with self._lock:
            elapsed = (time.monotonic() - self._start_mono) * self.speed + self._advanced
        return self._start_wall + timedelta(seconds=elapsed)

    def advance(self, seconds: float) -> None:
        """Jump the emulated time forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._advanced += seconds

    def real_seconds(self, emulated_seconds: float) -> float:
        """Convert an emulated duration into real seconds."""
        return emulated_seconds / self.speed
