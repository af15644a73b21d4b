"""Waiting for N Rev AI jobs: the shared poll (Airflow 3.3), one poll loop per job, and the job watcher.

Run: ``.venv/bin/python benchmarks/bench_waiting.py`` (``--sizes 100,1000 --clock-speed 20`` for
less; the chart needs ``uv pip install -e ".[test,bench]"``). Figures: ``benchmarks/RESULTS.md``.

How it measures:

1. The emulator runs in a child process (:class:`EmulatorProcess`), so its CPU and memory are not
   counted as the triggers'. Its clock runs ``clock_speed`` times faster than real time, and it
   rate-limits the account: ``rate_limit`` requests per emulated second, every route together,
   more get 429 with ``Retry-After``.
2. :func:`seed_jobs` puts N jobs into its store as if they had been submitted over the last poll
   interval, with media of 1-60 minutes: each is transcribed ``processing_seconds +
   seconds_per_audio_second * duration`` after its submission (Rev AI: "5 minutes or less" for
   short files, "no longer than 15 minutes" for long ones).
3. N real ``TranscriptTrigger``s wait for them, each first checking one poll interval after its
   job's submission, as the operator defers: either all through Airflow's own
   ``SharedStreamManager``, as the 3.3 triggerer runs triggers that share a stream key, or each
   through its own ``run()``; both in one event loop, driven by ``tests/support.py``'s
   ``run_shared`` / ``run_standalone``. ``TranscriptTrigger.clock`` follows the emulator's clock
   (:class:`FollowingClock`), so every interval and pause of the waiting code is compressed like
   the emulator's time. The exception: the hook's own retry sleeps after a 429 (``run()`` and
   the watcher; the shared poll backs off on the trigger clock) are real seconds, so each costs
   ``clock_speed`` emulated seconds of latency, and spares some requests. A third path,
   *watcher*, runs no waiting trigger at all: one ``JobCompletionTrigger`` (the completion
   Asset's watcher) lists the account every poll interval and reports each job as it finishes,
   on the same clock (:func:`watch`).
4. Each (N, path) runs in a fresh process (:func:`measure`), so memory freed by one run does not
   hide the next one's growth. Requests and 429s are the emulator's counts; resume latency is the
   moment a trigger fired minus its job's ``completed_on`` (emulated seconds); RSS is the growth
   of the process from before the triggers were built to the last sample before the first event
   fired (all N waiting), per trigger; CPU is the process's CPU time (its one event loop) per
   trigger over the whole wait. Log records are switched off: a triggerer would also write them.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import math
import multiprocessing
import os
import random
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from unittest import mock

from airflow_provider_rev.clock import SYSTEM_CLOCK
from airflow_provider_rev.emulator import EmulatorConfig, RevAIEmulator
from airflow_provider_rev.emulator.clock import Clock
from airflow_provider_rev.emulator.core import EmulatorCore
from airflow_provider_rev.emulator.media import MediaInfo, MediaKind
from airflow_provider_rev.emulator.options import parse_options

if TYPE_CHECKING:
    from airflow.triggers.base import TriggerEvent

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "benchmarks" / "results" / "waiting.png"
CONN_ID = "revai_bench"
SHARED, PER_JOB, WATCHER = "shared", "per-job", "watcher"
PATHS = (SHARED, PER_JOB, WATCHER)
STATUS_ROUTES = ("GET /jobs", "GET /jobs/{id}")
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """One benchmark run; every duration is in emulated seconds."""

    sizes: tuple[int, ...] = (100, 1000, 5000)
    clock_speed: float = 10.0
    poll_interval: float = 30.0
    rate_limit: float = 20.0
    processing_seconds: float = 60.0
    seconds_per_audio_second: float = 0.2
    max_minutes: int = 60
    submitted_over: float | None = None
    seed: int = 7
    chart: Path | None = CHART
    paths: tuple[str, ...] = PATHS

    def emulator(self) -> EmulatorConfig:
        """Return the emulator's configuration: compressed clock, rate limit, unlimited balance."""
        return EmulatorConfig(
            processing_seconds=self.processing_seconds,
            seconds_per_audio_second=self.seconds_per_audio_second,
            clock_speed=self.clock_speed,
            rate_limit_per_second=self.rate_limit,
            balance_seconds=10**12,
            seed=self.seed,
        )

    def jobs(self, count: int) -> tuple[list[int], list[float]]:
        """Return each job's media minutes and how long ago it was submitted (oldest first); seeded.

        Jobs are submitted over ``submitted_over`` seconds (default: one poll interval).
        """
        rng = random.Random(self.seed)
        spread = self.poll_interval if self.submitted_over is None else self.submitted_over
        minutes = [rng.randint(1, self.max_minutes) for _ in range(count)]
        ages = sorted((rng.uniform(0.0, spread) for _ in range(count)), reverse=True)
        return minutes, ages


@dataclass
class Row:
    """What one path did for N jobs."""

    path: str
    jobs: int
    requests: Counter[str]
    rate_limited: int
    latencies: list[float]
    rss_per_job: float | None
    cpu_seconds: float
    wall_seconds: float
    events: Counter[str] = field(default_factory=Counter)

    @property
    def status_requests(self) -> int:
        """Return the status requests the emulator received (``GET /jobs`` and ``GET /jobs/{id}``)."""
        return sum(self.requests[route] for route in STATUS_ROUTES)

    def latency(self, share: float) -> float:
        """Return a resume latency percentile (nearest rank), emulated seconds."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


@dataclass
class Report:
    """Every row of one run, with its settings."""

    settings: Settings
    rows: list[Row]


# ---- the emulator, in a child process --------------------------------------------------------------


class EmulatorProcess:
    """The emulator in a child process: its ``base_url``, a :attr:`clock` that reads its time, and
    :meth:`call` to run set-up or read counts in its loop (never counted as requests).
    """

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config

    def __enter__(self) -> EmulatorProcess:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(self.config, child), daemon=True)
        self._process.start()
        self.base_url, origin = self._pipe.recv()
        self.clock = Clock(self.config.clock_speed, origin=origin)
        return self

    def call(self, func: Callable[..., T], *args: Any) -> T:
        """Run ``func(core, *args)`` in the emulator's loop and return its (picklable) result."""
        self._pipe.send((func, args))
        result: T = self._pipe.recv()
        return result

    def __exit__(self, *exc: object) -> None:
        self._pipe.send(None)
        self._process.join(timeout=30)


def _serve(config: EmulatorConfig, pipe: Connection) -> None:
    with RevAIEmulator(config) as emu:
        pipe.send((emu.base_url, emu.call(lambda core: core.clock.origin)))
        while (request := pipe.recv()) is not None:
            func, args = request
            pipe.send(emu.call(functools.partial(_apply, func, args), timeout=600))


def _apply(func: Callable[..., T], args: tuple[Any, ...], core: EmulatorCore) -> T:
    return func(core, *args)


def seed_jobs(core: EmulatorCore, minutes: list[int], ages: list[float]) -> list[str]:
    """Store jobs submitted ``ages`` seconds ago, their media already probed (runs in the emulator).

    Each is due ``processing_seconds + seconds_per_audio_second * duration`` after submission, as
    if it had come through ``POST /jobs``; nothing here is a request.
    """
    now = core.clock.now()
    job_ids = []
    for length, age in zip(minutes, ages, strict=True):
        job = core.store.create(
            parse_options({"source_config": {"url": "https://x.test/a.wav"}}, multipart=False)
        )
        job.created_at = now - timedelta(seconds=age)
        core.store.resolve(job, MediaInfo(MediaKind.WAV, 0, 60.0 * length, 1, ""), None, None)
        job_ids.append(job.id)
    return job_ids


def forget_everything(core: EmulatorCore) -> None:
    """Forget jobs and counts (runs in the emulator)."""
    core.reset()


def tally(core: EmulatorCore) -> tuple[Counter[str], Counter[str]]:
    """Return requests and 429s per route (runs in the emulator)."""
    counts, faulted, _ = core.recorder.snapshot()
    return counts, faulted


# ---- the triggers' side ----------------------------------------------------------------------------


class FollowingClock:
    """The emulator's time read in this process: what every trigger reads and sleeps on."""

    def __init__(self, emulated: Clock) -> None:
        self.emulated = emulated

    def time(self) -> float:
        """Return the emulated time in epoch seconds."""
        return self.emulated.now().timestamp()

    async def sleep(self, seconds: float) -> None:
        """Pause for ``seconds`` emulated seconds."""
        await asyncio.sleep(max(0.0, self.emulated.real_seconds(seconds)))


def connection_json(emu: EmulatorProcess) -> str:
    """Return the ``revai`` connection to the emulator, as an ``AIRFLOW_CONN_*`` value."""
    return json.dumps({"conn_type": "revai", "host": emu.base_url, "password": emu.config.token})


def rss_bytes() -> int | None:
    """Return this process's resident set size (Linux), or ``None``."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


def measure(settings: Settings, count: int, path: str) -> Row:
    """Wait for ``count`` jobs along one path in this process and return the figures.

    Airflow is imported here, not at the top: the emulator's process re-imports this script and
    needs none of it.
    """
    if path == WATCHER:
        return watch(settings, count)
    if str(ROOT / "tests") not in sys.path:
        sys.path.insert(0, str(ROOT / "tests"))
    from support import run_shared, run_standalone

    from airflow_provider_rev.triggers.revai import TranscriptTrigger

    fired: list[TranscriptTrigger] = []

    class TimedTrigger(TranscriptTrigger):
        """A real ``TranscriptTrigger`` that notes when (on its clock) its one event left it."""

        fired_at: float | None = None

        async def run(self) -> AsyncIterator[TriggerEvent]:
            async for event in super().run():
                self.fired_at = self.clock.time()
                fired.append(self)
                yield event

        async def filter_shared_stream(self, stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
            async for event in super().filter_shared_stream(stream):
                self.fired_at = self.clock.time()
                fired.append(self)
                yield event

    def build(job_ids: list[str], first_checks: list[float | None]) -> list[TimedTrigger]:
        shared = path == SHARED
        return [
            TimedTrigger(job_id, CONN_ID, settings.poll_interval, first_check_at=first, shared_polling=shared)
            for job_id, first in zip(job_ids, first_checks, strict=True)
        ]

    async def wait(triggers: list[TimedTrigger]) -> tuple[list[dict[str, Any]], int | None]:
        """Run the triggers to their events; sample RSS until the first one fires."""
        waiting_rss: int | None = None

        async def sample() -> None:
            nonlocal waiting_rss
            while not fired:
                waiting_rss = rss_bytes()
                await asyncio.sleep(0.05)

        sampler = asyncio.ensure_future(sample())
        try:
            return await (run_shared if path == SHARED else run_standalone)(triggers), waiting_rss
        finally:
            sampler.cancel()

    with (
        EmulatorProcess(settings.emulator()) as emu,
        mock.patch.dict(os.environ, {f"AIRFLOW_CONN_{CONN_ID.upper()}": connection_json(emu)}),
    ):
        TranscriptTrigger.clock = FollowingClock(emu.clock)
        try:
            finished = emu.call(seed_jobs, [1, 1], [3600.0, 3600.0])  # warm-up: imports, sessions, streams
            asyncio.run(wait(build(finished, [None, None])))
            emu.call(forget_everything)
            fired.clear()

            minutes, ages = settings.jobs(count)
            job_ids = emu.call(seed_jobs, minutes, ages)
            now = emu.clock.now().timestamp()
            gc.collect()
            rss_before = rss_bytes()
            cpu, wall = time.process_time(), time.perf_counter()
            triggers = build(job_ids, [now - age + settings.poll_interval for age in ages])
            events, rss_waiting = asyncio.run(wait(triggers))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            requests, faulted = emu.call(tally)
        finally:
            TranscriptTrigger.clock = SYSTEM_CLOCK
    latencies = [
        trigger.fired_at - datetime.fromisoformat(event["job"]["completed_on"]).timestamp()
        for trigger, event in zip(triggers, events, strict=True)
        if trigger.fired_at is not None and event["job"] and "completed_on" in event["job"]
    ]
    rss = None if rss_before is None or rss_waiting is None else (rss_waiting - rss_before) / count
    outcomes = Counter(str(event["status"]) for event in events)
    return Row(path, count, requests, sum(faulted.values()), latencies, rss, cpu, wall, outcomes)


def watch(settings: Settings, count: int) -> Row:
    """Report ``count`` jobs finishing with one completion watcher instead of a trigger per job.

    The watcher starts with every job in progress (it reports only jobs that finish after its
    first listing) and runs until it reported all of them; latency is when it yielded a job's
    event minus the job's ``completed_on``, as for the waiting triggers.
    """
    from airflow_provider_rev.hooks.revai import RevAIHook
    from airflow_provider_rev.triggers.completions import JobCompletionTrigger

    async def warm_up() -> None:
        """Import and open what the first listing needs, outside the measurement."""
        hook = RevAIHook(CONN_ID)
        try:
            async for _ in hook.alist_jobs(limit=1):
                pass
        finally:
            await hook.aclose()

    async def collect(trigger: JobCompletionTrigger) -> tuple[list[dict[str, Any]], list[float], int | None]:
        payloads: list[dict[str, Any]] = []
        fired_at: list[float] = []
        waiting_rss: int | None = None

        async def sample() -> None:
            nonlocal waiting_rss
            while not payloads:
                waiting_rss = rss_bytes()
                await asyncio.sleep(0.05)

        sampler = asyncio.ensure_future(sample())
        events = trigger.run()
        try:
            async for event in events:
                payloads.append(event.payload)
                fired_at.append(trigger.clock.time())
                if len(payloads) == count:
                    break
        finally:
            sampler.cancel()
            await events.aclose()
        return payloads, fired_at, waiting_rss

    with (
        EmulatorProcess(settings.emulator()) as emu,
        mock.patch.dict(os.environ, {f"AIRFLOW_CONN_{CONN_ID.upper()}": connection_json(emu)}),
    ):
        JobCompletionTrigger.clock = FollowingClock(emu.clock)
        try:
            asyncio.run(warm_up())
            emu.call(forget_everything)
            minutes, ages = settings.jobs(count)
            emu.call(seed_jobs, minutes, ages)
            gc.collect()
            rss_before = rss_bytes()
            cpu, wall = time.process_time(), time.perf_counter()
            trigger = JobCompletionTrigger(CONN_ID, settings.poll_interval, only_provider_jobs=False)
            limit = emu.clock.real_seconds(settings.processing_seconds + 3600 + 10 * settings.poll_interval)
            payloads, fired_at, rss_waiting = asyncio.run(asyncio.wait_for(collect(trigger), limit))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            requests, faulted = emu.call(tally)
        finally:
            JobCompletionTrigger.clock = SYSTEM_CLOCK
    latencies = [
        at - datetime.fromisoformat(str(payload["completed_on"])).timestamp()
        for payload, at in zip(payloads, fired_at, strict=True)
        if payload.get("completed_on")
    ]
    rss = None if rss_before is None or rss_waiting is None else (rss_waiting - rss_before) / count
    outcomes = Counter(str(payload["status"]) for payload in payloads)
    assert len({payload["id"] for payload in payloads}) == count, "the watcher reported a job twice"
    return Row(WATCHER, count, requests, sum(faulted.values()), latencies, rss, cpu, wall, outcomes)


# ---- the report ------------------------------------------------------------------------------------


def table(rows: list[Row], settings: Settings) -> str:
    """Return the figures as a Markdown table, a row per N and path."""
    lines = [
        "| N | path | requests | status req./job | 429s | resume p50 (s) | resume p95 (s) "
        "| RSS/waiting job (KB) | loop CPU/trigger (ms) | wall (s) | events |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        rss = "-" if row.rss_per_job is None else f"{row.rss_per_job / 1024:.1f}"
        events = ", ".join(f"{n:,} {status}" for status, n in sorted(row.events.items()))
        lines.append(
            f"| {row.jobs:,} | {row.path} | {sum(row.requests.values()):,} | "
            f"{row.status_requests / row.jobs:.3f} | {row.rate_limited:,} | {row.latency(0.5):.1f} | "
            f"{row.latency(0.95):.1f} | {rss} | {row.cpu_seconds * 1000 / row.jobs:.2f} | "
            f"{row.wall_seconds:.0f} | {events} |"
        )
    return "\n".join(lines)


def targets(rows: list[Row], settings: Settings, size: int = 1000) -> list[str]:
    """Check the shared poll's targets at ``size`` jobs; one line per target."""
    shared = next((row for row in rows if row.path == SHARED and row.jobs == size), None)
    if shared is None:
        return [f"targets: not measured (no shared run at N = {size:,})"]
    limit = settings.poll_interval + 2
    checks = [
        (
            "status requests per job <= 0.2",
            shared.status_requests / size,
            shared.status_requests / size <= 0.2,
        ),
        ("429s == 0", shared.rate_limited, shared.rate_limited == 0),
        (f"p95 resume <= {limit:g} s", shared.latency(0.95), shared.latency(0.95) <= limit),
        (
            "RSS per waiting job <= 50 KB",
            None if shared.rss_per_job is None else shared.rss_per_job / 1024,
            shared.rss_per_job is not None and shared.rss_per_job <= 50 * 1024,
        ),
    ]
    return [
        f"target at N = {size:,}, shared: {name}: {'-' if value is None else f'{value:,.3g}'} "
        f"{'holds' if ok else 'MISSED'}"
        for name, value, ok in checks
    ]


def chart(rows: list[Row], settings: Settings, path: Path) -> None:
    """Draw status requests per job and p95 resume latency against N, for each path measured."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (requests, latency) = plt.subplots(1, 2, figsize=(10, 4))
    for name, style in ((SHARED, "o-"), (PER_JOB, "s--"), (WATCHER, "^:")):
        series = sorted((row for row in rows if row.path == name), key=lambda row: row.jobs)
        sizes = [row.jobs for row in series]
        requests.plot(sizes, [row.status_requests / row.jobs for row in series], style, label=name)
        latency.plot(sizes, [row.latency(0.95) for row in series], style, label=name)
    target = {"color": "grey", "linewidth": 0.8, "linestyle": ":", "label": "target, shared at N = 1,000"}
    requests.axhline(0.2, **target)
    latency.axhline(settings.poll_interval + 2, **target)
    requests.set(xscale="log", yscale="log", xlabel="waiting jobs N", ylabel="status requests per job")
    latency.set(xscale="log", xlabel="waiting jobs N", ylabel="p95 resume latency (emulated s)")
    requests.set_title("Status requests per job over the whole wait")
    latency.set_title("p95 resume latency after completion")
    sizes = sorted({row.jobs for row in rows})
    for axes in (requests, latency):
        axes.set_xticks(sizes, [f"{size:,}" for size in sizes])
        axes.minorticks_off()
        axes.grid(True, alpha=0.3)
        axes.legend()
    figure.suptitle(
        f"Shared poll, per-job polling and the job watcher: poll interval {settings.poll_interval:g} s, "
        f"limit {settings.rate_limit:g} requests/s"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def parse_args(argv: Sequence[str] | None) -> tuple[Settings, bool]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    defaults = Settings()
    parser.add_argument("--sizes", default=",".join(map(str, defaults.sizes)), help="waiting jobs per run")
    parser.add_argument("--jobs", type=int, help="one size only (same as --sizes N)")
    parser.add_argument(
        "--clock-speed", type=float, default=defaults.clock_speed, help="emulated s per real s"
    )
    parser.add_argument("--poll-interval", type=float, default=defaults.poll_interval, help="emulated s")
    parser.add_argument(
        "--rate-limit", type=float, default=defaults.rate_limit, help="requests per emulated s"
    )
    parser.add_argument(
        "--max-minutes", type=int, default=defaults.max_minutes, help="longest media, minutes"
    )
    parser.add_argument(
        "--submitted-over", type=float, help="s over which jobs were submitted (poll interval)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--paths", default=",".join(PATHS), help=f"which of {', '.join(PATHS)} to run")
    parser.add_argument("--chart", default=str(defaults.chart), help="PNG to write ('' for none)")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="measure in this process, not a fresh one per run (quicker; RSS, CPU then carry earlier runs)",
    )
    args = parser.parse_args(argv)
    sizes = (args.jobs,) if args.jobs else tuple(int(size) for size in args.sizes.split(",") if size)
    settings = Settings(
        sizes=sizes,
        clock_speed=args.clock_speed,
        poll_interval=args.poll_interval,
        rate_limit=args.rate_limit,
        max_minutes=args.max_minutes,
        submitted_over=args.submitted_over,
        seed=args.seed,
        chart=Path(args.chart) if args.chart else None,
        paths=tuple(path for path in PATHS if path in args.paths.split(",")),
    )
    return settings, args.in_process


def quiet_airflow() -> None:
    """Keep Airflow's per-check log lines out of a fresh process (before Airflow is imported)."""
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "ERROR"


def main(argv: Sequence[str] | None = None) -> Report:
    settings, in_process = parse_args(argv)
    print(
        f"{'/'.join(f'{n:,}' for n in settings.sizes)} jobs, media 1-{settings.max_minutes} min, transcribed "
        f"{settings.processing_seconds:g} s + {settings.seconds_per_audio_second:g} s per audio second after "
        f"submission; poll interval {settings.poll_interval:g} s; emulator limit {settings.rate_limit:g} "
        f"requests/s; clock x{settings.clock_speed:g} (all times emulated seconds)",
        flush=True,
    )
    rows = []
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, spawn, initializer=quiet_airflow, max_tasks_per_child=1) as fresh:
        for count in settings.sizes:
            for path in settings.paths:
                if in_process:
                    rows.append(measure(settings, count, path))
                else:
                    rows.append(fresh.submit(measure, settings, count, path).result())
                print(f"  N = {count:,} {path}: {rows[-1].wall_seconds:.0f} s", flush=True)
    print(table(rows, settings))
    print("\n".join(targets(rows, settings)))
    if settings.chart is not None:
        try:
            chart(rows, settings, settings.chart)
            print(f"chart: {settings.chart}")
        except ImportError:
            print('chart skipped: matplotlib is not installed (uv pip install -e ".[bench]")')
    return Report(settings, rows)


if __name__ == "__main__":
    main(sys.argv[1:])
