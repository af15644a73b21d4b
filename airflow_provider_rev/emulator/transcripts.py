"""Deterministic transcripts: sidecar text or seeded placeholder words, shaped by the job options.

Rules (documented for users of the emulator):

* Words come from the sidecar transcript if one was found, else ``~2.5`` placeholder words per second
  of audio: sentences of :data:`PLACEHOLDER_SENTENCES` picked by a generator seeded with the media
  digest (so the same file always gives the same transcript). Every two sentences the speaker
  changes, cycling through ``speakers_count`` speakers (default 2). The placeholder text now and then
  contains ``um``/``uh`` so ``remove_disfluencies`` has something to remove.
* Sidecar lines may start with ``Speaker N:`` to assign speaker ``N`` (later lines keep the last
  speaker); ``<laugh>``-style tokens become ``unknown`` elements (atmospherics).
* Words are spread evenly over the audio duration (per channel for ``speaker_channels_count`` jobs);
  confidences are deterministic values between 0.75 and 1.0.
* ``skip_diarization``: speaker 0 only. ``speaker_channels_count=C``: the speaker is the channel index
  (sidecar speaker ``N`` goes to channel ``N mod C``; placeholder sentences alternate channels).
* ``skip_punctuation``: no ``punct`` elements at all. ``skip_postprocessing``: lower case, no
  punctuation marks (spaces stay). ``remove_disfluencies``: drops um/uh/erm (and atmospherics).
  ``remove_atmospherics``: drops ``<...>`` tokens. ``filter_profanity``: words in :data:`PROFANITY`
  keep their first and last letter, the rest become ``*``.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from airflow_provider_rev.emulator.media import MediaInfo
from airflow_provider_rev.emulator.options import JobOptions

WORDS_PER_SECOND = 2.5
PLACEHOLDER_SENTENCES = (
    "The data pipeline runs every night.",
    "We reviewed the results in the morning.",
    "Can you send the audio files to the shared folder?",
    "The report is not ready yet, so we moved the meeting to next week.",
    "Airflow schedules the transcription tasks.",
    "Every transcript is stored safely in the bucket.",
    "Let us check the numbers again before the deadline.",
    "I think the new model works well for long recordings.",
    "Please write down the action items.",
    "Thanks everyone, that is all for today.",
)
DISFLUENCIES = frozenset({"um", "uh", "erm", "uhm"})
PROFANITY = frozenset({"damn", "hell", "shit", "fuck", "crap", "bitch", "bastard", "ass", "asshole"})
SENTENCE_END = frozenset(".?!")
_TRAILING = ".,?!;:"
_SPEAKER_LINE = re.compile(r"^\s*speaker\s+(\d+)\s*:\s*(.*)$", re.IGNORECASE)
_ATMOSPHERIC = re.compile(r"^<[^<>]+>$")


class ElementType(StrEnum):
    """Transcript element types."""

    TEXT = "text"
    PUNCT = "punct"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Element:
    """One transcript element; only ``text`` elements carry timing and confidence."""

    type: ElementType
    value: str
    ts: float | None = None
    end_ts: float | None = None
    confidence: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Render the element, omitting absent members."""
        out: dict[str, Any] = {"type": self.type.value, "value": self.value}
        if self.ts is not None:
            out.update(ts=self.ts, end_ts=self.end_ts, confidence=self.confidence)
        return out


@dataclass(frozen=True)
class Monologue:
    """Consecutive elements of one speaker."""

    speaker: int
    elements: tuple[Element, ...]

    @property
    def start(self) -> float:
        """Return the start of the first timed element (0 if none)."""
        return next((e.ts for e in self.elements if e.ts is not None), 0.0)

    def text(self) -> str:
        """Return the monologue text (values concatenated; space-joined when there are no punct elements)."""
        if any(e.type is ElementType.PUNCT for e in self.elements):
            return "".join(e.value for e in self.elements).strip()
        return " ".join(e.value for e in self.elements)

    def to_json(self) -> dict[str, Any]:
        """Render the monologue."""
        return {"speaker": self.speaker, "elements": [e.to_json() for e in self.elements]}


@dataclass(frozen=True)
class Transcript:
    """A transcript: monologues in time order."""

    monologues: tuple[Monologue, ...]

    def to_json(self) -> dict[str, Any]:
        """Render the ``application/vnd.rev.transcript.v1.0+json`` body."""
        return {"monologues": [m.to_json() for m in self.monologues]}

    def to_text(self) -> str:
        """Render the ``text/plain`` body: ``Speaker N    HH:MM:SS    text`` per monologue."""
        return "\n".join(
            f"Speaker {m.speaker}    {clock_hms(m.start)}    {m.text()}" for m in self.monologues
        )


@dataclass(frozen=True)
class Token:
    """A word (or atmospheric) with the punctuation that follows it."""

    speaker: int
    word: str
    trailing: str = ""

    @property
    def atmospheric(self) -> bool:
        """Tell whether the token is an atmospheric such as ``<laugh>``."""
        return bool(_ATMOSPHERIC.match(self.word))


def clock_hms(seconds: float) -> str:
    """Format whole seconds as ``HH:MM:SS``."""
    total = int(seconds)
    return f"{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}"


def _split_token(raw: str, speaker: int) -> Token | None:
    core = raw.rstrip(_TRAILING)
    if not core:
        return None
    return Token(speaker, core, raw[len(core) :])


def parse_sidecar(text: str) -> list[Token]:
    """Split sidecar text into tokens, honouring ``Speaker N:`` line prefixes."""
    tokens: list[Token] = []
    speaker = 0
    for line in text.splitlines():
        match = _SPEAKER_LINE.match(line)
        if match:
            speaker, line = int(match.group(1)), match.group(2)
        tokens.extend(t for raw in line.split() if (t := _split_token(raw, speaker)) is not None)
    return tokens


def placeholder_tokens(info: MediaInfo, speakers: int) -> list[Token]:
    """Generate ``~2.5`` placeholder words per second of audio from seeded sentence picks.

    Two sentences per speaker turn; now and then an ``um``/``uh`` is inserted. The last sentence is cut
    to fit the word budget.
    """
    rng = random.Random(int(info.digest[:16], 16))
    target = max(1, round(info.duration_seconds * WORDS_PER_SECOND))
    tokens: list[Token] = []
    sentence = 0
    while len(tokens) < target:
        speaker = (sentence // 2) % speakers
        words = rng.choice(PLACEHOLDER_SENTENCES).split()[: target - len(tokens)]
        for index, raw in enumerate(words):
            if index and rng.random() < 0.08:
                tokens.append(Token(speaker, rng.choice(("um", "uh")), ","))
            token = _split_token(raw, speaker)
            if token is not None:
                tokens.append(token)
        if not set(tokens[-1].trailing) & SENTENCE_END:
            tokens[-1] = replace(tokens[-1], trailing=".")
        sentence += 1
    return tokens


def _mask(word: str) -> str:
    return word[0] + "*" * (len(word) - 2) + word[-1] if len(word) > 2 else word


def apply_options(tokens: list[Token], options: JobOptions) -> list[Token]:
    """Apply removal, masking, post-processing and speaker options to ``tokens``."""
    drop_atmospherics = bool(options.remove_atmospherics or options.remove_disfluencies)
    out: list[Token] = []
    for token in tokens:
        lowered = token.word.lower()
        if (options.remove_disfluencies and lowered in DISFLUENCIES) or (
            drop_atmospherics and token.atmospheric
        ):
            if out and set(token.trailing) & SENTENCE_END and not out[-1].trailing:
                out[-1] = replace(out[-1], trailing=token.trailing)
            continue
        if options.filter_profanity and lowered in PROFANITY:
            token = replace(token, word=_mask(token.word))
        if options.skip_postprocessing or options.skip_punctuation:
            token = replace(token, trailing="")
        if options.skip_postprocessing:
            token = replace(token, word=token.word.lower())
        if options.speaker_channels_count:
            token = replace(token, speaker=token.speaker % options.speaker_channels_count)
        elif options.skip_diarization:
            token = replace(token, speaker=0)
        out.append(token)
    return out


def _confidence(seed: int, index: int) -> float:
    return round(0.75 + ((index * 7919 + seed) % 26) / 100, 2)


def _monologues(tokens: list[Token], duration: float, seed: int, punctuate: bool) -> list[Monologue]:
    slot = duration / max(len(tokens), 1)
    monologues: list[Monologue] = []
    current: list[Element] = []
    speaker = tokens[0].speaker if tokens else 0
    for index, token in enumerate(tokens):
        if token.speaker != speaker and current:
            monologues.append(Monologue(speaker, tuple(current)))
            current = []
        speaker = token.speaker
        if current and punctuate:
            current.append(Element(ElementType.PUNCT, " "))
        if token.atmospheric:
            current.append(Element(ElementType.UNKNOWN, token.word))
        else:
            start = index * slot
            current.append(
                Element(
                    ElementType.TEXT,
                    token.word,
                    round(start + slot * 0.05, 3),
                    round(start + slot * 0.9, 3),
                    _confidence(seed, index),
                )
            )
        if punctuate:
            current.extend(Element(ElementType.PUNCT, mark) for mark in token.trailing)
    if current:
        monologues.append(Monologue(speaker, tuple(current)))
    return monologues


def build_transcript(info: MediaInfo, sidecar: str | None, options: JobOptions) -> Transcript:
    """Build the job's transcript from the probed media, the sidecar text (if any) and the options."""
    channels = options.speaker_channels_count
    speakers = channels or options.speakers_count or 2
    tokens = parse_sidecar(sidecar) if sidecar is not None else placeholder_tokens(info, speakers)
    tokens = apply_options(tokens, options)
    seed = int(info.digest[:8], 16)
    punctuate = not options.skip_punctuation
    if not channels:
        return Transcript(tuple(_monologues(tokens, info.duration_seconds, seed, punctuate)))
    monologues: list[Monologue] = []
    for channel in range(channels):
        lane = [t for t in tokens if t.speaker == channel]
        monologues.extend(_monologues(lane, info.duration_seconds, seed + channel, punctuate))
    monologues.sort(key=lambda m: (m.start, m.speaker))
    return Transcript(tuple(monologues))
