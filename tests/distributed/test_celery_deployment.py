"""The mapped batch example on a production-shaped deployment, healthy and under faults.

One deployment for every scenario: PostgreSQL and Redis (throwaway, on 127.0.0.1), an
api-server, a scheduler, a dag-processor, two triggerers and two Celery workers, and the
emulator. The scenarios run in order on it, each a new run of ``example_rev_batch`` over new
recordings, and each is asserted from the REST API and the emulator's counts:

1. a healthy batch of 20: every task green, one job billed per recording, one transcript file
   per recording whose manifest matches it;
2. ``kill -9`` of the worker running a submit whose ``POST /jobs`` reached Rev AI (the answer
   is held back): the retry runs on the other worker and reconnects to the job;
3. ``kill -9`` of a triggerer while the submits are deferred: the other takes over its
   triggers, each event fires once;
4. a scheduler restart while submits are running and deferring: nothing is lost;
5. webhooks: every job delivered three times at once to the api-server's two processes is
   recorded once on PostgreSQL (the Asset state store's key settles the race).

Last, the deployment is stopped and must leave no process and no port behind.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
import requests
from distributed.cluster import (
    API_WORKERS,
    DAG_ID,
    FIGURES,
    HOOKS_CONN,
    HOOKS_SECRET,
    JOB_SECONDS,
    TRIGGERERS,
    WORKERS,
    Batch,
    Cluster,
    dags_folder,
    distributed_spec,
)
from integration.fire_and_forget import asset_events
from integration.harness import (
    Deployment,
    TaskInstance,
    free_port,
    port_is_free,
    postgres,
    postgres_folder,
    redis,
)
from support import MediaServer

from airflow_provider_rev.emulator import RevAIEmulator, serve_media
from airflow_provider_rev.receiver.app import RACE_LOST
from airflow_provider_rev.webhooks import webhook_url

pytestmark = pytest.mark.distributed

RecordProperty = Callable[[str, object], None]
WEBHOOK_JOBS = 20
WEBHOOK_COPIES = 3
#: What uvicorn logs as each API-server process starts.
API_PID = re.compile(r"Started server process \[(\d+)\]")
STARTED = time.monotonic()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Start the deployment once for every scenario; stop it and remove its data whatever happens."""
    root = tmp_path_factory.mktemp("distributed")
    media_folder = root / "media"
    media_folder.mkdir()
    pg_folder = postgres_folder()
    redis_folder = root / "redis"
    redis_folder.mkdir()
    emu = RevAIEmulator(processing_seconds=JOB_SECONDS).start()
    cluster: Cluster | None = None
    try:
        with serve_media(media_folder) as media_root:
            pg = postgres(pg_folder, free_port())
            broker = redis(redis_folder, free_port())
            spec = distributed_spec(dags_folder(root), pg, broker, emu)
            with Deployment(spec, root / "deployment") as deployment:
                FIGURES.append(
                    f"start-up (initdb, migrate, 9 processes healthy): {deployment.started_seconds:.0f} s"
                )
                deployment.wait_for_dag(DAG_ID)
                deployment.api.unpause(DAG_ID)
                output = root / "transcripts"
                cluster = Cluster(deployment, emu, MediaServer(media_folder, media_root), output)
                yield cluster
    finally:
        (cluster.emu if cluster else emu).stop()
        shutil.rmtree(pg_folder, ignore_errors=True)


def succeeded(batch: Batch) -> None:
    """Assert the run and every mapped task succeeded and each recording was billed once."""
    assert batch.state == "success", batch.task_instances
    for task_id in ("submit", "fetch"):
        mapped = batch.of(task_id, batch.task_instances)
        assert [ti.map_index for ti in mapped] == list(range(batch.size))
        assert {ti.state for ti in mapped} == {"success"}, mapped
    assert len(batch.new_jobs()) == batch.size
    assert batch.posts_per_recording() == Counter(dict.fromkeys(batch.urls, 1))


def transcripts_match(batch: Batch) -> None:
    """Assert one transcript file per recording, and each fetch's manifest describes its file."""
    api = batch.api
    submitted = {api.xcom(DAG_ID, batch.run_id, "submit", i) for i in range(batch.size)}
    assert submitted == {job["id"] for job in batch.new_jobs()}
    files = set()
    for i in range(batch.size):
        manifest = api.xcom(DAG_ID, batch.run_id, "fetch", i)
        path = Path(manifest["uri"].removeprefix("file://"))
        data = path.read_bytes()
        files.add(path)
        assert manifest["job_id"] == api.xcom(DAG_ID, batch.run_id, "submit", i)
        assert manifest["bytes"] == len(data)
        assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
        elements = [e for m in json.loads(data)["monologues"] for e in m["elements"] if e["type"] == "text"]
        assert " ".join(e["value"] for e in elements) == f"{batch.name} recording {i}"
    run_folder = {path.parent for path in files}
    assert len(run_folder) == 1
    assert sorted(run_folder.pop().iterdir()) == sorted(files)


def test_1_mapped_batch_is_green_and_billed_once(cluster: Cluster, record_property: RecordProperty) -> None:
    batch = Batch(cluster, "healthy", 20).run()
    FIGURES.append(batch.figures("1. healthy batch"))
    record_property("seconds", round(batch.seconds, 1))
    succeeded(batch)
    assert batch.peak_deferred == batch.size
    assert {ti.try_number for ti in batch.task_instances} == {1}
    transcripts_match(batch)


class WorkerKill:
    """Kill -9 the worker running the submit whose POST the emulator holds, once the job exists."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.killed: str | None = None
        self.map_index = -1

    def __call__(self, batch: Batch, submits: list[TaskInstance]) -> bool:
        deployment = self.cluster.deployment
        if self.killed is None:
            bodies = self.cluster.emu.received_bodies("POST /jobs")[batch.posts_before :]
            if not bodies or not batch.new_jobs():
                return False
            self.map_index = batch.urls.index(bodies[0]["source_config"]["url"])
            held = submits[self.map_index] if len(submits) == batch.size else None
            if held is None or held.state != "running" or held.pid is None:
                return False
            worker = deployment.component_of(held.pid)
            if worker not in WORKERS:
                return False
            deployment.kill(worker)
            self.killed = worker
        return True

    def ran_try(self, batch: Batch, attempt: int) -> list[str]:
        """Return the workers whose logs say they ran ``attempt`` of the held submit."""
        log = f"run_id={batch.run_id}/task_id=submit/map_index={self.map_index}/attempt={attempt}.log"
        return [name for name in WORKERS if log in self.cluster.deployment.log_text(name)]


def test_2_worker_killed_after_post_retry_reconnects(
    cluster: Cluster, record_property: RecordProperty
) -> None:
    kill = WorkerKill(cluster)
    batch = Batch(cluster, "worker-loss", 8, while_submitting=kill)
    cluster.emu.inject("POST /jobs", 503, after_commit=True, delay=60)
    try:
        batch.run()
    finally:
        cluster.emu.clear_faults()
        if kill.killed:
            cluster.deployment.restart(kill.killed)
    FIGURES.append(batch.figures(f"2. {kill.killed} killed -9 mid-POST"))
    assert kill.killed in WORKERS
    succeeded(batch)
    held = batch.of("submit", batch.task_instances)[kill.map_index]
    assert held.try_number == 2, held
    assert kill.ran_try(batch, 1) == [kill.killed]
    assert kill.ran_try(batch, 2) == [w for w in WORKERS if w != kill.killed], (
        "the retry ran on the other worker"
    )
    assert batch.counts["GET /jobs"] >= 1, "the retry looked the job up by its key"
    transcripts_match(batch)


TRIGGER_LOG = re.compile(r"/map_index=(\d+)/attempt=\d+\.log\.trigger\.\d+\.log$")


def held_triggers(deployment: Deployment, name: str, run_id: str) -> set[int]:
    """Return the map indexes of the run's submits whose triggers the triggerer ``name`` runs.

    A triggerer keeps each running trigger's log file (``....trigger.<job id>.log``) open.
    """
    try:
        root = psutil.Process(deployment.pid(name))
        procs = [root, *root.children(recursive=True)]
    except (psutil.Error, KeyError):
        return set()
    held: set[int] = set()
    for proc in procs:
        try:
            files = proc.open_files()
        except psutil.Error:
            continue
        for file in files:
            match = TRIGGER_LOG.search(file.path)
            if match and f"/run_id={run_id}/task_id=submit/" in file.path:
                held.add(int(match.group(1)))
    return held


class TriggererKill:
    """Kill -9 the triggerer running most of the batch's triggers; wait until the other runs them all."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.killed = ""
        self.survivor = ""
        self.before: dict[str, int] = {}
        self.takeover_seconds = 0.0

    def __call__(self, batch: Batch) -> None:
        deployment = self.cluster.deployment
        self.before = {name: len(held_triggers(deployment, name, batch.run_id)) for name in TRIGGERERS}
        self.killed = max(TRIGGERERS, key=lambda name: self.before[name])
        self.survivor = next(name for name in TRIGGERERS if name != self.killed)
        deployment.kill(self.killed)
        killed_at = time.monotonic()
        deployment.wait_until(
            lambda: len(held_triggers(deployment, self.survivor, batch.run_id)) == batch.size,
            120,
            lambda: f"{self.survivor} runs {held_triggers(deployment, self.survivor, batch.run_id)}",
            interval=2,
        )
        self.takeover_seconds = time.monotonic() - killed_at


def fired_events(cluster: Cluster, batch: Batch) -> Counter[int]:
    """Return how many trigger events the triggerers logged for each mapped submit.

    Airflow writes ``Trigger fired event`` to the trigger's own log file, or to the triggerer's
    log once that file is closed: both are counted.
    """
    deployment = cluster.deployment
    fired: Counter[int] = Counter()
    logs = deployment.home / "logs" / f"dag_id={DAG_ID}" / f"run_id={batch.run_id}" / "task_id=submit"
    for path in logs.rglob("*.trigger.*.log"):
        index = int(path.parent.name.removeprefix("map_index="))
        fired[index] += path.read_text(errors="replace").count("Trigger fired event")
    name = re.compile(rf"Trigger fired event .*name='{DAG_ID}/{re.escape(batch.run_id)}/submit/(\d+)/")
    for triggerer in TRIGGERERS:
        fired.update(int(m.group(1)) for m in name.finditer(deployment.log_text(triggerer)))
    return fired


def test_3_triggerer_killed_other_takes_over(cluster: Cluster, record_property: RecordProperty) -> None:
    kill = TriggererKill(cluster)
    batch = Batch(cluster, "triggerer-loss", 8, while_deferred=kill)
    try:
        batch.run()
    finally:
        if kill.killed:
            cluster.deployment.restart(kill.killed)
    FIGURES.append(
        batch.figures(f"3. {kill.killed} killed -9 while deferred")
        + f"; triggers per triggerer before {kill.before}, all {batch.size} on {kill.survivor} "
        f"{kill.takeover_seconds:.0f} s after the kill"
    )
    succeeded(batch)
    assert kill.before[kill.killed] >= 1, kill.before
    assert sum(kill.before.values()) == batch.size, kill.before
    assert {ti.try_number for ti in batch.of("submit", batch.task_instances)} == {1}
    assert fired_events(cluster, batch) == Counter(dict.fromkeys(range(batch.size), 1))
    transcripts_match(batch)


class SchedulerRestart:
    """Restart the scheduler as soon as the mapped submits exist (queued, running or deferring)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.states: Counter[str | None] = Counter()

    def __call__(self, batch: Batch, submits: list[TaskInstance]) -> bool:
        if len(submits) < batch.size:
            return False
        self.states = Counter(ti.state for ti in submits)
        self.cluster.deployment.restart("scheduler")
        return True


def test_4_scheduler_restart_mid_run_loses_nothing(cluster: Cluster, record_property: RecordProperty) -> None:
    restart = SchedulerRestart(cluster)
    batch = Batch(cluster, "scheduler-restart", 8, while_submitting=restart).run()
    states = ", ".join(f"{state} {n}" for state, n in sorted(restart.states.items(), key=str))
    FIGURES.append(batch.figures(f"4. scheduler restarted with submits {states}"))
    assert restart.states, "the scheduler was restarted mid-run"
    succeeded(batch)
    assert {ti.try_number for ti in batch.task_instances} == {1}
    transcripts_match(batch)


def test_5_concurrent_webhook_deliveries_record_each_job_once(cluster: Cluster) -> None:
    """Rev AI delivers again whenever an answer is late or lost, so copies of one delivery can
    reach different API-server processes at once; PostgreSQL must keep exactly one event each.
    """
    from airflow_provider_rev.idempotency import TaskInstanceRef, idempotency_key, tag_metadata

    deployment = cluster.deployment
    ti = TaskInstanceRef("webhooks", "run1", "submit", -1)
    tag = tag_metadata("distributed", idempotency_key(*ti), ti)
    jobs = [f"PgHook{i:06d}" for i in range(WEBHOOK_JOBS)]
    # Each job's copies are next to each other, so the pool sends them at the same moment.
    bodies = [
        {"job": {"id": job, "status": "transcribed", "metadata": tag, "created_on": "2026-12-04T05:00:00Z"}}
        for job in jobs
        for _ in range(WEBHOOK_COPIES)
    ]
    url = webhook_url(deployment.api_url, HOOKS_CONN)
    auth = {"Authorization": f"Bearer {HOOKS_SECRET}"}
    started = time.monotonic()
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda body: requests.post(url, json=body, headers=auth, timeout=60), bodies))
    seconds = time.monotonic() - started
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers if a.status_code != 200]
    asset = f"revai_jobs__{HOOKS_CONN}"
    recorded = Counter(a.json()["job_id"] for a in answers if a.json()["recorded"] == [asset])
    assert recorded == Counter(dict.fromkeys(jobs, 1))
    assert sum(a.json()["duplicate"] == [asset] for a in answers) == len(bodies) - len(jobs)
    events = Counter(e["extra"]["payload"]["id"] for e in asset_events(deployment, "from_webhook"))
    assert events == Counter(dict.fromkeys(jobs, 1))
    wrong = requests.post(url, json=bodies[0], headers={"Authorization": "Bearer " + "x" * 32}, timeout=60)
    assert wrong.status_code == 401
    log = deployment.log_text("api-server")
    assert len({m.group(1) for m in API_PID.finditer(log)}) == API_WORKERS
    FIGURES.append(
        f"5. webhooks: {len(bodies)} deliveries ({WEBHOOK_JOBS} jobs x {WEBHOOK_COPIES}, 12 at a time) to "
        f"{API_WORKERS} api-server processes in {seconds:.1f} s: {len(events)} events, "
        f"{len(bodies) - len(jobs)} answered duplicate, {log.count(RACE_LOST)} of them after losing an "
        "insert race on the state store key"
    )


def test_6_nothing_outlives_the_deployment(cluster: Cluster) -> None:
    deployment = cluster.deployment
    ports = [deployment.api_port, *(c.ready_port for c in deployment.spec.services if c.ready_port)]
    deployment.stop()
    FIGURES.append(f"whole session (start-up, 5 scenarios, stop): {time.monotonic() - STARTED:.0f} s")
    assert len(deployment.seen_pids) >= 9
    assert deployment.leftover_pids() == set()
    assert all(port_is_free(port) for port in ports), ports
