"""SRT and WebVTT captions derived from a transcript."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from airflow_provider_rev.emulator.transcripts import SENTENCE_END, ElementType, Monologue, Transcript

MAX_WORDS_PER_CUE = 10


class CaptionFormat(StrEnum):
    """Caption media types."""

    SRT = "application/x-subrip"
    VTT = "text/vtt"


@dataclass(frozen=True)
class Cue:
    """One caption cue."""

    start: float
    end: float
    text: str


def _cues(monologue: Monologue) -> list[Cue]:
    cues: list[Cue] = []
    parts: list[str] = []
    words = 0
    start = end = 0.0

    def flush() -> None:
        nonlocal parts, words
        if words:
            cues.append(Cue(start, end, _join(parts)))
        parts, words = [], 0

    for element in monologue.elements:
        if element.type is ElementType.TEXT:
            if words >= MAX_WORDS_PER_CUE:
                flush()
            if not words:
                start = element.ts or 0.0
            end = element.end_ts or end
            words += 1
            parts.append(element.value)
        elif element.type is ElementType.PUNCT and words:
            parts.append(element.value)
            if element.value in SENTENCE_END:
                flush()
    flush()
    return cues


def _join(parts: list[str]) -> str:
    if " " in parts:
        return "".join(parts).strip()
    return " ".join(parts)


def _stamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def render_captions(transcript: Transcript, fmt: CaptionFormat, speaker: int | None = None) -> str:
    """Render captions, optionally only for one speaker channel.

    Cues break at sentence ends and after :data:`MAX_WORDS_PER_CUE` words and never span speakers.
    """
    monologues = [m for m in transcript.monologues if speaker is None or m.speaker == speaker]
    cues = sorted((cue for m in monologues for cue in _cues(m)), key=lambda c: c.start)
    separator = "," if fmt is CaptionFormat.SRT else "."
    blocks = [
        f"{index}\n{_stamp(cue.start, separator)} --> {_stamp(cue.end, separator)}\n{cue.text}\n"
        for index, cue in enumerate(cues, start=1)
    ]
    body = "\n".join(blocks)
    return f"WEBVTT\n\n{body}" if fmt is CaptionFormat.VTT else body
