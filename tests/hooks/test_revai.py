"""RevAIHook over real HTTP on 127.0.0.1: requests sent, responses parsed, errors and retries."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import logging
import socket
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from support import TOKEN, Received, Reply, ScriptedServer, connection_json

from airflow_provider_rev import __version__
from airflow_provider_rev.exceptions import (
    RevAIAPIError,
    RevAIAuthError,
    RevAIBadRequestError,
    RevAIConnectionError,
    RevAIInvalidInputError,
    RevAIInvalidStateError,
    RevAIMethodNotAllowedError,
    RevAINotFoundError,
    RevAIPayloadTooLargeError,
    RevAIRateLimitError,
    RevAIServerError,
    RevAIUnsupportedFormatError,
)
from airflow_provider_rev.hooks import revai as hook_module
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.models import FailureReason, JobStatus, Transcript
from airflow_provider_rev.retry import RetryPolicy

JOB = {
    "id": "Umx5c6F7pH7r",
    "status": "in_progress",
    "created_on": "2026-11-24T09:00:00.12Z",
    "type": "async",
}
TRANSCRIPT = {
    "monologues": [
        {
            "speaker": 0,
            "elements": [
                {"type": "text", "value": "Hello", "ts": 0.5, "end_ts": 1.0, "confidence": 0.9},
                {"type": "punct", "value": " "},
                {"type": "text", "value": "world", "ts": 1.1, "end_ts": 1.6, "confidence": 0.8},
                {"type": "punct", "value": "."},
            ],
        }
    ]
}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the hook's backoff sleeps instead of sleeping."""
    calls: list[float] = []
    monkeypatch.setattr(hook_module.time, "sleep", calls.append)

    async def fake_async_sleep(delay: float) -> None:
        calls.append(delay)

    monkeypatch.setattr(hook_module.asyncio, "sleep", fake_async_sleep)
    return calls


def fast_hook(**kwargs: Any) -> RevAIHook:
    return RevAIHook(retry_policy=RetryPolicy(base_delay=0.01, jitter=0), timeout=5, **kwargs)


class TestSubmit:
    def test_submit_by_url_sends_source_config_and_headers(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("POST /jobs", Reply(200, JOB))
        job = fast_hook().submit_job(
            "https://media.example.com/a.mp3?X-Amz-Signature=abc",
            source_auth_headers={"Authorization": "Bearer media-secret"},
            metadata="run-1",
            skip_diarization=True,
        )
        assert job.id == "Umx5c6F7pH7r"
        assert job.status is JobStatus.IN_PROGRESS
        (request,) = revai_conn.received
        assert request.path == "/jobs"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["user-agent"] == f"airflow-provider-rev/{__version__}"
        assert request.headers["content-type"] == "application/json"
        assert request.json() == {
            "source_config": {
                "url": "https://media.example.com/a.mp3?X-Amz-Signature=abc",
                "auth_headers": {"Authorization": "Bearer media-secret"},
            },
            "metadata": "run-1",
            "skip_diarization": True,
        }

    def test_invalid_options_fail_before_any_request(self, revai_conn: ScriptedServer) -> None:
        with pytest.raises(RevAIInvalidInputError, match="metadata"):
            fast_hook().submit_job("https://example.com/a.mp3", metadata="x" * 513)
        with pytest.raises(RevAIInvalidInputError, match="media_url"):
            fast_hook().submit_job("ftp://example.com/a.mp3")
        assert revai_conn.received == []

    def test_extra_options_pass_through(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("POST /jobs", Reply(200, JOB))
        fast_hook().submit_job("https://example.com/a.mp3", extra_options={"new_api_flag": 3})
        assert revai_conn.received[0].json()["new_api_flag"] == 3

    def test_local_file_is_multipart_with_options_and_media(
        self, revai_conn: ScriptedServer, tmp_path: Path
    ) -> None:
        media = tmp_path / "meeting.wav"
        media.write_bytes(b"RIFF" + bytes(range(256)) * 40)
        revai_conn.add("POST /jobs", Reply(200, {**JOB, "name": "meeting.wav"}))

        job = fast_hook().submit_local_file(media, metadata="m", language="en")

        assert job.name == "meeting.wav"
        (request,) = revai_conn.received
        assert int(request.headers["content-length"]) == len(request.body)
        assert "chunked" not in request.headers.get("transfer-encoding", "")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.body
        )
        parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        assert set(parts) == {"options", "media"}
        assert json.loads(parts["options"].get_content()) == {"metadata": "m", "language": "en"}
        assert parts["media"].get_filename() == "meeting.wav"
        assert parts["media"].get_payload(decode=True) == media.read_bytes()

    def test_large_upload_is_streamed_not_loaded(self, revai_conn: ScriptedServer, tmp_path: Path) -> None:
        media = tmp_path / "long.wav"
        chunk = hashlib.sha256(b"seed").digest() * 32768  # 1 MiB
        with media.open("wb") as fh:
            for _ in range(24):
                fh.write(chunk)
        revai_conn.add("POST /jobs", Reply(200, JOB))
        tracemalloc.start()
        try:
            fast_hook().submit_local_file(media)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        (request,) = revai_conn.received
        assert request.size > 24 * 1024 * 1024
        assert peak < 8 * 1024 * 1024, f"upload peaked at {peak} bytes for a 24 MiB file"

    @pytest.mark.parametrize(
        ("size", "message"),
        [(0, "empty"), (2 * 1024**3, "under 2 GB")],
    )
    def test_local_file_size_checked_before_upload(
        self, revai_conn: ScriptedServer, tmp_path: Path, size: int, message: str
    ) -> None:
        media = tmp_path / "media.wav"
        with media.open("wb") as fh:
            fh.truncate(size)
        with pytest.raises(RevAIInvalidInputError, match=message):
            fast_hook().submit_local_file(media)
        assert revai_conn.received == []

    def test_missing_local_file(self, revai_conn: ScriptedServer, tmp_path: Path) -> None:
        with pytest.raises(RevAIInvalidInputError, match="local_file.*does not exist"):
            fast_hook().submit_local_file(tmp_path / "nope.wav")


class TestJobs:
    def test_get_job_parses_tolerantly(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add(
            "GET /jobs/abc",
            Reply(
                200,
                {
                    "id": "abc",
                    "status": "failed",
                    "created_on": "2018-09-15T05:14:38.13",
                    "failure": "brand_new_code",
                    "failure_detail": "boom",
                    "something_new": {"a": 1},
                },
            ),
        )
        job = fast_hook().get_job("abc")
        assert job.status is JobStatus.FAILED and job.is_terminal
        assert job.failure == "brand_new_code" and job.failure is not FailureReason.DOWNLOAD_FAILURE
        assert job.extra == {"something_new": {"a": 1}}
        assert job.created_on is not None and job.created_on.utcoffset() is not None
        assert revai_conn.received[0].headers["accept"] == "application/json"

    @pytest.mark.parametrize("job_id", ["", "../account", "a b"])
    def test_unsafe_job_id_rejected(self, revai_conn: ScriptedServer, job_id: str) -> None:
        with pytest.raises(RevAIInvalidInputError, match="job_id"):
            fast_hook().get_job(job_id)
        assert revai_conn.received == []

    def test_list_jobs_pages_with_starting_after(self, revai_conn: ScriptedServer) -> None:
        jobs = [{"id": f"job{i:04d}", "status": "transcribed"} for i in range(250)]

        def page(request: Received) -> Reply:
            limit = int(request.query["limit"][0])
            start = 0
            if "starting_after" in request.query:
                start = (
                    next(i for i, j in enumerate(jobs) if j["id"] == request.query["starting_after"][0]) + 1
                )
            return Reply(200, jobs[start : start + limit])

        revai_conn.default = page
        listed = list(fast_hook().list_jobs(page_size=100))
        assert [j.id for j in listed] == [j["id"] for j in jobs]
        assert [r.query.get("starting_after") for r in revai_conn.received] == [
            None,
            ["job0099"],
            ["job0199"],
        ]

        revai_conn.received.clear()
        limited = list(fast_hook().list_jobs(limit=5, starting_after="job0009"))
        assert [j.id for j in limited] == ["job0010", "job0011", "job0012", "job0013", "job0014"]
        assert len(revai_conn.received) == 1 and revai_conn.received[0].query["limit"] == ["5"]

    def test_list_jobs_is_lazy(self, revai_conn: ScriptedServer) -> None:
        revai_conn.default = lambda r: Reply(
            200, [{"id": f"j{i}", "status": "in_progress"} for i in range(10)]
        )
        first = next(iter(fast_hook().list_jobs(page_size=10)))
        assert first.id == "j0" and len(revai_conn.received) == 1

    def test_delete_job(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("DELETE /jobs/abc", Reply(204))
        revai_conn.add(
            "DELETE /jobs/busy",
            Reply(
                409,
                {
                    "allowed_values": ["transcribed", "failed"],
                    "current_value": "in_progress",
                    "detail": "Job is in invalid state to be deleted",
                    "status": 409,
                    "title": "Job is in invalid state",
                    "type": "https://rev.ai/api/v1/errors/invalid-job-state",
                },
            ),
        )
        hook = fast_hook()
        assert hook.delete_job("abc") is None
        with pytest.raises(RevAIInvalidStateError) as err:
            hook.delete_job("busy")
        assert err.value.current_value == "in_progress"
        assert err.value.allowed_values == ["transcribed", "failed"]
        assert not err.value.permanent


class TestResults:
    def test_transcript_json_and_text(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /jobs/abc/transcript", Reply(200, TRANSCRIPT))
        revai_conn.add("GET /jobs/abc/transcript", Reply(200, "Speaker 0    00:00:00    Hello world."))
        hook = fast_hook()
        transcript = hook.get_transcript("abc")
        assert isinstance(transcript, Transcript)
        assert transcript.text == "Hello world."
        assert (
            transcript.word_count == 2 and transcript.speakers == [0] and transcript.duration_seconds == 1.6
        )
        assert hook.get_transcript_text("abc") == "Speaker 0    00:00:00    Hello world."
        accepts = [r.headers["accept"] for r in revai_conn.received]
        assert accepts == ["application/vnd.rev.transcript.v1.0+json", "text/plain"]

    def test_captions_formats_and_speaker_channel(self, revai_conn: ScriptedServer) -> None:
        revai_conn.default = lambda r: Reply(200, f"captions for {r.headers['accept']}")
        hook = fast_hook()
        assert hook.get_captions("abc") == "captions for application/x-subrip"
        assert hook.get_captions("abc", fmt="vtt", speaker_channel=1) == "captions for text/vtt"
        assert revai_conn.received[1].query == {"speaker_channel": ["1"]}
        with pytest.raises(RevAIInvalidInputError, match="fmt"):
            hook.get_captions("abc", fmt="docx")

    def test_summary_translation_account(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /jobs/abc/transcript/summary", Reply(200, {"bullet_points": ["a", "b"]}))
        revai_conn.add("GET /jobs/abc/transcript/translation/es", Reply(200, TRANSCRIPT))
        revai_conn.add("GET /jobs/abc/captions/translation/es", Reply(200, "WEBVTT\n"))
        revai_conn.add("GET /account", Reply(200, {"email": "a@b.c", "balance_seconds": 150}))
        hook = fast_hook()
        assert hook.get_summary("abc", as_json=True) == {"bullet_points": ["a", "b"]}
        assert hook.get_translation("abc", "es").word_count == 2
        assert hook.get_translated_captions("abc", "es", fmt="vtt") == "WEBVTT\n"
        assert hook.get_account() == {"email": "a@b.c", "balance_seconds": 150}


ERROR_CASES = [
    (400, RevAIBadRequestError, {"parameters": {"media_url": ["Provided media_url is not valid"]}}),
    (401, RevAIAuthError, {"title": "Authorization has been denied for this request"}),
    (403, RevAIAuthError, {"status": 403, "error": "The client is forbidden to submit that request"}),
    (404, RevAINotFoundError, {"title": "could not find job"}),
    (405, RevAIMethodNotAllowedError, {"title": "Job contains unsupported properties"}),
    (406, RevAIUnsupportedFormatError, {"allowed_values": ["text/plain"], "current_value": "*/*"}),
    (409, RevAIInvalidStateError, {"allowed_values": ["transcribed"], "current_value": "in_progress"}),
    (413, RevAIPayloadTooLargeError, {"title": "Payload Too Large"}),
    (500, RevAIServerError, {"title": "Internal server error"}),
]


class TestErrors:
    @pytest.mark.parametrize(("status", "cls", "body"), ERROR_CASES)
    def test_status_maps_to_exception_without_retry(
        self,
        revai_conn: ScriptedServer,
        sleeps: list[float],
        status: int,
        cls: type[RevAIAPIError],
        body: Any,
    ) -> None:
        revai_conn.add("GET /jobs/abc", Reply(status, body))
        with pytest.raises(cls) as err:
            fast_hook().get_job("abc")
        assert err.value.status == status
        assert err.value.endpoint == "GET /jobs/{id}"
        assert revai_conn.count("GET /jobs/abc") == 1 and sleeps == []
        assert err.value.permanent is (status not in (409, 500))

    def test_problem_details_fields(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add(
            "POST /jobs",
            Reply(
                400,
                {
                    "parameter": {"media_url": ["The media_url field is required"]},
                    "type": "https://www.rev.ai/api/v1/errors/invalid-parameters",
                    "title": "Your request parameters didn't validate",
                    "status": 400,
                },
            ),
        )
        with pytest.raises(RevAIBadRequestError) as err:
            fast_hook().submit_job("https://example.com/a.mp3")
        assert err.value.parameters == {"media_url": ["The media_url field is required"]}
        assert err.value.type == "https://www.rev.ai/api/v1/errors/invalid-parameters"
        assert "media_url: The media_url field is required" in str(err.value)

    def test_retry_after_is_honoured(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.add(
            "GET /jobs/abc",
            Reply(429, {"title": "Too Many Requests"}, headers={"Retry-After": "7"}),
            Reply(429, {"title": "Too Many Requests"}),
            Reply(200, JOB | {"id": "abc"}),
        )
        assert fast_hook().get_job("abc").id == "abc"
        assert sleeps[0] == 7.0
        assert sleeps[1] == pytest.approx(0.02)  # no header: exponential backoff, second retry

    def test_rate_limit_retries_are_bounded(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.default = lambda r: Reply(
            429, {"title": "Too Many Requests"}, headers={"Retry-After": "1"}
        )
        hook = RevAIHook(retry_policy=RetryPolicy(max_rate_limit_retries=3))
        with pytest.raises(RevAIRateLimitError) as err:
            hook.get_job("abc")
        assert err.value.retry_after == 1.0 and sleeps == [1.0, 1.0, 1.0]

    def test_total_wait_is_bounded(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.default = lambda r: Reply(429, {}, headers={"Retry-After": "40"})
        with pytest.raises(RevAIRateLimitError):
            RevAIHook(retry_policy=RetryPolicy(max_total_wait=100)).get_job("abc")
        assert sleeps == [40.0, 40.0]

    def test_5xx_retried_five_times_then_raised(
        self, revai_conn: ScriptedServer, sleeps: list[float]
    ) -> None:
        revai_conn.default = lambda r: Reply(503, {"title": "Service Unavailable"})
        with pytest.raises(RevAIServerError):
            fast_hook().get_job("abc")
        assert revai_conn.count("GET /jobs/abc") == 6
        assert sleeps == pytest.approx([0.01, 0.02, 0.04, 0.08, 0.16])

    def test_5xx_then_success(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.add("GET /jobs/abc", Reply(502, {}), Reply(504, {}), Reply(200, JOB | {"id": "abc"}))
        assert fast_hook().get_job("abc").id == "abc"
        assert len(sleeps) == 2

    def test_dropped_connection_retried_on_get(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.add("GET /jobs/abc", Reply(drop=True), Reply(200, JOB | {"id": "abc"}))
        assert fast_hook().get_job("abc").id == "abc"
        assert revai_conn.count("GET /jobs/abc") == 2

    def test_submit_not_repeated_when_outcome_unknown(
        self, revai_conn: ScriptedServer, sleeps: list[float]
    ) -> None:
        revai_conn.add("POST /jobs", Reply(503, {"title": "Service Unavailable"}))
        with pytest.raises(RevAIServerError):
            fast_hook().submit_job("https://example.com/a.mp3")
        revai_conn.add("POST /jobs", Reply(drop=True))
        with pytest.raises(RevAIConnectionError) as err:
            fast_hook().submit_job("https://example.com/a.mp3")
        assert err.value.outcome_unknown
        assert revai_conn.count("POST /jobs") == 2 and sleeps == []

    def test_submit_retried_after_429(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.add("POST /jobs", Reply(429, {}, headers={"Retry-After": "2"}), Reply(200, JOB))
        assert fast_hook().submit_job("https://example.com/a.mp3").id == JOB["id"]
        assert revai_conn.count("POST /jobs") == 2 and sleeps == [2.0]

    def test_refused_connection_is_retried_even_for_submit(
        self, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
    ) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json(f"http://127.0.0.1:{port}"))
        with pytest.raises(RevAIConnectionError) as err:
            fast_hook().submit_job("https://example.com/a.mp3")
        assert not err.value.outcome_unknown
        assert len(sleeps) == 5


class TestAsync:
    async def test_aget_job_and_transcript(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /jobs/abc", Reply(200, JOB | {"id": "abc", "status": "transcribed"}))
        revai_conn.add("GET /jobs/abc/transcript", Reply(200, TRANSCRIPT))
        hook = fast_hook()
        try:
            job = await hook.aget_job("abc")
            transcript = await hook.aget_transcript("abc")
        finally:
            await hook.aclose()
        assert job.status is JobStatus.TRANSCRIBED
        assert transcript.text == "Hello world."
        assert revai_conn.received[0].headers["authorization"] == f"Bearer {TOKEN}"
        assert revai_conn.received[1].headers["accept"] == "application/vnd.rev.transcript.v1.0+json"

    async def test_async_retries_use_the_same_policy(
        self, revai_conn: ScriptedServer, sleeps: list[float]
    ) -> None:
        revai_conn.add(
            "GET /jobs/abc",
            Reply(503, {}),
            Reply(drop=True),
            Reply(429, {}, headers={"Retry-After": "3"}),
            Reply(200, JOB | {"id": "abc"}),
        )
        hook = fast_hook()
        try:
            assert (await hook.aget_job("abc")).id == "abc"
        finally:
            await hook.aclose()
        # aiohttp itself resends an idempotent request once when a kept-alive connection drops
        assert sleeps == pytest.approx([0.01, 3.0])
        assert revai_conn.count("GET /jobs/abc") == 4

    async def test_async_permanent_error(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.add("GET /jobs/abc", Reply(404, {"title": "could not find job"}))
        hook = fast_hook()
        try:
            with pytest.raises(RevAINotFoundError, match="could not find job"):
                await hook.aget_job("abc")
        finally:
            await hook.aclose()
        assert sleeps == []

    async def test_alist_jobs_pages(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add(
            "GET /jobs", Reply(200, [{"id": "a", "status": "transcribed"}, {"id": "b", "status": "failed"}])
        )
        revai_conn.add("GET /jobs", Reply(200, [{"id": "c", "status": "transcribed"}]))
        hook = fast_hook()
        try:
            ids = [job.id async for job in hook.alist_jobs(page_size=2)]
        finally:
            await hook.aclose()
        assert ids == ["a", "b", "c"]
        assert revai_conn.received[1].query["starting_after"] == ["b"]


class TestConnectionCheck:
    def test_test_connection(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /account", Reply(200, {"email": "jay@rev.ai", "balance_seconds": 150}))
        revai_conn.add(
            "GET /account", Reply(401, {"title": "Authorization has been denied for this request"})
        )
        assert fast_hook().test_connection() == (
            True,
            f"Connected to {revai_conn.root_url}; account jay@rev.ai has 150 seconds of credit.",
        )
        ok, message = fast_hook().test_connection()
        assert not ok and "401" in message and "Authorization has been denied" in message


def test_token_never_logged_or_raised(
    revai_conn: ScriptedServer,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    revai_conn.add("GET /jobs/abc", Reply(503, {}), Reply(401, {"title": "Authorization has been denied"}))
    hook = fast_hook()
    with pytest.raises(RevAIAuthError) as err:
        hook.get_job("abc")
    out, errors = capsys.readouterr()
    seen = "\n".join([caplog.text, out, errors, str(err.value), repr(err.value), repr(hook.settings)])
    assert "retrying" in seen  # the retry was logged ...
    assert TOKEN not in seen  # ... without the token
