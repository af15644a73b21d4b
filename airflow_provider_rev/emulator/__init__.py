"""A local emulator of Rev AI's asynchronous speech-to-text API, for developing and testing DAGs offline.

Think moto/LocalStack: same paths, verbs, headers, status codes and bodies as the API reference,
rooted at ``/speechtotext/v1``, with jobs that really download/read media and finish after a
configurable processing time. It depends only on the standard library and aiohttp and does not use
the rest of the provider (it is an independent reference implementation).

Running it
==========

Command line (binds ``127.0.0.1:8808`` by default and accepts the token ``emulator-token``)::

    python -m airflow_provider_rev.emulator --processing-seconds 1
    # Rev AI emulator listening on http://127.0.0.1:8808 (token: emulator-token)
    export AIRFLOW_CONN_REVAI_DEFAULT='revai://:emulator-token@127.0.0.1:8808'

Flags: ``--host --port --token --processing-seconds --seconds-per-audio-second --nlp-seconds
--vocabulary-seconds --min-duration-seconds --balance-seconds --max-upload-bytes --media-root
--allow-remote-media --webhook-retry-seconds --webhook-retry-window-seconds --clock-speed``, the outcome
switches ``--fail-summaries --fail-translation-languages de,fr --fail-vocabularies``, the account's rate
limit ``--rate-limit-per-second --rate-limit-burst`` and the fault flags ``--rate-limit-fraction
--retry-after --error-fraction --drop-fraction --latency --fault-routes --seed``; ``--verbose`` logs every
request. SIGINT/SIGTERM stop it cleanly.

In-process, for tests (a free port, a background thread with its own event loop)::

    from airflow_provider_rev.emulator import RevAIEmulator, make_wav

    with RevAIEmulator(processing_seconds=0.05) as emu:
        wav = make_wav(tmp_path / "hello.wav", seconds=2)
        requests.post(emu.api_url + "/jobs", headers=emu.auth_headers,
                      json={"source_config": {"url": wav.as_uri()}})
        emu.request_counts["POST /jobs"]          # 1
        emu.inject("POST /jobs", 503, after_commit=True)   # next submit: job created, answer 503

``emu.base_url`` is the root (what a ``revai`` connection's host takes); ``emu.api_url`` adds
``/speechtotext/v1``. A pytest fixture lives in :mod:`airflow_provider_rev.emulator.pytest_plugin`.

Behaviour
=========

* Every request needs ``Authorization: Bearer <token>`` (else 401 problem body).
* Jobs go ``in_progress`` -> ``transcribed`` after ``processing_seconds + duration *
  seconds_per_audio_second`` (emulated seconds; ``clock_speed`` and :meth:`RevAIEmulator.advance_clock`
  compress time), or -> ``failed`` with ``failure``/``failure_detail``: ``download_failure`` (unreachable
  URL, non-200, missing ``file://`` path, non-loopback host unless ``allow_remote_media``),
  ``invalid_media`` (unrecognised bytes, or ``speaker_channels_count`` above the WAV's channels),
  ``empty_media`` (zero bytes / zero frames), ``duration_too_short`` (below ``min_duration_seconds``,
  default **1.0 s**), ``duration_exceeded`` (above 17 h), ``insufficient_balance`` (billed
  ``ceil(duration) * channels`` seconds exceed the account balance; the balance is charged when the
  media has been probed, ``test_mode`` jobs are free).
* Media: ``http(s)`` URLs are downloaded (with ``source_config.auth_headers``), ``file://`` URLs read
  from disk (an emulator extension), uploads streamed to a temporary file (never held in memory).
  WAV duration/channels are measured exactly with :mod:`wave` (or a RIFF walk for non-PCM WAV); MP3,
  FLAC, Ogg, MP4/M4A and WebM are recognised by magic bytes and their duration estimated from the
  size (:data:`~airflow_provider_rev.emulator.media.ESTIMATED_BITRATES`); their channel count is not
  measured, so the ``speaker_channels_count`` check only applies to WAV.
* Transcripts are deterministic (see :mod:`airflow_provider_rev.emulator.transcripts`): a *sidecar*
  transcript (URL media: the same URL with the extension replaced by ``.txt``; ``file://`` media:
  ``<stem>.txt`` next to the file or in a ``media_root`` folder; uploads, which carry only a file name:
  ``<stem>.txt`` in a ``media_root`` folder, and a warning naming ``--media-root`` when there is none) with
  optional ``Speaker N:`` line prefixes, else placeholder words seeded by the media bytes.
* Sub-jobs: each has its own schedule, counted from the moment the job is transcribed. Summarization
  finishes after ``nlp_seconds``; translation target language ``i`` (0-based, in request order) after
  ``nlp_seconds * (1 + 0.5 * i)``, so languages finish one after another, and ``translation.completed_on``
  is set once every language has left ``in_progress`` (the last one's end). ``fail_summaries`` ends every
  summarization ``failed`` and ``fail_translation_languages`` ends those target languages ``failed``
  (``failure: "internal_processing"``; the other languages complete). When the job fails, its sub-jobs
  fail at once with the job's failure code. A sub-job that ended (completed or failed) has ``completed_on``.
* Custom vocabularies (``/vocabularies``): ``POST`` validates like the matching job options (1-50
  ``{"phrases": [...]}`` objects with non-empty phrases, ``metadata`` <= 512, ``callback_url`` xor
  ``notification_config``, boolean ``strict_custom_vocabulary``) and answers the vocabulary object
  (``cv`` + 12 alphanumerics, seeded by ``seed`` separately from job ids). It goes ``in_progress`` ->
  ``complete`` after ``vocabulary_seconds`` (default ``processing_seconds``) on the same clock as jobs, or
  -> ``failed`` (``internal_processing``) with ``fail_vocabularies``. ``GET /vocabularies?limit=`` lists
  newest first (default 100, 0..1000). ``POST /jobs`` with a ``custom_vocabulary_id`` that is unknown,
  deleted, ``in_progress`` or ``failed`` -> 404 (after the 400 validation, for JSON and multipart).
* Webhooks (``callback_url`` or ``notification_config``): ``POST {"job": <job>}`` as JSON with the
  configured ``Authorization`` header when the job is transcribed or fails (not when summary or
  translation finish), ``POST {"custom_vocabulary": <vocabulary>}`` when a vocabulary completes or fails;
  any answer but 200 is retried every ``webhook_retry_seconds`` until ``webhook_retry_window_seconds``
  after the first attempt. Attempts are recorded (:attr:`RevAIEmulator.webhook_deliveries`).
* ``delete_after_seconds``: the job disappears that long after completion (then 404).
* Rate limit (off by default): with ``rate_limit_per_second``, every request (all routes together) takes a
  token from a bucket of ``rate_limit_burst`` tokens (default: one second's worth) refilled at that rate on
  the emulated clock; a request finding it empty gets 429 with ``Retry-After`` (whole emulated seconds
  until a token is free, at least 1) and the problem body, takes no token, and is counted in
  ``faulted_counts`` (fault ``rate_limit`` in the request log). Rev AI does not document its status
  request limits; this tests whether a client *causes* 429s, where ``rate_limit_fraction`` tests that it
  copes with them.

Choices where the reference is unconfirmed
==========================================

* ``Accept: */*`` (or any unsupported type) on transcript/captions/summary -> 406 with the documented
  body; a *missing* ``Accept`` gets the default (transcript JSON, SRT, summary JSON). With several
  values the first supported one wins.
* Captions of a ``speaker_channels_count`` job without ``speaker_channel`` -> the documented **405**
  ``invalid-job-properties`` body (not 400). ``speaker_channel`` on other jobs, or out of range -> 400.
* The multipart JSON part may be named ``options`` or ``config``; upload ``name`` is the base name of
  the part's filename (the Python SDK sends a full path).
* ``machine_v2`` is still accepted as a transcriber. Unknown submission fields are ignored (pass-through).
* Custom vocabulary 404s (``GET``/``DELETE`` of an unknown id, or a job naming an unusable one) use
  ``{"type": "https://www.rev.ai/api/v1/errors/custom-vocabulary-not-found", "title": "could not find
  custom vocabulary", "status": 404}`` (plus a ``detail`` on job submission); Rev's exact body is
  undocumented. ``DELETE /vocabularies/{id}`` answers 204 in any status (no 409 is documented).
  ``/vocabularies/`` with a trailing slash (what the Python SDK sends) is the same route. Vocabularies are
  listed without a time window and never expire; ``strict_custom_vocabulary`` and the phrases are not
  echoed.
* 400 bodies use the live ``parameters`` spelling. Bad ``source_config.url`` is reported under
  ``source_config.url`` with the same wording as the documented ``media_url`` message.
* ``GET /jobs?starting_after=<unknown id>`` -> 400 (``parameters.starting_after``).
* Summary/translation results: job not transcribed -> 409 (``allowed_values: ["transcribed"]``);
  not requested (or language not requested) -> 404 problem; sub-job still running or failed -> 409 with
  ``allowed_values: ["completed"]`` and ``current_value`` ``in_progress`` / ``failed``. The staggered
  translation schedule above is an emulator choice. Summaries/translations are derived deterministically
  (:mod:`.nlp`).
* 429 answers carry ``Retry-After`` (seconds; not documented by Rev) and a problem body. Injected 502
  and 504 answers have an HTML body (as a gateway would send), 500/503 a problem body.
* Content types: job/list/account/summary JSON ``application/json``; transcript JSON
  ``application/vnd.rev.transcript.v1.0+json``; text bodies (``text/plain``, ``application/x-subrip``,
  ``text/vtt``) carry ``; charset=utf-8``; errors ``application/problem+json``.
* ``text/plain`` transcripts: one ``Speaker N    HH:MM:SS    text`` line per monologue, joined by
  newlines, without a trailing newline.
* Timestamps have millisecond precision (``2024-01-02T03:04:05.678Z``); job ids are 12 alphanumerics,
  vocabulary ids ``cv`` + 12.
"""

from __future__ import annotations

from airflow_provider_rev.emulator.config import (
    API_PREFIX,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_TOKEN,
    EmulatorConfig,
)
from airflow_provider_rev.emulator.faults import FaultConfig, ScriptedFault
from airflow_provider_rev.emulator.media_server import serve_media
from airflow_provider_rev.emulator.recording import RecordedRequest
from airflow_provider_rev.emulator.samples import make_wav
from airflow_provider_rev.emulator.server import RevAIEmulator, running_emulator
from airflow_provider_rev.emulator.status import FailureCode, JobStatus, TaskStatus
from airflow_provider_rev.emulator.webhooks import WebhookDelivery

__all__ = [
    "API_PREFIX",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_TOKEN",
    "EmulatorConfig",
    "FailureCode",
    "FaultConfig",
    "JobStatus",
    "RecordedRequest",
    "RevAIEmulator",
    "ScriptedFault",
    "TaskStatus",
    "WebhookDelivery",
    "make_wav",
    "running_emulator",
    "serve_media",
]
