"""Custom Vocabulary API over real HTTP on 127.0.0.1: requests sent, bodies parsed, errors, retries."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest
from support import TOKEN, Reply, ScriptedServer

from airflow_provider_rev import __version__
from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.exceptions import (
    RevAIBadRequestError,
    RevAIConnectionError,
    RevAIInvalidInputError,
    RevAINotFoundError,
    RevAIServerError,
)
from airflow_provider_rev.hooks import revai as hook_module
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.models import CustomVocabulary, VocabularyStatus
from airflow_provider_rev.retry import RetryPolicy

VOCAB_ID = "cvgnDwmB6iXevn"
PHRASES = [{"phrases": ["Apache Airflow", "Rev AI", "triggerer"]}]
IN_PROGRESS = {
    "id": VOCAB_ID,
    "status": "in_progress",
    "created_on": "2026-11-24T09:00:00.12Z",
    "metadata": "glossary v3",
}
COMPLETE = {**IN_PROGRESS, "status": "complete", "completed_on": "2026-11-24T09:00:06.5Z"}
FAILED = {
    "id": "cvyTRMp1vMZVgg",
    "status": "failed",
    "created_on": "2026-11-24T08:00:00Z",
    "completed_on": "2026-11-24T08:00:02Z",
    "failure": "internal_processing",
    "failure_detail": "Internal server error.",
}
NOT_FOUND = {"status": 404, "title": "could not find custom vocabulary"}


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the hook's backoff sleeps instead of sleeping."""
    calls: list[float] = []
    monkeypatch.setattr(hook_module.time, "sleep", calls.append)

    async def fake_async_sleep(delay: float) -> None:
        calls.append(delay)

    monkeypatch.setattr(hook_module.asyncio, "sleep", fake_async_sleep)
    return calls


def fast_hook() -> RevAIHook:
    return RevAIHook(retry_policy=RetryPolicy(base_delay=0.01, jitter=0), timeout=5)


class TestSubmit:
    def test_sends_json_body_and_headers(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("POST /vocabularies", Reply(200, IN_PROGRESS))
        vocabulary = fast_hook().submit_custom_vocabulary(
            PHRASES,
            metadata="glossary v3",
            strict_custom_vocabulary=True,
            notification_url="https://hooks.example.com/cv",
            notification_auth_headers={"Authorization": "Bearer hook-secret"},
        )
        assert isinstance(vocabulary, CustomVocabulary)
        assert vocabulary.id == VOCAB_ID and vocabulary.status is VocabularyStatus.IN_PROGRESS
        assert vocabulary.metadata == "glossary v3" and not vocabulary.is_terminal
        (request,) = revai_conn.received
        assert (request.method, request.path) == ("POST", "/vocabularies")
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["user-agent"] == f"airflow-provider-rev/{__version__}"
        assert request.headers["content-type"] == "application/json"
        assert request.headers["accept"] == "application/json"
        assert request.json() == {
            "custom_vocabularies": PHRASES,
            "metadata": "glossary v3",
            "strict_custom_vocabulary": True,
            "notification_config": {
                "url": "https://hooks.example.com/cv",
                "auth_headers": {"Authorization": "Bearer hook-secret"},
            },
        }

    def test_minimal_body_and_extra_options(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("POST /vocabularies", Reply(200, IN_PROGRESS), Reply(200, IN_PROGRESS))
        hook = fast_hook()
        hook.submit_custom_vocabulary(PHRASES)
        hook.submit_custom_vocabulary(PHRASES, extra_options={"future_flag": 3})
        assert revai_conn.received[0].json() == {"custom_vocabularies": PHRASES}
        assert revai_conn.received[1].json() == {"custom_vocabularies": PHRASES, "future_flag": 3}

    def test_invalid_input_fails_before_any_request(self, revai_conn: ScriptedServer) -> None:
        hook = fast_hook()
        with pytest.raises(RevAIInvalidInputError, match="custom_vocabularies"):
            hook.submit_custom_vocabulary([])
        with pytest.raises(RevAIInvalidInputError, match="metadata"):
            hook.submit_custom_vocabulary(PHRASES, metadata="x" * 513)
        assert revai_conn.received == []

    def test_bad_request_is_typed(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.add(
            "POST /vocabularies",
            Reply(
                400,
                {
                    "parameters": {"custom_vocabularies": ["The custom_vocabularies field is required"]},
                    "type": "https://www.rev.ai/api/v1/errors/invalid-parameters",
                    "title": "Your request parameters didn't validate",
                    "status": 400,
                },
            ),
        )
        with pytest.raises(RevAIBadRequestError) as err:
            fast_hook().submit_custom_vocabulary(PHRASES)
        assert err.value.endpoint == "POST /vocabularies"
        assert err.value.parameters == {"custom_vocabularies": ["The custom_vocabularies field is required"]}
        assert err.value.permanent and sleeps == []

    def test_retried_after_429(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.add(
            "POST /vocabularies", Reply(429, {}, headers={"Retry-After": "2"}), Reply(200, IN_PROGRESS)
        )
        assert fast_hook().submit_custom_vocabulary(PHRASES).id == VOCAB_ID
        assert revai_conn.count("POST /vocabularies") == 2 and sleeps == [2.0]

    def test_not_repeated_when_outcome_unknown(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.add("POST /vocabularies", Reply(503, {"title": "Service Unavailable"}))
        with pytest.raises(RevAIServerError):
            fast_hook().submit_custom_vocabulary(PHRASES)
        revai_conn.add("POST /vocabularies", Reply(drop=True))
        with pytest.raises(RevAIConnectionError) as err:
            fast_hook().submit_custom_vocabulary(PHRASES)
        assert err.value.outcome_unknown
        assert revai_conn.count("POST /vocabularies") == 2 and sleeps == []

    def test_notification_secrets_never_in_errors_or_logs(
        self,
        revai_conn: ScriptedServer,
        sleeps: list[float],
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        caplog.set_level(logging.DEBUG)
        secret = "n0tify-cred-8c41e7"
        echo = f"auth_headers Bearer {secret} rejected for https://hooks.example.com/cv?key=hookkey9917"
        revai_conn.add(
            "POST /vocabularies",
            Reply(429, {"title": "Too Many Requests", "detail": echo}, headers={"Retry-After": "0"}),
            Reply(400, {"title": "Invalid notification_config", "detail": echo, "echo": {"header": secret}}),
        )
        with pytest.raises(RevAIBadRequestError) as err:
            fast_hook().submit_custom_vocabulary(
                PHRASES,
                notification_url="https://hooks.example.com/cv?key=hookkey9917",
                notification_auth_headers={"Authorization": f"Bearer {secret}"},
            )
        assert revai_conn.received[0].json()["notification_config"]["auth_headers"] == {
            "Authorization": f"Bearer {secret}"
        }
        out, errors = capsys.readouterr()
        seen = "\n".join(
            [caplog.text, out, errors, str(err.value), repr(err.value), json.dumps(err.value.body)]
        )
        assert "retrying" in seen  # the retry was logged ...
        assert "hooks.example.com/cv" in str(err.value)  # ... and the error stays readable ...
        assert secret not in seen and "hookkey9917" not in seen  # ... without the secrets


class TestReadAndDelete:
    def test_get_parses_documented_bodies(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add(f"GET /vocabularies/{VOCAB_ID}", Reply(200, COMPLETE))
        revai_conn.add("GET /vocabularies/cvyTRMp1vMZVgg", Reply(200, FAILED))
        hook = fast_hook()
        complete = hook.get_custom_vocabulary(VOCAB_ID)
        assert (
            complete.status is VocabularyStatus.COMPLETE and complete.is_terminal and not complete.is_failed
        )
        assert complete.completed_on is not None and complete.completed_on.utcoffset() is not None
        failed = hook.get_custom_vocabulary("cvyTRMp1vMZVgg")
        assert failed.is_failed and failed.failure == "internal_processing"
        assert failed.failure_detail == "Internal server error."
        request = revai_conn.received[0]
        assert (request.method, request.path, request.body) == ("GET", f"/vocabularies/{VOCAB_ID}", b"")
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/json"

    def test_get_is_tolerant_and_redacts(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add(
            f"GET /vocabularies/{VOCAB_ID}",
            Reply(
                200,
                {
                    "id": VOCAB_ID,
                    "status": "compiling",
                    "callback_url": "https://hooks.example.com/cv?sig=abc123",
                    "something_new": {"a": 1},
                },
            ),
        )
        vocabulary = fast_hook().get_custom_vocabulary(VOCAB_ID)
        assert vocabulary.status == "compiling" and not vocabulary.is_terminal
        assert vocabulary.callback_url == "https://hooks.example.com/cv?REDACTED"
        assert vocabulary.extra == {"something_new": {"a": 1}}
        assert vocabulary.created_on is None and vocabulary.metadata is None

    @pytest.mark.parametrize("vocabulary_id", ["", "../account", "a b", "cv/1"])
    def test_unsafe_id_rejected(self, revai_conn: ScriptedServer, vocabulary_id: str) -> None:
        hook = fast_hook()
        with pytest.raises(RevAIInvalidInputError, match="vocabulary_id"):
            hook.get_custom_vocabulary(vocabulary_id)
        with pytest.raises(RevAIInvalidInputError, match="vocabulary_id"):
            hook.delete_custom_vocabulary(vocabulary_id)
        assert revai_conn.received == []

    def test_not_found_is_typed_and_not_retried(
        self, revai_conn: ScriptedServer, sleeps: list[float]
    ) -> None:
        revai_conn.add("GET /vocabularies/cvMissing", Reply(404, NOT_FOUND))
        revai_conn.add("DELETE /vocabularies/cvMissing", Reply(404, NOT_FOUND))
        hook = fast_hook()
        with pytest.raises(RevAINotFoundError, match="could not find custom vocabulary") as err:
            hook.get_custom_vocabulary("cvMissing")
        assert err.value.endpoint == "GET /vocabularies/{id}" and err.value.permanent
        with pytest.raises(RevAINotFoundError) as err:
            hook.delete_custom_vocabulary("cvMissing")
        assert err.value.endpoint == "DELETE /vocabularies/{id}"
        assert len(revai_conn.received) == 2 and sleeps == []

    def test_get_retried_after_429_5xx_and_drop(
        self, revai_conn: ScriptedServer, sleeps: list[float]
    ) -> None:
        revai_conn.add(
            f"GET /vocabularies/{VOCAB_ID}",
            Reply(429, {"title": "Too Many Requests"}, headers={"Retry-After": "3"}),
            Reply(503, {}),
            Reply(drop=True),
            Reply(200, COMPLETE),
        )
        assert fast_hook().get_custom_vocabulary(VOCAB_ID).status is VocabularyStatus.COMPLETE
        assert revai_conn.count(f"GET /vocabularies/{VOCAB_ID}") == 4
        assert sleeps[0] == 3.0 and len(sleeps) == 3

    def test_delete(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add(f"DELETE /vocabularies/{VOCAB_ID}", Reply(204))
        assert fast_hook().delete_custom_vocabulary(VOCAB_ID) is None
        (request,) = revai_conn.received
        assert (request.method, request.path) == ("DELETE", f"/vocabularies/{VOCAB_ID}")
        assert request.headers["authorization"] == f"Bearer {TOKEN}"


class TestList:
    def test_default_omits_limit(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /vocabularies", Reply(200, [COMPLETE, FAILED, {**IN_PROGRESS, "id": "cvNew"}]))
        vocabularies = fast_hook().list_custom_vocabularies()
        assert [v.id for v in vocabularies] == [VOCAB_ID, "cvyTRMp1vMZVgg", "cvNew"]
        assert [v.status for v in vocabularies] == [
            VocabularyStatus.COMPLETE,
            VocabularyStatus.FAILED,
            VocabularyStatus.IN_PROGRESS,
        ]
        (request,) = revai_conn.received
        assert (request.method, request.path, request.query) == ("GET", "/vocabularies", {})

    @pytest.mark.parametrize("limit", [1, 7, 1000])
    def test_limit_is_sent(self, revai_conn: ScriptedServer, limit: int) -> None:
        revai_conn.add("GET /vocabularies", Reply(200, []))
        assert fast_hook().list_custom_vocabularies(limit=limit) == []
        assert revai_conn.received[0].query == {"limit": [str(limit)]}

    @pytest.mark.parametrize("limit", [0, -1, 1001, True, 2.5, "10"])
    def test_bad_limit_fails_before_any_request(self, revai_conn: ScriptedServer, limit: Any) -> None:
        with pytest.raises(RevAIInvalidInputError, match="limit"):
            fast_hook().list_custom_vocabularies(limit=limit)
        assert revai_conn.received == []

    def test_non_array_body_is_rejected(self, revai_conn: ScriptedServer) -> None:
        revai_conn.add("GET /vocabularies", Reply(200, {"vocabularies": []}))
        with pytest.raises(ValueError, match="array"):
            fast_hook().list_custom_vocabularies()


class TestAsync:
    async def test_async_round_trip(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.add(
            "POST /vocabularies", Reply(429, {}, headers={"Retry-After": "1"}), Reply(200, IN_PROGRESS)
        )
        revai_conn.add(f"GET /vocabularies/{VOCAB_ID}", Reply(200, COMPLETE))
        revai_conn.add("GET /vocabularies", Reply(200, [COMPLETE]))
        revai_conn.add(f"DELETE /vocabularies/{VOCAB_ID}", Reply(204))
        revai_conn.add("DELETE /jobs/Umx5c6F7pH7r", Reply(204))
        hook = fast_hook()
        try:
            submitted = await hook.asubmit_custom_vocabulary(
                PHRASES, metadata="glossary v3", notification_url="https://hooks.example.com/cv"
            )
            fetched = await hook.aget_custom_vocabulary(VOCAB_ID)
            listed = await hook.alist_custom_vocabularies(limit=10)
            deleted = await hook.adelete_custom_vocabulary(VOCAB_ID)
            deleted_job = await hook.adelete_job("Umx5c6F7pH7r")
        finally:
            await hook.aclose()
        assert submitted.status is VocabularyStatus.IN_PROGRESS
        assert fetched.status is VocabularyStatus.COMPLETE
        assert [v.id for v in listed] == [VOCAB_ID]
        assert deleted is None and deleted_job is None
        assert sleeps == [1.0]
        assert [(r.method, r.path) for r in revai_conn.received] == [
            ("POST", "/vocabularies"),
            ("POST", "/vocabularies"),
            ("GET", f"/vocabularies/{VOCAB_ID}"),
            ("GET", "/vocabularies"),
            ("DELETE", f"/vocabularies/{VOCAB_ID}"),
            ("DELETE", "/jobs/Umx5c6F7pH7r"),
        ]
        assert revai_conn.received[1].json() == {
            "custom_vocabularies": PHRASES,
            "metadata": "glossary v3",
            "notification_config": {"url": "https://hooks.example.com/cv"},
        }
        assert revai_conn.received[3].query == {"limit": ["10"]}
        assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in revai_conn.received)

    async def test_async_errors(self, revai_conn: ScriptedServer, sleeps: list[float]) -> None:
        revai_conn.add("GET /vocabularies/cvMissing", Reply(404, NOT_FOUND))
        revai_conn.add("POST /vocabularies", Reply(drop=True))
        hook = fast_hook()
        try:
            with pytest.raises(RevAINotFoundError, match="could not find custom vocabulary"):
                await hook.aget_custom_vocabulary("cvMissing")
            with pytest.raises(RevAIConnectionError) as err:
                await hook.asubmit_custom_vocabulary(PHRASES)
            with pytest.raises(RevAIInvalidInputError, match="limit"):
                await hook.alist_custom_vocabularies(limit=5000)
            with pytest.raises(RevAIInvalidInputError, match="vocabulary_id"):
                await hook.adelete_custom_vocabulary("../jobs")
        finally:
            await hook.aclose()
        assert err.value.outcome_unknown
        assert revai_conn.count("POST /vocabularies") == 1 and sleeps == []
        assert len(revai_conn.received) == 2


@pytest.mark.revai_emulator(processing_seconds=0.05)
class TestAgainstEmulator:
    def test_create_get_list_delete(self, emu: RevAIEmulator) -> None:
        hook = fast_hook()
        created = hook.submit_custom_vocabulary(PHRASES, metadata="round trip")
        assert created.status is VocabularyStatus.IN_PROGRESS and created.id.startswith("cv")
        deadline = time.monotonic() + 10
        while not (fetched := hook.get_custom_vocabulary(created.id)).is_terminal:
            assert time.monotonic() < deadline, "the vocabulary never finished"
            time.sleep(0.02)
        assert fetched.status is VocabularyStatus.COMPLETE and not fetched.is_failed
        assert fetched.metadata == "round trip" and fetched.completed_on is not None
        assert [v.id for v in hook.list_custom_vocabularies(limit=1)] == [created.id]
        hook.delete_custom_vocabulary(created.id)
        assert hook.list_custom_vocabularies() == []
        with pytest.raises(RevAINotFoundError):
            hook.get_custom_vocabulary(created.id)

    async def test_async_create_get_list_delete(self, emu: RevAIEmulator) -> None:
        hook = fast_hook()
        try:
            created = await hook.asubmit_custom_vocabulary(PHRASES, strict_custom_vocabulary=True)
            deadline = time.monotonic() + 10
            while not (fetched := await hook.aget_custom_vocabulary(created.id)).is_terminal:
                assert time.monotonic() < deadline, "the vocabulary never finished"
                await asyncio.sleep(0.02)
            listed = await hook.alist_custom_vocabularies()
            await hook.adelete_custom_vocabulary(created.id)
            with pytest.raises(RevAINotFoundError):
                await hook.adelete_custom_vocabulary(created.id)
        finally:
            await hook.aclose()
        assert fetched.status is VocabularyStatus.COMPLETE
        assert [v.id for v in listed] == [created.id]
        assert emu.vocabularies() == []
