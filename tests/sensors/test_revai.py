"""TranscriptSensor in poke, reschedule and deferrable mode."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSensorTimeout, TaskDeferred
from support import Reply, ScriptedServer, task_context

from airflow_provider_rev.exceptions import RevAIError, RevAIJobFailedError, RevAIPermanentError
from airflow_provider_rev.links import JOB_URL_XCOM_KEY
from airflow_provider_rev.sensors.revai import TranscriptSensor
from airflow_provider_rev.triggers.revai import TranscriptTrigger

IN_PROGRESS = {"id": "job1", "status": "in_progress", "created_on": "2026-11-24T09:00:00Z"}
TRANSCRIBED = {**IN_PROGRESS, "status": "transcribed", "duration_seconds": 3.5}
FAILED = {
    **IN_PROGRESS,
    "status": "failed",
    "failure": "download_failure",
    "failure_detail": "Could not fetch",
}


def context() -> dict[str, Any]:
    return task_context(task_id="wait")


def sensor(**kwargs: Any) -> TranscriptSensor:
    return TranscriptSensor(task_id="wait", job_id="job1", poke_interval=0.01, timeout=5, **kwargs)


def test_poke_mode_returns_job_dict(revai_conn: ScriptedServer) -> None:
    revai_conn.add("GET /jobs/job1", Reply(200, IN_PROGRESS), Reply(503, {}), Reply(200, TRANSCRIBED))
    ctx = context()
    result = sensor(deferrable=False).execute(ctx)
    assert result["status"] == "transcribed" and result["duration_seconds"] == 3.5
    ctx["ti"].xcom_push.assert_any_call(key=JOB_URL_XCOM_KEY, value=f"{revai_conn.root_url}/jobs/job1")


def test_failed_job_fails_without_retries(revai_conn: ScriptedServer) -> None:
    revai_conn.add("GET /jobs/job1", Reply(200, FAILED))
    with pytest.raises(RevAIJobFailedError) as err:
        sensor(deferrable=False, retries=3).execute(context())
    assert isinstance(err.value, AirflowFailException)
    assert str(err.value) == "Rev AI job job1 failed: download_failure (Could not fetch)"


def test_reschedule_mode_frees_the_slot(revai_conn: ScriptedServer) -> None:
    try:
        from airflow.sdk.exceptions import AirflowRescheduleException
    except ImportError:  # Airflow 3.1
        from airflow.exceptions import AirflowRescheduleException

    revai_conn.add("GET /jobs/job1", Reply(200, IN_PROGRESS))
    with pytest.raises(AirflowRescheduleException):
        sensor(deferrable=False, mode="reschedule").execute(context())


def test_poke_timeout(revai_conn: ScriptedServer) -> None:
    revai_conn.default = lambda r: Reply(200, IN_PROGRESS)
    s = TranscriptSensor(task_id="wait", job_id="job1", poke_interval=0.01, timeout=0.05, deferrable=False)
    with pytest.raises(AirflowSensorTimeout):
        s.execute(context())


def test_deferrable_defers_with_poke_interval_and_timeout(revai_conn: ScriptedServer) -> None:
    revai_conn.add("GET /jobs/job1", Reply(200, IN_PROGRESS))
    s = TranscriptSensor(task_id="wait", job_id="job1", poke_interval=42, timeout=3600, deferrable=True)
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        s.execute(context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, TranscriptTrigger)
    assert trigger.poll_interval == 42 and trigger.job_id == "job1"
    assert trigger.end_time is not None and before + 3600 <= trigger.end_time <= time.time() + 3600
    assert deferred.value.timeout == timedelta(seconds=3600)
    assert deferred.value.method_name == "execute_complete"


def test_deferrable_returns_at_once_when_already_done(revai_conn: ScriptedServer) -> None:
    revai_conn.add("GET /jobs/job1", Reply(200, TRANSCRIBED))
    assert sensor(deferrable=True).execute(context())["status"] == "transcribed"
    assert revai_conn.count("GET /jobs/job1") == 1


def test_execute_complete_paths() -> None:
    s = sensor(deferrable=True)
    event = {"status": "transcribed", "job_id": "job1", "job": TRANSCRIBED, "message": "", "permanent": False}
    assert s.execute_complete(context(), event) == TRANSCRIBED
    with pytest.raises(RevAIJobFailedError, match="job1 failed: download_failure \\(Could not fetch\\)"):
        s.execute_complete(context(), {**event, "status": "failed", "job": FAILED})
    with pytest.raises(AirflowSensorTimeout, match="deadline"):
        s.execute_complete(
            context(), {**event, "status": "timeout", "job": None, "message": "past the deadline"}
        )
    with pytest.raises(RevAIPermanentError, match="token"):
        s.execute_complete(context(), {**event, "status": "error", "message": "bad token", "permanent": True})
    with pytest.raises(RevAIError, match="no usable event"):
        s.execute_complete(context(), None)
    with pytest.raises(RevAIError, match="unknown status"):
        s.execute_complete(context(), {**event, "status": "success"})


def test_soft_fail_skips_on_timeout_event() -> None:
    from airflow.providers.common.compat.sdk import AirflowSkipException

    s = sensor(deferrable=True, soft_fail=True)
    event = {"status": "timeout", "job_id": "job1", "job": None, "message": "late", "permanent": False}
    with pytest.raises(AirflowSkipException):
        s.resume_execution("execute_complete", {"event": event}, context())


def test_job_id_is_templated() -> None:
    assert "job_id" in TranscriptSensor.template_fields
