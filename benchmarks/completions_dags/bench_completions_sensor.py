"""The sensor pattern for ``benchmarks/bench_completions.py``: submit, wait in the triggerer, fetch.

One DAG: a mapped ``submit`` (``wait_for_completion=False``), then a mapped task group per job
holding a deferrable ``TranscriptSensor`` and a ``FetchTranscriptOperator``, so each job is
fetched as soon as its own sensor resumes (chaining a mapped sensor and a mapped fetch outside a
group would make every fetch wait for the last job). Settings come from the environment the
benchmark gives the deployment.
"""

from __future__ import annotations

import os
from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task, task_group

from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator
from airflow_provider_rev.sensors.revai import TranscriptSensor

CONN_ID = "revai_bench_sensor"
POLL_INTERVAL = float(os.environ.get("REVAI_BENCH_POLL_INTERVAL", "60"))
OUTPUT_DIR = os.environ.get("REVAI_BENCH_OUTPUT_DIR", "/tmp/airflow-provider-rev/bench-completions")

with DAG(
    dag_id="bench_completions_sensor",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_tasks=64,
    tags=["benchmark", "rev-ai"],
    params={"media_urls": Param([], type="array", description="Recordings to transcribe.")},
) as dag:

    @task
    def media_urls(params: dict[str, Any] | None = None) -> list[str]:
        """Read the recordings to transcribe from the run's params."""
        return list((params or {})["media_urls"])

    submitted = SubmitTranscriptionOperator.partial(
        task_id="submit", revai_conn_id=CONN_ID, metadata="bench-sensor", wait_for_completion=False
    ).expand(media_url=media_urls())

    @task_group
    def per_job(job_id: str) -> None:
        """Wait for one job in the triggerer, then fetch its transcript."""
        waited = TranscriptSensor(
            task_id="wait",
            job_id=job_id,
            revai_conn_id=CONN_ID,
            deferrable=True,
            poke_interval=POLL_INTERVAL,
            timeout=3600,
        )
        fetched = FetchTranscriptOperator(
            task_id="fetch",
            job_id=job_id,
            revai_conn_id=CONN_ID,
            output_path=OUTPUT_DIR + "/sensor/{{ task.job_id }}.json",
        )
        waited >> fetched

    per_job.expand(job_id=submitted.output)
