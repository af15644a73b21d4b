"""API calls and worker time of waiting for many Rev AI jobs: worker-held polling loops vs the trigger.

Run: ``.venv/bin/python benchmarks/bench_api_calls.py [--jobs N]``. Everything runs against the
in-process emulator on 127.0.0.1 with a compressed clock (``--clock-speed`` simulated seconds per
real second), so poll intervals and processing times pass in a fraction of a second. Requests are
counted by the emulator (the server's view); each approach gets a fresh emulator.

(a) naive: a worker-held ``requests`` loop per job (``post``; ``while True: get; sleep``).
(b) ours: ``SubmitTranscriptionOperator`` (or a submit + ``TranscriptSensor``) deferring to a
    ``TranscriptTrigger`` per job, every trigger in one asyncio loop as the triggerer runs them.
(c) (a) and (b) again with random 429 (``Retry-After``) and 5xx answers on every API route.
(d) the pay-once lookup on a retry: the task state store vs scanning an account of K jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import requests

from airflow_provider_rev.emulator import FaultConfig, RevAIEmulator, make_wav, serve_media

CONN_ID = "revai_bench_calls"
GET_JOB = "GET /jobs/{id}"
POST_JOBS = "POST /jobs"
LIST_JOBS = "GET /jobs"
WAV_RATE = 8  # Hz: the emulator only needs each file's duration, so the files stay tiny


@dataclass(frozen=True)
class Settings:
    """One benchmark run; durations are simulated seconds unless they say otherwise."""

    jobs: int = 200
    clock_speed: float = 60.0
    poll_interval: float = 30.0
    processing_seconds: float = 20.0
    seconds_per_audio_second: float = 0.03
    durations_minutes: tuple[int, ...] = ()
    rate_limit_fraction: float = 0.3
    error_fraction: float = 0.1
    retry_after: int = 1
    retries: int = 3
    scan_sizes: tuple[int, ...] = (1000, 10_000)
    seed: int = 7

    @property
    def real_poll(self) -> float:
        """Return the poll interval in real seconds."""
        return self.poll_interval / self.clock_speed

    def job_minutes(self) -> list[int]:
        """Return each job's media duration in minutes (seeded, 1-60, unless given)."""
        if self.durations_minutes:
            return [self.durations_minutes[i % len(self.durations_minutes)] for i in range(self.jobs)]
        rng = random.Random(self.seed)
        return [rng.randint(1, 60) for _ in range(self.jobs)]

    def start_delays(self, count: int) -> list[float]:
        """Return when each job's task starts, in real seconds: spread over the first poll interval.

        Tasks never start in the same instant; spreading them (seeded, identical for every
        approach) also keeps the one-process set-up from answering in bursts.
        """
        rng = random.Random(self.seed + 1)
        return [rng.uniform(0, self.real_poll) for _ in range(count)]

    def processing_time(self, minutes: int) -> float:
        """Return how long the emulator takes to transcribe ``minutes`` of audio."""
        return self.processing_seconds + minutes * 60 * self.seconds_per_audio_second

    def emulator(self, faults: bool = False) -> RevAIEmulator:
        """Return a fresh emulator for one approach."""
        fault_config = FaultConfig(
            rate_limit_fraction=self.rate_limit_fraction if faults else 0.0,
            retry_after=self.retry_after,
            error_fraction=self.error_fraction if faults else 0.0,
            seed=self.seed,
        )
        return RevAIEmulator(
            processing_seconds=self.processing_seconds,
            seconds_per_audio_second=self.seconds_per_audio_second,
            clock_speed=self.clock_speed,
            balance_seconds=10**9,
            seed=self.seed,
            faults=fault_config,
        )


# ---- set-up and measurement helpers ------------------------------------------------------------


class ConnectionSampler:
    """Sample /proc/net/tcp for established client connections to one port and keep the peak.

    ``peak`` is ``None`` where /proc/net/tcp cannot be read.
    """

    def __init__(self, port: int, every: float = 0.05) -> None:
        self.pattern = f":{port:04X} 01 "  # remote address ends with the port, state 01 = ESTABLISHED
        self.every = every
        self.peak: int | None = 0
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def count(self) -> int | None:
        total = 0
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as fh:
                    total += fh.read().count(self.pattern)
            except OSError:
                if table == "/proc/net/tcp":
                    return None
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            now = self.count()
            if now is None:
                self.peak = None
                return
            self.samples.append(now)
            self.peak = max(self.peak or 0, now)
            self._stop.wait(self.every)

    @property
    def mean(self) -> float | None:
        return sum(self.samples) / len(self.samples) if self.peak is not None and self.samples else None

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class FakeTI:
    """The parts of a task instance the operators read: identity, try number, XCom pushes."""

    def __init__(self, index: int, try_number: int = 1) -> None:
        self.dag_id, self.run_id, self.task_id = "bench_dag", "bench_run", "transcribe"
        self.map_index, self.try_number = index, try_number
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


class StateStore(dict[str, Any]):
    """The task state store of Airflow 3.3+: kept across the tries of one task instance."""

    def set(self, key: str, value: Any) -> None:
        self[key] = value


def task_context(
    index: int, run_started: datetime, try_number: int = 1, store: StateStore | None = None
) -> dict[str, Any]:
    """Return the context a task instance gets; ``run_started`` is in the emulator's (simulated) time."""
    ctx: dict[str, Any] = {
        "ti": FakeTI(index, try_number),
        "dag_run": SimpleNamespace(start_date=run_started),
    }
    if store is not None:
        ctx["task_state_store"] = store
    return ctx


def emulated_now(emu: RevAIEmulator) -> datetime:
    return emu.call(lambda core: core.clock.now())


@contextlib.contextmanager
def restored_environment() -> Iterator[None]:
    """Undo :func:`use_connection` on the way out."""
    key = f"AIRFLOW_CONN_{CONN_ID.upper()}"
    previous = os.environ.get(key)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = previous


def use_connection(emu: RevAIEmulator) -> None:
    """Point the benchmark's ``revai`` connection at ``emu``."""
    os.environ[f"AIRFLOW_CONN_{CONN_ID.upper()}"] = (
        f'{{"conn_type": "revai", "host": "{emu.base_url}", "password": "{emu.token}"}}'
    )


class ByteCounter:
    """A ``requests`` response hook adding up response body sizes (Content-Length)."""

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.total += int(response.headers.get("Content-Length") or 0)


def release(operator: Any) -> None:
    """Close an operator's sync HTTP session, as the task process ending on deferral would."""
    hook = operator.__dict__.get("hook")
    session = hook.__dict__.get("_session") if hook is not None else None
    if session is not None:
        session.close()


class _Ledger(threading.local):
    slept = 0.0  # simulated seconds this thread spent in the hook's retry waits


LEDGER = _Ledger()


class _Scaled:
    def __init__(self, module: Any, speed: float) -> None:
        self._module, self._speed = module, speed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


class _ScaledTime(_Scaled):
    def sleep(self, seconds: float) -> None:
        LEDGER.slept += seconds
        self._module.sleep(seconds / self._speed)


class _ScaledAsyncio(_Scaled):
    async def sleep(self, seconds: float, result: Any = None) -> Any:
        return await self._module.sleep(seconds / self._speed, result)


@contextlib.contextmanager
def hook_waits_on_emulator_clock(speed: float) -> Iterator[None]:
    """Run the hook's retry waits (Retry-After, backoff) on the emulator's compressed clock.

    The hook's retry policy is untouched; only its ``time.sleep``/``asyncio.sleep`` are scaled
    by ``speed``, like every other wait in the benchmark.
    """
    from airflow_provider_rev.hooks import revai as hook_module

    saved = hook_module.time, hook_module.asyncio
    hook_module.time = _ScaledTime(time, speed)  # type: ignore[assignment]
    hook_module.asyncio = _ScaledAsyncio(asyncio, speed)  # type: ignore[assignment]
    try:
        yield
    finally:
        hook_module.time, hook_module.asyncio = saved


@dataclass
class TaskOutcome:
    """What happened to one job's task(s) in one approach."""

    completed: bool = False
    worker_seconds: float = 0.0  # simulated seconds a worker slot was held
    worker_cpu: float = 0.0
    tries: int = 0
    error: str | None = None


@dataclass
class Row:
    """One approach's figures; request counts are the emulator's."""

    approach: str
    jobs: int
    counts: Counter[str]
    faulted: int
    jobs_created: int
    outcomes: list[TaskOutcome]
    peak_connections: int | None = None
    mean_connections: float | None = None
    check_interval: float | None = None
    early_checks: int = 0
    exact_poller_gets: int = 0
    loop_cpu: float | None = None

    @property
    def completed(self) -> int:
        return sum(o.completed for o in self.outcomes)

    @property
    def worker_seconds(self) -> float:
        return sum(o.worker_seconds for o in self.outcomes)

    @property
    def worker_cpu(self) -> float:
        return sum(o.worker_cpu for o in self.outcomes)

    @property
    def tries(self) -> int:
        return sum(o.tries for o in self.outcomes)

    def errors(self) -> Counter[str]:
        return Counter(o.error for o in self.outcomes if o.error is not None and not o.completed)


def make_row(
    emu: RevAIEmulator,
    settings: Settings,
    label: str,
    outcomes: list[TaskOutcome],
    sampler: ConnectionSampler,
    loop_cpu: float | None = None,
) -> Row:
    """Collect one approach's figures from the emulator (counts, request log, jobs) and the sampler.

    From the request log (simulated seconds): the median gap between two checks of one job, and
    how many came less than 0.9 poll interval after the previous one (early). From the
    jobs' ``created_on``/``completed_on``: how many checks a poller checking exactly every poll
    interval from submission would have made (a yardstick for the latency of this set-up).
    """
    checks: dict[str, list[float]] = {}
    for request in emu.requests:
        if request.route == GET_JOB:
            checks.setdefault(request.path, []).append(request.received_at)
    gaps = sorted(
        (later - earlier) * settings.clock_speed
        for times in checks.values()
        for earlier, later in zip(times, times[1:], strict=False)
    )
    jobs = emu.jobs()
    exact = 0
    for job in jobs:
        if "completed_on" in job:
            took = (_timestamp(job["completed_on"]) - _timestamp(job["created_on"])).total_seconds()
            exact += math.ceil(took / settings.poll_interval) + 1
    return Row(
        label,
        len(outcomes),
        emu.request_counts,
        sum(emu.faulted_counts.values()),
        len(jobs),
        outcomes,
        sampler.peak,
        sampler.mean,
        gaps[len(gaps) // 2] if gaps else None,
        sum(gap < 0.9 * settings.poll_interval for gap in gaps),
        exact,
        loop_cpu,
    )


def _timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class LookupRow:
    """One pay-once lookup: where the earlier job was and what finding it cost."""

    scenario: str
    account_jobs: int
    counts: Counter[str]
    bytes_received: int
    found: bool
    expected: bool


@dataclass
class Report:
    settings: Settings
    waiting: list[Row] = field(default_factory=list)
    faults: list[Row] = field(default_factory=list)
    lookups: list[LookupRow] = field(default_factory=list)


# ---- (a) naive: a worker-held requests loop per job ---------------------------------------------


class NaiveTask:
    """A PythonOperator that submits, then polls with plain ``requests`` while holding its worker."""

    def __init__(self, settings: Settings, api_url: str, token: str, media_url: str, wrapped: bool) -> None:
        self.settings = settings
        self.api_url = api_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.media_url = media_url
        self.wrapped = wrapped
        self.slept = 0.0  # simulated seconds

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        time.sleep(seconds / self.settings.clock_speed)

    def call(self, send: Callable[[], requests.Response]) -> Any:
        while True:
            try:
                response = send()
                response.raise_for_status()
                return response.json()
            except requests.RequestException:
                if not self.wrapped:
                    raise
                self.sleep(self.settings.poll_interval)  # the usual "except: sleep, try again"

    def run(self) -> str:
        job = self.call(
            lambda: requests.post(
                f"{self.api_url}/jobs",
                json={"source_config": {"url": self.media_url}},
                headers=self.headers,
                timeout=30,
            )
        )
        job_url = f"{self.api_url}/jobs/{job['id']}"
        while True:
            job = self.call(lambda: requests.get(job_url, headers=self.headers, timeout=30))
            if job["status"] != "in_progress":
                return str(job["status"])
            self.sleep(self.settings.poll_interval)


def naive_job(
    settings: Settings, api_url: str, token: str, media_url: str, start: float, mode: str
) -> TaskOutcome:
    outcome = TaskOutcome()
    time.sleep(start)
    for attempt in range(1 + (settings.retries if mode == "retries" else 0)):
        if attempt:
            time.sleep(settings.real_poll)  # retry_delay; no worker is held meanwhile
        task = NaiveTask(settings, api_url, token, media_url, wrapped=mode == "wrapped")
        outcome.tries += 1
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            outcome.completed = task.run() == "transcribed"
        except requests.HTTPError as exc:
            outcome.error = f"HTTP {exc.response.status_code}" if exc.response is not None else "HTTPError"
        except (requests.RequestException, ValueError, KeyError) as exc:
            outcome.error = type(exc).__name__
        finally:
            busy = time.perf_counter() - started - task.slept / settings.clock_speed
            outcome.worker_seconds += task.slept + busy
            outcome.worker_cpu += time.thread_time() - cpu
        if outcome.completed:
            break
    return outcome


def run_naive(settings: Settings, media: list[str], label: str, mode: str, faults: bool) -> Row:
    with settings.emulator(faults) as emu:
        with ConnectionSampler(emu.port) as sampler, ThreadPoolExecutor(max_workers=len(media)) as pool:
            outcomes = list(
                pool.map(
                    lambda url, start: naive_job(settings, emu.api_url, emu.token, url, start, mode),
                    media,
                    settings.start_delays(len(media)),
                )
            )
        return make_row(emu, settings, label, outcomes, sampler)


# ---- (b) ours: deferrable operator or sensor, a TranscriptTrigger per job ------------------------


class Worker:
    """Runs task code on a thread pool, timing how long a worker slot would be held."""

    def __init__(self, pool: ThreadPoolExecutor, clock_speed: float) -> None:
        self.pool = pool
        self.clock_speed = clock_speed

    async def run(self, outcome: TaskOutcome, func: Callable[..., Any], *args: Any) -> Any:
        """Run ``func(*args)`` "on a worker"; return its result, or the trigger it deferred to."""
        from airflow.providers.common.compat.sdk import TaskDeferred

        def timed() -> Any:
            started, cpu, slept = time.perf_counter(), time.thread_time(), LEDGER.slept
            try:
                return func(*args)
            except TaskDeferred as deferred:
                return deferred.trigger
            finally:
                waited = LEDGER.slept - slept  # the hook's retry waits, simulated seconds
                busy = time.perf_counter() - started - waited / self.clock_speed
                outcome.worker_seconds += busy + waited
                outcome.worker_cpu += time.thread_time() - cpu

        return await asyncio.get_running_loop().run_in_executor(self.pool, timed)


async def wait_in_triggerer(trigger: Any) -> dict[str, Any]:
    events = [event async for event in trigger.run()]
    return dict(events[0].payload)


async def ours_operator_job(
    settings: Settings, worker: Worker, index: int, media_url: str, start: float, run_started: datetime
) -> TaskOutcome:
    """``SubmitTranscriptionOperator(wait_for_completion=True, deferrable=True)``, with Airflow retries."""
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_rev.operators.revai import SubmitTranscriptionOperator

    await asyncio.sleep(start)
    outcome = TaskOutcome()
    store = StateStore()
    for try_number in range(1, settings.retries + 2):
        outcome.tries += 1
        operator = SubmitTranscriptionOperator(
            task_id="transcribe",
            media_url=media_url,
            wait_for_completion=True,
            deferrable=True,
            poll_interval=settings.real_poll,
            revai_conn_id=CONN_ID,
        )
        ctx = task_context(index, run_started, try_number, store)
        try:
            deferred = await worker.run(outcome, operator.execute, ctx)
            release(operator)
            if isinstance(deferred, BaseTrigger):
                event = await wait_in_triggerer(deferred)
                await worker.run(outcome, operator.execute_complete, ctx, event)
            outcome.completed, outcome.error = True, None
            return outcome
        except Exception as exc:
            release(operator)
            outcome.error = type(exc).__name__
            if getattr(exc, "permanent", False):
                return outcome
            await asyncio.sleep(settings.real_poll)  # retry_delay, as for the naive task
    return outcome


async def ours_sensor_job(
    settings: Settings, worker: Worker, index: int, media_url: str, start: float, run_started: datetime
) -> TaskOutcome:
    """Submit without waiting, then ``TranscriptSensor(deferrable=True)``: one check, defer, resume."""
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_rev.operators.revai import SubmitTranscriptionOperator
    from airflow_provider_rev.sensors.revai import TranscriptSensor

    await asyncio.sleep(start)
    outcome = TaskOutcome(tries=1)
    submit = SubmitTranscriptionOperator(task_id="submit", media_url=media_url, revai_conn_id=CONN_ID)
    job_id = await worker.run(outcome, submit.execute, task_context(index, run_started))
    release(submit)
    sensor = TranscriptSensor(
        task_id="wait",
        job_id=job_id,
        deferrable=True,
        poke_interval=settings.real_poll,
        revai_conn_id=CONN_ID,
    )
    ctx = task_context(index, run_started)
    deferred = await worker.run(outcome, sensor.execute, ctx)
    release(sensor)
    if isinstance(deferred, BaseTrigger):
        event = await wait_in_triggerer(deferred)
        await worker.run(outcome, sensor.execute_complete, ctx, event)
    outcome.completed = True
    return outcome


def run_ours(settings: Settings, media: list[str], label: str, job: Any, faults: bool) -> Row:
    with settings.emulator(faults) as emu:
        use_connection(emu)
        run_started = emulated_now(emu)

        async def all_jobs() -> list[TaskOutcome]:
            with ThreadPoolExecutor(max_workers=len(media)) as pool:
                worker = Worker(pool, settings.clock_speed)
                starts = settings.start_delays(len(media))
                runs = (job(settings, worker, i, url, starts[i], run_started) for i, url in enumerate(media))
                return list(await asyncio.gather(*runs))

        with ConnectionSampler(emu.port) as sampler:
            loop_cpu = time.thread_time()
            outcomes = asyncio.run(all_jobs())
            loop_cpu = time.thread_time() - loop_cpu
        return make_row(emu, settings, label, outcomes, sampler, loop_cpu)


# ---- (d) the pay-once lookup on a retry ------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    label: str
    earlier: str  # where the earlier try's job is: "newest", "oldest" or "none"
    state_store: bool = False
    account_older_than_run: bool = False


SCENARIOS = (
    Scenario("task state store (Airflow 3.3+)", "newest", state_store=True),
    Scenario("scan: earlier job is the newest", "newest"),
    Scenario("scan: K-1 jobs submitted after it", "oldest"),
    Scenario("scan: no earlier job, K in this run", "none"),
    Scenario("scan: no earlier job, K before run", "none", account_older_than_run=True),
)


def seed_account(emu: RevAIEmulator, count: int, earlier_metadata: str, position: str) -> str | None:
    """Fill the account with ``count`` finished jobs (set-up, straight into the store, not counted).

    The earlier try's job (tagged ``earlier_metadata``) is one of them, the ``newest`` or the
    ``oldest``, or absent (``none``); its id is returned.
    """
    from airflow_provider_rev.emulator.media import MediaInfo, MediaKind
    from airflow_provider_rev.emulator.options import parse_options
    from airflow_provider_rev.emulator.status import JobStatus
    from airflow_provider_rev.idempotency import idempotency_key, tag_metadata

    def fill(core: Any) -> str | None:
        rng = random.Random(count)

        def add(metadata: str) -> str:
            body = {"source_config": {"url": "https://media.example.com/call.wav"}, "metadata": metadata}
            job = core.store.create(parse_options(body, multipart=False))
            job.media = MediaInfo(MediaKind.WAV, 1 << 20, float(rng.randint(60, 3600)), 1, "0" * 64)
            job.status, job.completed_at = JobStatus.TRANSCRIBED, job.created_at
            return str(job.id)

        others = count - (position != "none")
        earlier = add(earlier_metadata) if position == "oldest" else None
        for n in range(others):
            add(tag_metadata("nightly", idempotency_key("other_dag", f"run{n}", "transcribe", -1)))
        return add(earlier_metadata) if position == "newest" else earlier

    return emu.call(fill, timeout=120)


def job_lookup(operator: Any) -> Any:
    """The submit operator's pay-once view of its jobs, for the lookup alone (it never sends)."""
    from airflow_provider_rev.idempotency import STATE_STORE_KEY, Submission

    hook = operator.hook
    return Submission(
        "job",
        STATE_STORE_KEY,
        send=lambda: hook.get_job("never-sent"),
        get=hook.get_job,
        recent=lambda: hook.list_jobs(limit=operator.max_scan_jobs),
    )


def run_lookups(settings: Settings) -> list[LookupRow]:
    from airflow_provider_rev.idempotency import STATE_STORE_KEY, PayOnce, idempotency_key, tag_metadata
    from airflow_provider_rev.operators.revai import SubmitTranscriptionOperator

    ti = FakeTI(0, try_number=2)
    key = idempotency_key(ti.dag_id, ti.run_id, ti.task_id, ti.map_index)
    rows: list[LookupRow] = []
    with settings.emulator() as emu:
        use_connection(emu)
        for size in settings.scan_sizes:
            for scenario in SCENARIOS:
                emu.reset()
                run_started = emulated_now(emu)
                earlier = seed_account(emu, size, tag_metadata("nightly", key), scenario.earlier)
                if scenario.account_older_than_run:
                    emu.advance_clock(2 * 3600)
                    run_started = emulated_now(emu)
                emu.core.recorder.reset()
                operator = SubmitTranscriptionOperator(
                    task_id=ti.task_id, media_url="https://media.example.com/a.wav", revai_conn_id=CONN_ID
                )
                received = ByteCounter()
                operator.hook._session.hooks["response"].append(received)
                ctx = {"ti": ti, "dag_run": SimpleNamespace(start_date=run_started)}
                if scenario.state_store:
                    ctx["task_state_store"] = StateStore({STATE_STORE_KEY: earlier})
                found = PayOnce.from_context(ctx).find_earlier(job_lookup(operator))  # type: ignore[arg-type]
                release(operator)
                rows.append(
                    LookupRow(
                        scenario.label,
                        size,
                        emu.request_counts,
                        received.total,
                        found is not None and found.id == earlier,
                        earlier is not None,
                    )
                )
    return rows


# ---- the report --------------------------------------------------------------------------------------


def _opt(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def print_report(report: Report) -> None:
    s = report.settings
    minutes = s.job_minutes()
    work = [s.processing_time(m) for m in minutes]
    print(
        f"{s.jobs} jobs, media {min(minutes)}-{max(minutes)} min (mean {sum(minutes) / len(minutes):.1f}); "
        f"simulated processing {s.processing_seconds:g} s + {s.seconds_per_audio_second:g} s/audio second "
        f"= {min(work):.0f}-{max(work):.0f} s (mean {sum(work) / len(work):.0f})"
    )
    print(
        f"simulated poll interval {s.poll_interval:g} s in every approach; emulator clock x{s.clock_speed:g} "
        f"(a poll sleep is {s.real_poll * 1000:.0f} ms real, and so are the hook's retry waits); "
        "request counts are the emulator's"
    )
    print("tasks start at seeded random times within the first poll interval, the same in every approach")
    print()
    print("(a)/(b) waiting for every job, no faults")
    print(
        f"{'approach':44} {'POST /jobs':>10} {'GET /jobs/{id}':>14} {'per job':>7} {'early GETs':>10} "
        f"{'checked every':>13} {'worker s/job':>12} {'conns peak/mean':>15} {'worker CPU ms/job':>17} "
        f"{'loop CPU ms/trigger':>19} {'completed':>9}"
    )
    for row in report.waiting:
        loop = None if row.loop_cpu is None else row.loop_cpu * 1000 / row.jobs
        conns = f"{_opt(row.peak_connections, 'd')}/{_opt(row.mean_connections, '.0f')}"
        print(
            f"{row.approach:44} {row.counts[POST_JOBS]:>10,} {row.counts[GET_JOB]:>14,} "
            f"{row.counts[GET_JOB] / row.jobs:>7.2f} {row.early_checks:>10,} "
            f"{_opt(row.check_interval, '.1f'):>11} s {row.worker_seconds / row.jobs:>12.3f} {conns:>15} "
            f"{row.worker_cpu * 1000 / row.jobs:>17.2f} {_opt(loop, '.2f'):>19} {row.completed:>5}/{row.jobs}"
        )
    if report.waiting:
        exact = report.waiting[0].exact_poller_gets
        print(
            f"yardstick: checking exactly every {s.poll_interval:g} s from submission would take {exact:,} "
            f"GETs ({exact / report.waiting[0].jobs:.2f} per job) for these jobs' processing times"
        )
    print(
        "early GETs: GETs of a job less than 0.9 poll interval after its previous GET; checked every: "
        "median gap between two GETs of a job (simulated s; both from the emulator's request log)"
    )
    print(
        "worker s/job: simulated seconds a worker slot is held per job (naive: its sleeps plus its busy "
        "time; ours: execute, poke and execute_complete only - none while deferred)"
    )
    print(
        "conns: established client connections to the API, sampled every 50 ms from /proc/net/tcp; "
        "loop CPU: CPU time of the one event loop that ran every trigger, per trigger"
    )
    print()
    print(
        f"(c) the same, with random faults on every API route: {s.rate_limit_fraction:.0%} 429 "
        f"(Retry-After: {s.retry_after} s), {s.error_fraction:.0%} 502/503/504; rows with retries: Airflow "
        f"retries={s.retries}, retry_delay {s.poll_interval:g} s"
    )
    print(
        f"{'approach':44} {'POST /jobs':>10} {'GET /jobs/{id}':>14} {'GET /jobs':>9} {'faulted':>7} "
        f"{'all calls':>9} {'task tries':>10} {'jobs billed':>11} {'worker s/job':>12} {'completed':>9}"
    )
    for row in report.faults:
        print(
            f"{row.approach:44} {row.counts[POST_JOBS]:>10,} {row.counts[GET_JOB]:>14,} "
            f"{row.counts[LIST_JOBS]:>9,} {row.faulted:>7,} {sum(row.counts.values()):>9,} {row.tries:>10,} "
            f"{row.jobs_created:>11,} {row.worker_seconds / row.jobs:>12.3f} {row.completed:>5}/{row.jobs}"
        )
    for row in report.faults:
        if errors := row.errors():
            listed = ", ".join(f"{name} x{n}" for name, n in errors.most_common())
            print(f"  {row.approach}: {row.jobs - row.completed} tasks failed; last errors: {listed}")
    print(
        "  jobs billed: jobs the emulator created. The random faults answer before the handler runs, so "
        "no 5xx here creates a job"
    )
    print()
    print(
        "(d) finding the job an earlier try submitted (pay-once): SubmitTranscriptionOperator._earlier_job "
        "on try 2, list pages of 1000, max_scan_jobs 5000"
    )
    print(
        f"{'lookup':36} {'K jobs':>7} {'GET /jobs':>9} {'GET /jobs/{id}':>14} {'KiB received':>12} "
        f"{'found':>9}"
    )
    for lookup in report.lookups:
        found = "yes" if lookup.found else ("MISSED" if lookup.expected else "none")
        print(
            f"{lookup.scenario:36} {lookup.account_jobs:>7,} {lookup.counts[LIST_JOBS]:>9,} "
            f"{lookup.counts[GET_JOB]:>14,} {lookup.bytes_received / 1024:>12,.1f} {found:>9}"
        )


# ---- entry point -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=Settings.jobs)
    parser.add_argument("--clock-speed", type=float, default=Settings.clock_speed)
    parser.add_argument("--poll-interval", type=float, default=Settings.poll_interval, help="simulated s")
    parser.add_argument("--durations", default="", help="media minutes, comma-separated (default: 1-60)")
    parser.add_argument("--scan-sizes", default=",".join(map(str, Settings.scan_sizes)))
    parser.add_argument("--seed", type=int, default=Settings.seed)
    args = parser.parse_args(argv)
    return Settings(
        jobs=args.jobs,
        clock_speed=args.clock_speed,
        poll_interval=args.poll_interval,
        durations_minutes=tuple(int(m) for m in args.durations.split(",") if m),
        scan_sizes=tuple(int(k) for k in args.scan_sizes.split(",") if k),
        seed=args.seed,
    )


def main(argv: Sequence[str] | None = None) -> Report:
    settings = parse_args(argv)
    report = Report(settings)
    minutes = settings.job_minutes()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_media(Path(tmp)) as media_root,
        restored_environment(),
        hook_waits_on_emulator_clock(settings.clock_speed),
    ):
        for m in sorted(set(minutes)):
            make_wav(Path(tmp) / f"{m}min.wav", seconds=m * 60, rate=WAV_RATE, frequency=1.0)
        media = [f"{media_root}/{m}min.wav" for m in minutes]
        # Import Airflow and run each path once first, so no figure includes one-off costs.
        warm = replace(settings, retries=0)
        shortest = [f"{media_root}/{min(minutes)}min.wav"]
        run_ours(warm, shortest, "warm-up", ours_operator_job, faults=False)
        run_ours(warm, shortest, "warm-up", ours_sensor_job, faults=False)
        report.waiting = [
            run_naive(settings, media, "naive: worker-held requests loop", "plain", faults=False),
            run_ours(settings, media, "ours: operator, deferrable", ours_operator_job, faults=False),
            run_ours(settings, media, "ours: submit + TranscriptSensor, deferrable", ours_sensor_job, False),
        ]
        report.faults = [
            run_naive(settings, media, "naive, as written", "plain", faults=True),
            run_naive(settings, media, "naive + try/except, sleep, retry", "wrapped", faults=True),
            run_naive(settings, media, "naive + Airflow task retries", "retries", faults=True),
            run_ours(settings, media, "ours: operator, deferrable, task retries", ours_operator_job, True),
        ]
        report.lookups = run_lookups(settings)
    print_report(report)
    return report


if __name__ == "__main__":
    # Keep Airflow's per-poll and per-retry log lines out of the table (set before Airflow is imported).
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
    main(sys.argv[1:])
