"""``Accept`` header negotiation for the result endpoints.

Rules: no ``Accept`` header -> the endpoint's default; otherwise the first listed media type the
endpoint supports wins (parameters such as ``q`` are ignored, several header lines are fine, as the Go
SDK sends). Wildcards such as ``*/*`` are *not* supported: they get the documented 406 whose
``current_value`` is the header as sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from multidict import CIMultiDictProxy

from airflow_provider_rev.emulator.errors import ProblemError, unsupported_output_format

TRANSCRIPT_JSON = "application/vnd.rev.transcript.v1.0+json"
TEXT = "text/plain"
JSON = "application/json"
SRT = "application/x-subrip"
VTT = "text/vtt"

TRANSCRIPT_TYPES = (TEXT, TRANSCRIPT_JSON)
CAPTION_TYPES = (SRT, VTT)
SUMMARY_TYPES = (TEXT, JSON)


def negotiate(headers: CIMultiDictProxy[str], allowed: Sequence[str], default: str) -> str:
    """Pick the response media type or raise the 406 problem."""
    values = headers.getall("Accept", [])
    if not values:
        return default
    for value in values:
        for item in value.split(","):
            media_type = item.split(";", 1)[0].strip().lower()
            if media_type in allowed:
                return media_type
    raise ProblemError(unsupported_output_format(", ".join(values), list(allowed)))
