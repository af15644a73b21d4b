"""What the fire-and-forget deployment tests share: the example pair, its Asset events, its fetches.

``example_dags/example_rev_fire_and_forget.py`` runs unchanged with either transport; the
watcher test and the webhook test each start one deployment of it (through the one harness)
and read what happened through the REST API with these helpers.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from integration.harness import Deployment, DeploymentError, TaskInstance

EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "example_rev_fire_and_forget.py"
SUBMIT_DAG = "example_rev_fire_and_forget_submit"
FETCH_DAG = "example_rev_fire_and_forget_fetch"
RECORDINGS = 5
#: Emulated seconds per second of audio: recording ``i`` lasts ``i + 1`` s and needs ``(i + 1) * STEP``.
STEP = 1000.0
TIMEOUT = 300.0


def copy_example(dags: Path) -> None:
    """Put the example pair in a DAGs folder."""
    shutil.copy(EXAMPLE, dags / EXAMPLE.name)


def asset_events(airflow: Deployment, source: str) -> list[dict[str, Any]]:
    """The Asset events whose ``extra`` says ``source`` (``from_trigger``, ``from_webhook``), oldest first.

    Airflow 3.3.2's API answers 500 while an event's run is queued but not started (its
    ``start_date`` is null and the response model requires one), so a 500 is asked again.
    """
    for _ in range(30):
        try:
            answer = airflow.api.request(
                "GET", "/assets/events", params={"limit": 100, "order_by": "timestamp"}
            )
        except DeploymentError as exc:
            if ": 500 " not in str(exc):
                raise
            time.sleep(1)
            continue
        return [event for event in answer["asset_events"] if (event.get("extra") or {}).get(source)]
    raise AssertionError("the asset events endpoint kept failing")


def wait_until(check: Callable[[], bool], what: str, airflow: Deployment, timeout: float = TIMEOUT) -> None:
    """Poll ``check`` every second; fail naming ``what`` on timeout or when a component died."""
    deadline = time.monotonic() + timeout
    while not check():
        airflow.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(1)


def fetch_task_instances(airflow: Deployment) -> list[TaskInstance]:
    """Every task instance of every run of the consumer DAG."""
    runs = airflow.api.request("GET", f"/dags/{FETCH_DAG}/dagRuns", params={"limit": 100})["dag_runs"]
    return [ti for run in runs for ti in airflow.api.task_instances(FETCH_DAG, run["dag_run_id"])]


def consumer_settled(airflow: Deployment) -> bool:
    """Whether the consumer DAG has runs and all of them ended."""
    runs = airflow.api.request("GET", f"/dags/{FETCH_DAG}/dagRuns", params={"limit": 100})["dag_runs"]
    return bool(runs) and all(run["state"] in ("success", "failed") for run in runs)


def consumer_idle(airflow: Deployment) -> bool:
    """Whether the consumer's runs all ended and no Asset event waits to queue another.

    Only then does the next event start a run that takes every event left behind
    (apache/airflow#56050): an event recorded while a run is queued but not yet created joins
    that run's queue entry and is then skipped by it, so a "flush" event sent at that moment
    could itself be left behind.
    """
    queued = airflow.api.request("GET", f"/dags/{FETCH_DAG}/assets/queuedEvents")
    return not queued["queued_events"] and consumer_settled(airflow)


def create_manual_event(airflow: Deployment, asset_name: str) -> None:
    """Create an event on the Asset through the REST API (the Asset page's "Create Event").

    Sent while the consumer is idle, it starts one run that takes every event left behind
    (apache/airflow#56050); ``finished_jobs`` skips the event itself, which carries no job.
    """
    (asset,) = airflow.api.request("GET", "/assets", params={"name_pattern": asset_name})["assets"]
    airflow.api.request("POST", "/assets/events", json={"asset_id": asset["id"], "extra": {"flush": True}})
