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
#: Whitespace-separated tokens without a letter or digit ("-", "..."): not words.
_NOT_A_WORD = re.compile(r"(?<!\S)[^\w\s]+(?!\S)")
#: "Speaker 0    00:00:00    " starting a line of Rev AI's plain-text format (three tokens).
_TEXT_PREFIX = re.compile(r"^Speaker (\d+)\s{2,}\d{2}:\d{2}:\d{2}\s{2,}", re.MULTILINE)
#: Caption lines that are not spoken text: cue numbers, timings, the WEBVTT header.
_CUE_META = re.compile(r"^(?:\d+|WEBVTT.*|.*-->.*)$", re.MULTILINE)


def _word_count(text: str) -> int:
    """Count tokens with a letter or digit in them ("world," counts, "-" does not)."""
    return len(text.split()) - len(_NOT_A_WORD.findall(text))


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
        text = data.decode("utf-8", errors="replace")
        words = _word_count(text)
        if self.fmt == "text":
            speakers = _TEXT_PREFIX.findall(text)
            self.speakers.update(int(s) for s in speakers)
            words -= 3 * len(speakers)
        elif self.fmt in ("srt", "vtt"):
            words -= sum(_word_count(line) for line in _CUE_META.findall(text))
        self.words += words
