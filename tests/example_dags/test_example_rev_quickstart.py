"""``example_rev_quickstart`` (the docs' Quick start) end to end against the emulator."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
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


def test_a_relative_output_uri_fails_the_fetch_at_once_naming_the_fix(
    airflow_db: None,
    emulator: RevAIEmulator,
    media: MediaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """A first run with ``output_uri`` set to a folder name: refused once rendered, not retried."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    worker = tmp_path / "worker"
    worker.mkdir()
    monkeypatch.chdir(worker)  # where the captions would land without the check
    media_url = media.add("hello", seconds=3, transcript="Speaker 0: Hello from the quick start.")
    dag = load_example_dag("example_rev_quickstart")
    fetch = dag.get_task("fetch")
    fetch.retries, fetch.retry_delay = 2, timedelta(0)

    dag_run = dag.test(run_conf={"media_url": media_url, "output_uri": "transcripts"})
    logs = capfd.readouterr().out

    assert str(dag_run.state) == "failed"
    states, xcoms = run_results(dag.dag_id, dag_run.run_id)
    assert states == {("submit", -1): "success", ("wait", -1): "success", ("fetch", -1): "failed"}
    job_id = xcoms[("submit", -1, "return_value")]
    assert f"output_path: 'transcripts/{job_id}.srt' is a relative path" in logs
    assert "use an absolute path (/data/transcripts/t.json) or a URL such as file:///" in logs
    with create_session() as session:
        tries = session.scalars(
            select(TaskInstance.try_number).where(
                TaskInstance.run_id == dag_run.run_id, TaskInstance.task_id == "fetch"
            )
        ).all()
    assert tries == [1], "a path no retry can fix must not spend the task's retries"
    assert emulator.request_counts["GET /jobs/{id}/captions"] == 0
    assert list(worker.iterdir()) == []
