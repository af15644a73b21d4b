"""Peak memory of saving a long transcript: FetchTranscriptOperator streaming vs fetch-then-write.

Run: ``.venv/bin/python benchmarks/bench_fetch_memory.py [size_mib]``. Both save the same
plain-text transcript served by a loopback server; peak Python allocations via tracemalloc.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from unittest.mock import MagicMock

sys.path.insert(0, str(Path(__file__).parent))
from _sink import Sink  # noqa: E402


def measure(label: str, run: Callable[[], object]) -> tuple[str, float, float]:
    started = time.perf_counter()
    run()
    elapsed = time.perf_counter() - started  # timed without tracemalloc, which slows allocation
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return label, peak / 2**20, elapsed


def main() -> None:
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    line = b"Speaker 0    00:00:00    " + b"word " * 40 + b"\n"
    payload = line * (size_mib * 2**20 // len(line))
    with tempfile.TemporaryDirectory() as tmp, Sink(payload) as sink:
        os.environ["AIRFLOW_CONN_REVAI_BENCH"] = (
            f'{{"conn_type": "revai", "host": "{sink.url}", "password": "bench-token"}}'
        )
        from airflow_provider_rev.hooks.revai import RevAIHook
        from airflow_provider_rev.operators.revai import FetchTranscriptOperator

        def naive() -> object:
            text = RevAIHook("revai_bench").get_transcript_text("bench0000001")
            return (Path(tmp) / "naive.txt").write_text(text)

        operator = FetchTranscriptOperator(
            task_id="fetch",
            job_id="bench0000001",
            output_format="text",
            output_path=str(Path(tmp) / "streamed.txt"),
            revai_conn_id="revai_bench",
        )
        rows = [
            measure("naive get_transcript_text + write", naive),
            measure("FetchTranscriptOperator output_path", lambda: operator.execute({"ti": MagicMock()})),
        ]
        assert (Path(tmp) / "naive.txt").read_bytes() == (Path(tmp) / "streamed.txt").read_bytes()
    print(f"saving a {len(payload) / 2**20:.0f} MiB plain-text transcript from a loopback server")
    print(f"{'approach':38} {'peak MiB':>10} {'seconds':>9}")
    for label, peak, seconds in rows:
        print(f"{label:38} {peak:10.1f} {seconds:9.2f}")


if __name__ == "__main__":
    main()
