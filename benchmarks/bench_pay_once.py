"""Finding the job an earlier try submitted (pay-once): the task state store against a scan of the account.

Run: ``.venv/bin/python benchmarks/bench_pay_once.py [--sizes 1000,10000]``.

Rev AI cannot cancel a job, so a task retry that submits its media again pays twice. On its
second try the submit operator looks for the first try's job: in Airflow 3.3's task state store
(one ``GET /jobs/{id}``), else by scanning ``GET /jobs`` pages (1,000 jobs each, newest first, at
most ``max_scan_jobs`` = 5,000 jobs) for the task instance's key in ``metadata``, stopping at the
first job created before the DAG run started (minus 10 minutes of clock skew). Each row is one such
lookup, ``PayOnce.find_earlier`` exactly as the operator calls it, in an account of K jobs where the
earlier job is the newest, the oldest or absent; requests are the emulator's counts.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support import StateStore, connection_json, task_context  # noqa: E402

from airflow_provider_rev.emulator import RevAIEmulator  # noqa: E402
from airflow_provider_rev.emulator.core import EmulatorCore  # noqa: E402
from airflow_provider_rev.emulator.options import parse_options  # noqa: E402
from airflow_provider_rev.hooks.revai import RevAIHook  # noqa: E402
from airflow_provider_rev.idempotency import (  # noqa: E402
    STATE_STORE_KEY,
    PayOnce,
    Submission,
    idempotency_key,
    tag_metadata,
)

CONN_ID = "revai_bench_pay_once"
MAX_SCAN_JOBS = 5000  # SubmitTranscriptionOperator's default max_scan_jobs
MEDIA_URL = "https://media.example.com/call.wav"


@dataclass(frozen=True)
class Scenario:
    """Where the earlier try's job is (``newest``, ``oldest`` or ``none``) and what the task knows."""

    name: str
    earlier: str
    state_store: bool = False
    account_before_run: bool = False


SCENARIOS = (
    Scenario("task state store (Airflow 3.3+)", "newest", state_store=True),
    Scenario("scan: earlier job is the newest", "newest"),
    Scenario("scan: K-1 jobs submitted after it", "oldest"),
    Scenario("scan: no earlier job, K in this run", "none"),
    Scenario("scan: no earlier job, K before run", "none", account_before_run=True),
)


@dataclass
class Lookup:
    """What one lookup cost and found."""

    scenario: str
    account_jobs: int
    list_pages: int
    job_requests: int
    found: bool
    expected: bool


def seed_account(core: EmulatorCore, count: int, earlier_key: str, position: str) -> str | None:
    """Fill the account with ``count`` jobs (runs in the emulator; nothing is a request).

    The earlier try's job (tagged with ``earlier_key``) is the ``newest`` or the ``oldest`` of
    them, or absent (``none``); the others carry other task instances' keys. Returns its id.
    """

    def add(key: str) -> str:
        body = {"source_config": {"url": MEDIA_URL}, "metadata": tag_metadata("nightly", key)}
        return core.store.create(parse_options(body, multipart=False)).id

    earlier = add(earlier_key) if position == "oldest" else None
    for n in range(count - (position != "none")):
        add(idempotency_key("other_dag", f"run{n}", "transcribe", -1))
    return add(earlier_key) if position == "newest" else earlier


def look_up(emu: RevAIEmulator, scenario: Scenario, count: int) -> Lookup:
    """Seed an account of ``count`` jobs and find the earlier try's job as the operator's second try does."""
    emu.reset()
    run_started = emu.call(lambda core: core.clock.now())
    key = PayOnce.from_context(task_context(try_number=2)).key
    earlier = emu.call(lambda core: seed_account(core, count, key, scenario.earlier), timeout=120)
    if scenario.account_before_run:
        emu.advance_clock(timedelta(hours=2).total_seconds())
        run_started = emu.call(lambda core: core.clock.now())
    store = StateStore({STATE_STORE_KEY: earlier}) if scenario.state_store else None
    pay_once = PayOnce.from_context(task_context(try_number=2, started=run_started, state_store=store))
    before = emu.request_counts
    hook = RevAIHook(CONN_ID)

    def never_sent() -> Any:
        raise AssertionError("a lookup never submits")

    submission = Submission(
        "job", STATE_STORE_KEY, never_sent, hook.get_job, lambda: hook.list_jobs(limit=MAX_SCAN_JOBS)
    )
    found = pay_once.find_earlier(submission)
    counts = emu.request_counts - before
    return Lookup(
        scenario.name,
        count,
        counts["GET /jobs"],
        counts["GET /jobs/{id}"],
        found is not None and found.id == earlier,
        earlier is not None,
    )


def table(lookups: list[Lookup]) -> str:
    """Return the lookups as a Markdown table."""
    lines = [
        "| lookup on try 2 | K jobs | GET /jobs | GET /jobs/{id} | found |",
        "|---|---:|---:|---:|---|",
    ]
    for lookup in lookups:
        found = "yes" if lookup.found else "none (right)"
        if lookup.expected and not lookup.found:
            found = "no: beyond max_scan_jobs" if lookup.account_jobs > MAX_SCAN_JOBS else "MISSED"
        lines.append(
            f"| {lookup.scenario} | {lookup.account_jobs:,} | {lookup.list_pages:,} | "
            f"{lookup.job_requests:,} | {found} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> list[Lookup]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="jobs in the account (K), comma-separated")
    sizes = [int(size) for size in parser.parse_args(argv).sizes.split(",") if size]
    with RevAIEmulator(balance_seconds=10**12) as emu:
        env = {f"AIRFLOW_CONN_{CONN_ID.upper()}": connection_json(emu.base_url, emu.token)}
        with mock.patch.dict("os.environ", env):
            lookups = [look_up(emu, scenario, size) for size in sizes for scenario in SCENARIOS]
    print(table(lookups))
    pages = math.ceil(MAX_SCAN_JOBS / 1000)
    print(f"A scan reads at most {pages} pages ({MAX_SCAN_JOBS:,} jobs); the state store one job.")
    return lookups


if __name__ == "__main__":
    main(sys.argv[1:])
