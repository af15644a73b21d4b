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
    """

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self._start_wall = datetime.now(UTC)
        self._start_mono = time.monotonic()
        self._advanced = 0.0
        self._lock = threading.Lock()

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
