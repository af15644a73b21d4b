"""The worker dies after POST /jobs reached Rev AI and before the task recorded anything.

The first try is a real ``dag.test()`` run in its own process, sharing the metadata
database, like a worker. The emulator creates the job, holds its answer back, and the test
kills that process with SIGKILL as soon as the job exists; the task instance is left
``running`` at try 1 in the database. The retry is try 2 of that same task instance (its
dag id, task id, run id and DAG run start read back from the database), followed by the
fetch: it must find the job by its key instead of paying again.

(``dag.test()`` cannot stand in for the retry: re-running the same run resets the try
number to 1, which a real retry or clear never does.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from faults.fault_support import pushed, task_context
from support import MediaServer

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator

DAG_FILE = Path(__file__).parent / "dags" / "faults_worker_loss.py"
FIRST_TRY = f"""
import importlib.util, pendulum
spec = importlib.util.spec_from_file_location("faults_worker_loss", {str(DAG_FILE)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
when = pendulum.datetime(2026, 11, 20, 6, tz="UTC")
module.dag.test(run_after=when, logical_date=when)
"""


def start_first_try(media_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "AIRFLOW__CORE__DAGS_FOLDER": str(DAG_FILE.parent), "FAULTS_MEDIA_URL": media_url}
    return subprocess.Popen(
        [sys.executable, "-c", FIRST_TRY],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def lost_try() -> tuple[str, int, datetime]:
    """Return the run id, try number and DAG run start of the killed submit task instance."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    with create_session() as session:
        [ti] = session.scalars(
            select(TaskInstance).where(
                TaskInstance.dag_id == "faults_worker_loss", TaskInstance.task_id == "submit"
            )
        )
        assert ti.state == TaskInstanceState.RUNNING, "the killed try never recorded an outcome"
        [run] = session.scalars(select(DagRun).where(DagRun.dag_id == "faults_worker_loss"))
        return ti.run_id, ti.try_number, run.start_date


def test_worker_killed_after_post_then_retry_bills_once(
    airflow_db: None, media: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = media.add("call", seconds=2, transcript="Speaker 0: Paid for exactly once.")
    with RevAIEmulator(processing_seconds=1.0) as emu:
        conn = json.dumps({"conn_type": "revai", "host": emu.base_url, "password": emu.token})
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", conn)
        worker: list[subprocess.Popen[str]] = []

        def kill_worker_once_the_job_exists() -> None:
            while not emu.jobs():
                time.sleep(0.01)
            worker[0].send_signal(signal.SIGKILL)

        killer = threading.Thread(target=kill_worker_once_the_job_exists, daemon=True)
        emu.inject("POST /jobs", 503, after_commit=True, delay=30)  # the answer never arrives in time
        worker.append(start_first_try(url))
        killer.start()
        output, _ = worker[0].communicate(timeout=120)
        killer.join(timeout=10)
        emu.clear_faults()
        assert worker[0].returncode == -signal.SIGKILL, output[-2000:]
        assert emu.request_counts["POST /jobs"] == 1
        [orphan] = emu.jobs()  # the job exists, but the dead try never recorded its id
        run_id, tried, run_started = lost_try()
        assert tried == 1

        # Try 2 of the same task instance on a healthy worker (as in the DAG file), then the fetch.
        ids = {"dag_id": "faults_worker_loss", "run_id": run_id, "started": run_started}
        submit_context = task_context(tried + 1, **ids)
        submit = SubmitTranscriptionOperator(
            task_id="submit", media_url=url, wait_for_completion=True, deferrable=False, poll_interval=0.2
        )
        job_id = submit.execute(submit_context)
        fetch = FetchTranscriptOperator(task_id="fetch", job_id=job_id, output_format="text")
        text = fetch.execute(task_context(1, task_id="fetch", **ids))

        assert [job["id"] for job in emu.jobs()] == [orphan["id"]], "no second job was billed"
        assert job_id == orphan["id"]
        assert emu.request_counts["POST /jobs"] == 1
        assert emu.request_counts["GET /jobs"] >= 1, "try 2 looked the job up by its key"
        assert pushed(submit_context)["job"]["status"] == "transcribed"
        assert text.endswith("Paid for exactly once.")
