"""Getting N Rev AI transcripts fetched after submission: a sensor per job, the watcher, or webhooks.

Run: ``.venv/bin/python benchmarks/bench_completions.py`` (``--jobs 10 --poll-interval 3 --gap 5``).
Figures: ``benchmarks/RESULTS.md``.

One real Airflow 3.3 deployment (``tests/integration/harness.py``: api-server, scheduler,
dag-processor, one triggerer; LocalExecutor, SQLite) parses ``benchmarks/completions_dags/``,
and three patterns run one after the other, each on its own connection and its own emulator,
so their request counts never mix:

1. **sensor**: ``bench_completions_sensor`` submits N recordings (mapped, without waiting), then
   a mapped task group per job: a deferrable ``TranscriptSensor``, then ``FetchTranscriptOperator``.
2. **watcher**: ``bench_completions_watcher_submit`` submits and ends;
   ``bench_completions_watcher_fetch`` is scheduled on ``revai_jobs_asset`` of a connection
   without ``webhook_secret``, whose watcher lists the jobs in the triggerer every interval.
3. **webhooks**: the same pair on a connection with a ``webhook_secret``: the submit operator
   puts ``notification_config`` into each job (base URL: ``[api] base_url``, the api-server),
   the emulator POSTs ``{"job": ...}`` to the provider's receiver at
   ``/revai/webhooks/<conn_id>``, and that records the Asset event; the watcher stays idle.

How it measures. Recording ``i`` lasts ``i + 1`` seconds and the emulator needs ``STEP``
emulated seconds per audio second, so each ``advance_clock(STEP)`` finishes exactly the next job;
one job finishes every ``--gap`` seconds, once every job of the pattern is submitted (and, for
the sensor, deferred). A job's completion time is the wall clock right after its advance; it is
fetched when its output file was written (the file's mtime). Requests are the emulator's counts
from the submit run's trigger until every run of the pattern ended. While all N jobs wait (before
the first finishes) the REST API is sampled for deferred and running task instances, the triggers
those deferred ones hold, and the triggers of the pattern's Asset watchers. Worker task instances
come from the REST API; a sensor's resume on a worker is read from its task log.

A burst of completions is spread on purpose: Airflow 3.3.2 starts an Asset-triggered run with the
events recorded until the first of them queued it, and leaves later ones for the run the *next*
event starts (apache/airflow#56050). If a job is still not fetched ``--tail`` seconds after the
last completion, the benchmark records one manual Asset event (no Rev AI request) to let a run
pick it up, and reports the job as left for a later event; its latency is left out of p50/max.
"""

from __future__ import annotations

import argparse
import math
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from integration.harness import Deployment, DeploymentError, DeploymentSpec  # noqa: E402
from support import MediaServer, connection_json  # noqa: E402

from airflow_provider_rev.emulator import RevAIEmulator, serve_media  # noqa: E402

DAGS = ROOT / "benchmarks" / "completions_dags"
SENSOR, WATCHER, WEBHOOKS = "sensor", "watcher", "webhooks"
PATTERNS = (SENSOR, WATCHER, WEBHOOKS)
SENSOR_DAG = "bench_completions_sensor"
#: Emulated seconds per second of audio: each ``advance_clock(STEP)`` finishes exactly one more job.
STEP = 1000.0
STATUS_ROUTES = ("GET /jobs", "GET /jobs/{id}")
KINDS = ("POST /jobs", "GET /jobs", "GET /jobs/{id}")
RESUMED = "Resumed from the triggerer"


def conn_id(pattern: str) -> str:
    """Return the connection of ``pattern`` (the DAG files use the same names)."""
    return f"revai_bench_{pattern}"


def pattern_dags(pattern: str) -> tuple[str, ...]:
    """Return the DAG ids of ``pattern``: the one sensor DAG, or the submit and fetch pair."""
    if pattern == SENSOR:
        return (SENSOR_DAG,)
    return (f"bench_completions_{pattern}_submit", f"bench_completions_{pattern}_fetch")


@dataclass(frozen=True)
class Settings:
    """One benchmark run.

    :param jobs: recordings per pattern (N).
    :param poll_interval: the sensor's ``poke_interval`` and the watcher's ``poll_interval``.
    :param gap: real seconds between two job completions.
    :param tail: seconds after the last completion before a leftover job gets a manual event.
    :param patterns: which patterns run, in this order.
    :param workdir: where the deployment, media and transcripts go (a new temporary folder if ``None``).
    """

    jobs: int = 10
    poll_interval: float = 3.0
    gap: float = 5.0
    tail: float = 45.0
    patterns: tuple[str, ...] = PATTERNS
    workdir: Path | None = None


@dataclass
class Waiting:
    """What the deployment held while all N jobs of a pattern waited (maxima over the samples)."""

    deferred: int = 0
    worker_slots: int = 0
    task_triggers: int = 0
    watcher_triggers: int = 0

    def merge(self, other: Waiting) -> None:
        """Keep the larger figure of each."""
        self.deferred = max(self.deferred, other.deferred)
        self.worker_slots = max(self.worker_slots, other.worker_slots)
        self.task_triggers = max(self.task_triggers, other.task_triggers)
        self.watcher_triggers = max(self.watcher_triggers, other.watcher_triggers)


@dataclass
class Row:
    """What one pattern did for N jobs."""

    pattern: str
    jobs: int
    requests: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, float] = field(default_factory=dict)
    left_over: list[str] = field(default_factory=list)
    task_instances: Counter[str] = field(default_factory=Counter)
    resumes: int = 0
    waiting: Waiting = field(default_factory=Waiting)
    deliveries: Counter[int | None] = field(default_factory=Counter)
    fetch_runs: int = 0
    wall_seconds: float = 0.0
    error: str | None = None

    def per_job(self, count: float) -> float:
        """Return ``count`` divided by N."""
        return count / self.jobs

    @property
    def transcript_requests(self) -> int:
        """Return the GETs of a job's results (``GET /jobs/{id}/transcript`` and the like)."""
        return sum(n for route, n in self.requests.items() if route.startswith("GET /jobs/{id}/"))

    @property
    def status_requests(self) -> int:
        """Return ``GET /jobs`` plus ``GET /jobs/{id}``."""
        return sum(self.requests[route] for route in STATUS_ROUTES)

    def latency(self, share: float) -> float:
        """Return a completion-to-fetched percentile (nearest rank) over the jobs fetched on time."""
        values = sorted(v for job, v in self.latencies.items() if job not in self.left_over)
        return values[min(len(values) - 1, math.ceil(share * len(values)) - 1)] if values else math.nan


@dataclass
class Run:
    """The rows of one benchmark run and what it noticed along the way."""

    settings: Settings
    rows: list[Row]
    startup_seconds: float
    wall_seconds: float
    notes: list[str]


# ---- the deployment ---------------------------------------------------------------------------------


def list_all(airflow: Deployment, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Return every item of a paged REST collection."""
    found: list[dict[str, Any]] = []
    while True:
        page = airflow.api.request("GET", path, params={**params, "limit": 100, "offset": len(found)})
        found += page[key]
        if not page[key] or len(found) >= page["total_entries"]:
            return found


def dag_runs(airflow: Deployment, dag_id: str) -> list[dict[str, Any]]:
    """Return every run of ``dag_id``."""
    return list_all(airflow, f"/dags/{dag_id}/dagRuns", "dag_runs")


def task_instances(airflow: Deployment, dag_id: str, state: str | None = None) -> list[dict[str, Any]]:
    """Return every task instance of ``dag_id`` (all runs), raw, optionally in one state."""
    params = {"state": state} if state else {}
    return list_all(airflow, f"/dags/{dag_id}/dagRuns/~/taskInstances", "task_instances", **params)


def watcher_triggers(airflow: Deployment, pattern: str) -> set[int]:
    """Return the trigger ids of the Asset watchers on ``pattern``'s connection."""
    if pattern == SENSOR:
        return set()
    assets = list_all(airflow, "/assets", "assets", uri_pattern=f"revai://{conn_id(pattern)}/")
    return {watcher["trigger_id"] for asset in assets for watcher in asset.get("watchers") or []}


def sample_waiting(airflow: Deployment, pattern: str) -> Waiting:
    """Count what the pattern's DAGs hold right now: deferred TIs, their triggers, worker slots."""
    deferred: list[dict[str, Any]] = []
    busy = 0
    for dag_id in pattern_dags(pattern):
        deferred += task_instances(airflow, dag_id, "deferred")
        busy += len(task_instances(airflow, dag_id, "running")) + len(
            task_instances(airflow, dag_id, "queued")
        )
    triggers = {ti["trigger"]["id"] for ti in deferred if ti.get("trigger")}
    return Waiting(len(deferred), busy, len(triggers), len(watcher_triggers(airflow, pattern)))


def resumes(airflow: Deployment, ti: dict[str, Any]) -> int:
    """Return how often a task instance's log says it resumed from the triggerer."""
    path = (
        f"/dags/{ti['dag_id']}/dagRuns/{quote(ti['dag_run_id'], safe='')}/taskInstances/"
        f"{quote(ti['task_id'], safe='')}/logs/{ti['try_number']}"
    )
    log = airflow.api.request("GET", path, params={"map_index": ti["map_index"], "full_content": True})
    content = log.get("content") or []
    lines = [str(entry.get("event", "")) if isinstance(entry, dict) else str(entry) for entry in content]
    return sum(RESUMED in line for line in lines)


def record_manual_event(airflow: Deployment, pattern: str) -> None:
    """Record an Asset event without a job on ``pattern``'s Asset, so a run picks up leftover events."""
    assets = list_all(airflow, "/assets", "assets", uri_pattern=f"revai://{conn_id(pattern)}/")
    for asset in assets:
        airflow.api.request("POST", "/assets/events", json={"asset_id": asset["id"], "extra": {"bench": 1}})


def runs_ended(airflow: Deployment, pattern: str) -> bool:
    """Tell whether every run of the pattern's DAGs ended."""
    runs = [run for dag_id in pattern_dags(pattern) for run in dag_runs(airflow, dag_id)]
    return bool(runs) and all(run["state"] in ("success", "failed") for run in runs)


# ---- one pattern ------------------------------------------------------------------------------------


def ordered_jobs(emu: RevAIEmulator) -> list[str]:
    """Return the emulator's job ids in the order they finish: by media length (``i + 1`` s)."""
    return [job["id"] for job in sorted(emu.jobs(), key=lambda job: float(job["duration_seconds"]))]


def all_probed(emu: RevAIEmulator, count: int) -> bool:
    """Tell whether ``count`` jobs exist and each has its media's duration (its due time is set)."""
    jobs = emu.jobs()
    return len(jobs) >= count and all("duration_seconds" in job for job in jobs)


def written(out: Path, job_ids: list[str]) -> dict[str, float]:
    """Return each job's output file's mtime, for those written."""
    found = {}
    for job_id in job_ids:
        path = out / f"{job_id}.json"
        if path.exists():
            found[job_id] = path.stat().st_mtime
    return found


def run_pattern(
    airflow: Deployment, emu: RevAIEmulator, pattern: str, urls: list[str], out: Path, settings: Settings
) -> Row:
    """Submit N recordings with ``pattern``, finish one every ``gap`` seconds, wait until all are fetched."""
    count = len(urls)
    row = Row(pattern, count)
    before = emu.request_counts
    started = time.monotonic()
    submit_dag = pattern_dags(pattern)[0]
    run_id = airflow.api.trigger(submit_dag, conf={"media_urls": urls})
    if pattern == SENSOR:

        def all_deferred() -> bool:
            return len(task_instances(airflow, SENSOR_DAG, "deferred")) >= count

        airflow.wait_until(all_deferred, 300, lambda: f"{count} deferred sensors")
    else:
        state = airflow.api.wait_for_run(submit_dag, run_id, timeout=300, interval=1.0)
        if state != "success":
            raise RuntimeError(f"{submit_dag} run {run_id} ended {state}")
    airflow.wait_until(lambda: all_probed(emu, count), 60, lambda: "jobs with a duration")
    job_ids = ordered_jobs(emu)
    for _ in range(3):
        row.waiting.merge(sample_waiting(airflow, pattern))
        time.sleep(1.0)

    completed: dict[str, float] = {}
    for job_id in job_ids:
        emu.advance_clock(STEP)
        completed[job_id] = time.time()
        status = (emu.job(job_id) or {}).get("status")
        if status != "transcribed":
            raise RuntimeError(f"job {job_id} is {status} after its advance")
        while time.time() < completed[job_id] + settings.gap:
            airflow.check_alive()
            time.sleep(0.2)

    def all_written() -> bool:
        return len(written(out, job_ids)) == count

    deadline = time.time() + settings.tail
    airflow.wait_until(
        lambda: all_written() or time.time() > deadline, settings.tail + 10, lambda: "the transcripts", 0.5
    )
    if not all_written():
        if pattern == SENSOR:
            raise RuntimeError(f"sensor pattern: {count - len(written(out, job_ids))} jobs never fetched")
        row.left_over = [job for job in job_ids if job not in written(out, job_ids)]
        record_manual_event(airflow, pattern)
        airflow.wait_until(all_written, 120, lambda: f"jobs {row.left_over} fetched after a manual event")
    airflow.wait_until(lambda: runs_ended(airflow, pattern), 120, lambda: f"{pattern} runs to end")
    row.wall_seconds = time.monotonic() - started
    row.requests = emu.request_counts - before
    row.latencies = {job: mtime - completed[job] for job, mtime in written(out, job_ids).items()}

    for dag_id in pattern_dags(pattern):
        tis = task_instances(airflow, dag_id)
        failed = [ti for ti in tis if ti["state"] != "success"]
        if failed:
            raise RuntimeError(f"{dag_id}: task instances did not succeed: {failed[:3]}")
        row.task_instances.update(ti["task_id"] for ti in tis)
        row.resumes += sum(resumes(airflow, ti) for ti in tis if ti["task_id"].endswith("wait"))
    if pattern != SENSOR:
        row.fetch_runs = len(dag_runs(airflow, pattern_dags(pattern)[1]))
    row.deliveries = Counter(delivery.status for delivery in emu.webhook_deliveries)
    return row


# ---- the run ----------------------------------------------------------------------------------------


def emulators(stack: ExitStack, patterns: Sequence[str]) -> dict[str, RevAIEmulator]:
    """Start one emulator per pattern (Rev AI's webhook retry rule: every 30 minutes)."""
    return {
        pattern: stack.enter_context(RevAIEmulator(processing_seconds=0.0, seconds_per_audio_second=STEP))
        for pattern in patterns
    }


def connections(emus: dict[str, RevAIEmulator]) -> dict[str, str]:
    """Return the connections: the webhooks one with a fresh ``webhook_secret``, the others without."""
    found = {}
    for pattern, emu in emus.items():
        extra = {"webhook_secret": secrets.token_urlsafe()} if pattern == WEBHOOKS else {}
        found[conn_id(pattern)] = connection_json(emu.base_url, emu.token, **extra)
    return found


def trigger_log_lines(airflow: Deployment, needle: str) -> int:
    """Return how many lines of the triggerer's logs contain ``needle``."""
    return sum(needle in line for line in airflow.trigger_log_text().splitlines())


def last_watchers_running(airflow: Deployment) -> str:
    """Return the triggerer's last "N watchers currently running" figure (logged once a minute)."""
    lines = [
        line for line in airflow.log_text("triggerer").splitlines() if "watchers currently running" in line
    ]
    if not lines:
        return "not logged yet"
    words = lines[-1].split()
    index = words.index("watchers")
    return words[index - 1] if index else "?"


def measure(settings: Settings) -> Run:
    """Run every pattern of ``settings`` on one deployment and return the rows."""
    begun = time.monotonic()
    workdir = settings.workdir or Path(tempfile.mkdtemp(prefix="bench-completions-"))
    out_root = workdir / "transcripts"
    for pattern in settings.patterns:
        (out_root / pattern).mkdir(parents=True, exist_ok=True)
    (workdir / "media").mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    with ExitStack() as stack:
        emus = emulators(stack, settings.patterns)
        media = MediaServer(workdir / "media", stack.enter_context(serve_media(workdir / "media")))
        urls = {
            pattern: [
                media.add(f"{pattern}-{i}", seconds=i + 1, transcript=f"Speaker 0: {pattern} recording {i}.")
                for i in range(settings.jobs)
            ]
            for pattern in settings.patterns
        }
        spec = DeploymentSpec(
            dags_folder=DAGS,
            connections=connections(emus),
            env={
                "REVAI_BENCH_POLL_INTERVAL": str(settings.poll_interval),
                "REVAI_BENCH_OUTPUT_DIR": str(out_root),
            },
        )
        airflow = stack.enter_context(Deployment(spec, workdir / "deployment"))
        for pattern in settings.patterns:
            for dag_id in pattern_dags(pattern):
                airflow.wait_for_dag(dag_id)
                airflow.api.unpause(dag_id)
        if WATCHER in emus:
            airflow.wait_until(
                lambda: emus[WATCHER].request_counts["GET /jobs"] >= 1, 120, lambda: "the watcher's listing"
            )
        idle = f"Rev AI job watcher ({conn_id(WEBHOOKS)}): the connection has a webhook_secret"
        if WEBHOOKS in emus:
            airflow.wait_until(lambda: trigger_log_lines(airflow, idle) >= 1, 120, lambda: "the idle watcher")
        rows = []
        for pattern in settings.patterns:
            try:
                row = run_pattern(
                    airflow, emus[pattern], pattern, urls[pattern], out_root / pattern, settings
                )
            except (DeploymentError, RuntimeError) as exc:
                row = Row(pattern, settings.jobs, error=f"{type(exc).__name__}: {exc}"[:600])
                row.deliveries = Counter(delivery.status for delivery in emus[pattern].webhook_deliveries)
            rows.append(row)
            print(f"{pattern}: {row.error or 'done'} ({row.wall_seconds:.0f} s)", file=sys.stderr)
        notes.append(f"deployment start-up {airflow.started_seconds:.0f} s; work folder {workdir}")
        if WEBHOOKS in emus:
            lists = emus[WEBHOOKS].request_counts["GET /jobs"]
            notes.append(
                f"webhooks connection over the whole run: {lists} GET /jobs; its watcher logged "
                f"'not listing jobs' {trigger_log_lines(airflow, idle)} time(s)"
            )
        notes.append(f"triggerer's last 'watchers currently running': {last_watchers_running(airflow)}")
        notes += [
            f"{row.pattern}: {row.requests['GET /jobs']} GET /jobs in its {row.wall_seconds:.0f} s "
            f"(poll interval {settings.poll_interval:g} s)"
            for row in rows
            if row.error is None and row.pattern != WEBHOOKS
        ]
        startup = airflow.started_seconds
    return Run(settings, rows, startup, time.monotonic() - begun, notes)


# ---- the table --------------------------------------------------------------------------------------


def deliveries(row: Row) -> str:
    """Return the webhook attempts and their answers, e.g. ``10 (10 x 200)``."""
    total = sum(row.deliveries.values())
    if not total:
        return "0"
    answers = ", ".join(f"{n} x {status or 'error'}" for status, n in sorted(row.deliveries.items(), key=str))
    return f"{total} ({answers})"


def task_breakdown(row: Row) -> str:
    """Return worker task instances per job with each task's count: ``3.10 = (submit 10 + ...) / 10``."""
    total = sum(row.task_instances.values())
    parts = " + ".join(f"{task} {n}" for task, n in sorted(row.task_instances.items()))
    return f"{row.per_job(total):.2f} = ({parts}) / {row.jobs}"


def figures(row: Row) -> list[tuple[str, str]]:
    """Return the row's figures as (label, value), in table order (``missing`` for a failed pattern)."""
    fmt = "{:.2f}".format
    found = [
        ("Rev AI requests per job: POST /jobs", fmt(row.per_job(row.requests["POST /jobs"]))),
        ("Rev AI requests per job: GET /jobs", fmt(row.per_job(row.requests["GET /jobs"]))),
        ("Rev AI requests per job: GET /jobs/{id}", fmt(row.per_job(row.requests["GET /jobs/{id}"]))),
        ("Rev AI requests per job: transcript GETs", fmt(row.per_job(row.transcript_requests))),
        ("Rev AI requests per job: all", fmt(row.per_job(sum(row.requests.values())))),
        ("status requests per job (GET /jobs + GET /jobs/{id})", fmt(row.per_job(row.status_requests))),
        ("completion -> transcript written, p50 (s)", f"{row.latency(0.5):.1f}"),
        ("completion -> transcript written, max (s)", f"{row.latency(1.0):.1f}"),
        ("jobs left for a later event (#56050)", str(len(row.left_over))),
        ("worker task instances per job", task_breakdown(row)),
        (
            "worker runs per job (task instances + resumes)",
            fmt(row.per_job(sum(row.task_instances.values()) + row.resumes)),
        ),
        ("while N wait: deferred task instances", str(row.waiting.deferred)),
        ("while N wait: worker slots held (running/queued)", str(row.waiting.worker_slots)),
        (
            "while N wait: triggers (deferred tasks' + Asset watcher)",
            f"{row.waiting.task_triggers + row.waiting.watcher_triggers} "
            f"({row.waiting.task_triggers} + {row.waiting.watcher_triggers})",
        ),
        ("webhook deliveries (attempts, answers)", deliveries(row)),
        ("fetch DAG runs", str(row.fetch_runs) if row.pattern != SENSOR else "- (same run)"),
        ("pattern wall time (s)", f"{row.wall_seconds:.0f}"),
    ]
    if row.error is not None:
        return [(label, "missing") for label, _ in found]
    return found


def table(rows: list[Row]) -> str:
    """Return the figures as a Markdown table, one column per pattern."""
    columns = [figures(row) for row in rows]
    lines = [
        "| N = " + str(rows[0].jobs) + " | " + " | ".join(row.pattern for row in rows) + " |",
        "|---|" + "---:|" * len(rows),
    ]
    for index, (label, _) in enumerate(columns[0]):
        lines.append(f"| {label} | " + " | ".join(column[index][1] for column in columns) + " |")
    return "\n".join(lines)


def report(run: Run) -> str:
    """Return the table and the notes of a run."""
    settings = run.settings
    latencies = {
        row.pattern: ", ".join(
            f"{value:.1f}" for _, value in sorted(row.latencies.items(), key=lambda kv: kv[1])
        )
        for row in run.rows
        if row.latencies
    }
    lines = [
        table(run.rows),
        "",
        f"N = {settings.jobs} per pattern; poll/poke interval {settings.poll_interval:g} s; one job finished "
        f"every {settings.gap:g} s; benchmark wall time {run.wall_seconds:.0f} s.",
        *(f"- {note}" for note in run.notes),
        *(f"- latencies ({pattern}, s): {values}" for pattern, values in latencies.items()),
        *(f"- {row.pattern}: left for a later event: {row.left_over}" for row in run.rows if row.left_over),
        *(
            f"- {row.pattern}: MISSING: {row.error}; webhook deliveries: {deliveries(row)}"
            for row in run.rows
            if row.error
        ),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> Run:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=Settings.jobs, help="recordings per pattern (N)")
    parser.add_argument("--poll-interval", type=float, default=Settings.poll_interval)
    parser.add_argument("--gap", type=float, default=Settings.gap, help="seconds between completions")
    parser.add_argument("--tail", type=float, default=Settings.tail)
    parser.add_argument("--patterns", default=",".join(PATTERNS), help="comma-separated, in run order")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    patterns = tuple(p for p in args.patterns.split(",") if p)
    unknown = set(patterns) - set(PATTERNS)
    if unknown:
        parser.error(f"unknown patterns {sorted(unknown)}; choose from {PATTERNS}")
    settings = Settings(args.jobs, args.poll_interval, args.gap, args.tail, patterns, args.workdir)
    run = measure(settings)
    print(report(run))
    return run


if __name__ == "__main__":
    main(sys.argv[1:])
