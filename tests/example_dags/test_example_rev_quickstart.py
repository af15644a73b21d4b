"""``example_rev_quickstart`` (the docs' Quick start) end to end against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from support import MediaServer, load_example_dag, run_results

from airflow_provider_rev.emulator import RevAIEmulator


def test_submit_wait_fetch_writes_captions(
    airflow_db: None,
    emulator: RevAIEmulator,
    media: MediaServer,
    deferrals: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    media_url = media.add("hello", seconds=3, transcript="Speaker 0: Hello from the quick start.")
    dag = load_example_dag("example_rev_quickstart")

    dag_run = dag.test(run_conf={"media_url": media_url, "output_uri": (tmp_path / "out").as_uri()})

    assert str(dag_run.state) == "success"
    states, xcoms = run_results(dag.dag_id, dag_run.run_id)
    assert states == {("submit", -1): "success", ("wait", -1): "success", ("fetch", -1): "success"}
    assert emulator.request_counts["POST /jobs"] == 1
    assert len(deferrals) == 1, "the sensor should have waited in the triggerer"
    job_id = xcoms[("submit", -1, "return_value")]
    manifest = xcoms[("fetch", -1, "return_value")]
    path = Path(urlsplit(manifest["uri"]).path)
    assert path.name == f"{job_id}.srt" and manifest["format"] == "srt"
    assert "Hello from the quick start" in path.read_text()
