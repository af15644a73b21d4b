"""Fifty deferred sensors in one real triggerer share one poll of Rev AI.

One real deployment (api-server, scheduler, dag-processor, triggerer; LocalExecutor, SQLite)
runs ``integration_shared_poll`` against the emulator: 50 mapped submits, then 50 mapped
deferrable sensors. The emulator holds every job ``in_progress`` until all 50 sensors have
waited together in the triggerer for ``HOLD_SECONDS`` (several poll intervals), then
finishes them all. A fixed processing time cannot do that here: on a small machine the 50
submit tasks alone take about a minute, so early jobs would be done before their sensor's
first check, and a trigger that fires seconds after its task deferred can lose the task to
Airflow's stale-executor-event race (apache/airflow#67287).

The scenario runs once (module fixture), including stopping the deployment; the tests
then check what it recorded: the run, every mapped task, the API calls, the shared poll,
and that nothing the deployment started outlived it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from integration.harness import (
    REPORT,
    AirflowAPI,
    Deployments,
    DeploymentSpec,
    TaskInstance,
    port_is_free,
)
from support import MediaServer, connection_json

from airflow_provider_rev.emulator import RevAIEmulator, serve_media

#: The ``record_property`` fixture: a figure for the JUnit XML report.
RecordProperty = Callable[[str, object], None]

DAG_ID = "integration_shared_poll"
DAGS = Path(__file__).parent / "dags"
RECORDINGS = 50
POKE_INTERVAL = 5
HOLD_SECONDS = 30.0
#: From when the last sensor deferred until every trigger has surely had its first check.
SETTLE_SECONDS = 2 * POKE_INTERVAL + 1
#: Longer than the whole test: jobs finish only when the test advances the emulator's clock.
JOB_SECONDS = 3600.0
RUN_TIMEOUT = 600.0
WAITING_STATES = frozenset({"deferred"})
SETTLED_STATES = frozenset({"deferred", "success", "failed", "upstream_failed", "skipped"})


@dataclass
class BatchRun:
    """What the scenario recorded."""

    state: str = ""
    task_instances: list[TaskInstance] = field(default_factory=list)
    peak_deferred: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    counts_steady: Counter[str] = field(default_factory=Counter)
    counts_at_release: Counter[str] = field(default_factory=Counter)
    startup_seconds: float = 0.0
    run_seconds: float = 0.0
    held_seconds: float = 0.0
    steady_seconds: float = 0.0
    triggerer_log: str = ""
    processes_seen: int = 0
    leftover_pids: set[int] = field(default_factory=set)
    api_port_free: bool = False

    def of(self, task_id: str) -> list[TaskInstance]:
        return [ti for ti in self.task_instances if ti.task_id == task_id]


class Hold:
    """Keep every job in progress until all sensors have been deferred together for a while.

    Called at each poll of the run: counts the mapped ``wait`` tasks that are deferred, and
    once none is still on its way to the triggerer, lets ``HOLD_SECONDS`` pass before
    finishing every job at once by advancing the emulator's clock. Requests from
    ``SETTLE_SECONDS`` after that moment (every trigger has had its first check by then) to
    the release are the steady state: all 50 waiting together.
    """

    def __init__(self, emu: RevAIEmulator, api: AirflowAPI, run: BatchRun, run_id: str) -> None:
        self.emu = emu
        self.api = api
        self.run = run
        self.run_id = run_id
        self.settled_at: float | None = None
        self.steady_at: float | None = None
        self.released_at: float | None = None

    def __call__(self) -> None:
        waits = [ti for ti in self.api.task_instances(DAG_ID, self.run_id) if ti.task_id == "wait"]
        deferred = sum(ti.state in WAITING_STATES for ti in waits)
        self.run.peak_deferred = max(self.run.peak_deferred, deferred)
        if self.released_at is not None:
            return
        settled = len(waits) == RECORDINGS and all(ti.state in SETTLED_STATES for ti in waits)
        now = time.monotonic()
        if settled and self.settled_at is None:
            self.settled_at = now
        if self.settled_at is None:
            return
        if self.steady_at is None and now - self.settled_at >= SETTLE_SECONDS:
            self.steady_at = now
            self.run.counts_steady = self.emu.request_counts
        if self.steady_at is not None and now - self.settled_at >= HOLD_SECONDS:
            self.run.counts_at_release = self.emu.request_counts
            self.run.held_seconds = now - self.settled_at
            self.run.steady_seconds = now - self.steady_at
            self.emu.advance_clock(JOB_SECONDS)
            self.released_at = now


@pytest.fixture(scope="module")
def batch(deployments: Deployments, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BatchRun]:
    """Run the batch once on a fresh deployment, stop the deployment, return what was recorded."""
    folder = tmp_path_factory.mktemp("media")
    result = BatchRun()
    with RevAIEmulator(processing_seconds=JOB_SECONDS) as emu, serve_media(folder) as media_root:
        media = MediaServer(folder, media_root)
        urls = [
            media.add(f"call-{i:02d}", seconds=1.5, transcript=f"Speaker 0: Recording number {i}.")
            for i in range(RECORDINGS)
        ]
        spec = DeploymentSpec(
            dags_folder=DAGS,
            connections={"revai_default": connection_json(emu.base_url, emu.token)},
            config={"core.parallelism": "16"},
        )
        try:
            airflow = deployments.start("shared-poll", spec)
            result.startup_seconds = airflow.started_seconds
            airflow.wait_for_dag(DAG_ID)
            airflow.api.unpause(DAG_ID)
            started = time.monotonic()
            run_id = airflow.api.trigger(DAG_ID, conf={"media_urls": urls})
            hold = Hold(emu, airflow.api, result, run_id)
            result.state = airflow.api.wait_for_run(DAG_ID, run_id, RUN_TIMEOUT, each_poll=hold)
            result.run_seconds = time.monotonic() - started
            result.task_instances = airflow.api.task_instances(DAG_ID, run_id)
            result.counts = emu.request_counts
            result.triggerer_log = airflow.trigger_log_text()
        finally:
            stopped = deployments.stop("shared-poll")
        result.processes_seen = len(stopped.seen_pids)
        result.leftover_pids = stopped.leftover_pids()
        result.api_port_free = port_is_free(stopped.api_port)
    routes = ", ".join(f"{route} {n}" for route, n in sorted(result.counts.items()))
    held = ", ".join(
        f"{route} {n}" for route, n in sorted((result.counts_at_release - result.counts_steady).items())
    )
    REPORT.append(
        f"shared poll, {RECORDINGS} deferred sensors (poke_interval={POKE_INTERVAL} s): start-up "
        f"{result.startup_seconds:.0f} s, run {result.run_seconds:.0f} s, all sensors deferred for "
        f"{result.held_seconds:.0f} s (peak {result.peak_deferred} at once); requests: {routes}; "
        f"in the {result.steady_seconds:.0f} s all waited together: {held or 'none'}"
    )
    yield result


def test_every_submit_and_every_sensor_succeeds(batch: BatchRun, record_property: RecordProperty) -> None:
    record_property("run_seconds", round(batch.run_seconds, 1))
    record_property("startup_seconds", round(batch.startup_seconds, 1))
    assert batch.state == "success"
    for task_id in ("submit", "wait"):
        mapped = batch.of(task_id)
        assert [ti.map_index for ti in mapped] == list(range(RECORDINGS))
        assert {(ti.state, ti.try_number) for ti in mapped} == {("success", 1)}, mapped


def test_every_sensor_waited_in_the_triggerer_at_once(batch: BatchRun) -> None:
    assert batch.peak_deferred == RECORDINGS
    assert batch.held_seconds >= HOLD_SECONDS


def test_each_recording_is_submitted_once(batch: BatchRun, record_property: RecordProperty) -> None:
    record_property("request_counts", dict(batch.counts))
    assert batch.counts["POST /jobs"] == RECORDINGS


def test_waiting_costs_list_calls_not_one_get_per_job(batch: BatchRun) -> None:
    rounds = int(batch.held_seconds // POKE_INTERVAL)
    steady = batch.counts_at_release - batch.counts_steady
    assert "Rev AI shared poll" in batch.triggerer_log
    assert batch.counts["GET /jobs"] >= 1
    # While all 50 waited together, each poll round was one listing, not 50 GET /jobs/{id}.
    assert steady["GET /jobs"] >= int(batch.steady_seconds // POKE_INTERVAL) - 1, steady
    assert steady["GET /jobs/{id}"] <= 5, steady
    # Overall: each sensor's own check on the worker (50), plus at most one individual check
    # per job in the triggerer while the sensors were still deferring one by one; polling
    # each job on its own would have cost 50 per round on top of that.
    assert batch.counts["GET /jobs/{id}"] <= 2 * RECORDINGS, batch.counts
    assert batch.counts["GET /jobs/{id}"] < RECORDINGS * (1 + rounds)


def test_nothing_outlives_the_deployment(batch: BatchRun) -> None:
    assert batch.processes_seen >= 4
    assert batch.leftover_pids == set()
    assert batch.api_port_free
