"""The emulator's engine: job and vocabulary stores, media fetching, webhooks, faults and the clock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from pathlib import Path

import aiohttp

from airflow_provider_rev.emulator.clock import Clock
from airflow_provider_rev.emulator.config import EmulatorConfig
from airflow_provider_rev.emulator.faults import FaultPlan
from airflow_provider_rev.emulator.media import FetchedMedia, MediaFailure, MediaFetcher
from airflow_provider_rev.emulator.options import JobOptions, VocabularyOptions
from airflow_provider_rev.emulator.ratelimit import TokenBucket
from airflow_provider_rev.emulator.recording import RequestRecorder
from airflow_provider_rev.emulator.state import Job, JobStore
from airflow_provider_rev.emulator.status import FailureCode
from airflow_provider_rev.emulator.vocabularies import Vocabulary, VocabularyStore
from airflow_provider_rev.emulator.webhooks import CUSTOM_VOCABULARY, JOB, WebhookDispatcher

log = logging.getLogger(__name__)


class EmulatorCore:
    """Everything one emulator instance knows; lives in (and is only driven from) one event loop.

    Call :meth:`start` inside the loop before serving and :meth:`close` when done.
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock = Clock(config.clock_speed)
        self.store = JobStore(config, self.clock)
        self.vocabularies = VocabularyStore(config, self.clock)
        self.faults = FaultPlan(config.faults)
        self.rate_limit: TokenBucket | None = None
        if config.rate_limit_per_second is not None:
            self.rate_limit = TokenBucket(
                self.clock, config.rate_limit_per_second, config.effective_rate_limit_burst
            )
        self.recorder = RequestRecorder()
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._fetcher: MediaFetcher | None = None
        self._webhooks: WebhookDispatcher | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the client session and the work directory, start the ticker."""
        self._workdir = tempfile.TemporaryDirectory(prefix="revai-emulator-")
        self._session = aiohttp.ClientSession()
        self._fetcher = MediaFetcher(
            self._session,
            Path(self._workdir.name),
            self.config.media_roots,
            self.config.allow_remote_media,
            self.config.download_timeout,
        )
        self._webhooks = WebhookDispatcher(self._session, self.clock, self.config)
        self._ticker = asyncio.get_running_loop().create_task(self._tick_forever())

    async def close(self) -> None:
        """Stop background work and release the session and the work directory."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._webhooks is not None:
            await self._webhooks.close()
        if self._session is not None:
            await self._session.close()
        if self._workdir is not None:
            self._workdir.cleanup()

    @property
    def workdir(self) -> Path:
        """Return the directory for temporary media files."""
        if self._workdir is None:
            raise RuntimeError("emulator core not started")
        return Path(self._workdir.name)

    @property
    def webhooks(self) -> WebhookDispatcher:
        """Return the webhook dispatcher."""
        if self._webhooks is None:
            raise RuntimeError("emulator core not started")
        return self._webhooks

    def submit(self, options: JobOptions, name: str | None = None, upload: FetchedMedia | None = None) -> Job:
        """Create a job and start fetching and probing its media in the background."""
        job = self.store.create(options, name)
        task = asyncio.get_running_loop().create_task(self._process(job, upload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def submit_vocabulary(self, options: VocabularyOptions) -> Vocabulary:
        """Create a custom vocabulary; it finishes on the ticking clock like jobs do."""
        return self.vocabularies.create(options)

    async def _process(self, job: Job, upload: FetchedMedia | None) -> None:
        if self._fetcher is None:
            raise RuntimeError("emulator core not started")
        try:
            media = upload
            if media is None:
                source = job.options.media_source
                if source is None:
                    raise MediaFailure(FailureCode.INVALID_MEDIA)
                media = await self._fetcher.fetch(source)
            info = await self._fetcher.probe(media)
        except MediaFailure as failure:
            self.store.resolve(job, None, None, failure)
        except Exception:  # the emulator must never leave a job hanging
            log.exception("processing job %s failed", job.id)
            self.store.resolve(job, None, None, MediaFailure(FailureCode.INTERNAL_PROCESSING))
        else:
            self.store.resolve(job, info, media.sidecar, None)
        self.advance()

    def advance(self) -> None:
        """Apply due transitions and send webhooks for jobs and vocabularies that just finished."""
        for job in self.store.advance():
            if job.options.webhook is not None:
                self.webhooks.schedule(job.id, job.options.webhook, job.to_json(), JOB)
        for vocabulary in self.vocabularies.advance():
            if vocabulary.options.webhook is not None:
                self.webhooks.schedule(
                    vocabulary.id, vocabulary.options.webhook, vocabulary.to_json(), CUSTOM_VOCABULARY
                )
        self.webhooks.dispatch_due()

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.tick_seconds)
            try:
                self.advance()
            except Exception:
                log.exception("emulator tick failed")

    def reset(self) -> None:
        """Forget jobs, vocabularies, counters, faults and webhook records; refill the rate limit."""
        self.store.reset()
        self.vocabularies.reset()
        self.recorder.reset()
        self.faults.clear()
        self.webhooks.reset()
        if self.rate_limit is not None:
            self.rate_limit.reset()
