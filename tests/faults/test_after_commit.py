"""POST /jobs fails after Rev AI created the job (503, dropped connection): never a second job."""

from __future__ import annotations

import pytest
from faults.fault_support import pushed, task_context
from support import MediaServer

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.operators.revai import SubmitTranscriptionOperator


@pytest.mark.parametrize("fault", [{"status": 503}, {"status": None, "drop": True}], ids=["503", "dropped"])
@pytest.mark.parametrize("wait", [False, True], ids=["submit", "submit-and-wait"])
def test_unknown_outcome_reconnects_to_the_created_job(
    emu: RevAIEmulator, media: MediaServer, fault: dict[str, object], wait: bool
) -> None:
    url = media.add("call", seconds=2, transcript="Speaker 0: Only once please.")
    emu.inject("POST /jobs", after_commit=True, **fault)  # type: ignore[arg-type]
    op = SubmitTranscriptionOperator(
        task_id="submit", media_url=url, wait_for_completion=wait, deferrable=False, poll_interval=0.2
    )
    context = task_context()

    job_id = op.execute(context)

    [job] = emu.jobs()
    assert job["id"] == job_id, "the operator must adopt the job the failed POST created"
    assert emu.request_counts["POST /jobs"] == 1
    assert emu.faulted_counts["POST /jobs"] == 1
    assert emu.request_counts["GET /jobs"] >= 1, "the job was found by its key in the job list"
    assert pushed(context)["job"]["status"] == ("transcribed" if wait else "in_progress")


def test_lost_answer_without_a_created_job_submits_again_once(emu: RevAIEmulator, media: MediaServer) -> None:
    """Dropped before the server acted: the scan finds nothing, so one new submission is made."""
    url = media.add("call", seconds=2, transcript="Speaker 0: Try again.")
    emu.inject("POST /jobs", status=None, drop=True)
    job_id = SubmitTranscriptionOperator(task_id="submit", media_url=url).execute(task_context())
    assert [job["id"] for job in emu.jobs()] == [job_id]
    assert emu.request_counts["POST /jobs"] == 2
