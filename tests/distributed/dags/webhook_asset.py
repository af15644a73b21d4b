"""Declares connection ``revai_hooks``'s completion Asset, so the receiver records its webhooks.

The DAG stays paused (Airflow creates DAGs paused): the distributed test checks what the
receiver records on PostgreSQL, not what a consumer does with it.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_rev.completions import revai_jobs_asset

with DAG(
    dag_id="webhook_asset",
    schedule=[revai_jobs_asset("revai_hooks", poll_interval=5)],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
):

    @task
    def consume() -> None:
        """Never runs: the DAG stays paused."""

    consume()
