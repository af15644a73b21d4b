"""Deterministic summaries and pseudo-translations derived from a transcript.

* Summary (paragraph): the first three sentences of the transcript (at most 60 words); bullets: the
  same sentences as a list; custom ``prompt``: a ``## Summary`` heading, a blank line and the paragraph
  (Markdown, as the real API returns for prompts).
* Translation to ``lang``: the same transcript with every word prefixed by ``"<lang>:"`` (e.g.
  ``es:hello``), so tests can tell translated output apart while timings stay identical.
"""

from __future__ import annotations

import re
from dataclasses import replace

from airflow_provider_rev.emulator.options import SummarizationRequest, SummaryFormat
from airflow_provider_rev.emulator.transcripts import ElementType, Monologue, Transcript

MAX_SENTENCES = 3
MAX_SUMMARY_WORDS = 60
EMPTY_SUMMARY = "The recording contains no speech."
_SENTENCES = re.compile(r"(?<=[.?!])\s+")


def _sentences(transcript: Transcript) -> list[str]:
    text = " ".join(m.text() for m in transcript.monologues)
    sentences = [s.strip() for s in _SENTENCES.split(text) if s.strip()][:MAX_SENTENCES]
    capped: list[str] = []
    budget = MAX_SUMMARY_WORDS
    for sentence in sentences:
        words = sentence.split()[:budget]
        if not words:
            break
        capped.append(" ".join(words))
        budget -= len(words)
    return capped


def summary_bullets(transcript: Transcript) -> list[str]:
    """Return the bullet points of a ``bullets`` summary."""
    return _sentences(transcript) or [EMPTY_SUMMARY]


def summary_text(transcript: Transcript, request: SummarizationRequest) -> str:
    """Return the summary as plain text (Markdown for prompts, ``- `` lines for bullets)."""
    sentences = _sentences(transcript) or [EMPTY_SUMMARY]
    if request.type is SummaryFormat.BULLETS:
        return "\n".join(f"- {s}" for s in sentences)
    paragraph = " ".join(sentences)
    return f"## Summary\n\n{paragraph}" if request.prompt else paragraph


def translate(transcript: Transcript, language: str) -> Transcript:
    """Return the pseudo-translation of ``transcript`` into ``language``."""
    return Transcript(
        tuple(
            Monologue(
                m.speaker,
                tuple(
                    replace(e, value=f"{language}:{e.value}") if e.type is ElementType.TEXT else e
                    for e in m.elements
                ),
            )
            for m in transcript.monologues
        )
    )
