"""Configuration of an emulator instance."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_rev.emulator.faults import FaultConfig

DEFAULT_TOKEN = "emulator-token"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8808
API_PREFIX = "/speechtotext/v1"
#: Multipart uploads above this many bytes get 413 (Rev's limit is "< 2 GB").
DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class EmulatorConfig:
    """Settings of one emulator; every duration is in emulated seconds (see ``clock_speed``).

    :param token: the only access token accepted (``Authorization: Bearer <token>``).
    :param processing_seconds: fixed processing time of every job.
    :param seconds_per_audio_second: extra processing time per second of audio.
    :param nlp_seconds: summarization time after transcription (``None``: ``processing_seconds``); target
        language ``i`` (0-based, request order) of a translation takes ``nlp_seconds * (1 + 0.5 * i)``.
    :param vocabulary_seconds: custom vocabulary processing time (``None``: ``processing_seconds``).
    :param fail_summaries: every summarization sub-job ends ``failed`` (``internal_processing``).
    :param fail_translation_languages: these translation target languages end ``failed``
        (``internal_processing``); the others complete. Any collection of codes is turned into a frozenset.
    :param fail_vocabularies: every custom vocabulary ends ``failed`` (``internal_processing``).
    :param min_duration_seconds: shorter media fails with ``duration_too_short``.
    :param max_duration_seconds: longer media fails with ``duration_exceeded`` (17 h, Rev's maximum).
    :param max_upload_bytes: multipart uploads above this size get 413.
    :param balance_seconds: starting account balance; each transcribed job costs ``ceil(duration)`` seconds
        times its speaker channels (``test_mode`` jobs are free); a job that does not fit fails
        ``insufficient_balance``.
    :param email: account e-mail returned by ``GET /account``.
    :param media_root: directory, or directories, searched for sidecar transcripts
        (``<stem>.txt``). An upload carries only its file name, so this is where the words of
        uploaded media come from; ``file://`` and downloaded media also find theirs beside them.
    :param allow_file_urls: accept ``file://`` media URLs (emulator extension).
    :param allow_remote_media: download media from non-loopback hosts (off by default: CI stays offline).
    :param download_timeout: seconds allowed per media download.
    :param webhook_retry_seconds: interval between webhook attempts after a non-200 answer (Rev: 30 min).
    :param webhook_retry_window_seconds: stop retrying this long after the first attempt (Rev: 24 h).
    :param webhook_timeout_seconds: timeout of one webhook attempt (real seconds).
    :param clock_speed: emulated seconds per real second (e.g. ``3600`` turns an hour into a second).
    :param tick_seconds: how often (real seconds) the background task applies due transitions.
    :param list_window_days: ``GET /jobs`` only lists jobs created within this many days.
    :param seed: seed for job ids (``None``: random ids).
    :param faults: random fault settings.
    :param rate_limit_per_second: account-wide limit on requests per emulated second, every route
        together (``None``: no limit); a request over it gets 429 with ``Retry-After`` (see
        :mod:`~airflow_provider_rev.emulator.ratelimit`).
    :param rate_limit_burst: requests admitted at once after a quiet spell (``None``: one second's
        worth, at least 1).
    """

    token: str = DEFAULT_TOKEN
    processing_seconds: float = 2.0
    seconds_per_audio_second: float = 0.0
    nlp_seconds: float | None = None
    vocabulary_seconds: float | None = None
    fail_summaries: bool = False
    fail_translation_languages: frozenset[str] = frozenset()
    fail_vocabularies: bool = False
    min_duration_seconds: float = 1.0
    max_duration_seconds: float = 17 * 3600.0
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    balance_seconds: int = 360_000
    email: str = "emulator@example.com"
    media_root: Path | Sequence[Path] | None = None
    allow_file_urls: bool = True
    allow_remote_media: bool = False
    download_timeout: float = 30.0
    webhook_retry_seconds: float = 1800.0
    webhook_retry_window_seconds: float = 86400.0
    webhook_timeout_seconds: float = 10.0
    clock_speed: float = 1.0
    tick_seconds: float = 0.01
    list_window_days: int = 30
    seed: int | None = None
    faults: FaultConfig = field(default_factory=FaultConfig)
    rate_limit_per_second: float | None = None
    rate_limit_burst: int | None = None

    def __post_init__(self) -> None:
        """Take any collection of codes for ``fail_translation_languages``; check the rate limit."""
        languages: Any = self.fail_translation_languages
        if isinstance(languages, str):
            raise TypeError("fail_translation_languages takes a collection of language codes, not a string")
        object.__setattr__(self, "fail_translation_languages", frozenset(languages))
        if self.rate_limit_per_second is not None and self.rate_limit_per_second <= 0:
            raise ValueError("rate_limit_per_second must be positive (None: no limit)")
        if self.rate_limit_burst is not None and self.rate_limit_burst < 1:
            raise ValueError("rate_limit_burst must be at least 1")

    @property
    def media_roots(self) -> tuple[Path, ...]:
        """Return the sidecar directories, in search order."""
        if self.media_root is None:
            return ()
        if isinstance(self.media_root, (str, Path)):
            return (Path(self.media_root),)
        return tuple(Path(root) for root in self.media_root)

    @property
    def effective_rate_limit_burst(self) -> int:
        """Return the bucket size of the rate limit: ``rate_limit_burst``, else one second's worth."""
        if self.rate_limit_burst is not None:
            return self.rate_limit_burst
        return max(1, math.ceil(self.rate_limit_per_second or 1.0))

    @property
    def effective_nlp_seconds(self) -> float:
        """Return how long summarization (and the first translation language) takes."""
        return self.processing_seconds if self.nlp_seconds is None else self.nlp_seconds

    @property
    def effective_vocabulary_seconds(self) -> float:
        """Return how long a custom vocabulary takes to process."""
        return self.processing_seconds if self.vocabulary_seconds is None else self.vocabulary_seconds
