"""A catalogue of bad input: each case fails at once, names its field, says how to fix it, sends nothing.

Every case runs against a live :class:`~support.ScriptedServer` (the ``revai_conn`` fixture), so
"nothing was sent" is checked on the wire, not assumed. Bad input must raise
:class:`RevAIInvalidInputError`, which is also an ``AirflowFailException``: a task that cannot
succeed must not spend its retries. The second half checks how API error statuses map onto
permanent (``AirflowFailException``) and retryable errors.

Cases that reveal a missing check are marked ``xfail(strict=True)`` with the fix in the reason,
so the suite stays green while the gap stays visible (and the mark fails once it is fixed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException
from support import Reply, ScriptedServer, connection_json, task_context

from airflow_provider_rev.exceptions import (
    RevAIAPIError,
    RevAIAuthError,
    RevAIBadRequestError,
    RevAIInvalidInputError,
    RevAIInvalidStateError,
    RevAINotFoundError,
    RevAIRateLimitError,
    RevAIServerError,
    RevAITransientError,
)
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.operators.revai import (
    CreateCustomVocabularyOperator,
    FetchTranscriptOperator,
    SubmitTranscriptionOperator,
)
from airflow_provider_rev.retry import RetryPolicy
from airflow_provider_rev.sensors.revai import TranscriptSensor

URL = "https://media.example.com/calls/a.wav"
NO_RETRIES = RetryPolicy(max_transient_retries=0, max_rate_limit_retries=0, base_delay=0, jitter=0)


# ---------------------------------------------------------------------------- helpers


def context() -> dict[str, Any]:
    return task_context()


def submit(**kwargs: Any) -> Callable[[Path], object]:
    """Run ``SubmitTranscriptionOperator(**kwargs).execute`` (a URL unless a source is given)."""

    def run(tmp_path: Path) -> object:
        args = dict(kwargs)
        if "media_url" not in args and "local_file" not in args:
            args["media_url"] = URL
        return SubmitTranscriptionOperator(task_id="submit", **args).execute(context())

    return run


def submit_file(make: Callable[[Path], Any], **kwargs: Any) -> Callable[[Path], object]:
    """Run the submit operator on a ``local_file`` that ``make`` prepares under ``tmp_path``."""

    def run(tmp_path: Path) -> object:
        op = SubmitTranscriptionOperator(task_id="submit", local_file=make(tmp_path), **kwargs)
        return op.execute(context())

    return run


def fetch(**kwargs: Any) -> Callable[[Path], object]:
    def run(tmp_path: Path) -> object:
        args = {"job_id": "job1", **kwargs}
        return FetchTranscriptOperator(task_id="fetch", **args).execute(context())

    return run


def fetch_to(make: Callable[[Path], Any], **kwargs: Any) -> Callable[[Path], object]:
    """Run the fetch operator with an ``output_path`` that ``make`` prepares under ``tmp_path``."""

    def run(tmp_path: Path) -> object:
        op = FetchTranscriptOperator(task_id="fetch", job_id="job1", output_path=make(tmp_path), **kwargs)
        return op.execute(context())

    return run


def under_a_file(tmp_path: Path) -> str:
    blocker = tmp_path / "transcripts"
    blocker.write_text("a file where a folder should be")
    return str(blocker / "job1.json")


def sense(job_id: str, *, deferrable: bool) -> Callable[[Path], object]:
    def run(tmp_path: Path) -> object:
        sensor = TranscriptSensor(
            task_id="wait", job_id=job_id, deferrable=deferrable, poke_interval=0.01, timeout=5
        )
        return sensor.execute(context())

    return run


def hook_call(method: str, *args: Any, **kwargs: Any) -> Callable[[Path], object]:
    """Call ``RevAIHook().<method>(*args, **kwargs)``; generators are drained."""

    def run(tmp_path: Path) -> object:
        result = getattr(RevAIHook(), method)(*args, **kwargs)
        return list(result) if method == "list_jobs" else result

    return run


def sparse_file(size: int) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        path = tmp_path / "media.wav"
        with path.open("wb") as f:
            f.truncate(size)
        return path

    return make


def file_with(data: bytes) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        path = tmp_path / "media.wav"
        path.write_bytes(data)
        return path

    return make


@dataclass(frozen=True)
class Case:
    """One bad input: what to run, the field it must blame and a regex for the fix it must suggest."""

    id: str
    run: Callable[[Path], object]
    field: str
    fix: str
    conn: dict[str, Any] | None = None
    gap: str | None = None


def case(id: str, run: Callable[[Path], object], field: str, fix: str, **kw: Any) -> Any:
    c = Case(id, run, field, fix, **kw)
    marks = [pytest.mark.xfail(strict=True, reason=c.gap)] if c.gap else []
    return pytest.param(c, id=id, marks=marks)


HUMAN = {"transcriber": "human"}

CASES = [
    # -- media source (operator level)
    case("submit-no-media", submit(media_url=None), "media_url", r"exactly one media source.*local_file"),
    case(
        "submit-both-media-at-parse-time",
        lambda p: SubmitTranscriptionOperator(task_id="s", media_url=URL, local_file=str(p / "a.wav")),
        "media_url",
        r"media_url or local_file, not both",
    ),
    case(
        "submit-both-media-after-templating",
        lambda p: _both_after_init(p),
        "media_url",
        r"exactly one media source",
    ),
    case(
        "submit-media-url-renders-empty",
        submit(media_url="   "),
        "media_url",
        r"empty; give an http\(s\) URL",
    ),
    case(
        "submit-local-file-missing",
        submit_file(lambda p: p / "nope.wav"),
        "local_file",
        r"nope\.wav does not exist",
    ),
    case(
        "submit-local-file-is-a-directory",
        submit_file(lambda p: p),
        "local_file",
        r"not a file",
    ),
    case(
        "submit-local-file-uri-missing",
        submit_file(lambda p: (p / "nope.wav").as_uri()),
        "local_file",
        r"nope\.wav does not exist",
    ),
    case("submit-local-file-empty", submit_file(file_with(b"")), "local_file", r"empty.*empty_media"),
    case(
        "submit-local-file-2gb",
        submit_file(sparse_file(2 * 1024**3)),
        "local_file",
        r"under 2 GB.*submit media_url instead",
    ),
    case(
        "submit-media-url-ftp",
        submit(media_url="ftp://media.example.com/a.wav"),
        "media_url",
        r"http\(s\) URL, got 'ftp'",
    ),
    case(
        "submit-media-url-s3-hints-local-file",
        submit(media_url="s3://bucket/calls/a.wav"),
        "media_url",
        r"got 's3'.*local_file instead",
    ),
    case(
        "submit-media-url-relative",
        submit(media_url="/calls/a.wav"),
        "media_url",
        r"absolute http\(s\) URL",
    ),
    case(
        "submit-media-url-unparseable",
        submit(media_url="https://[::1/calls/a.wav"),
        "media_url",
        r"absolute http\(s\) URL",
    ),
    case(
        "submit-media-url-too-long",
        submit(media_url=URL + "?q=" + "x" * 2048),
        "media_url",
        r"at most 2048",
    ),
    # -- keywords (operator level, when the DAG is parsed)
    case(
        "submit-misspelt-option-at-parse-time",
        lambda p: SubmitTranscriptionOperator(task_id="s", media_url=URL, speaker_count=2),
        "speaker_count",
        r"^unknown keyword for SubmitTranscriptionOperator; did you mean `speakers_count`\?$",
    ),
    case(
        "submit-unknown-keyword-at-parse-time",
        lambda p: SubmitTranscriptionOperator(task_id="s", media_url=URL, colour="red"),
        "colour",
        r"unknown keyword for SubmitTranscriptionOperator; check the spelling, or pass new API fields "
        r"through extra_options",
    ),
    case(
        "vocabulary-misspelt-option-at-parse-time",
        lambda p: CreateCustomVocabularyOperator(
            task_id="v", custom_vocabularies=[{"phrases": ["Airflow"]}], strict_vocabulary=True
        ),
        "strict_vocabulary",
        r"did you mean `strict_custom_vocabulary`\?",
    ),
    # -- job options (operator level)
    case("submit-metadata-513", submit(metadata="m" * 513), "metadata", r"513 characters.*512"),
    case(
        "submit-metadata-too-long-with-tag",
        submit(metadata="m" * 500),
        "metadata",
        r"Shorten it to \d+ characters",
    ),
    case(
        "submit-metadata-not-a-string",
        submit(metadata={"team": "a"}),
        "metadata",
        r"must be a string \(serialise",
    ),
    case(
        "submit-transcriber-not-a-string",
        submit(transcriber=5),
        "transcriber",
        r"must be a non-empty string",
    ),
    case("submit-speakers-count-0", submit(speakers_count=0), "speakers_count", r"at least 1"),
    case(
        "submit-speaker-channels-count-9",
        submit(speaker_channels_count=9),
        "speaker_channels_count",
        r"between 1 and 8",
    ),
    case(
        "submit-speakers-count-not-int",
        submit(speakers_count="2"),
        "speakers_count",
        r"must be an integer",
    ),
    case(
        "submit-delete-after-negative",
        submit(delete_after_seconds=-1),
        "delete_after_seconds",
        r"between 0 and 2592000",
    ),
    case(
        "submit-delete-after-over-30-days",
        submit(delete_after_seconds=2_592_001),
        "delete_after_seconds",
        r"between 0 and 2592000",
    ),
    case(
        "submit-segments-missing-end",
        submit(segments_to_transcribe=[{"start": 0}], **HUMAN),
        "segments_to_transcribe",
        r'\{"start": seconds, "end": seconds\}',
    ),
    case(
        "submit-segments-end-before-start",
        submit(segments_to_transcribe=[{"start": 5, "end": 2}], **HUMAN),
        "segments_to_transcribe",
        r"0 <= start < end",
    ),
    case(
        "submit-segments-overlapping",
        submit(segments_to_transcribe=[{"start": 0, "end": 90}, {"start": 60, "end": 200}], **HUMAN),
        "segments_to_transcribe",
        r"overlaps the previous segment",
    ),
    case(
        "submit-segments-empty-list",
        submit(segments_to_transcribe=[], **HUMAN),
        "segments_to_transcribe",
        r"non-empty list",
    ),
    case(
        "submit-segments-start-as-string",
        submit(segments_to_transcribe=[{"start": "0", "end": 5}, {"start": 6, "end": 7}], **HUMAN),
        "segments_to_transcribe",
        r"start and end must be numbers of seconds",
    ),
    case(
        "submit-segments-error-names-users-item",
        submit(segments_to_transcribe=[{"start": 0, "end": 90}, {"start": 1}], **HUMAN),
        "segments_to_transcribe",
        r"item 1 ",
    ),
    case(
        "submit-rush-on-machine",
        submit(rush=True),
        "rush",
        r"only available with transcriber='human'",
    ),
    case(
        "submit-segments-on-machine",
        submit(segments_to_transcribe=[{"start": 0, "end": 5}], transcriber="machine"),
        "segments_to_transcribe",
        r"only available with transcriber='human'",
    ),
    case(
        "submit-boolean-as-string",
        submit(skip_diarization="yes"),
        "skip_diarization",
        r"must be true or false",
    ),
    case("submit-bad-language", submit(language="English"), "language", r"ISO 639 code such as 'en'"),
    case("submit-language-underscore", submit(language="en_US"), "language", r"did you mean `en-us`\?"),
    case(
        "submit-both-custom-vocabularies",
        submit(custom_vocabulary_id="cv1", custom_vocabularies=[{"phrases": ["Airflow"]}]),
        "custom_vocabularies",
        r"custom_vocabulary_id or custom_vocabularies, not both",
    ),
    case(
        "submit-source-auth-headers-not-authorization",
        submit(source_auth_headers={"X-Api-Key": "k-123456"}),
        "source_auth_headers",
        r'\{"Authorization": "<scheme> <token>"\}',
    ),
    case(
        "submit-source-auth-headers-extra-key",
        submit(source_auth_headers={"Authorization": "Bearer abcdef", "Cookie": "s=1"}),
        "source_auth_headers",
        r'\{"Authorization": "<scheme> <token>"\}',
    ),
    case(
        "submit-source-auth-headers-not-a-dict",
        submit(source_auth_headers=["Authorization", "Bearer abcdef"]),
        "source_auth_headers",
        r'\{"Authorization": "<scheme> <token>"\}',
    ),
    case(
        "submit-notification-headers-not-authorization",
        submit(notification_url="https://hooks.example.com/rev", notification_auth_headers={"X-Key": "k"}),
        "notification_auth_headers",
        r'\{"Authorization": "<scheme> <token>"\}',
    ),
    case(
        "submit-notification-headers-without-url",
        submit(notification_auth_headers={"Authorization": "Bearer abcdef"}),
        "notification_auth_headers",
        r"needs notification_url",
    ),
    case(
        "submit-notification-url-ftp",
        submit(notification_url="ftp://hooks.example.com/rev"),
        "notification_url",
        r"absolute http\(s\) URL",
    ),
    case(
        "submit-callback-and-notification-url",
        submit(callback_url="https://a.example.com/cb", notification_url="https://b.example.com/n"),
        "notification_url",
        r"set callback_url or notification_url, not both",
    ),
    case(
        "submit-summary-prompt-and-type",
        submit(summarization_config={"prompt": "Summarise", "type": "bullets"}),
        "summarization_config",
        r"either prompt or type",
    ),
    case(
        "submit-translation-language-not-a-code",
        submit(translation_config={"target_languages": [{"language": "Spanish!"}]}),
        "translation_config",
        r"target 0 language 'Spanish!' is not an ISO 639 code",
    ),
    case(
        "submit-extra-options-not-a-dict",
        submit(extra_options=["speakers_count"]),
        "extra_options",
        r"must be a dict",
    ),
    # -- connection (operator level, before any request)
    case(
        "submit-connection-without-token",
        submit(),
        "password",
        r"connection 'revai_default' has no access token; put your Rev AI access token",
        conn={"token": None},
    ),
    case(
        "fetch-connection-without-token",
        fetch(),
        "password",
        r"'revai_default' has no access token",
        conn={"token": None},
    ),
    case(
        "sensor-connection-blank-token",
        sense("job1", deferrable=False),
        "password",
        r"'revai_default' has no access token",
        conn={"token": "   "},
    ),
    case(
        "submit-connection-unknown-region",
        submit(),
        "region",
        r"region 'ap'; use one of eu, us",
        conn={"region": "ap"},
    ),
    case(
        "submit-connection-host-not-http",
        submit(),
        "host",
        r"is not a URL; use e\.g\. https://api\.rev\.ai",
        conn={"host": "ftp://proxy.example.com"},
    ),
    # -- fetch operator
    case("fetch-unsupported-format", fetch(output_format="pdf"), "output_format", r"json, text, srt, vtt"),
    case(
        "fetch-summary-as-captions",
        fetch(output_format="vtt", summary=True),
        "output_format",
        r"summary is available as 'json' or 'text' only",
    ),
    case(
        "fetch-speaker-channel-on-json",
        fetch(output_format="json", speaker_channel=0),
        "speaker_channel",
        r"captions only \(output_format 'srt' or 'vtt'\)",
    ),
    case(
        "fetch-negative-speaker-channel",
        fetch(output_format="srt", speaker_channel=-1),
        "speaker_channel",
        r"non-negative channel index",
    ),
    case(
        "fetch-summary-and-translation",
        fetch(summary=True, translation_language="es"),
        "summary",
        r"either the summary or a translation",
    ),
    case(
        "fetch-translation-language-path",
        fetch(translation_language="../es"),
        "language",
        r"language code such as 'es'",
    ),
    case(
        "fetch-output-path-relative",
        fetch(output_path="transcripts/job1.json"),
        "output_path",
        r"relative path.*use an absolute path \(/data/transcripts/t\.json\) or a URL such as "
        r"file:///data/transcripts/t\.json or s3://aws_default@bucket/transcripts/t\.json",
    ),
    case(
        "fetch-output-path-file-url-with-host",
        fetch(output_path="file://transcripts/job1.json"),
        "output_path",
        r"relative file URL \('transcripts' is read as a folder, not a host\).*file:///",
    ),
    case(
        "fetch-output-path-under-a-file",
        fetch_to(under_a_file),
        "output_path",
        r"cannot write .*/transcripts/job1\.json: .*/transcripts is a file, not a folder; remove or "
        r"rename that file",
    ),
    case(
        "fetch-output-path-is-a-folder",
        fetch_to(str),
        "output_path",
        r"is a folder; name the file to write in it",
    ),
    case("fetch-job-id-empty", fetch(job_id=""), "job_id", r"pass the id returned by the submit task"),
    case("fetch-job-id-traversal", fetch(job_id="../x"), "job_id", r"letters, digits, '-' and '_' only"),
    case("fetch-job-id-space", fetch(job_id="job 1"), "job_id", r"letters, digits, '-' and '_' only"),
    case("fetch-job-id-query", fetch(job_id="job1?x=1"), "job_id", r"check the template that renders it"),
    case(
        "fetch-job-id-none-rendered",
        fetch(job_id="None"),
        "job_id",
        r"check the template|submit task",
    ),
    # -- sensor
    case("sensor-job-id-empty", sense("", deferrable=False), "job_id", r"pass the id returned"),
    case("sensor-job-id-traversal", sense("../x", deferrable=True), "job_id", r"letters, digits"),
    case("sensor-job-id-space", sense("a b", deferrable=False), "job_id", r"letters, digits"),
    case("sensor-job-id-query", sense("job1?x", deferrable=True), "job_id", r"letters, digits"),
    # -- hook level
    case(
        "hook-submit-no-url",
        hook_call("submit_job", None),
        "media_url",
        r"empty; give an http\(s\) URL",
    ),
    case(
        "hook-submit-s3-url",
        hook_call("submit_job", "s3://bucket/a.wav"),
        "media_url",
        r"got 's3'.*local_file",
    ),
    case(
        "hook-unknown-option-suggests-extra-options",
        hook_call("submit_job", URL, speaker_count=2),
        "speaker_count",
        r"\(did you mean `speakers_count`\?\); check the spelling, or pass new API fields through "
        r"extra_options",
    ),
    case(
        "hook-unknown-option-on-upload",
        lambda p: RevAIHook().submit_local_file(file_with(b"RIFF")(p), diarisation=True),
        "diarisation",
        r"extra_options",
    ),
    case(
        "hook-transcriber-not-a-string",
        hook_call("submit_job", URL, transcriber=["machine"]),
        "transcriber",
        r"must be a non-empty string",
    ),
    case(
        "hook-auth-headers-not-authorization",
        hook_call("submit_job", URL, source_auth_headers={"X-Amz-Security-Token": "abc123456"}),
        "source_auth_headers",
        r"Rev AI supports no other header",
    ),
    case(
        "hook-auth-header-empty",
        hook_call("submit_job", URL, source_auth_headers={"Authorization": " "}),
        "source_auth_headers",
        r'"Authorization" value is empty',
    ),
    case(
        "hook-local-file-2gb",
        lambda p: RevAIHook().submit_local_file(sparse_file(2 * 1024**3)(p)),
        "local_file",
        r"under 2 GB",
    ),
    case("hook-get-job-unsafe-id", hook_call("get_job", "a/b"), "job_id", r"letters, digits"),
    case("hook-delete-job-empty-id", hook_call("delete_job", ""), "job_id", r"pass the id returned"),
    case("hook-captions-bad-format", hook_call("get_captions", "job1", fmt="pdf"), "fmt", r"'srt' or 'vtt'"),
    case(
        "hook-list-jobs-negative-limit",
        hook_call("list_jobs", limit=-1),
        "limit",
        r"non-negative number of jobs",
    ),
    case(
        "hook-list-jobs-unsafe-cursor",
        hook_call("list_jobs", starting_after="../x"),
        "starting_after",
        r"letters, digits",
    ),
    case(
        "hook-list-jobs-page-size-0",
        hook_call("list_jobs", page_size=0),
        "page_size",
        r"between 1 and 1000",
    ),
]


def _both_after_init(tmp_path: Path) -> object:
    """Both sources set after construction, as templating or ``partial().expand()`` can do."""
    op = SubmitTranscriptionOperator(task_id="submit", media_url=URL)
    op.local_file = str(tmp_path / "a.wav")
    return op.execute(context())


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_before_any_request(
    case: Case, revai_conn: ScriptedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if case.conn is not None:
        settings = {"token": "test-token-5f2c9a", "host": revai_conn.root_url, **case.conn}
        host, token = settings.pop("host"), settings.pop("token")
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json(host, token, **settings))
    with pytest.raises(RevAIInvalidInputError) as info:
        case.run(tmp_path)
    error = info.value
    assert isinstance(error, AirflowFailException), "bad input must not spend task retries"
    assert error.permanent
    assert error.field == case.field, str(error)
    assert str(error) == f"{case.field}: {error.message}"
    assert re.search(case.fix, error.message), f"{error.message!r} does not say how to fix it"
    assert revai_conn.received == [], "nothing may be sent before the input is valid"


def test_catalogue_size() -> None:
    """The brief asks for at least 24 distinct cases; ids must be unique."""
    ids = [param.id for param in CASES]
    assert len(ids) >= 24 and len(set(ids)) == len(ids)


def test_sparse_file_is_really_2gb(tmp_path: Path) -> None:
    """The 2 GB cases use a sparse file: check it has the size the limit is about, cheaply."""
    path = sparse_file(2 * 1024**3)(tmp_path)
    assert path.stat().st_size == 2 * 1024**3
    assert os.stat(path).st_blocks * 512 < 1024**2


# ---------------------------------------------------------------------------- API errors

PROBLEM = {
    "type": "https://www.rev.ai/api/v1/errors/example",
    "title": "Problem title from Rev AI",
    "detail": "Problem detail that explains what to change",
}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, RevAIBadRequestError),
        (401, RevAIAuthError),
        (403, RevAIAuthError),
        (404, RevAINotFoundError),
        (405, RevAIAPIError),
        (406, RevAIAPIError),
        (413, RevAIAPIError),
    ],
)
def test_permanent_api_errors_fail_without_retries(
    revai_conn: ScriptedServer, status: int, cls: type[RevAIAPIError]
) -> None:
    revai_conn.add("GET /jobs/job1", Reply(status, {**PROBLEM, "status": status}))
    with pytest.raises(cls) as info:
        RevAIHook(retry_policy=RetryPolicy()).get_job("job1")
    error = info.value
    assert isinstance(error, AirflowFailException) and error.permanent
    assert not isinstance(error, RevAITransientError)
    assert error.status == status
    assert PROBLEM["title"] in str(error) and PROBLEM["detail"] in str(error)
    assert f"Rev AI API error {status} on GET /jobs/{{id}}" in str(error)
    assert revai_conn.count("GET /jobs/job1") == 1, "a permanent error is not retried by the hook"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (409, RevAIInvalidStateError),
        (429, RevAIRateLimitError),
        (500, RevAIServerError),
        (502, RevAIServerError),
        (503, RevAIServerError),
        (504, RevAIServerError),
    ],
)
def test_transient_api_errors_stay_retryable(
    revai_conn: ScriptedServer, status: int, cls: type[RevAIAPIError]
) -> None:
    revai_conn.add("GET /jobs/job1", Reply(status, {**PROBLEM, "status": status}))
    with pytest.raises(cls) as info:
        RevAIHook(retry_policy=NO_RETRIES).get_job("job1")
    error = info.value
    assert not isinstance(error, AirflowFailException) and not error.permanent
    assert isinstance(error, RevAITransientError)
    assert PROBLEM["title"] in str(error) and PROBLEM["detail"] in str(error)


def test_bad_request_names_the_parameters_the_api_rejected(revai_conn: ScriptedServer) -> None:
    """A 400 on submission fails the task at once and lists the API's per-field messages."""
    revai_conn.add(
        "POST /jobs",
        Reply(
            400,
            {
                "title": "Your request parameters didn't validate",
                "type": "https://www.rev.ai/api/v1/errors/invalid-parameters",
                "status": 400,
                "parameters": {"language": ["Unsupported language: zz"]},
            },
        ),
    )
    op = SubmitTranscriptionOperator(task_id="submit", media_url=URL, language="zz", retries=3)
    with pytest.raises(RevAIBadRequestError) as info:
        op.execute(context())
    assert isinstance(info.value, AirflowFailException)
    assert "didn't validate" in str(info.value) and "language: Unsupported language: zz" in str(info.value)
    assert revai_conn.count("POST /jobs") == 1


def test_revoked_token_fails_the_sensor_without_retries(revai_conn: ScriptedServer) -> None:
    """A 401 while waiting is permanent: the sensor does not treat it as "not done yet"."""
    revai_conn.add("GET /jobs/job1", Reply(401, {"title": "Authorization has been denied for this request"}))
    with pytest.raises(RevAIAuthError) as info:
        sense("job1", deferrable=False)(Path("."))
    assert isinstance(info.value, AirflowFailException)
    assert "Authorization has been denied" in str(info.value)
