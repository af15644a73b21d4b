"""Counting words and speakers of a transcript while it streams, without holding it in memory.

The fetch operator writes transcripts of any size to storage chunk by chunk; these counters
see the same chunks, so its manifest can report words and speakers without parsing the
whole document afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TEXT_ELEMENT = re.compile(rb'"type"\s*:\s*"text"')
_SPEAKER = re.compile(rb'"speaker"\s*:\s*(\d+)')
_TEXT_LINE = re.compile(r"^Speaker (\d+)\s{2,}\d{2}:\d{2}:\d{2}\s{2,}(.*)$")
_CUE_TIMING = re.compile(r"-->")
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass
class TranscriptStats:
    """Incremental word and speaker counts for one output format.

    :param fmt: ``json`` (Rev AI transcript JSON), ``text`` (Rev AI plain text),
        ``srt``/``vtt`` (captions: words only) or ``summary`` (words only).
    """

    fmt: str
    words: int = 0
    speakers: set[int] = field(default_factory=set)
    _carry: bytes = b""

    def feed(self, chunk: bytes) -> None:
        """Account for the next chunk of the document."""
        data = self._carry + chunk
        # JSON elements never contain '}' or a newline inside the fields we match, so
        # everything up to the last separator is complete and can be counted now.
        separator = b"}" if self.fmt == "json" else b"\n"
        cut = data.rfind(separator) + 1
        self._count(data[:cut])
        self._carry = data[cut:]

    def finish(self) -> TranscriptStats:
        """Count what is left after the last chunk and return ``self``."""
        self._count(self._carry)
        self._carry = b""
        return self

    @property
    def speaker_count(self) -> int | None:
        """Number of distinct speakers, or ``None`` when the format does not say."""
        return len(self.speakers) if self.fmt in ("json", "text") else None

    def _count(self, data: bytes) -> None:
        if not data:
            return
        if self.fmt == "json":
            self.words += len(_TEXT_ELEMENT.findall(data))
            self.speakers.update(int(m) for m in _SPEAKER.findall(data))
            return
        for line in data.decode("utf-8", errors="replace").splitlines():
            self._count_line(line.strip())

    def _count_line(self, line: str) -> None:
        if not line:
            return
        if self.fmt == "text":
            match = _TEXT_LINE.match(line)
            if match:
                self.speakers.add(int(match.group(1)))
                line = match.group(2)
        elif self.fmt in ("srt", "vtt"):
            if line.isdigit() or _CUE_TIMING.search(line) or line.startswith("WEBVTT"):
                return
        self.words += sum(1 for token in line.split() if _WORD.search(token))
