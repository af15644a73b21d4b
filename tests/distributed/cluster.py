"""The distributed deployment as a harness spec, and one batch run of the example DAG on it.

Jobs in the emulator take an hour of emulated time, so none finishes by itself: a
:class:`Batch` waits until every mapped ``submit`` has been deferred for a while (a trigger
that fires seconds after deferral can lose its task to apache/airflow#67287), lets the
scenario act (kill a triggerer, restart the scheduler), and only then finishes every job by
advancing the emulator's clock.

Each batch talks to a new emulator on the same port (the deployment's connection points
there): once a clock has been advanced, Rev AI's ``created_on`` is an hour ahead of the
triggerers' clock, and the provider's adaptive check timing (``created_on`` + 15% of the
duration, capped at 10 minutes) then waits the full 10 minutes between checks.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from integration.harness import (
    MIGRATE,
    Component,
    Deployment,
    DeploymentSpec,
    Service,
    TaskInstance,
    airflow,
    local_components,
    triggerers,
)
from support import MediaServer, connection_json

from airflow_provider_rev.emulator import RevAIEmulator

#: Figures the scenarios measured, printed in the terminal summary.
FIGURES: list[str] = []

DAG_ID = "example_rev_batch"
EXAMPLE_DAG = Path(__file__).resolve().parents[2] / "example_dags" / "example_rev_batch.py"
WEBHOOK_DAG = Path(__file__).resolve().parent / "dags" / "webhook_asset.py"
#: Connection whose jobs call the receiver back; its watcher stays idle (it has a webhook secret).
HOOKS_CONN = "revai_hooks"
HOOKS_SECRET = "distributed-webhook-secret-0123456789"
#: API-server processes: concurrent deliveries of one job race in different processes.
API_WORKERS = 2
POKE_INTERVAL = 5
#: Longer than the whole session: jobs finish only when a batch advances the emulator's clock.
JOB_SECONDS = 3600.0
#: From when the last submit deferred until every trigger has surely had its first check.
SETTLE_SECONDS = 2 * POKE_INTERVAL + 1
RUN_TIMEOUT = 420.0
WORKERS = ("worker-1", "worker-2")
TRIGGERERS = ("triggerer-1", "triggerer-2")
STATUS_ROUTES = ("GET /jobs", "GET /jobs/{id}")


def celery_workers(concurrency: int) -> tuple[Component, ...]:
    """Return the two Celery workers, each with its own node name (they share one host)."""
    return tuple(
        Component(
            name,
            airflow("celery", "worker", "--skip-serve-logs", "-H", f"{name}@%h", "-c", str(concurrency)),
        )
        for name in WORKERS
    )


def distributed_spec(dags: Path, pg: Service, broker: Service, emu: RevAIEmulator) -> DeploymentSpec:
    """Return the spec: PostgreSQL and Redis services, api-server (two processes), scheduler,
    dag-processor, two triggerers and two Celery workers; failure detection shortened so faults
    heal in seconds.
    """

    base = [c for c in local_components() if "triggerer" not in c.name]
    return DeploymentSpec(
        dags_folder=dags,
        services=(pg.component, broker.component),
        prepare=pg.prepare,
        setup=(*pg.ready, MIGRATE),
        components=(*base, *triggerers(2), *celery_workers(4)),
        executor="CeleryExecutor",
        database_url=pg.url,
        connections={
            "revai_default": connection_json(emu.base_url, emu.token),
            HOOKS_CONN: connection_json(emu.base_url, emu.token, webhook_secret=HOOKS_SECRET),
        },
        config={
            "api.workers": str(API_WORKERS),
            "celery.broker_url": broker.url,
            "celery.result_backend": f"db+{pg.url}",
            "core.parallelism": "16",
            "core.default_task_retries": "2",
            "core.default_task_retry_delay": "5",
            "scheduler.task_instance_heartbeat_timeout": "30",
            "scheduler.task_instance_heartbeat_timeout_detection_interval": "5",
            # Tasks a killed worker had taken but not started stay queued until this timeout.
            "scheduler.task_queued_timeout": "90",
            "scheduler.task_queued_timeout_check_interval": "10",
            "triggerer.triggerer_health_check_threshold": "15",
        },
        env={"REVAI_EXAMPLE_POKE_INTERVAL": str(POKE_INTERVAL)},
        startup_timeout=240.0,
    )


def dags_folder(root: Path) -> Path:
    """Return a DAGs folder with the mapped batch example and the webhook Asset's (paused) DAG."""
    folder = root / "dags"
    folder.mkdir()
    shutil.copy(EXAMPLE_DAG, folder / EXAMPLE_DAG.name)
    shutil.copy(WEBHOOK_DAG, folder / WEBHOOK_DAG.name)
    return folder


@dataclass
class Cluster:
    """The running deployment and what the scenarios share: emulator, media, output folder."""

    deployment: Deployment
    emu: RevAIEmulator
    media: MediaServer
    output: Path

    def fresh_emulator(self) -> RevAIEmulator:
        """Replace the emulator by a new one on the same port: no jobs, no counts, its clock at real time."""
        port = self.emu.port
        self.emu.stop()
        self.emu = RevAIEmulator(processing_seconds=JOB_SECONDS, port=port).start()
        return self.emu


@dataclass
class Batch:
    """One run of ``example_rev_batch`` over ``size`` new recordings, and what it recorded.

    :param while_deferred: called once every submit has been deferred for ``SETTLE_SECONDS``;
        the jobs are finished ``hold`` seconds after it returns.
    :param while_submitting: called at each poll with the mapped submits until it returns ``True``.
    """

    cluster: Cluster
    name: str
    size: int
    hold: float = 10.0
    while_deferred: Callable[[Batch], None] | None = None
    while_submitting: Callable[[Batch, list[TaskInstance]], bool] | None = None
    urls: list[str] = field(default_factory=list)
    run_id: str = ""
    state: str = ""
    seconds: float = 0.0
    task_instances: list[TaskInstance] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    peak_deferred: int = 0
    _before: Counter[str] = field(default_factory=Counter)
    _jobs_before: set[str] = field(default_factory=set)
    posts_before: int = 0
    _settled_at: float | None = None
    _released_at: float | None = None
    _submitting_done: bool = False

    def __post_init__(self) -> None:
        self.cluster.fresh_emulator()

    @property
    def api(self) -> Any:
        return self.cluster.deployment.api

    def run(self) -> Batch:
        """Trigger the run, hold the jobs until the scenario has acted, wait for the run's end."""
        self.urls = [
            self.cluster.media.add(f"{self.name}-{i:02d}", 1.5, f"Speaker 0: {self.name} recording {i}.")
            for i in range(self.size)
        ]
        self._before = self.cluster.emu.request_counts
        self._jobs_before = {job["id"] for job in self.cluster.emu.jobs()}
        self.posts_before = len(self.cluster.emu.received_bodies("POST /jobs"))
        started = time.monotonic()
        self.run_id = self.api.trigger(
            DAG_ID,
            conf={"media_urls": self.urls, "output_uri": self.cluster.output.as_uri()},
            run_id=f"{self.name}-{int(time.time())}",
        )
        self.state = self.api.wait_for_run(DAG_ID, self.run_id, RUN_TIMEOUT, each_poll=self._poll)
        self.seconds = time.monotonic() - started
        self.task_instances = self.api.task_instances(DAG_ID, self.run_id)
        self.counts = self.cluster.emu.request_counts - self._before
        return self

    def _poll(self) -> None:
        submits = self.of("submit", self.api.task_instances(DAG_ID, self.run_id))
        deferred = sum(ti.state == "deferred" for ti in submits)
        self.peak_deferred = max(self.peak_deferred, deferred)
        if self.while_submitting is not None and not self._submitting_done:
            self._submitting_done = self.while_submitting(self, submits)
        if self._released_at is not None:
            return
        now = time.monotonic()
        if self._settled_at is None and len(submits) == self.size and deferred == self.size:
            self._settled_at = now
        if self._settled_at is None or now - self._settled_at < SETTLE_SECONDS:
            return
        if self.while_deferred is not None:
            self.while_deferred(self)
            self.while_deferred = None
            self._settled_at = time.monotonic() - SETTLE_SECONDS
        if now - self._settled_at >= SETTLE_SECONDS + self.hold:
            self.cluster.emu.advance_clock(JOB_SECONDS)
            self._released_at = now

    @staticmethod
    def of(task_id: str, tis: list[TaskInstance]) -> list[TaskInstance]:
        return [ti for ti in tis if ti.task_id == task_id]

    def new_jobs(self) -> list[dict[str, Any]]:
        """Return the jobs the emulator created during this batch (each one is billed)."""
        return [job for job in self.cluster.emu.jobs() if job["id"] not in self._jobs_before]

    def posts_per_recording(self) -> Counter[str]:
        """Return how many ``POST /jobs`` each of this batch's recordings got (media URL -> count)."""
        bodies = self.cluster.emu.received_bodies("POST /jobs")[self.posts_before :]
        return Counter(body["source_config"]["url"] for body in bodies)

    def tries(self) -> Counter[str]:
        """Return the task tries of the run, per task id."""
        tries: Counter[str] = Counter()
        for ti in self.task_instances:
            tries[ti.task_id] += ti.try_number
        return tries

    def figures(self, scenario: str) -> str:
        """Return one line for the report: wall time, jobs billed, status requests per job, tries."""
        billed = len(self.new_jobs())
        status = sum(self.counts[route] for route in STATUS_ROUTES)
        tries = ", ".join(f"{task} {n}" for task, n in sorted(self.tries().items()))
        return (
            f"{scenario}: {self.size} recordings, run {self.seconds:.0f} s, {billed} jobs billed "
            f"(POST /jobs {self.counts['POST /jobs']}), status requests per job {status / self.size:.2f} "
            f"(GET /jobs {self.counts['GET /jobs']}, GET /jobs/{{id}} {self.counts['GET /jobs/{id}']}), "
            f"task tries: {tries}"
        )
