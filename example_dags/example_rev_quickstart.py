"""The smallest useful Rev AI DAG: submit one recording, wait in the triggerer, fetch captions.

Trigger it with ``{"media_url": "https://.../meeting.mp3"}``; the SRT captions land under
``output_uri`` (any ``ObjectStoragePath`` URI: ``file://``, ``s3://conn@bucket/prefix``, ...).
The docs' Quick start page shows this file.
"""

from __future__ import annotations

# The Quick start page shows the lines below: they stay under 90 characters, the width of its
# code blocks in a 1280 px window, so none of them wraps.
# [START howto_revai_quickstart]
import os

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_rev.operators.revai import (
    FetchTranscriptOperator,
    SubmitTranscriptionOperator,
)
from airflow_provider_rev.sensors.revai import TranscriptSensor

with DAG(
    dag_id="example_rev_quickstart",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    params={
        "media_url": Param("https://www.rev.ai/FTC_Sample_1.mp3", type="string"),
        "output_uri": Param(
            os.environ.get(
                "REVAI_EXAMPLE_OUTPUT_URI",
                "file:///tmp/airflow-provider-rev/transcripts",
            ),
            type="string",
        ),
    },
) as dag:
    submit = SubmitTranscriptionOperator(
        task_id="submit",
        media_url="{{ params.media_url }}",
    )
    wait = TranscriptSensor(
        task_id="wait",
        job_id="{{ ti.xcom_pull(task_ids='submit') }}",
        deferrable=True,
        poke_interval=int(os.environ.get("REVAI_EXAMPLE_POKE_INTERVAL", "30")),
    )
    fetch = FetchTranscriptOperator(
        task_id="fetch",
        job_id="{{ ti.xcom_pull(task_ids='submit') }}",
        output_format="srt",
        output_path="{{ params.output_uri }}/{{ ti.xcom_pull(task_ids='submit') }}.srt",
    )
    submit >> wait >> fetch
# [END howto_revai_quickstart]
