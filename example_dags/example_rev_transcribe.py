"""Transcribe one recording with Rev AI: vocabulary, submit, wait in the triggerer, fetch, delete.

A custom vocabulary is compiled once and named by the job; the job also asks for a bullet
summary, and the sensor waits until both the transcript and the summary are ready. JSON and
captions go to storage, text and the summary to XCom, then the job and its data are deleted
at Rev AI (data retention).

Set the ``revai_default`` connection (for the local emulator:
``AIRFLOW_CONN_REVAI_DEFAULT='revai://:emulator-token@127.0.0.1:8808'``) and trigger the DAG
with ``{"media_url": "https://.../meeting.wav"}``. Transcripts land under ``output_uri``,
which may be any ``ObjectStoragePath`` URI (``file://``, ``s3://conn@bucket/prefix``, ...).
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_rev.operators.revai import (
    CreateCustomVocabularyOperator,
    DeleteJobOperator,
    FetchTranscriptOperator,
    SubmitTranscriptionOperator,
)
from airflow_provider_rev.sensors.revai import TranscriptSensor

OUTPUT_URI = os.environ.get("REVAI_EXAMPLE_OUTPUT_URI", "file:///tmp/airflow-provider-rev/transcripts")
RUN_FOLDER = "{{ params.output_uri }}/{{ run_id | replace(':', '-') | replace('+', '-') }}"

with DAG(
    dag_id="example_rev_transcribe",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "rev-ai"],
    params={
        "media_url": Param(
            os.environ.get("REVAI_EXAMPLE_MEDIA_URL", "https://www.rev.ai/FTC_Sample_1.mp3"),
            type="string",
            description="Direct-download URL of the audio or video to transcribe.",
        ),
        "output_uri": Param(OUTPUT_URI, type="string", description="Where transcripts are written."),
    },
) as dag:
    # [START howto_operator_revai_vocabulary]
    vocabulary = CreateCustomVocabularyOperator(
        task_id="vocabulary",
        custom_vocabularies=[{"phrases": ["Airflow", "triggerer", "Rev AI"]}],
        deferrable=True,
        poll_interval=int(os.environ.get("REVAI_EXAMPLE_POKE_INTERVAL", "10")),
    )
    # [END howto_operator_revai_vocabulary]

    # [START howto_operator_revai_submit]
    submit = SubmitTranscriptionOperator(
        task_id="submit",
        media_url="{{ params.media_url }}",
        metadata="{{ dag.dag_id }}/{{ run_id }}",
        remove_disfluencies=True,
        custom_vocabulary_id="{{ ti.xcom_pull(task_ids='vocabulary') }}",
        summarization_config={"type": "bullets"},
    )
    # [END howto_operator_revai_submit]

    # [START howto_sensor_revai_transcript]
    wait = TranscriptSensor(
        task_id="wait",
        job_id="{{ ti.xcom_pull(task_ids='submit') }}",
        deferrable=True,
        poke_interval=int(os.environ.get("REVAI_EXAMPLE_POKE_INTERVAL", "30")),
        timeout=6 * 60 * 60,
    )
    # [END howto_sensor_revai_transcript]

    # [START howto_operator_revai_fetch]
    fetch_json = FetchTranscriptOperator(
        task_id="fetch_json",
        job_id="{{ ti.xcom_pull(task_ids='submit') }}",
        output_path=f"{RUN_FOLDER}/transcript.json",
    )
    fetch_srt = FetchTranscriptOperator(
        task_id="fetch_srt",
        job_id="{{ ti.xcom_pull(task_ids='submit') }}",
        output_format="srt",
        output_path=f"{RUN_FOLDER}/captions.srt",
    )
    fetch_text = FetchTranscriptOperator(
        task_id="fetch_text",
        job_id="{{ ti.xcom_pull(task_ids='submit') }}",
        output_format="text",
    )
    fetch_summary = FetchTranscriptOperator(
        task_id="fetch_summary",
        job_id="{{ ti.xcom_pull(task_ids='submit') }}",
        summary=True,
    )
    # [END howto_operator_revai_fetch]

    # [START howto_operator_revai_delete]
    delete = DeleteJobOperator(task_id="delete", job_id="{{ ti.xcom_pull(task_ids='submit') }}")
    # [END howto_operator_revai_delete]

    vocabulary >> submit >> wait >> [fetch_json, fetch_srt, fetch_text, fetch_summary] >> delete
