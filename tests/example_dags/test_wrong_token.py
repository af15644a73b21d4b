"""A wrong token, seen the way a user sees it: the quick start's DAG run and its task log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import MediaServer, load_example_dag, run_results

from airflow_provider_rev.emulator import RevAIEmulator


def test_a_refused_token_names_the_connection_and_the_fix_and_only_that(
    airflow_db: None,
    emulator: RevAIEmulator,
    media: MediaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    conn = {"conn_type": "revai", "host": emulator.base_url, "password": "not-the-token"}
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", json.dumps(conn))
    media_url = media.add("hello", seconds=3, transcript="Speaker 0: Hello.")
    dag = load_example_dag("example_rev_quickstart")

    dag_run = dag.test(run_conf={"media_url": media_url, "output_uri": (tmp_path / "out").as_uri()})
    logs = capfd.readouterr().out

    assert str(dag_run.state) == "failed"
    states, xcoms = run_results(dag.dag_id, dag_run.run_id)
    assert states[("submit", -1)] == "failed"
    assert emulator.request_counts["POST /jobs"] == 1  # permanent: not retried
    assert "RevAIAuthError" in logs and "401 on POST /jobs" in logs
    assert f"Connection 'revai_default' sent its token to {emulator.base_url}" in logs
    assert "current Rev AI access token" in logs and "https://ec1.api.rev.ai for EU" in logs
    assert "not-the-token" not in logs
    # The job link finds no URL for a try that never had a job, and says nothing about it.
    assert "XCom not found" not in logs and "revai_job_url" not in logs
    assert ("submit", -1, "revai_job_url") not in xcoms
