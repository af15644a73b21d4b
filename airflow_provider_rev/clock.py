"""The clock waiting code reads and sleeps on: wall time by default, injectable for benchmarks.

Triggers hold deadlines as epoch seconds (``end_time``, ``first_check_at``) so they survive a
triggerer restart; every "now" and every pause in the waiting code goes through one
:class:`Clock`, so a benchmark can run hours of waiting in seconds by handing the trigger a
compressed clock (``TranscriptTrigger.clock = ...``) that agrees with the emulator's.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time in epoch seconds, and an async pause measured on the same clock."""

    def time(self) -> float:
        """Return the current time in epoch seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Pause for ``seconds`` of this clock's time."""
        ...


class SystemClock:
    """The real clock: :func:`time.time` and :func:`asyncio.sleep`."""

    def time(self) -> float:
        """Return the current time in epoch seconds."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """Pause for ``seconds`` real seconds."""
        await asyncio.sleep(max(0.0, seconds))


SYSTEM_CLOCK = SystemClock()
