"""Submit-and-wait, then fetch: the DAG whose worker the worker-loss test kills mid-POST."""

from __future__ import annotations

import os
from datetime import timedelta

import pendulum
from airflow.sdk import DAG

from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator

with DAG(
    dag_id="faults_worker_loss",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    default_args={"retries": 2, "retry_delay": timedelta(seconds=0)},
) as dag:
    submit = SubmitTranscriptionOperator(
        task_id="submit",
        media_url=os.environ.get("FAULTS_MEDIA_URL", "http://127.0.0.1:9/none.wav"),
        wait_for_completion=True,
        deferrable=False,
        poll_interval=0.2,
    )
    fetch = FetchTranscriptOperator(task_id="fetch", job_id=submit.output, output_format="text")
