"""One recording: submit it, wait for it in the triggerer; the web UI tests open its extra link.

The run's ``conf`` gives the recording (``media_url``). The sensor's ``poke_interval`` is
short so the run ends soon after the emulator finishes the job. The connection
``revai_web_ui`` comes from the deployment's environment, so a run can start before anyone
has saved a connection in the UI.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_rev.operators.revai import SubmitTranscriptionOperator
from airflow_provider_rev.sensors.revai import TranscriptSensor

with DAG(
    dag_id="integration_web_ui",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={"media_url": Param("", type="string", description="The recording to transcribe.")},
) as dag:
    submit = SubmitTranscriptionOperator(
        task_id="submit", media_url="{{ params.media_url }}", revai_conn_id="revai_web_ui"
    )
    TranscriptSensor(
        task_id="wait",
        job_id=submit.output,
        revai_conn_id="revai_web_ui",
        deferrable=True,
        poke_interval=2,
        timeout=300,
    )
