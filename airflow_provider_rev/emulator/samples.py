"""Deterministic sample media for tests and demos."""

from __future__ import annotations

import math
import os
import struct
import wave
from pathlib import Path

#: Peak amplitude of the generated tone (16-bit PCM): quiet, but clearly not silence.
AMPLITUDE = 1000


def make_wav(
    path: str | os.PathLike[str],
    seconds: float,
    channels: int = 1,
    rate: int = 16000,
    frequency: float = 440.0,
) -> Path:
    """Write a 16-bit PCM WAV with a quiet sine tone and return its path.

    Channel ``n`` carries ``frequency * (n + 1)`` Hz so channels differ. The bytes depend only on the
    arguments, so the emulator's placeholder transcript for the file is reproducible.

    :param path: file to write (parent directories must exist).
    :param seconds: duration; ``0`` writes a valid WAV without frames (the emulator reports ``empty_media``).
    :param channels: number of channels (1-8 makes sense for ``speaker_channels_count``).
    :param rate: sample rate in Hz.
    :param frequency: tone of the first channel in Hz.
    """
    if seconds < 0 or channels < 1 or rate < 1:
        raise ValueError("seconds must be >= 0, channels and rate >= 1")
    target = Path(path)
    frames = round(seconds * rate)
    steps = [2 * math.pi * frequency * (ch + 1) / rate for ch in range(channels)]
    with wave.open(str(target), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        block = 4096
        for start in range(0, frames, block):
            samples = [
                round(AMPLITUDE * math.sin(step * index))
                for index in range(start, min(start + block, frames))
                for step in steps
            ]
            wav.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return target
