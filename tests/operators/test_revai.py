"""SubmitTranscriptionOperator and FetchTranscriptOperator over real HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, TaskDeferred
from support import Reply, ScriptedServer, StateStore, pushed, task_context

from airflow_provider_rev.exceptions import (
    RevAIInvalidInputError,
    RevAIInvalidStateError,
    RevAIJobFailedError,
)
from airflow_provider_rev.idempotency import idempotency_key
from airflow_provider_rev.operators import revai as operator_module
from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator
from airflow_provider_rev.retry import RetryPolicy
from airflow_provider_rev.triggers.revai import TranscriptTrigger

IN_PROGRESS = {"id": "job1", "status": "in_progress", "created_on": "2026-11-24T09:00:00Z"}
TRANSCRIBED = {**IN_PROGRESS, "status": "transcribed", "duration_seconds": 4.25}
FAILED = {**IN_PROGRESS, "status": "failed", "failure": "empty_media", "failure_detail": "No audio"}
TRANSCRIPT = {
    "monologues": [
        {
            "speaker": 0,
            "elements": [
                {"type": "text", "value": "Good", "ts": 0.1, "end_ts": 0.4, "confidence": 0.9},
                {"type": "punct", "value": " "},
                {"type": "text", "value": "morning", "ts": 0.5, "end_ts": 0.9, "confidence": 0.9},
                {"type": "punct", "value": "."},
            ],
        },
        {
            "speaker": 1,
            "elements": [{"type": "text", "value": "Hi", "ts": 1.0, "end_ts": 1.2, "confidence": 1}],
        },
    ]
}


def context(try_number: int = 1, **extra: Any) -> dict[str, Any]:
    return {**task_context(try_number, started=datetime(2026, 11, 24, 8, 0, tzinfo=UTC)), **extra}


KEY = idempotency_key("dag", "run1", "submit", -1)


class TestSubmit:
    def test_submit_url_returns_job_id_and_pushes_job_and_link(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("POST /jobs", Reply(200, IN_PROGRESS))
        ctx = context()
        op = SubmitTranscriptionOperator(
            task_id="submit",
            media_url="https://media.example.com/a.wav",
            metadata="nightly",
            skip_diarization=True,
        )
        assert op.execute(ctx) == "job1"
        assert revai_conn.received[0].json() == {
            "source_config": {"url": "https://media.example.com/a.wav"},
            "metadata": f"nightly [{KEY} dag/run1/submit/-1]",
            "skip_diarization": True,
        }
        xcoms = pushed(ctx)
        assert xcoms["job"]["id"] == "job1" and xcoms["job"]["status"] == "in_progress"
        assert xcoms["revai_job_url"] == f"{revai_conn.root_url}/jobs/job1"  # the emulator's job page

    @pytest.mark.parametrize("as_uri", [False, True])
    def test_submit_local_file(self, revai_conn: ScriptedServer, tmp_path: Path, as_uri: bool) -> None:
        media = tmp_path / "call.wav"
        media.write_bytes(b"RIFF....WAVE" * 100)
        revai_conn.add("POST /jobs", Reply(200, {**IN_PROGRESS, "name": "call.wav"}))
        local = media.as_uri() if as_uri else str(media)
        assert SubmitTranscriptionOperator(task_id="s", local_file=local).execute(context()) == "job1"
        body = revai_conn.received[0].body
        assert b'filename="call.wav"' in body and media.read_bytes() in body

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({}, "media_url"),
            ({"media_url": "https://a/b.wav", "local_file": "/tmp/b.wav"}, "media_url"),
            ({"media_url": "https://a/b.wav", "metadata": "m" * 600}, "metadata"),
            ({"media_url": "https://a/b.wav", "transcriber": 3}, "transcriber"),
            ({"media_url": "https://a/b.wav", "metadata": {"a": 1}}, "metadata"),
            ({"media_url": "https://a/b.wav", "rush": True}, "rush"),
            ({"media_url": "https://a/b.wav", "speakers_count": 0}, "speakers_count"),
            ({"local_file": "/no/such/file.wav"}, "local_file"),
        ],
    )
    def test_bad_input_fails_before_any_request(
        self, revai_conn: ScriptedServer, kwargs: dict[str, Any], field: str
    ) -> None:
        with pytest.raises(RevAIInvalidInputError) as err:
            SubmitTranscriptionOperator(task_id="s", **kwargs).execute(context())
        assert err.value.field == field
        assert isinstance(err.value, AirflowFailException)
        assert revai_conn.received == []

    def test_wait_deferrable_defers_then_completes(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("POST /jobs", Reply(200, IN_PROGRESS))
        op = SubmitTranscriptionOperator(
            task_id="s",
            media_url="https://a/b.wav",
            wait_for_completion=True,
            deferrable=True,
            poll_interval=7,
        )
        with pytest.raises(TaskDeferred) as deferred:
            op.execute(context())
        trigger = deferred.value.trigger
        assert (
            isinstance(trigger, TranscriptTrigger) and trigger.job_id == "job1" and trigger.poll_interval == 7
        )
        assert trigger.end_time is not None
        event = {
            "status": "transcribed",
            "job_id": "job1",
            "job": TRANSCRIBED,
            "message": "",
            "permanent": False,
        }
        ctx = context()
        assert op.execute_complete(ctx, event) == "job1"
        assert pushed(ctx)["job"]["status"] == "transcribed"
        with pytest.raises(RevAIJobFailedError, match="empty_media"):
            op.execute_complete(context(), {**event, "status": "failed", "job": FAILED})

    def test_wait_on_worker_polls(self, revai_conn: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(operator_module.time, "sleep", lambda s: None)
        revai_conn.add("POST /jobs", Reply(200, IN_PROGRESS))
        revai_conn.add("GET /jobs/job1", Reply(200, IN_PROGRESS), Reply(502, {}), Reply(200, TRANSCRIBED))
        op = SubmitTranscriptionOperator(
            task_id="s",
            media_url="https://a/b.wav",
            wait_for_completion=True,
            deferrable=False,
            poll_interval=1,
        )
        op.hook.retry_policy = RetryPolicy(max_transient_retries=0)  # the 502 reaches the operator
        assert op.execute(context()) == "job1"

    def test_wait_on_worker_fails_on_failed_job(
        self, revai_conn: ScriptedServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(operator_module.time, "sleep", lambda s: None)
        revai_conn.add("POST /jobs", Reply(200, IN_PROGRESS))
        revai_conn.add("GET /jobs/job1", Reply(200, FAILED))
        op = SubmitTranscriptionOperator(task_id="s", media_url="https://a/b.wav", wait_for_completion=True)
        with pytest.raises(RevAIJobFailedError):
            op.execute(context())

    def test_templated_fields(self) -> None:
        for name in ("media_url", "local_file", "metadata", "translation_config", "extra_options"):
            assert name in SubmitTranscriptionOperator.template_fields
        assert "source_auth_headers" not in SubmitTranscriptionOperator.template_fields
        assert SubmitTranscriptionOperator.template_fields_renderers["summarization_config"] == "json"


class TestFetch:
    def test_json_to_xcom(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /jobs/job1", Reply(200, TRANSCRIBED))
        revai_conn.add("GET /jobs/job1/transcript", Reply(200, TRANSCRIPT))
        assert FetchTranscriptOperator(task_id="f", job_id="job1").execute(context()) == TRANSCRIPT

    @pytest.mark.parametrize(
        ("kwargs", "route", "accept"),
        [
            ({"output_format": "text"}, "/jobs/job1/transcript", "text/plain"),
            ({"output_format": "srt"}, "/jobs/job1/captions", "application/x-subrip"),
            ({"output_format": "vtt", "speaker_channel": 1}, "/jobs/job1/captions", "text/vtt"),
            ({"output_format": "text", "summary": True}, "/jobs/job1/transcript/summary", "text/plain"),
            (
                {"output_format": "text", "translation_language": "es"},
                "/jobs/job1/transcript/translation/es",
                "text/plain",
            ),
        ],
    )
    def test_text_formats(
        self, revai_conn: ScriptedServer, kwargs: dict[str, Any], route: str, accept: str
    ) -> None:
        revai_conn.add("GET /jobs/job1", Reply(200, TRANSCRIBED))
        revai_conn.add(f"GET {route}", Reply(200, "some text"))
        assert FetchTranscriptOperator(task_id="f", job_id="job1", **kwargs).execute(context()) == "some text"
        assert revai_conn.received[-1].headers["accept"] == accept

    def test_every_fetch_logs_what_it_fetched_and_where_it_went(
        self,
        revai_conn: ScriptedServer,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.INFO)
        revai_conn.add("GET /jobs/job1", Reply(200, TRANSCRIBED), Reply(200, TRANSCRIBED))
        revai_conn.add("GET /jobs/job1/transcript", Reply(200, "some text"), Reply(200, "some text"))
        FetchTranscriptOperator(task_id="f", job_id="job1", output_format="text").execute(context())
        target = tmp_path / "t.txt"
        FetchTranscriptOperator(
            task_id="f", job_id="job1", output_format="text", output_path=str(target)
        ).execute(context())
        out = capsys.readouterr().out + caplog.text  # structlog (stdout) or stdlib logging, by version
        assert "Fetched the transcript as text for Rev AI job job1: 9 bytes, returned to XCom" in out
        assert f"Fetched the transcript as text for Rev AI job job1: 9 bytes, written to {target}" in out

    def test_xcom_size_guard_names_output_path(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /jobs/job1", Reply(200, TRANSCRIBED))
        revai_conn.add("GET /jobs/job1/transcript", Reply(200, "word " * 20000))
        op = FetchTranscriptOperator(task_id="f", job_id="job1", output_format="text")
        with pytest.raises(RevAIInvalidInputError, match="max_xcom_bytes=49152") as err:
            op.execute(context())
        assert err.value.field == "output_path"

    @pytest.mark.parametrize("as_uri", [False, True])
    def test_stream_to_storage_returns_manifest(
        self, revai_conn: ScriptedServer, tmp_path: Path, as_uri: bool
    ) -> None:
        revai_conn.add("GET /jobs/job1", Reply(200, TRANSCRIBED))
        revai_conn.add("GET /jobs/job1/transcript", Reply(200, TRANSCRIPT))
        target = tmp_path / "out" / "job1.json"
        op = FetchTranscriptOperator(
            task_id="f", job_id="job1", output_path=target.as_uri() if as_uri else str(target)
        )
        manifest = op.execute(context())
        data = target.read_bytes()
        assert json.loads(data) == TRANSCRIPT
        assert manifest == {
            "job_id": "job1",
            "uri": manifest["uri"],
            "format": "json",
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "words": 3,
            "speakers": 2,
            "duration_seconds": 4.25,
        }
        assert manifest["uri"].endswith("out/job1.json")

    def test_big_transcript_goes_to_storage_in_chunks(
        self, revai_conn: ScriptedServer, tmp_path: Path
    ) -> None:
        lines = "".join(
            f"Speaker {i % 3}    00:00:{i % 60:02d}    hello there number {i}\n" for i in range(20000)
        )
        revai_conn.add("GET /jobs/job1", Reply(200, TRANSCRIBED))
        revai_conn.add("GET /jobs/job1/transcript", Reply(200, lines))
        target = tmp_path / "t.txt"
        manifest = FetchTranscriptOperator(
            task_id="f", job_id="job1", output_format="text", output_path=str(target)
        ).execute(context())
        assert target.read_text() == lines
        assert manifest["words"] == 4 * 20000 and manifest["speakers"] == 3

    def test_not_transcribed_yet_is_retryable(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /jobs/job1", Reply(200, IN_PROGRESS))
        with pytest.raises(RevAIInvalidStateError, match="in_progress") as err:
            FetchTranscriptOperator(task_id="f", job_id="job1").execute(context())
        assert not isinstance(err.value, AirflowFailException)

    def test_failed_job_explains_why_nothing_to_fetch(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /jobs/job1", Reply(200, FAILED))
        with pytest.raises(RevAIJobFailedError, match="empty_media \\(No audio\\)"):
            FetchTranscriptOperator(task_id="f", job_id="job1").execute(context())

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"output_format": "docx"}, "output_format"),
            ({"output_format": "srt", "summary": True}, "output_format"),
            ({"output_format": "json", "speaker_channel": 0}, "speaker_channel"),
            ({"job_id": ""}, "job_id"),
        ],
    )
    def test_bad_fetch_input(self, revai_conn: ScriptedServer, kwargs: dict[str, Any], field: str) -> None:
        args = {"task_id": "f", "job_id": "job1", **kwargs}
        with pytest.raises(RevAIInvalidInputError) as err:
            FetchTranscriptOperator(**args).execute(context())
        assert err.value.field == field and revai_conn.received == []


def listed(job_id: str, status: str, key: str = KEY, created: str = "2026-11-24T09:00:00Z") -> dict[str, Any]:
    return {"id": job_id, "status": status, "created_on": created, "metadata": f"nightly [{key}]"}


class TestPayOnce:
    def op(self, **kwargs: Any) -> SubmitTranscriptionOperator:
        return SubmitTranscriptionOperator(
            task_id="submit", media_url="https://a/b.wav", metadata="nightly", **kwargs
        )

    def test_first_try_submits_without_scanning(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("POST /jobs", Reply(200, IN_PROGRESS))
        assert self.op().execute(context(try_number=1)) == "job1"
        assert [r.method + " " + r.path for r in revai_conn.received] == ["POST /jobs"]

    @pytest.mark.parametrize("status", ["in_progress", "transcribed"])
    def test_retry_reconnects_to_the_earlier_job(self, revai_conn: ScriptedServer, status: str) -> None:
        revai_conn.add(
            "GET /jobs",
            Reply(
                200, [listed("other", "transcribed", key="airflow-revai:someoneelse"), listed("job1", status)]
            ),
        )
        ctx = context(try_number=2)
        assert self.op().execute(ctx) == "job1"
        assert revai_conn.count("POST /jobs") == 0
        assert pushed(ctx)["job"]["status"] == status

    def test_retry_after_failed_job_submits_anew(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /jobs", Reply(200, [listed("job0", "failed")]))
        revai_conn.add("POST /jobs", Reply(200, IN_PROGRESS))
        assert self.op().execute(context(try_number=2)) == "job1"
        assert revai_conn.count("POST /jobs") == 1

    def test_scan_stops_at_the_runs_start(self, revai_conn: ScriptedServer) -> None:
        from datetime import UTC, datetime

        old = listed("job0", "transcribed", created="2026-11-20T00:00:00Z")
        revai_conn.add("GET /jobs", Reply(200, [old]))
        revai_conn.add("POST /jobs", Reply(200, IN_PROGRESS))
        dag_run = MagicMock(start_date=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
        assert self.op().execute(context(try_number=3, dag_run=dag_run)) == "job1"

    def test_state_store_answers_before_any_scan(self, revai_conn: ScriptedServer) -> None:
        store = StateStore()
        revai_conn.add("POST /jobs", Reply(200, IN_PROGRESS))
        assert self.op().execute(context(task_state_store=store)) == "job1"
        assert store.values == {"revai_job_id": "job1"}
        revai_conn.received.clear()
        revai_conn.add("GET /jobs/job1", Reply(200, TRANSCRIBED))
        assert self.op().execute(context(try_number=2, task_state_store=store)) == "job1"
        assert [r.method + " " + r.path for r in revai_conn.received] == ["GET /jobs/job1"]

    @pytest.mark.parametrize("failure", [Reply(503, {"title": "busy"}), Reply(drop=True)])
    def test_unknown_outcome_finds_the_created_job(self, revai_conn: ScriptedServer, failure: Reply) -> None:
        revai_conn.add("POST /jobs", failure)
        revai_conn.add("GET /jobs", Reply(200, [listed("job1", "in_progress")]))
        assert self.op().execute(context()) == "job1"
        assert revai_conn.count("POST /jobs") == 1

    def test_unknown_outcome_without_job_submits_again(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("POST /jobs", Reply(503, {}), Reply(200, IN_PROGRESS))
        revai_conn.add("GET /jobs", Reply(200, []))
        assert self.op().execute(context()) == "job1"
        assert revai_conn.count("POST /jobs") == 2

    def test_metadata_too_long_with_the_tag(self, revai_conn: ScriptedServer) -> None:
        op = SubmitTranscriptionOperator(task_id="s", media_url="https://a/b.wav", metadata="m" * 500)
        with pytest.raises(RevAIInvalidInputError, match="Shorten it to 471 characters") as err:
            op.execute(context())
        assert err.value.field == "metadata" and revai_conn.received == []

    def test_wait_mode_reconnects_and_returns_transcribed_job(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /jobs", Reply(200, [listed("job1", "transcribed")]))
        op = self.op(wait_for_completion=True, deferrable=True)
        assert op.execute(context(try_number=2)) == "job1"
        assert revai_conn.count("POST /jobs") == 0
