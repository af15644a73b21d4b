"""The fire-and-forget pairs for ``benchmarks/bench_completions.py``: one per completion transport.

Each pair is a submit DAG with no waiting task and a fetch DAG scheduled on
``revai_jobs_asset`` of its connection, which fetches every job in its
``triggering_asset_events``. The DAG code of both pairs is the same; only the connection
differs: ``revai_bench_watcher`` has no ``webhook_secret`` (the watcher lists jobs in the
triggerer), ``revai_bench_webhooks`` has one (Rev AI calls the API server's receiver, the
watcher stays idle). Settings come from the environment the benchmark gives the deployment.
"""

from __future__ import annotations

import os
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_provider_rev.completions import finished_jobs, revai_jobs_asset
from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator

POLL_INTERVAL = float(os.environ.get("REVAI_BENCH_POLL_INTERVAL", "60"))
OUTPUT_DIR = os.environ.get("REVAI_BENCH_OUTPUT_DIR", "/tmp/airflow-provider-rev/bench-completions")
START = pendulum.datetime(2026, 1, 1, tz="UTC")


def fire_and_forget(pattern: str) -> tuple[DAG, DAG]:
    """Return the submit DAG and the Asset-scheduled fetch DAG of ``pattern`` (its own connection)."""
    conn_id = f"revai_bench_{pattern}"
    metadata = f"bench-{pattern}"
    finished = revai_jobs_asset(conn_id, poll_interval=POLL_INTERVAL, metadata_prefix=metadata)

    with DAG(
        dag_id=f"bench_completions_{pattern}_submit",
        schedule=None,
        start_date=START,
        catchup=False,
        tags=["benchmark", "rev-ai"],
        params={"media_urls": Param([], type="array", description="Recordings to transcribe.")},
    ) as submit_dag:

        @task
        def media_urls(params: dict[str, Any] | None = None) -> list[str]:
            """Read the recordings to transcribe from the run's params."""
            return list((params or {})["media_urls"])

        SubmitTranscriptionOperator.partial(
            task_id="submit", revai_conn_id=conn_id, metadata=metadata, wait_for_completion=False
        ).expand(media_url=media_urls())

    with DAG(
        dag_id=f"bench_completions_{pattern}_fetch",
        schedule=[finished],
        start_date=START,
        catchup=False,
        max_active_runs=64,
        tags=["benchmark", "rev-ai"],
    ) as fetch_dag:

        @task
        def transcribed(triggering_asset_events: Any = None) -> list[str]:
            """The transcribed jobs among those that triggered this run."""
            events = triggering_asset_events[finished] if triggering_asset_events else []
            return [job["id"] for job in finished_jobs(events) if job["status"] == "transcribed"]

        FetchTranscriptOperator.partial(
            task_id="fetch",
            revai_conn_id=conn_id,
            output_path=f"{OUTPUT_DIR}/{pattern}/" + "{{ task.job_id }}.json",
        ).expand(job_id=transcribed())

    return submit_dag, fetch_dag


watcher_submit, watcher_fetch = fire_and_forget("watcher")
webhooks_submit, webhooks_fetch = fire_and_forget("webhooks")
