"""The Rev AI hook: a ``revai`` connection turned into sync and async API calls.

Endpoint logic (requests, parsing, errors) lives in :mod:`airflow_provider_rev._api` and the
retry rules in :mod:`airflow_provider_rev.retry`. This module only moves bytes: ``requests``
on workers, ``aiohttp`` in the triggerer, so every public method is one line over a
:class:`~airflow_provider_rev._api.Call`. Both clients go through the same
:class:`~airflow_provider_rev.transport.Route` (proxy, CA bundle, client certificate, extra
headers, timeout), resolved once per hook from the connection's extras.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import requests
import urllib3.exceptions
from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_rev import __version__, _api, form
from airflow_provider_rev._api import MAX_PAGE_SIZE, ApiRequest, ApiResponse, Call, JobPager, MediaFile
from airflow_provider_rev.connection import ConnectionSettings, settings_from_connection
from airflow_provider_rev.exceptions import (
    RevAIAuthError,
    RevAIConnectionError,
    RevAIError,
    RevAITLSError,
)
from airflow_provider_rev.models import CustomVocabulary, Job, Transcript
from airflow_provider_rev.retry import RetryPolicy
from airflow_provider_rev.secrets import mask_secret, mask_submission
from airflow_provider_rev.transport import Route, certificate_problem

T = TypeVar("T")
USER_AGENT = f"airflow-provider-rev/{__version__}"


def _never_connected(exc: BaseException) -> bool:
    """Whether a ``requests`` connection error happened before any byte was sent."""
    current: object = exc
    for _ in range(6):
        if isinstance(
            current, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
        ):
            return True
        if isinstance(current, requests.ConnectTimeout):
            return True
        nested = getattr(current, "reason", None)
        if nested is None and isinstance(current, BaseException) and current.args:
            nested = current.args[0]
        if not isinstance(nested, BaseException):
            return False
        current = nested
    return False


def _transport_error(request: ApiRequest, exc: BaseException, *, outcome_unknown: bool) -> RevAIError:
    """Turn a client library's failure into the provider's error (sync and async alike).

    A certificate failure is permanent and names the extra that fixes it; anything else is
    a transient :class:`~airflow_provider_rev.exceptions.RevAIConnectionError`. Only the
    exception's type is quoted: library messages can carry proxy URLs with credentials.
    """
    problem = certificate_problem(exc)
    if problem is not None:
        return RevAITLSError(f"Rev AI {request.endpoint}: {problem}")
    return RevAIConnectionError(
        f"Rev AI {request.endpoint} failed before a response arrived: {type(exc).__name__}",
        outcome_unknown=outcome_unknown,
    )


def _to_api_response(response: requests.Response) -> ApiResponse:
    return ApiResponse(
        response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content
    )


class RevAIHook(BaseHook):
    """Talk to Rev AI's asynchronous speech-to-text API through a ``revai`` connection.

    :param revai_conn_id: the connection; its password is the access token, its host an
        optional API root (empty: the public root of ``extra.region``, ``api.rev.ai`` for US
        accounts or ``ec1.api.rev.ai`` for EU ones; see ``docs/connections.md``).
    :param timeout: seconds allowed for one HTTP request (connect plus read); default: the
        connection's extra ``timeout``, else 60.
    :param retry_policy: how 429, 5xx and dropped connections are retried.
    """

    conn_name_attr = "revai_conn_id"
    default_conn_name = "revai_default"
    conn_type = "revai"
    hook_name = "Rev AI"

    def __init__(
        self,
        revai_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        retry_policy: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.revai_conn_id = revai_conn_id
        self.timeout = timeout
        self.retry_policy = retry_policy or RetryPolicy()
        self._async_session: aiohttp.ClientSession | None = None
        self._async_ssl: ssl.SSLContext | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Describe the connection form for Airflow before 3.2 (3.2+ reads the provider info)."""
        return form.ui_field_behaviour()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Return the extra fields of the connection form for Airflow before 3.2."""
        return form.connection_form_widgets()

    # ------------------------------------------------------------------ connection

    @staticmethod
    def settings_from(conn_id: str, conn: Any, extra: Mapping[str, Any]) -> ConnectionSettings:
        """Resolve an Airflow connection into settings, and register its secrets with the masker.

        For callers that already hold the connection (the webhook receiver); a hook resolves
        its own with :attr:`settings` or :meth:`asettings`.
        """
        settings = settings_from_connection(
            conn_id,
            host=conn.host,
            port=conn.port,
            schema=conn.schema,
            password=conn.password,
            extra=extra,
        )
        mask_secret(settings.token)
        for secret in settings.transport.secrets():
            mask_secret(secret)
        if settings.webhook is not None:
            for secret in settings.webhook.accepted_secrets:
                mask_secret(secret)
        return settings

    @cached_property
    def settings(self) -> ConnectionSettings:
        """The resolved connection (looked up once per hook)."""
        conn = self.get_connection(self.revai_conn_id)
        return self.settings_from(self.revai_conn_id, conn, conn.extra_dejson)

    async def asettings(self) -> ConnectionSettings:
        """Resolve the connection without blocking the event loop; shares the sync cache."""
        if "settings" not in self.__dict__:
            from airflow.providers.common.compat.connection import (
                get_async_connection,
                get_async_extra_dejson,
            )

            conn = await get_async_connection(self.revai_conn_id)
            extra = await get_async_extra_dejson(conn)
            self.__dict__["settings"] = self.settings_from(self.revai_conn_id, conn, extra)
        settings: ConnectionSettings = self.__dict__["settings"]
        return settings

    @cached_property
    def _route(self) -> Route:
        """The proxy, TLS settings, extra headers and timeout of every request (both clients).

        Call after the settings are resolved (``settings`` or ``await asettings()``).
        """
        settings = self.settings
        route = settings.transport.resolve(settings.api_url, self.timeout)
        for secret in route.secrets():
            mask_secret(secret)
        if route.verify is False:
            self.log.warning(
                "Rev AI connection %r has verify=false: server certificates are not checked, so "
                "whoever can intercept the connection can read the access token.",
                settings.conn_id,
            )
        return route

    # ------------------------------------------------------------------ sync transport

    @cached_property
    def _session(self) -> requests.Session:
        session = requests.Session()
        # The route already applied the environment (proxies, CA bundle); requests must not
        # apply it again, nor let a ~/.netrc entry replace the token.
        session.trust_env = False
        return session

    def _open_once(self, request: ApiRequest) -> requests.Response:
        settings = self.settings
        route = self._route
        url = settings.api_url + request.path
        headers = route.request_headers(_api.request_headers(request, settings.token, USER_AGENT))
        body = request.upload.open() if request.upload is not None else None
        cert: str | tuple[str, str] | None = None
        if route.cert is not None:
            cert = route.cert[0] if route.cert[1] is None else (route.cert[0], route.cert[1])
        try:
            response = self._session.request(
                request.method,
                url,
                params=dict(request.params),
                json=request.json_body,
                data=body,
                headers=headers,
                timeout=route.timeout,
                stream=True,
                proxies={urlsplit(url).scheme: route.proxy} if route.proxy else {},
                verify=route.verify,
                cert=cert,
            )
            if response.status_code >= 400:
                with response:
                    raise self._error(_to_api_response(response), request)
        except requests.RequestException as exc:
            raise _transport_error(request, exc, outcome_unknown=not _never_connected(exc)) from None
        return response

    def _error(self, response: ApiResponse, request: ApiRequest) -> RevAIError:
        """Build the typed error of a failed response; a refused token names this connection."""
        error = _api.error_from_response(response, request)
        if isinstance(error, RevAIAuthError):
            return error.for_connection(self.settings.conn_id, self.settings.root_url)
        return error

    def _open(self, request: ApiRequest) -> requests.Response:
        """Send ``request`` under the retry policy; return the open, successful response."""
        retries = self.retry_policy.start()
        while True:
            try:
                return self._open_once(request)
            except RevAIError as exc:
                delay = retries.next_delay(exc, idempotent=request.idempotent)
                if delay is None:
                    raise
                self._log_retry(request, exc, delay)
                time.sleep(delay)

    def _send(self, request: ApiRequest) -> ApiResponse:
        with self._open(request) as response:
            return _to_api_response(response)

    @contextmanager
    def stream(self, call: Call[Any], chunk_size: int = 64 * 1024) -> Iterator[Iterator[bytes]]:
        """Open a result endpoint and yield its body as chunks, never holding it whole.

        Errors before the first byte are retried like any request; a connection lost while
        streaming raises :class:`~airflow_provider_rev.exceptions.RevAIConnectionError`.
        """
        response = self._open(call.request)

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_content(chunk_size)
            except requests.RequestException as exc:
                raise RevAIConnectionError(
                    f"Rev AI {call.request.endpoint}: connection lost mid-download ({type(exc).__name__})",
                    outcome_unknown=True,
                ) from None

        with response:
            yield chunks()

    def run(self, call: Call[T]) -> T:
        """Send a prepared :class:`~airflow_provider_rev._api.Call` under the retry policy; parse the answer.

        Operators build a submission's call first (validating it, sending nothing), decide
        whether an earlier try already submitted it, and only then run it.
        """
        return call.parse(self._send(call.request))

    _run = run

    def _log_retry(self, request: ApiRequest, exc: RevAIError, delay: float) -> None:
        self.log.warning("Rev AI %s: %s; retrying in %.1f s", request.endpoint, exc, delay)

    # ------------------------------------------------------------------ async transport

    async def _aget_session(self) -> aiohttp.ClientSession:
        if self._async_session is None or self._async_session.closed:
            await self.asettings()
            route = self._route
            # Loading CA bundles and client certificates reads files: not on the event loop.
            # A plain-HTTP root (the emulator) needs no context.
            https = self.settings.root_url.startswith("https://")
            self._async_ssl = await asyncio.to_thread(route.ssl_context) if https else None
            # trust_env stays off: the route already applied the environment.
            self._async_session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=route.timeout))
        return self._async_session

    async def aclose(self) -> None:
        """Close the async HTTP session, if one was opened."""
        if self._async_session is not None:
            await self._async_session.close()
            self._async_session = None

    async def _asend_once(self, request: ApiRequest) -> ApiResponse:
        if request.upload is not None:
            raise NotImplementedError("uploads are sync only; call submit_local_file on a worker")
        settings = await self.asettings()
        session = await self._aget_session()
        route = self._route
        headers = route.request_headers(_api.request_headers(request, settings.token, USER_AGENT))
        try:
            async with session.request(
                request.method,
                settings.api_url + request.path,
                params=dict(request.params),
                json=request.json_body,
                headers=headers,
                proxy=route.proxy,
                ssl=self._async_ssl if self._async_ssl is not None else True,
            ) as response:
                result = ApiResponse(
                    response.status,
                    {k.lower(): v for k, v in response.headers.items()},
                    await response.read(),
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _transport_error(
                request, exc, outcome_unknown=not isinstance(exc, aiohttp.ClientConnectorError)
            ) from None
        if result.status >= 400:
            raise self._error(result, request)
        return result

    async def _asend(self, request: ApiRequest) -> ApiResponse:
        retries = self.retry_policy.start()
        while True:
            try:
                return await self._asend_once(request)
            except RevAIError as exc:
                delay = retries.next_delay(exc, idempotent=request.idempotent)
                if delay is None:
                    raise
                self._log_retry(request, exc, delay)
                await asyncio.sleep(delay)

    async def arun(self, call: Call[T]) -> T:
        """Send a prepared call from the triggerer (async); see :meth:`run`."""
        return call.parse(await self._asend(call.request))

    _arun = arun

    # ------------------------------------------------------------------ jobs

    def submit_job(
        self,
        media_url: str | None = None,
        *,
        source_auth_headers: Mapping[str, str] | None = None,
        **options: Any,
    ) -> Job:
        """Submit media that Rev AI downloads from ``media_url`` (sent as ``source_config``).

        :param media_url: a direct-download http(s) URL; pre-signed URLs should stay valid
            for at least two hours.
        :param source_auth_headers: ``{"Authorization": "<scheme> <token>"}`` Rev AI sends
            when downloading.
        :param options: documented job options (``metadata``, ``language``, ...); new API
            fields go in ``extra_options``. Validated before anything is sent.
        """
        mask_submission(media_url, source_auth_headers, options)
        return self._run(_api.submit_job(media_url, source_auth_headers, options, self.settings.region))

    def submit_local_file(self, path: str | os.PathLike[str] | MediaFile, **options: Any) -> Job:
        """Upload a file as multipart, streamed from disk or object storage (under 2 GB).

        :param path: a local path, or an ``ObjectStoragePath`` (``s3://``, ``file://``, ...).
        """
        mask_submission(None, None, options)
        return self._run(_api.submit_local_file(path, options, self.settings.region))

    def get_job(self, job_id: str) -> Job:
        """Return the job's current details."""
        return self._run(_api.get_job(job_id))

    async def aget_job(self, job_id: str) -> Job:
        """Return the job's current details (async)."""
        return await self._arun(_api.get_job(job_id))

    def list_jobs(
        self, limit: int | None = None, starting_after: str | None = None, *, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[Job]:
        """Yield jobs of the last 30 days, newest first, fetching pages lazily.

        :param limit: stop after this many jobs (``None``: all of them).
        :param starting_after: only jobs older than this job id.
        :param page_size: jobs fetched per request (1 to 1000).
        """
        pager = JobPager(limit=limit, starting_after=starting_after, page_size=page_size)
        while (call := pager.next_call()) is not None:
            yield from pager.accept(self._run(call))

    async def alist_jobs(
        self, limit: int | None = None, starting_after: str | None = None, *, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[Job]:
        """Yield jobs of the last 30 days, newest first (async); see :meth:`list_jobs`."""
        pager = JobPager(limit=limit, starting_after=starting_after, page_size=page_size)
        while (call := pager.next_call()) is not None:
            for job in pager.accept(await self._arun(call)):
                yield job

    def delete_job(self, job_id: str) -> None:
        """Delete a finished job and all its data (409 while it is in progress)."""
        self._run(_api.delete_job(job_id))

    async def adelete_job(self, job_id: str) -> None:
        """Delete a finished job and all its data (async); see :meth:`delete_job`."""
        await self._arun(_api.delete_job(job_id))

    # ------------------------------------------------------------------ custom vocabularies

    def submit_custom_vocabulary(
        self, custom_vocabularies: list[dict[str, Any]], **options: Any
    ) -> CustomVocabulary:
        """Submit phrases for Rev AI to compile once into a vocabulary jobs reuse by id.

        Jobs then pass ``custom_vocabulary_id`` instead of inline phrases, which spares each
        of them the compile time; the vocabulary is usable once its status is ``complete``.

        :param custom_vocabularies: ``[{"phrases": ["Airflow", ...]}, ...]``.
        :param options: ``metadata``, ``strict_custom_vocabulary``, ``notification_url`` and
            ``notification_auth_headers``; new API fields go in ``extra_options``. Validated
            before anything is sent. Not retried once the request may have arrived.
        """
        mask_submission(None, None, options)
        return self._run(_api.submit_custom_vocabulary(custom_vocabularies, options))

    async def asubmit_custom_vocabulary(
        self, custom_vocabularies: list[dict[str, Any]], **options: Any
    ) -> CustomVocabulary:
        """Submit phrases to compile into a vocabulary (async); see :meth:`submit_custom_vocabulary`."""
        mask_submission(None, None, options)
        return await self._arun(_api.submit_custom_vocabulary(custom_vocabularies, options))

    def get_custom_vocabulary(self, vocabulary_id: str) -> CustomVocabulary:
        """Return the custom vocabulary's current details (``complete`` means jobs can use it)."""
        return self._run(_api.get_custom_vocabulary(vocabulary_id))

    async def aget_custom_vocabulary(self, vocabulary_id: str) -> CustomVocabulary:
        """Return the custom vocabulary's current details (async)."""
        return await self._arun(_api.get_custom_vocabulary(vocabulary_id))

    def list_custom_vocabularies(self, limit: int | None = None) -> list[CustomVocabulary]:
        """Return the account's custom vocabularies in one request.

        :param limit: at most this many, 1 to 1000 (``None``: the API's default of 100).
        """
        return self._run(_api.list_custom_vocabularies(limit))

    async def alist_custom_vocabularies(self, limit: int | None = None) -> list[CustomVocabulary]:
        """Return the account's custom vocabularies (async); see :meth:`list_custom_vocabularies`."""
        return await self._arun(_api.list_custom_vocabularies(limit))

    def delete_custom_vocabulary(self, vocabulary_id: str) -> None:
        """Delete a custom vocabulary; jobs can no longer reference its id."""
        self._run(_api.delete_custom_vocabulary(vocabulary_id))

    async def adelete_custom_vocabulary(self, vocabulary_id: str) -> None:
        """Delete a custom vocabulary (async); see :meth:`delete_custom_vocabulary`."""
        await self._arun(_api.delete_custom_vocabulary(vocabulary_id))

    # ------------------------------------------------------------------ results

    def get_transcript(self, job_id: str) -> Transcript:
        """Return the transcript as a typed :class:`~airflow_provider_rev.models.Transcript`."""
        return self._run(_api.get_transcript(job_id))

    async def aget_transcript(self, job_id: str) -> Transcript:
        """Return the transcript (async)."""
        return await self._arun(_api.get_transcript(job_id))

    def get_transcript_text(self, job_id: str) -> str:
        """Return the transcript in Rev AI's plain-text format (a line per monologue)."""
        return self._run(_api.get_transcript_text(job_id))

    def get_captions(self, job_id: str, fmt: str = "srt", speaker_channel: int | None = None) -> str:
        """Return captions as SRT or VTT; ``speaker_channel`` is required for speaker-channel jobs."""
        return self._run(_api.get_captions(job_id, fmt, speaker_channel))

    def get_summary(self, job_id: str, as_json: bool = False) -> Any:
        """Return the summary as text, or as ``{"summary": ...}`` / ``{"bullet_points": [...]}``."""
        return self._run(_api.get_summary(job_id, as_json))

    def get_translation(self, job_id: str, language: str) -> Transcript:
        """Return the transcript translated into ``language``."""
        return self._run(_api.get_translation(job_id, language))

    def get_translation_text(self, job_id: str, language: str) -> str:
        """Return the translated transcript as plain text."""
        return self._run(_api.get_translation_text(job_id, language))

    def get_translated_captions(
        self, job_id: str, language: str, fmt: str = "srt", speaker_channel: int | None = None
    ) -> str:
        """Return captions of the translation into ``language`` as SRT or VTT."""
        return self._run(_api.get_translated_captions(job_id, language, fmt, speaker_channel))

    def get_account(self) -> dict[str, Any]:
        """Return the account's ``email`` and ``balance_seconds``."""
        return self._run(_api.get_account())

    async def aget_account(self) -> dict[str, Any]:
        """Return the account's ``email`` and ``balance_seconds`` (async)."""
        return await self._arun(_api.get_account())

    def test_connection(self) -> tuple[bool, str]:
        """Check the token and URL with ``GET /account`` (used by the UI's Test button)."""
        try:
            account = self.get_account()
        except RevAIError as exc:
            return False, str(exc)
        return True, (
            f"Connected to {self.settings.root_url}; account {account.get('email', '?')} has "
            f"{account.get('balance_seconds', '?')} seconds of credit."
        )
