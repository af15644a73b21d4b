"""The benchmarks keep working: tiny runs, checked for facts that must hold, never for timings."""

from __future__ import annotations

import importlib
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
JOBS = 20
SCAN_SIZE = 2500  # not a multiple of the 1,000-job page, below max_scan_jobs (5,000)

pytest.importorskip("airflow.triggers.shared_stream", reason="shared trigger streams need Airflow 3.3+")


@pytest.fixture(scope="module")
def benchmarks() -> Iterator[None]:
    """Import the scripts by name: the emulator's child process imports them the same way."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def waiting(benchmarks: None) -> Any:
    bench: ModuleType = importlib.import_module("bench_waiting")
    # Every job submitted at once: the first round finds every job due, so the shared poll lists.
    argv = ["--jobs", str(JOBS), "--clock-speed", "50", "--max-minutes", "2", "--submitted-over", "0"]
    return bench.main([*argv, "--chart", "", "--in-process"])


@pytest.fixture(scope="module")
def lookups(benchmarks: None) -> Any:
    bench: ModuleType = importlib.import_module("bench_pay_once")
    return {lookup.scenario: lookup for lookup in bench.main(["--sizes", str(SCAN_SIZE)])}


def test_every_job_gets_one_transcribed_event_on_every_path(waiting: Any) -> None:
    assert [row.path for row in waiting.rows] == ["shared", "per-job", "watcher"]
    for row in waiting.rows:
        assert row.jobs == JOBS
        assert dict(row.events) == {"transcribed": JOBS}, row.path
        assert len(row.latencies) == JOBS and min(row.latencies) >= 0, row.path


def test_the_shared_poll_lists_and_sends_fewer_status_requests_without_a_429(waiting: Any) -> None:
    shared, per_job, _ = waiting.rows
    assert shared.requests["GET /jobs"] >= 1
    assert per_job.requests["GET /jobs"] == 0 and per_job.requests["GET /jobs/{id}"] >= JOBS
    assert shared.status_requests < per_job.status_requests
    assert shared.rate_limited == 0


def test_the_watcher_only_lists(waiting: Any) -> None:
    watcher = waiting.rows[-1]
    assert watcher.requests["GET /jobs"] >= 1 and watcher.requests["GET /jobs/{id}"] == 0
    assert watcher.status_requests == sum(watcher.requests.values())


def test_pay_once_lookups_find_the_earlier_job_and_cost_what_they_should(lookups: Any) -> None:
    pages = math.ceil(SCAN_SIZE / 1000)
    store = lookups["task state store (Airflow 3.3+)"]
    assert store.found and (store.list_pages, store.job_requests) == (0, 1)
    newest = lookups["scan: earlier job is the newest"]
    assert newest.found and (newest.list_pages, newest.job_requests) == (1, 0)
    oldest = lookups["scan: K-1 jobs submitted after it"]
    assert oldest.found and (oldest.list_pages, oldest.job_requests) == (pages, 0)
    absent = lookups["scan: no earlier job, K in this run"]
    assert not absent.found and not absent.expected and absent.list_pages == pages
    before_run = lookups["scan: no earlier job, K before run"]
    assert not before_run.found and before_run.list_pages == 1


@pytest.fixture(scope="module")
def receiver_runs(benchmarks: None, airflow_db: None) -> Any:
    bench: ModuleType = importlib.import_module("bench_receiver")
    return bench.main(["--deliveries", "30", "--duplicates", "10"])


def test_both_receiver_paths_record_each_job_once_and_answer_repeats_as_duplicates(
    receiver_runs: Any,
) -> None:
    assert [run.path for run in receiver_runs] == ["state store (3.3+)", "event search (3.1/3.2)"]
    for run in receiver_runs:
        assert (run.events, run.recorded) == (30, 30), run.path
        assert run.duplicates == 10 and len(run.duplicate_ms) == 10, run.path
        assert len(run.latencies_ms) == 30 and min(run.latencies_ms) > 0, run.path
    store, search = receiver_runs
    assert (store.store_keys, search.store_keys) == (30, 0), "the search path must not use the state store"
