"""Submit a batch without waiting, then wait for every job with one deferrable sensor per job.

The run's ``conf`` gives the recordings (``media_urls``). Every sensor checks its job once on
a worker and then defers, so the whole batch waits in the triggerer at once: the load the
provider's shared poll exists for.
"""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_provider_rev.operators.revai import SubmitTranscriptionOperator
from airflow_provider_rev.sensors.revai import TranscriptSensor

with DAG(
    dag_id="integration_shared_poll",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_tasks=64,
    params={"media_urls": Param([], type="array", description="Recordings to transcribe.")},
) as dag:

    @task
    def media_urls(params: dict[str, Any] | None = None) -> list[str]:
        """Read the recordings from the run's params."""
        return list((params or {})["media_urls"])

    submit = SubmitTranscriptionOperator.partial(task_id="submit").expand(media_url=media_urls())
    TranscriptSensor.partial(
        task_id="wait", deferrable=True, poke_interval=5, timeout=900, map_index_template="{{ task.job_id }}"
    ).expand(job_id=submit.output)
