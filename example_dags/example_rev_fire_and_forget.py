"""Fire and forget: submit on a schedule without waiting, fetch each job when Rev AI finishes it.

Two DAGs and no waiting task. ``example_rev_fire_and_forget_submit`` submits one mapped task
per recording with ``wait_for_completion=False`` and ends as soon as Rev AI accepted the jobs.
``example_rev_fire_and_forget_fetch`` is scheduled on :func:`revai_jobs_asset`, which gets an
Asset event for every job that finishes; each run fetches the transcripts of the jobs that
triggered it and reports the ones that failed. Only jobs whose metadata starts with
``fire-and-forget`` count, so other DAGs on the same connection do not trigger it.

The connection picks how the events arrive, and this file does not change: without a
``webhook_secret`` a watcher in the triggerer lists the connection's jobs every
``poll_interval``; with one, each submitted job asks Rev AI to call the API server's webhook
receiver, which records the event, and nothing polls. See ``docs/completions.md``."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import AirflowFailException
from airflow.sdk import DAG, Param, task

from airflow_provider_rev.completions import JobCompletion, finished_jobs, revai_jobs_asset
from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator

DEFAULT_MEDIA = json.loads(os.environ.get("REVAI_EXAMPLE_MEDIA_URLS", "[]")) or [
    "https://www.rev.ai/FTC_Sample_1.mp3"
]
OUTPUT_URI = os.environ.get("REVAI_EXAMPLE_OUTPUT_URI", "file:///tmp/airflow-provider-rev/fire-and-forget")
METADATA = "fire-and-forget"
log = logging.getLogger(__name__)

# [START howto_asset_revai_jobs]
FINISHED_JOBS = revai_jobs_asset(
    "revai_default",
    poll_interval=float(os.environ.get("REVAI_EXAMPLE_WATCH_INTERVAL", "60")),
    metadata_prefix=METADATA,
)
# [END howto_asset_revai_jobs]

with DAG(
    dag_id="example_rev_fire_and_forget_submit",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "rev-ai"],
    params={"media_urls": Param(DEFAULT_MEDIA, type="array", description="Recordings to transcribe.")},
) as submit_dag:

    @task
    def media_urls(params: dict[str, Any] | None = None) -> list[str]:
        """Read the recordings to transcribe from the run's params."""
        return list((params or {})["media_urls"])

    SubmitTranscriptionOperator.partial(
        task_id="submit",
        metadata=METADATA,
        wait_for_completion=False,
        map_index_template="{{ task.media_url }}",
    ).expand(media_url=media_urls())


def jobs_of(triggering_asset_events: Any) -> list[JobCompletion]:
    """The finished jobs in a run's ``triggering_asset_events``."""
    return finished_jobs(triggering_asset_events[FINISHED_JOBS] if triggering_asset_events else [])


# [START howto_asset_revai_jobs_consumer]
with DAG(
    dag_id="example_rev_fire_and_forget_fetch",
    schedule=[FINISHED_JOBS],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "rev-ai"],
    params={"output_uri": Param(OUTPUT_URI, type="string", description="Where transcripts are written.")},
) as dag:

    @task
    def transcribed(triggering_asset_events: Any = None) -> list[str]:
        """The transcribed jobs among those that triggered this run (a run may gather several events)."""
        return [job["id"] for job in jobs_of(triggering_asset_events) if job["status"] == "transcribed"]

    @task
    def report_failures(triggering_asset_events: Any = None) -> None:
        """Log every failed job with the task that submitted it; fail this task if there was one."""
        failed = [job for job in jobs_of(triggering_asset_events) if job["status"] == "failed"]
        for job in failed:
            by: dict[str, Any] = dict(job["submitted_by"] or {})
            log.error(
                "Rev AI job %s failed (%s: %s); submitted by %s/%s/%s[%s]",
                job["id"],
                job["failure"],
                job["failure_detail"],
                by.get("dag_id"),
                by.get("run_id"),
                by.get("task_id"),
                by.get("map_index"),
            )
        if failed:
            raise AirflowFailException(f"{len(failed)} Rev AI job(s) failed: {[job['id'] for job in failed]}")

    FetchTranscriptOperator.partial(
        task_id="fetch",
        # one file per job: a job reported twice is written twice to the same place
        output_path="{{ params.output_uri }}/{{ task.job_id }}.json",
    ).expand(job_id=transcribed())
    report_failures()
# [END howto_asset_revai_jobs_consumer]
