"""Recording N webhook deliveries: the Asset state store (Airflow 3.3+) against an event search (3.1/3.2).

Run: ``.venv/bin/python benchmarks/bench_receiver.py [--deliveries 2000] [--duplicates 200]``.

The receiver records each finished job once per Asset. On Airflow 3.3+ it claims a key per job
in the Asset's state store; before 3.3 there is no such table, so it searches the Asset's events
of the last 48 hours for the job id. Both paths run here on the same Airflow (the search path
forced), each on its own connection and Asset, through the real receiver app under uvicorn on
127.0.0.1 and a SQLite metadata database: N deliveries of distinct jobs one after another, as a
busy day's webhooks arrive, then D repeated deliveries of jobs already recorded. Latencies are the
client's, per delivery; each path checks that it recorded exactly N events.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

SECRET = "bench-receiver-secret-0123456789"
PATHS = {"state store (3.3+)": "revai_bench_store", "event search (3.1/3.2)": "revai_bench_search"}


@dataclass
class PathRun:
    """One dedup path's deliveries: client latencies (ms) and what the receiver answered."""

    path: str
    latencies_ms: list[float] = field(default_factory=list)
    duplicate_ms: list[float] = field(default_factory=list)
    recorded: int = 0
    duplicates: int = 0
    events: int = 0
    store_keys: int = 0
    seconds: float = 0.0

    def window(self, first: bool, share: float = 0.1) -> list[float]:
        """The first or last ``share`` of the deliveries' latencies."""
        size = max(1, int(len(self.latencies_ms) * share))
        return self.latencies_ms[:size] if first else self.latencies_ms[-size:]


def job_body(index: int) -> dict[str, Any]:
    """A finished job as Rev AI posts it (documented shape: ``{"job": {...}}``)."""
    job_id = f"BenchJob{index:08d}"
    return {
        "job": {
            "id": job_id,
            "status": "transcribed" if index % 10 else "failed",
            "created_on": "2026-12-04T05:00:00.000Z",
            "completed_on": "2026-12-04T05:03:00.000Z",
            "duration_seconds": 180.0,
            "name": f"{job_id}.wav",
            "type": "async",
            "language": "en",
            "metadata": f"nightly calls {index}",
            **(
                {} if index % 10 else {"failure": "download_failure", "failure_detail": "403 from media host"}
            ),
        }
    }


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_path(path: str, conn_id: str, deliveries: int, duplicates: int) -> PathRun:
    """Deliver ``deliveries`` jobs then ``duplicates`` repeats to ``conn_id``'s receiver route."""
    import requests
    from support import Receiver, declare_asset, recorded_events

    from airflow_provider_rev.completions import CompletionFilter

    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = (
        f'{{"conn_type": "revai", "host": "http://127.0.0.1:9", "password": "bench-token-0123456789", '
        f'"extra": {{"webhook_secret": "{SECRET}"}}}}'
    )
    asset = f"revai_jobs__{conn_id}"
    declare_asset(asset, conn_id, accept=CompletionFilter(only_provider_jobs=False))
    run = PathRun(path)
    search = path.startswith("event search")
    with (
        mock.patch("airflow_provider_rev.receiver.record._state_store_model", return_value=None)
        if search
        else contextlib.nullcontext(),
        Receiver(conn_id, SECRET) as receiver,
        requests.Session() as http,
    ):
        started = time.perf_counter()
        for index in range(deliveries):
            sent = time.perf_counter()
            answer = receiver.post(job_body(index), session=http)
            run.latencies_ms.append((time.perf_counter() - sent) * 1000)
            answer.raise_for_status()
            run.recorded += len(answer.json()["recorded"])
        run.seconds = time.perf_counter() - started
        step = max(1, deliveries // max(1, duplicates))
        for index in list(range(0, deliveries, step))[:duplicates]:
            sent = time.perf_counter()
            answer = receiver.post(job_body(index), session=http)
            run.duplicate_ms.append((time.perf_counter() - sent) * 1000)
            answer.raise_for_status()
            run.duplicates += len(answer.json()["duplicate"])
            run.recorded += len(answer.json()["recorded"])
    run.events = len(recorded_events(asset))
    run.store_keys = state_store_keys(asset)
    return run


def state_store_keys(asset: str) -> int:
    """How many delivered-job keys the Asset's state store holds (0 before Airflow 3.3)."""
    from airflow.models.asset import AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    from airflow_provider_rev.receiver.record import KEY_PREFIX, _state_store_model

    model = _state_store_model()
    if model is None:
        return 0
    with create_session() as session:
        query = (
            select(func.count())
            .select_from(model)
            .join(AssetModel, AssetModel.id == model.asset_id)
            .where(AssetModel.name == asset, model.key.startswith(KEY_PREFIX))
        )
        return int(session.scalar(query) or 0)


def report(runs: list[PathRun]) -> None:
    deliveries = len(runs[0].latencies_ms)
    rows: list[tuple[str, list[str]]] = [
        ("deliveries of distinct jobs", [str(len(r.latencies_ms)) for r in runs]),
        ("events recorded (must equal deliveries)", [str(r.events) for r in runs]),
        ("state store keys written", [str(r.store_keys) for r in runs]),
        ("deliveries per second", [f"{len(r.latencies_ms) / r.seconds:.0f}" for r in runs]),
        ("latency p50, first 10% (ms)", [f"{statistics.median(r.window(True)):.1f}" for r in runs]),
        ("latency p50, last 10% (ms)", [f"{statistics.median(r.window(False)):.1f}" for r in runs]),
        ("latency p95, last 10% (ms)", [f"{quantile(r.window(False), 0.95):.1f}" for r in runs]),
        (
            "repeated deliveries answered duplicate",
            [f"{r.duplicates} of {len(r.duplicate_ms)}" for r in runs],
        ),
        (
            "repeat latency p50 (ms)",
            [f"{statistics.median(r.duplicate_ms):.1f}" for r in runs if r.duplicate_ms],
        ),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"\nwebhook receiver, {deliveries} deliveries one after another, SQLite")
    print(f"{'':{width}} | " + " | ".join(f"{r.path:>24}" for r in runs))
    for label, values in rows:
        if values:
            print(f"{label:{width}} | " + " | ".join(f"{v:>24}" for v in values))


def main(argv: Sequence[str] | None = None) -> list[PathRun]:
    """Run both paths; the Airflow metadata database must exist (see ``__main__``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--duplicates", type=int, default=200)
    args = parser.parse_args(argv)
    runs = [run_path(path, conn, args.deliveries, args.duplicates) for path, conn in PATHS.items()]
    report(runs)
    return runs


if __name__ == "__main__":
    home = tempfile.mkdtemp(prefix="revai-bench-receiver-")
    os.environ.update(
        AIRFLOW_HOME=home,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
    )
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, stdout=subprocess.DEVNULL)
    main()
