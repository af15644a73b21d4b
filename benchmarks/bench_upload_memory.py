"""Peak memory of uploading a local file: the hook's streamed multipart vs requests' ``files=``.

Run: ``.venv/bin/python benchmarks/bench_upload_memory.py [size_mib]``. Both upload the same
file to a loopback sink; peak Python allocations are measured with tracemalloc.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).parent))
from _sink import Sink  # noqa: E402


def measure(label: str, upload: Callable[[], object]) -> tuple[str, float, float]:
    started = time.perf_counter()
    upload()
    elapsed = time.perf_counter() - started  # timed without tracemalloc, which slows allocation
    tracemalloc.start()
    upload()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return label, peak / 2**20, elapsed


def main() -> None:
    size_mib = int(sys.argv[1]) if len(sys.argv) > 1 else 64
    with tempfile.TemporaryDirectory() as tmp, Sink() as sink:
        media = Path(tmp) / "long_recording.wav"
        with media.open("wb") as fh:
            block = os.urandom(1 << 20)
            for _ in range(size_mib):
                fh.write(block)
        os.environ["AIRFLOW_CONN_REVAI_BENCH"] = (
            f'{{"conn_type": "revai", "host": "{sink.url}", "password": "bench-token"}}'
        )
        from airflow_provider_rev.hooks.revai import RevAIHook

        hook = RevAIHook("revai_bench")

        def naive() -> object:
            with media.open("rb") as fh:
                return requests.post(
                    f"{sink.url}/speechtotext/v1/jobs",
                    files={"media": (media.name, fh), "options": (None, "{}")},
                    headers={"Authorization": "Bearer bench-token"},
                    timeout=60,
                )

        rows = [
            measure("naive requests files=", naive),
            measure("RevAIHook.submit_local_file", lambda: hook.submit_local_file(media)),
        ]
    print(f"upload of a {size_mib} MiB file to a loopback server")
    print(f"{'approach':32} {'peak MiB':>10} {'seconds':>9}")
    for label, peak, seconds in rows:
        print(f"{label:32} {peak:10.1f} {seconds:9.2f}")


if __name__ == "__main__":
    main()
