"""``example_rev_transcribe`` end to end with ``dag.test()`` against the emulator.

Proves the whole path a user runs: a custom vocabulary created and waited for in the
triggerer -> submit naming it, with a summary -> sensor checks once and defers -> the trigger
polls over aiohttp until the transcript and the summary are ready -> the sensor resumes ->
four fetches (JSON and SRT to storage, text and summary to XCom) -> the job is deleted, with
one job billed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support import MediaServer, load_example_dag, run_results

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.models import Transcript

SPOKEN = "Speaker 0: Good morning and welcome.\nSpeaker 1: Thanks, glad to be here today.\n"
WORDS = ["Good", "morning", "and", "welcome", "Thanks", "glad", "to", "be", "here", "today"]


def test_submit_defer_resume_fetch(
    airflow_db: None,
    emulator: RevAIEmulator,
    media: MediaServer,
    deferrals: list[dict[str, Any]],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    media_url = media.add("standup", seconds=4, transcript=SPOKEN)
    output_uri = (tmp_path / "out").as_uri()
    dag = load_example_dag("example_rev_transcribe")

    dag_run = dag.test(run_conf={"media_url": media_url, "output_uri": output_uri})
    logs = capfd.readouterr().out

    assert str(dag_run.state) == "success"
    states, xcoms = run_results(dag.dag_id, dag_run.run_id)
    assert set(states.values()) == {"success"} and len(states) == 8

    # One complete vocabulary, created once and named by the one job, submitted once with the
    # run's metadata and the pay-once key; the job was deleted after every fetch.
    vocabulary_id = xcoms[("vocabulary", -1, "return_value")]
    assert emulator.vocabulary(vocabulary_id)["status"] == "complete"  # type: ignore[index]
    assert emulator.request_counts["POST /vocabularies"] == 1
    [body] = emulator.received_bodies("POST /jobs")
    job_id = xcoms[("submit", -1, "return_value")]
    assert body["custom_vocabulary_id"] == vocabulary_id and body["summarization_config"] == {
        "type": "bullets"
    }
    assert body["metadata"].startswith(f"example_rev_transcribe/{dag_run.run_id} [airflow-revai:")
    assert emulator.jobs() == [] and emulator.request_counts["DELETE /jobs/{id}"] == 1
    assert xcoms[("delete", -1, "return_value")] is True

    # The vocabulary and the sensor each deferred; the sensor checked once on the worker,
    # deferred, and resumed from the trigger's event once the summary was ready too.
    assert [d["resource"] for d in deferrals] == ["custom_vocabulary", "job"]
    deferral = deferrals[1]
    assert {k: deferral[k] for k in ("job_id", "revai_conn_id", "poll_interval")} == {
        "job_id": job_id,
        "revai_conn_id": "revai_default",
        "poll_interval": 0.0,
    }
    assert deferral["first_check_at"] < deferral["end_time"]
    assert f"Rev AI job {job_id}: waiting in the triggerer" in logs
    assert f"Resumed from the triggerer: Rev AI job {job_id}: transcribed" in logs
    assert emulator.request_counts["GET /jobs/{id}"] >= 2
    assert xcoms[("wait", -1, "return_value")]["status"] == "transcribed"
    assert xcoms[("wait", -1, "return_value")]["summarization"]["status"] == "completed"
    assert xcoms[("fetch_summary", -1, "return_value")]["bullet_points"]

    # Text to XCom; JSON and SRT streamed to storage with a manifest that matches the files.
    text = xcoms[("fetch_text", -1, "return_value")]
    assert "Good morning and welcome." in text and "Thanks, glad to be here today." in text
    manifests = {task: xcoms[(task, -1, "return_value")] for task in ("fetch_json", "fetch_srt")}
    for task, fmt in (("fetch_json", "json"), ("fetch_srt", "srt")):
        manifest = manifests[task]
        path = Path(urlsplit(manifest["uri"]).path)
        data = path.read_bytes()
        assert path.is_relative_to(tmp_path / "out")
        assert manifest["job_id"] == job_id and manifest["format"] == fmt
        assert manifest["bytes"] == len(data) and manifest["sha256"] == hashlib.sha256(data).hexdigest()
    transcript = Transcript.from_dict(
        json.loads(Path(urlsplit(manifests["fetch_json"]["uri"]).path).read_text())
    )
    assert [e.value for m in transcript.monologues for e in m.elements if e.type == "text"] == WORDS
    assert manifests["fetch_json"]["words"] == len(WORDS) and manifests["fetch_json"]["speakers"] == 2
    assert "Good morning and welcome." in Path(urlsplit(manifests["fetch_srt"]["uri"]).path).read_text()
