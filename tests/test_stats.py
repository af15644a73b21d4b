"""Streaming word and speaker counts agree with a whole-document parse, whatever the chunking."""

from __future__ import annotations

import json

import pytest

from airflow_provider_rev.models import Transcript
from airflow_provider_rev.stats import TranscriptStats

TRANSCRIPT = {
    "monologues": [
        {
            "speaker": speaker,
            "elements": [
                {"type": "text", "value": f"w{i}", "ts": i, "end_ts": i + 0.5, "confidence": 0.9}
                for i in range(40)
            ]
            + [{"type": "punct", "value": "."}, {"type": "unknown", "value": "<inaudible>"}],
        }
        for speaker in (0, 3, 0, 7)
    ]
}


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 100_000])
def test_json_counts_survive_any_chunking(chunk_size: int) -> None:
    data = json.dumps(TRANSCRIPT, indent=1).encode()
    stats = TranscriptStats("json")
    for start in range(0, len(data), chunk_size):
        stats.feed(data[start : start + chunk_size])
    stats.finish()
    expected = Transcript.from_dict(TRANSCRIPT)
    assert stats.words == expected.word_count == 160
    assert stats.speaker_count == len(expected.speakers) == 3


@pytest.mark.parametrize("chunk_size", [3, 1000])
def test_text_and_caption_counts(chunk_size: int) -> None:
    text = b"Speaker 0    00:00:00    Hello there, world.\nSpeaker 1    00:00:04    Bye - now.\n"
    srt = (
        b"1\n00:00:01,210 --> 00:00:04,840\nHello there, this is\n\n2\n00:00:07,350 --> 00:00:10,970\nfine\n"
    )
    vtt = b"WEBVTT\n\n1\n00:00:00.720 --> 00:00:02.250\nTesting VTT\n"
    for fmt, data, words, speakers in (("text", text, 5, 2), ("srt", srt, 5, None), ("vtt", vtt, 2, None)):
        stats = TranscriptStats(fmt)
        for start in range(0, len(data), chunk_size):
            stats.feed(data[start : start + chunk_size])
        stats.finish()
        assert (stats.words, stats.speaker_count) == (words, speakers), fmt
