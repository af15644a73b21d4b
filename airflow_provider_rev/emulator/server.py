"""Running the emulator: an async context manager, and a threaded in-process server for tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from airflow_provider_rev.emulator.app import build_app
from airflow_provider_rev.emulator.config import API_PREFIX, DEFAULT_HOST, EmulatorConfig
from airflow_provider_rev.emulator.core import EmulatorCore
from airflow_provider_rev.emulator.faults import FaultConfig, ScriptedFault
from airflow_provider_rev.emulator.recording import RecordedRequest, RequestObserver
from airflow_provider_rev.emulator.webhooks import WebhookDelivery

T = TypeVar("T")
POLL_SECONDS = 0.01
SHUTDOWN_TIMEOUT = 1.0


def format_base_url(host: str, port: int) -> str:
    """Return ``http://host:port`` (IPv6 hosts in brackets)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.asynccontextmanager
async def running_emulator(
    config: EmulatorConfig, host: str = DEFAULT_HOST, port: int = 0, access_log: bool = False
) -> AsyncIterator[tuple[EmulatorCore, str]]:
    """Serve an emulator in the running loop; yield its core and base URL (``port=0``: a free port)."""
    core = EmulatorCore(config)
    await core.start()
    kwargs: dict[str, Any] = {} if access_log else {"access_log": None}
    runner = web.AppRunner(build_app(core), shutdown_timeout=SHUTDOWN_TIMEOUT, **kwargs)
    try:
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        bound_port = int(runner.addresses[0][1])
        yield core, format_base_url(host, bound_port)
    finally:
        await runner.cleanup()
        await core.close()


class RevAIEmulator:
    """A Rev AI emulator on ``127.0.0.1`` in a background thread with its own event loop.

    Use it as a context manager (or call :meth:`start`/:meth:`stop`); any sync or async client in any
    thread or loop can call it. Keyword arguments override fields of ``config``
    (see :class:`EmulatorConfig`), e.g. ``RevAIEmulator(processing_seconds=0.05)``.

    :param config: base configuration (defaults: :class:`EmulatorConfig`).
    :param host: interface to bind (loopback by default).
    :param port: port to bind (``0``: a free port).
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        **overrides: Any,
    ) -> None:
        self.config = replace(config or EmulatorConfig(), **overrides)
        self.host = host
        self._port = port
        self._base_url: str | None = None
        self._core: EmulatorCore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving; return once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("emulator already started")
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="revai-emulator", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError("the Rev AI emulator failed to start") from self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start()
            self._error = exc
        finally:
            self._ready.set()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with running_emulator(self.config, self.host, self._port) as (core, base_url):
            self._core, self._base_url = core, base_url
            self._ready.set()
            await self._stop.wait()

    def stop(self) -> None:
        """Stop serving and release every socket, task and temporary file."""
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        thread.join()
        self._thread = self._loop = self._stop = self._core = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- addresses ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return the root URL, e.g. ``http://127.0.0.1:8808`` (without ``/speechtotext/v1``)."""
        if self._base_url is None:
            raise RuntimeError("emulator not started")
        return self._base_url

    @property
    def api_url(self) -> str:
        """Return the API root, e.g. ``http://127.0.0.1:8808/speechtotext/v1`` (no trailing slash)."""
        return self.base_url + API_PREFIX

    @property
    def port(self) -> int:
        """Return the bound port."""
        return int(self.base_url.rsplit(":", 1)[1])

    @property
    def token(self) -> str:
        """Return the access token the emulator accepts."""
        return self.config.token

    @property
    def auth_headers(self) -> dict[str, str]:
        """Return ``{"Authorization": "Bearer <token>"}``."""
        return {"Authorization": f"Bearer {self.token}"}

    # ---- access to the loop ------------------------------------------------------------------

    @property
    def core(self) -> EmulatorCore:
        """Return the engine (only touch it from the server loop, e.g. via :meth:`call`)."""
        if self._core is None:
            raise RuntimeError("emulator not started")
        return self._core

    def call(self, func: Callable[[EmulatorCore], T], timeout: float = 10.0) -> T:
        """Run ``func(core)`` in the server loop and return its result."""
        core = self.core
        loop = self._loop
        if loop is None:
            raise RuntimeError("emulator not started")

        async def run() -> T:
            core.advance()
            return func(core)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    # ---- jobs ----------------------------------------------------------------------------------

    def jobs(self) -> list[dict[str, Any]]:
        """Return every stored job as the API renders it, newest first."""
        return self.call(lambda core: [job.to_json() for job in core.store.all()])

    def job(self, job_id: str) -> dict[str, Any] | None:
        """Return one job as the API renders it, or ``None`` if unknown/deleted."""

        def find(core: EmulatorCore) -> dict[str, Any] | None:
            job = core.store.find(job_id)
            return job.to_json() if job is not None else None

        return self.call(find)

    def vocabularies(self) -> list[dict[str, Any]]:
        """Return every stored custom vocabulary as the API renders it, newest first."""
        return self.call(lambda core: [vocabulary.to_json() for vocabulary in core.vocabularies.all()])

    def vocabulary(self, vocab_id: str) -> dict[str, Any] | None:
        """Return one custom vocabulary as the API renders it, or ``None`` if unknown/deleted."""

        def find(core: EmulatorCore) -> dict[str, Any] | None:
            vocabulary = core.vocabularies.find(vocab_id)
            return vocabulary.to_json() if vocabulary is not None else None

        return self.call(find)

    def wait_for_job(self, job_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Poll (in-process, uncounted) until the job leaves ``in_progress``; return it."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job is None:
                raise LookupError(f"job {job_id} does not exist")
            if job["status"] != "in_progress":
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still in progress after {timeout}s")
            time.sleep(POLL_SECONDS)

    def advance_clock(self, seconds: float) -> None:
        """Move emulated time forward; jobs, sub-jobs, vocabularies, deletions and webhook retries follow."""
        self.core.clock.advance(seconds)
        self.call(lambda core: None)

    @property
    def balance_seconds(self) -> int:
        """Return the account balance."""
        return self.call(lambda core: core.store.balance_seconds)

    def set_balance(self, seconds: int) -> None:
        """Set the account balance."""

        def apply(core: EmulatorCore) -> None:
            core.store.balance_seconds = seconds

        self.call(apply)

    def reset(self) -> None:
        """Forget jobs, vocabularies, counters, faults and webhook records; restore the balance."""
        self.call(lambda core: core.reset())

    # ---- requests ------------------------------------------------------------------------------

    @property
    def request_counts(self) -> Counter[str]:
        """Return requests per route template (``"POST /jobs"``, ``"GET /jobs/{id}"``...), faults included."""
        return self.core.recorder.snapshot()[0]

    def received_bodies(self, route: str = "POST /jobs") -> list[Any]:
        """Return the JSON bodies submitted on ``route`` as received (multipart: the options part)."""
        return self.core.recorder.bodies_for(route)

    @property
    def faulted_counts(self) -> Counter[str]:
        """Return requests per route template that got a fault."""
        return self.core.recorder.snapshot()[1]

    @property
    def total_requests(self) -> int:
        """Return the number of requests received."""
        return sum(self.request_counts.values())

    @property
    def requests(self) -> list[RecordedRequest]:
        """Return the request log, oldest first."""
        return self.core.recorder.snapshot()[2]

    def on_request(self, callback: RequestObserver, route: str | None = None) -> Callable[[], None]:
        """Call ``callback(RecordedRequest)`` in the server thread for each request on ``route``.

        Returns a function that unsubscribes.
        """
        return self.core.recorder.observe(callback, route)

    def wait_for_requests(self, route: str, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until ``route`` has been requested ``count`` times; ``False`` on timeout."""
        return self.core.recorder.wait_for(route, count, timeout)

    # ---- faults --------------------------------------------------------------------------------

    @property
    def faults(self) -> FaultConfig:
        """Return the random fault settings."""
        return self.core.faults.config

    def set_faults(self, config: FaultConfig | None = None, **changes: Any) -> FaultConfig:
        """Replace (``config``) or change (keyword arguments) the random fault settings at runtime."""
        if config is not None:
            self.core.faults.configure(config)
        return self.core.faults.update(**changes) if changes else self.core.faults.config

    def inject(
        self,
        route: str | None = None,
        status: int | None = 503,
        *,
        times: int = 1,
        after_commit: bool = False,
        drop: bool = False,
        retry_after: int | None = None,
        delay: float = 0.0,
    ) -> ScriptedFault:
        """Queue a scripted fault for the next ``times`` requests on ``route`` (``None``: any route).

        ``after_commit=True`` runs the real handler first (the job IS created) and then replaces the
        response with the error or drops the connection; ``status=None`` with ``delay`` only slows the
        request down. See :class:`ScriptedFault`.
        """
        fault = ScriptedFault(route, status, times, after_commit, drop, retry_after, delay)
        return self.core.faults.inject(fault)

    def clear_faults(self) -> None:
        """Remove scripted faults and switch random faults off."""
        self.core.faults.clear()

    # ---- webhooks ------------------------------------------------------------------------------

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Return every webhook attempt so far."""
        return self.core.webhooks.deliveries()

    def wait_for_webhooks(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until ``count`` webhook attempts were made; ``False`` on timeout."""
        return self.core.webhooks.wait_for(count, timeout)
