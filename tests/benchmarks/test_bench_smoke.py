"""benchmarks/bench_api_calls.py keeps working: a tiny run, checked for facts that must hold.

Only structural facts (counts, completions, what was found) are asserted, never timings.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_api_calls.py"
JOBS = 5
SCAN_SIZE = 2500  # not a multiple of the 1000-job page, below max_scan_jobs (5000)
# Media minutes whose processing times (with the default 20 s + 0.03 s per audio second: 21.8,
# 45.2 and 70.4 s) are far from a multiple of the 30 s poll interval, so a few ms of latency
# cannot add or drop a check.
DURATIONS = (1, 14, 28)


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("bench_api_calls", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def report(bench: ModuleType) -> Any:
    defaults = bench.Settings()
    for minutes in DURATIONS:
        polls = defaults.processing_time(minutes) / defaults.poll_interval
        assert 0.2 < polls % 1 < 0.8, f"{minutes} min ends too close to a check; pick other DURATIONS"
    return bench.main(
        [
            "--jobs",
            str(JOBS),
            "--durations",
            ",".join(map(str, DURATIONS)),
            "--clock-speed",
            "120",
            "--scan-sizes",
            str(SCAN_SIZE),
        ]
    )


def rows(report: Any, table: str) -> dict[str, Any]:
    return {row.approach: row for row in getattr(report, table)}


def test_every_job_completes_when_nothing_fails(bench: ModuleType, report: Any) -> None:
    waiting = rows(report, "waiting")
    assert len(waiting) == 3
    for row in waiting.values():
        assert row.completed == JOBS, row.approach
        assert row.counts[bench.POST_JOBS] == JOBS, row.approach
        assert row.jobs_created == JOBS, row.approach


def test_the_trigger_polls_no_more_than_a_worker_loop(bench: ModuleType, report: Any) -> None:
    waiting = rows(report, "waiting")
    naive = waiting["naive: worker-held requests loop"]
    ours = waiting["ours: operator, deferrable"]
    assert 0 < ours.counts[bench.GET_JOB] <= naive.counts[bench.GET_JOB]
    # Both wait a whole poll interval between two checks of a job.
    assert naive.early_checks == 0
    assert ours.early_checks == 0
    assert ours.loop_cpu is not None and naive.loop_cpu is None


def test_under_faults_ours_completes_every_job_and_bills_each_once(bench: ModuleType, report: Any) -> None:
    faults = rows(report, "faults")
    assert len(faults) == 4
    for row in faults.values():
        assert row.faulted > 0, row.approach
        # A task that did not complete says why.
        assert all(outcome.completed or outcome.error for outcome in row.outcomes), row.approach
    ours = faults["ours: operator, deferrable, task retries"]
    assert ours.completed == JOBS
    assert ours.jobs_created == JOBS
    wrapped = faults["naive + try/except, sleep, retry"]
    assert wrapped.completed == JOBS


def test_pay_once_lookup_costs(bench: ModuleType, report: Any) -> None:
    lookups = {lookup.scenario: lookup for lookup in report.lookups}
    assert {lookup.account_jobs for lookup in report.lookups} == {SCAN_SIZE}
    pages = math.ceil(SCAN_SIZE / 1000)

    store = lookups["task state store (Airflow 3.3+)"]
    assert store.found
    assert sum(store.counts.values()) == 1 and store.counts[bench.GET_JOB] == 1

    newest = lookups["scan: earlier job is the newest"]
    assert newest.found and dict(newest.counts) == {bench.LIST_JOBS: 1}

    oldest = lookups["scan: K-1 jobs submitted after it"]
    assert oldest.found and dict(oldest.counts) == {bench.LIST_JOBS: pages}

    absent = lookups["scan: no earlier job, K in this run"]
    assert not absent.found and dict(absent.counts) == {bench.LIST_JOBS: pages}

    before_run = lookups["scan: no earlier job, K before run"]
    assert not before_run.found and dict(before_run.counts) == {bench.LIST_JOBS: 1}
    assert store.bytes_received < newest.bytes_received < absent.bytes_received
