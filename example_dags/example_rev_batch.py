"""Transcribe a batch of recordings in parallel with dynamic task mapping.

Each recording is one mapped ``submit`` task that waits for its own job in the triggerer
(``wait_for_completion=True, deferrable=True``), so a batch of thousands holds no worker
slots while Rev AI works. Each ``fetch`` task writes one transcript and returns a manifest,
which it also attaches to an event of the ``revai_transcripts`` Asset: a DAG scheduled on
that Asset finds each new transcript in ``triggering_asset_events`` without opening it.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pendulum
from airflow.sdk import DAG, Asset, Param, task

from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator

DEFAULT_MEDIA = json.loads(os.environ.get("REVAI_EXAMPLE_MEDIA_URLS", "[]")) or [
    "https://www.rev.ai/FTC_Sample_1.mp3"
]
OUTPUT_URI = os.environ.get("REVAI_EXAMPLE_OUTPUT_URI", "file:///tmp/airflow-provider-rev/transcripts")
TRANSCRIPTS = Asset(name="revai_transcripts", uri="file:///tmp/airflow-provider-rev/transcripts")

with DAG(
    dag_id="example_rev_batch",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "rev-ai"],
    params={
        "media_urls": Param(DEFAULT_MEDIA, type="array", description="Recordings to transcribe."),
        "output_uri": Param(OUTPUT_URI, type="string", description="Where transcripts are written."),
    },
) as dag:

    @task
    def media_urls(params: dict[str, Any] | None = None) -> list[str]:
        """Read the recordings to transcribe from the run's params."""
        return list((params or {})["media_urls"])

    # The Quick start shows this region: its lines stay under 90 characters (see the quickstart DAG).
    # [START howto_operator_revai_mapped]
    submit = SubmitTranscriptionOperator.partial(
        task_id="submit",
        wait_for_completion=True,
        deferrable=True,
        poll_interval=int(os.environ.get("REVAI_EXAMPLE_POKE_INTERVAL", "30")),
        map_index_template="{{ task.media_url }}",
    ).expand(media_url=media_urls())

    fetch = FetchTranscriptOperator.partial(
        task_id="fetch",
        output_path="{{ params.output_uri }}/"
        "{{ run_id | replace(':', '-') | replace('+', '-') }}/{{ ti.map_index }}.json",
        outlets=[TRANSCRIPTS],
    ).expand(job_id=submit.output)
    # [END howto_operator_revai_mapped]
