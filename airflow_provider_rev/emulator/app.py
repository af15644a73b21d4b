"""The aiohttp application: routes, handlers, authentication, counting and fault middleware."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from airflow_provider_rev.emulator.captions import CaptionFormat, render_captions
from airflow_provider_rev.emulator.config import API_PREFIX
from airflow_provider_rev.emulator.core import EmulatorCore
from airflow_provider_rev.emulator.errors import (
    PROBLEM_CONTENT_TYPE,
    Problem,
    ProblemError,
    captions_need_speaker_channel,
    invalid_job_state,
    invalid_parameters,
    method_not_allowed,
    payload_too_large,
    resource_not_found,
    too_many_requests,
    unauthorized,
)
from airflow_provider_rev.emulator.faults import FaultAction, FaultKind
from airflow_provider_rev.emulator.media import FetchedMedia, sidecar_for_file, upload_name
from airflow_provider_rev.emulator.negotiation import (
    CAPTION_TYPES,
    JSON,
    SRT,
    SUMMARY_TYPES,
    TEXT,
    TRANSCRIPT_JSON,
    TRANSCRIPT_TYPES,
    negotiate,
)
from airflow_provider_rev.emulator.nlp import summary_bullets, summary_text, translate
from airflow_provider_rev.emulator.options import (
    JobOptions,
    SummaryFormat,
    parse_options,
    parse_vocabulary_options,
)
from airflow_provider_rev.emulator.recording import UNMATCHED_ROUTE
from airflow_provider_rev.emulator.state import DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, Job
from airflow_provider_rev.emulator.status import JobStatus, TaskStatus
from airflow_provider_rev.emulator.transcripts import Transcript

log = logging.getLogger(__name__)

CHUNK = 1 << 16
MAX_JSON_BYTES = 1 << 20
GROUP_CHANNELS_BY = frozenset({"speaker", "sentence", "word"})
NOT_READY = "Job is in progress or failed"
_GATEWAY_PAGE = (
    "<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1></body></html>"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CORE_KEY = web.AppKey("core", EmulatorCore)


def _core(request: web.Request) -> EmulatorCore:
    return request.app[CORE_KEY]


def _body(status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=data, headers={"Content-Type": content_type, **(headers or {})})


def json_response(data: Any, content_type: str = JSON) -> web.Response:
    """Answer 200 with a JSON body."""
    return _body(200, json.dumps(data).encode(), content_type)


def text_response(text: str, media_type: str) -> web.Response:
    """Answer 200 with a UTF-8 text body."""
    return _body(200, text.encode(), f"{media_type}; charset=utf-8")


def problem_response(problem: Problem) -> web.Response:
    """Answer with a problem-details body."""
    return _body(problem.status, problem.encode(), PROBLEM_CONTENT_TYPE, problem.headers)


def route_template(request: web.Request) -> str:
    """Return the request's route template relative to the API root, e.g. ``"GET /jobs/{id}"``.

    A trailing slash is dropped: ``/vocabularies/`` (what the Python SDK sends) counts as ``/vocabularies``.
    """
    resource = request.match_info.route.resource
    if resource is None or request.match_info.http_exception is not None:
        return UNMATCHED_ROUTE
    return f"{request.method} {resource.canonical.removeprefix(API_PREFIX).rstrip('/')}"


def fault_response(request: web.Request, action: FaultAction) -> web.Response:
    """Build the answer for a fault; a drop closes the connection without any response."""
    if action.kind is FaultKind.DROP:
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=500)  # never sent: aiohttp drops writes to a closed transport
    if action.status == 429:
        return problem_response(too_many_requests(action.retry_after))
    headers = {"Retry-After": str(action.retry_after)} if action.retry_after is not None else {}
    if action.status in (502, 504):
        page = _GATEWAY_PAGE.format(status=action.status, reason=action.reason)
        return _body(action.status, page.encode(), "text/html", headers)
    return problem_response(Problem(action.status, action.reason, headers=headers))


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    expected = f"bearer {_core(request).config.token}"
    try:
        if request.headers.get("Authorization", "").strip().lower() != expected.lower():
            raise ProblemError(unauthorized())
        http_error = request.match_info.http_exception
        if isinstance(http_error, web.HTTPMethodNotAllowed):
            raise ProblemError(method_not_allowed(request.method))
        if http_error is not None:
            raise ProblemError(
                resource_not_found("Not Found", f"No route for {request.method} {request.path}")
            )
        return await handler(request)
    except ProblemError as error:
        return problem_response(error.problem)
    except web.HTTPRequestEntityTooLarge:
        return problem_response(payload_too_large())


@web.middleware
async def pipeline(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count the request, apply the rate limit, latency and faults, authenticate, handle."""
    if request.match_info.route.name == JOB_PAGE_ROUTE:
        return await handler(request)
    core = _core(request)
    route = route_template(request)
    index = core.recorder.record(
        request.method, route, request.path, request.query_string, dict(request.headers)
    )
    core.advance()
    if core.rate_limit is not None and (retry_after := core.rate_limit.take()) is not None:
        core.recorder.mark_faulted(index, FaultKind.RATE_LIMIT.value)
        return problem_response(too_many_requests(retry_after))
    latency = core.faults.latency_for(route)
    if latency:
        await asyncio.sleep(latency)
    action = core.faults.decide(route)
    if action is not None and action.delay and not action.after_commit:
        await asyncio.sleep(action.delay)
    if action is not None and action.kind is FaultKind.DELAY:
        action = None
    if action is not None and not action.after_commit:
        core.recorder.mark_faulted(index, action.kind.value)
        return fault_response(request, action)
    response = await _answer(request, handler)
    if action is not None:
        if action.delay:
            await asyncio.sleep(action.delay)
        core.recorder.mark_faulted(index, action.kind.value)
        return fault_response(request, action)
    return response


# ---- POST /jobs ---------------------------------------------------------------------------------


def _decode_json(data: bytes | str, field: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise ProblemError(invalid_parameters({field: ["The value is not valid JSON"]})) from None


async def _save_part(part: BodyPartReader, core: EmulatorCore) -> Path:
    fd, name = tempfile.mkstemp(dir=core.workdir, suffix=".upload")
    path = Path(name)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := await part.read_chunk(CHUNK):
                size += len(chunk)
                if size > core.config.max_upload_bytes:
                    raise ProblemError(payload_too_large())
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


async def _read_multipart(request: web.Request) -> tuple[JobOptions, FetchedMedia, str | None]:
    core = _core(request)
    if (request.content_length or 0) > core.config.max_upload_bytes:
        raise ProblemError(payload_too_large())
    reader = await request.multipart()
    saved: Path | None = None
    name: str | None = None
    payload: Any = None
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "media" and saved is None:
                name = upload_name(part.filename)
                saved = await _save_part(part, core)
            elif part.name in ("options", "config") and payload is None:
                payload = _decode_json(await part.text(), part.name)
                core.recorder.record_body("POST /jobs", payload)
            else:
                await part.release()
        if saved is None:
            raise ProblemError(invalid_parameters({"media": ["The media field is required"]}))
        options = parse_options(payload, multipart=True, allow_file_urls=core.config.allow_file_urls)
        _require_usable_vocabulary(core, options)
    except BaseException:
        if saved is not None:
            saved.unlink(missing_ok=True)
        raise
    sidecar = sidecar_for_file(saved, name or "audio_file", core.config.media_roots)
    if sidecar is None:
        _warn_no_sidecar(name or "audio_file", core.config.media_roots)
    return options, FetchedMedia(saved, owned=True, sidecar=sidecar), name


def _warn_no_sidecar(name: str, roots: tuple[Path, ...]) -> None:
    """Say why an upload gets placeholder words, and which flag gives it its own.

    An upload carries only a file name, so the emulator cannot look beside the original file.
    """
    stem = Path(name).stem
    searched = ", ".join(str(root) for root in roots) or "no folder: --media-root is not set"
    log.warning(
        "upload %r has no sidecar %r (searched %s): the transcript gets placeholder words and "
        "one speaker. Start the emulator with --media-root <the folder holding it> "
        "(RevAIEmulator(media_root=...)) to give uploads their words.",
        name,
        f"{stem}.txt",
        searched,
    )


def _require_usable_vocabulary(core: EmulatorCore, options: JobOptions) -> None:
    if options.custom_vocabulary_id is not None:
        core.vocabularies.require_complete(options.custom_vocabulary_id)


async def _json_body(request: web.Request) -> Any:
    data = await request.read()
    if len(data) > MAX_JSON_BYTES:
        raise ProblemError(payload_too_large())
    return _decode_json(data, "body") if data else None


async def submit_job(request: web.Request) -> web.Response:
    """``POST /jobs``: JSON (media URL) or multipart (upload) submission.

    Validation errors answer 400; a ``custom_vocabulary_id`` that is not a ``complete`` vocabulary then 404.
    """
    core = _core(request)
    if request.content_type == "multipart/form-data":
        options, upload, name = await _read_multipart(request)
        job = core.submit(options, name, upload)
    else:
        payload = await _json_body(request)
        core.recorder.record_body("POST /jobs", payload)
        options = parse_options(payload, multipart=False, allow_file_urls=core.config.allow_file_urls)
        _require_usable_vocabulary(core, options)
        job = core.submit(options)
    return json_response(job.to_json())


# ---- job resources ------------------------------------------------------------------------------


def _job(request: web.Request) -> Job:
    return _core(request).store.get(request.match_info["id"])


def _require_transcribed(job: Job) -> None:
    if job.status is not JobStatus.TRANSCRIBED:
        raise ProblemError(invalid_job_state(job.status.value, ["transcribed"], NOT_READY))


def _int_param(request: web.Request, name: str, low: int, high: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ProblemError(
            invalid_parameters({name: [f"The value '{raw}' is not valid for {name}."]})
        ) from None
    if value < low:
        raise ProblemError(invalid_parameters({name: [f"The min value for {name} is {low}"]}))
    if high is not None and value > high:
        raise ProblemError(invalid_parameters({name: [f"The max value for {name} is {high}"]}))
    return value


async def get_job(request: web.Request) -> web.Response:
    """``GET /jobs/{id}``."""
    return json_response(_job(request).to_json())


async def list_jobs(request: web.Request) -> web.Response:
    """``GET /jobs?limit=&starting_after=``: newest first."""
    limit = _int_param(request, "limit", 0, MAX_LIST_LIMIT)
    starting_after = request.query.get("starting_after") or None
    jobs = _core(request).store.page(DEFAULT_LIST_LIMIT if limit is None else limit, starting_after)
    return json_response([job.to_json() for job in jobs])


async def delete_job(request: web.Request) -> web.Response:
    """``DELETE /jobs/{id}``: 204 once finished, 409 while in progress."""
    _core(request).store.delete(request.match_info["id"])
    return web.Response(status=204)


def _transcript_body(request: web.Request, transcript: Transcript, media_type: str) -> web.Response:
    group = request.query.get("group_channels_by")
    if group is not None and group not in GROUP_CHANNELS_BY:
        raise ProblemError(invalid_parameters({"group_channels_by": [f"Unsupported value {group}"]}))
    _int_param(request, "group_channels_threshold_ms", 0)
    if media_type == TEXT:
        return text_response(transcript.to_text(), TEXT)
    return json_response(transcript.to_json(), TRANSCRIPT_JSON)


def _speaker_channel(request: web.Request, job: Job) -> int | None:
    channels = job.options.speaker_channels_count
    channel = _int_param(request, "speaker_channel", 0, channels - 1 if channels else None)
    if channels and channel is None:
        raise ProblemError(captions_need_speaker_channel())
    if not channels and channel is not None:
        message = "speaker_channel can only be used for jobs submitted with speaker_channels_count"
        raise ProblemError(invalid_parameters({"speaker_channel": [message]}))
    return channel


def _captions_body(
    request: web.Request, job: Job, transcript_of: Callable[[Job], Transcript]
) -> web.Response:
    media_type = negotiate(request.headers, CAPTION_TYPES, SRT)
    channel = _speaker_channel(request, job)
    _require_transcribed(job)
    return text_response(render_captions(transcript_of(job), CaptionFormat(media_type), channel), media_type)


async def get_transcript(request: web.Request) -> web.Response:
    """``GET /jobs/{id}/transcript`` (JSON by default, or ``text/plain``)."""
    job = _job(request)
    media_type = negotiate(request.headers, TRANSCRIPT_TYPES, TRANSCRIPT_JSON)
    _require_transcribed(job)
    return _transcript_body(request, job.transcript(), media_type)


async def get_captions(request: web.Request) -> web.Response:
    """``GET /jobs/{id}/captions`` (SRT by default, or WebVTT)."""
    return _captions_body(request, _job(request), Job.transcript)


def _require_completed(sub_job: str, status: TaskStatus) -> None:
    """Answer 409 (``current_value`` ``in_progress`` or ``failed``) unless the sub-job completed."""
    if status is not TaskStatus.COMPLETED:
        detail = f"{sub_job} failed" if status is TaskStatus.FAILED else f"{sub_job} is in progress"
        raise ProblemError(invalid_job_state(status.value, ["completed"], detail))


async def get_summary(request: web.Request) -> web.Response:
    """``GET /jobs/{id}/transcript/summary`` (``application/json`` by default, or ``text/plain``)."""
    job = _job(request)
    media_type = negotiate(request.headers, SUMMARY_TYPES, JSON)
    _require_transcribed(job)
    summarization = job.summarization
    if summarization is None:
        raise ProblemError(resource_not_found("could not find summary", "Summarization was not requested"))
    _require_completed("Summarization", summarization.status)
    request_options = summarization.request
    transcript = job.transcript()
    if media_type == TEXT:
        return text_response(summary_text(transcript, request_options), TEXT)
    if request_options.type is SummaryFormat.BULLETS:
        return json_response({"bullet_points": summary_bullets(transcript)})
    return json_response({"summary": summary_text(transcript, request_options)})


def _translated(request: web.Request, job: Job) -> Transcript:
    language = request.match_info["language"]
    state = job.translation.language(language) if job.translation is not None else None
    if state is None:
        detail = f"Translation to {language} was not requested"
        raise ProblemError(resource_not_found("could not find translation", detail))
    _require_completed(f"Translation to {language}", state.status)
    return translate(job.transcript(), language)


async def get_translated_transcript(request: web.Request) -> web.Response:
    """``GET /jobs/{id}/transcript/translation/{language}``."""
    job = _job(request)
    media_type = negotiate(request.headers, TRANSCRIPT_TYPES, TRANSCRIPT_JSON)
    _require_transcribed(job)
    return _transcript_body(request, _translated(request, job), media_type)


async def get_translated_captions(request: web.Request) -> web.Response:
    """``GET /jobs/{id}/captions/translation/{language}``."""
    return _captions_body(request, _job(request), lambda job: _translated(request, job))


# ---- custom vocabularies ------------------------------------------------------------------------


async def submit_vocabulary(request: web.Request) -> web.Response:
    """``POST /vocabularies``: validate and store a custom vocabulary (``in_progress``)."""
    core = _core(request)
    payload = await _json_body(request)
    core.recorder.record_body("POST /vocabularies", payload)
    return json_response(core.submit_vocabulary(parse_vocabulary_options(payload)).to_json())


async def list_vocabularies(request: web.Request) -> web.Response:
    """``GET /vocabularies?limit=``: newest first, a bare JSON array."""
    limit = _int_param(request, "limit", 0, MAX_LIST_LIMIT)
    vocabularies = _core(request).vocabularies.all()[: DEFAULT_LIST_LIMIT if limit is None else limit]
    return json_response([vocabulary.to_json() for vocabulary in vocabularies])


async def get_vocabulary(request: web.Request) -> web.Response:
    """``GET /vocabularies/{id}``."""
    return json_response(_core(request).vocabularies.get(request.match_info["id"]).to_json())


async def delete_vocabulary(request: web.Request) -> web.Response:
    """``DELETE /vocabularies/{id}``: 204 in any status."""
    _core(request).vocabularies.delete(request.match_info["id"])
    return web.Response(status=204)


# ---- account ------------------------------------------------------------------------------------


async def get_account(request: web.Request) -> web.Response:
    """``GET /account``."""
    core = _core(request)
    return json_response({"email": core.config.email, "balance_seconds": core.store.balance_seconds})


JOB_PAGE_ROUTE = "job-page"
_JOB_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Rev AI emulator job {job_id}</title></head>
<body style="font-family: sans-serif; margin: 2em">
<h1>Rev AI emulator: job <code>{job_id}</code></h1>
<p>Status: <strong id="status">{status}</strong></p>
<pre id="job">{body}</pre>
<p>This page stands in for the Rev AI dashboard's job page; the API itself needs the token.</p>
</body></html>
"""


async def job_page(request: web.Request) -> web.Response:
    """``GET /jobs/{id}`` (outside the API): the job for people, as the extra link opens it.

    No token needed, nothing counted, no faults: it is what the dashboard is for the real
    service. The body is the job object the API returns, which never holds the token.
    """
    job_id = request.match_info["id"]
    try:
        data = _core(request).store.get(job_id).to_json()
    except ProblemError as error:
        page = f"<!doctype html><title>Job not found</title><h1>{html.escape(error.problem.title)}</h1>"
        return web.Response(status=error.problem.status, text=page, content_type="text/html")
    page = _JOB_PAGE.format(
        job_id=html.escape(job_id),
        status=html.escape(str(data.get("status"))),
        body=html.escape(json.dumps(data, indent=2)),
    )
    return web.Response(text=page, content_type="text/html")


def build_app(core: EmulatorCore) -> web.Application:
    """Create the aiohttp application serving ``core`` under ``/speechtotext/v1``."""
    app = web.Application(middlewares=[pipeline], client_max_size=MAX_JSON_BYTES)
    app[CORE_KEY] = core
    routes: list[tuple[str, str, Handler]] = [
        ("POST", "/jobs", submit_job),
        ("GET", "/jobs", list_jobs),
        ("GET", "/jobs/{id}", get_job),
        ("DELETE", "/jobs/{id}", delete_job),
        ("GET", "/jobs/{id}/transcript", get_transcript),
        ("GET", "/jobs/{id}/captions", get_captions),
        ("GET", "/jobs/{id}/transcript/summary", get_summary),
        ("GET", "/jobs/{id}/transcript/translation/{language}", get_translated_transcript),
        ("GET", "/jobs/{id}/captions/translation/{language}", get_translated_captions),
        ("GET", "/account", get_account),
        ("POST", "/vocabularies", submit_vocabulary),
        ("POST", "/vocabularies/", submit_vocabulary),
        ("GET", "/vocabularies", list_vocabularies),
        ("GET", "/vocabularies/", list_vocabularies),
        ("GET", "/vocabularies/{id}", get_vocabulary),
        ("DELETE", "/vocabularies/{id}", delete_vocabulary),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, API_PREFIX + path, handler)
    app.router.add_route("GET", "/jobs/{id}", job_page, name=JOB_PAGE_ROUTE)
    return app
