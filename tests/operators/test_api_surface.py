"""Every request the API accepts goes through: options, sub-job waits, vocabularies and deletion.

Each test runs operators through ``execute`` (and ``execute_complete`` after a real trigger
run) against the emulator on 127.0.0.1, and asserts what the emulator received and holds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, TaskDeferred
from support import MediaServer, StateStore, pushed, task_context

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.exceptions import (
    RevAIBadRequestError,
    RevAIInvalidStateError,
    RevAISubJobFailedError,
    RevAIVocabularyFailedError,
)
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.idempotency import idempotency_key
from airflow_provider_rev.operators.revai import (
    CreateCustomVocabularyOperator,
    DeleteJobOperator,
    FetchTranscriptOperator,
    SubmitTranscriptionOperator,
)
from airflow_provider_rev.options import OPTIONS_BY_NAME
from airflow_provider_rev.sensors.revai import TranscriptSensor
from airflow_provider_rev.triggers.revai import TranscriptTrigger

SPOKEN = "Speaker 0: Good morning, this is the nightly call.\nSpeaker 1: Thanks, all clear."
#: One value for every option of the table, grouped into jobs the API accepts together.
MACHINE_JOB: dict[str, Any] = {
    "metadata": "nightly call",
    "language": "en",
    "transcriber": "machine",
    "notification_url": "http://127.0.0.1:9/hooks/rev",
    "notification_auth_headers": {"Authorization": "Bearer hook-secret-81"},
    "delete_after_seconds": 86_400,
    "skip_diarization": False,
    "skip_punctuation": False,
    "skip_postprocessing": False,
    "remove_disfluencies": True,
    "remove_atmospherics": True,
    "filter_profanity": True,
    "speaker_channels_count": 1,
    "speakers_count": 2,
    "diarization_type": "premium",
    "custom_vocabularies": [{"phrases": ["Airflow", "Rev AI"]}],
    "strict_custom_vocabulary": True,
    "verbatim": True,
    "forced_alignment": True,
    "summarization_config": {"type": "bullets", "model": "premium"},
    "translation_config": {"target_languages": [{"language": "es"}, {"language": "de", "model": "premium"}]},
}
VOCABULARY_JOB: dict[str, Any] = {
    "notification_config": {"url": "http://127.0.0.1:9/hooks/cv"},
    "custom_vocabulary_id": "set by the test",
}
HUMAN_JOB: dict[str, Any] = {
    "transcriber": "human",
    "callback_url": "http://127.0.0.1:9/hooks/legacy",
    "rush": True,
    "test_mode": True,
    "segments_to_transcribe": [{"start": 0, "end": 60}, {"start": 90, "end": 150.5}],
    "speaker_names": [{"display_name": "Ana"}, {"display_name": "Ben"}],
}


def expected_body(options: dict[str, Any]) -> dict[str, Any]:
    """What the table says each option becomes in the request body."""
    body: dict[str, Any] = {}
    for name, value in options.items():
        parent, _, child = OPTIONS_BY_NAME[name].target.partition(".")
        if child:
            body.setdefault(parent, {})[child] = value
        else:
            body[parent] = value
    return body


def submit(**kwargs: Any) -> SubmitTranscriptionOperator:
    return SubmitTranscriptionOperator(task_id="submit", poll_interval=0.05, **kwargs)


def trigger_events(trigger: TranscriptTrigger) -> list[dict[str, Any]]:
    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())


def resume(operator: Any, deferred: TaskDeferred, context: dict[str, Any]) -> Any:
    """Run the deferred trigger for real, then resume the operator with its one event."""
    trigger = deferred.trigger
    assert isinstance(trigger, TranscriptTrigger)
    [event] = trigger_events(trigger)
    return getattr(operator, deferred.method_name)(context, event)


def complete_vocabulary(emu: RevAIEmulator) -> str:
    hook = RevAIHook()
    vocabulary = hook.submit_custom_vocabulary([{"phrases": ["Airflow"]}])
    emu.advance_clock(3600)
    return vocabulary.id


def every_check_moves_the_clock(emu: RevAIEmulator, seconds: float) -> Callable[[], None]:
    """Make each status check advance emulated time, so a wait sees every stage in order; return the undo."""
    return emu.on_request(lambda _: emu.core.clock.advance(seconds), "GET /jobs/{id}")


# ---------------------------------------------------------------------------- options


class TestOptionsReachTheApi:
    def test_every_option_of_the_table_reaches_the_request_body(
        self, emu: RevAIEmulator, media: MediaServer
    ) -> None:
        url = media.add("call", 2, SPOKEN)
        jobs = [MACHINE_JOB, {**VOCABULARY_JOB, "custom_vocabulary_id": complete_vocabulary(emu)}, HUMAN_JOB]
        assert set().union(*jobs) == set(OPTIONS_BY_NAME), "give every option of the table a value here"
        for index, options in enumerate(jobs):
            job_id = submit(media_url=url, **options).execute(task_context(map_index=index))
            body = emu.received_bodies()[-1]
            tag = f"[{idempotency_key('dag', 'run1', 'submit', index)} dag/run1/submit/{index}]"
            metadata = f"{options['metadata']} {tag}" if "metadata" in options else tag
            assert body == {**expected_body(options), "metadata": metadata, "source_config": {"url": url}}
            assert emu.job(job_id) is not None

    def test_extra_options_reach_the_body_untouched(self, emu: RevAIEmulator, media: MediaServer) -> None:
        url = media.add("call", 2, SPOKEN)
        extra = {"future_flag": True, "nested": {"list": [1, None, "x"]}, "speakers_count": None}
        job_id = submit(media_url=url, language="es", extra_options=extra).execute(task_context())
        body = emu.received_bodies()[-1]
        assert {k: body[k] for k in extra} == extra
        assert body["language"] == "es" and emu.job(job_id) is not None

    def test_extra_options_reach_an_upload_untouched(self, emu: RevAIEmulator, media: MediaServer) -> None:
        media.add("call", 2, SPOKEN)
        extra = {"future_flag": {"level": 2}}
        submit(local_file=str(media.folder / "call.wav"), extra_options=extra).execute(task_context())
        assert emu.received_bodies()[-1]["future_flag"] == {"level": 2}

    def test_an_unknown_language_goes_through_with_a_warning(
        self, emu: RevAIEmulator, media: MediaServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        url = media.add("call", 2, SPOKEN)
        job_id = submit(media_url=url, language="Sw").execute(task_context())
        assert emu.received_bodies()[-1]["language"] == "sw"
        assert emu.job(job_id)["language"] == "sw"  # type: ignore[index]
        [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert warning.startswith("language: 'Sw' is not a value this provider knows (ar, bg, ")

    def test_an_unknown_transcriber_is_sent_and_rev_ai_decides(
        self, emu: RevAIEmulator, media: MediaServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        url = media.add("call", 2, SPOKEN)
        with pytest.raises(RevAIBadRequestError, match="transcriber") as err:
            submit(media_url=url, transcriber="reverb_v9").execute(task_context())
        assert err.value.permanent and emu.request_counts["POST /jobs"] == 1
        assert emu.received_bodies()[-1]["transcriber"] == "reverb_v9"
        assert any("transcriber: 'reverb_v9' is not a value" in r.getMessage() for r in caplog.records)

    def test_bad_input_is_refused_before_anything_is_sent(self, emu: RevAIEmulator) -> None:
        with pytest.raises(AirflowFailException, match="speaker_channels_count: is 9"):
            submit(media_url="http://127.0.0.1:9/a.wav", speaker_channels_count=9).execute(task_context())
        assert emu.request_counts == {}


# ---------------------------------------------------------------------------- sub-jobs

SUBJOBS = {
    "summarization_config": {"type": "bullets"},
    "translation_config": {"target_languages": [{"language": "es"}, {"language": "de"}]},
}


@pytest.mark.revai_emulator(processing_seconds=100, nlp_seconds=100)
class TestSubJobWaits:
    def test_worker_wait_ends_when_every_sub_job_is_done(
        self, emu: RevAIEmulator, media: MediaServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        every_check_moves_the_clock(emu, 60)
        ctx = task_context()
        job_id = submit(media_url=media.add("call", 2, SPOKEN), wait_for_completion=True, **SUBJOBS).execute(
            ctx
        )
        job = pushed(ctx)["job"]
        assert job["summarization"]["status"] == "completed"
        assert [t["status"] for t in job["translation"]["target_languages"]] == ["completed", "completed"]
        lines = [line for line in capsys.readouterr().out.splitlines() if f"Rev AI job {job_id}:" in line]
        assert any("transcribed" in line and "summarization in_progress" in line for line in lines), lines
        summary = FetchTranscriptOperator(task_id="f", job_id=job_id, summary=True).execute(task_context())
        german = FetchTranscriptOperator(
            task_id="f", job_id=job_id, translation_language="DE", output_format="text"
        )
        assert summary["bullet_points"] and german.execute(task_context())

    def test_deferred_wait_ends_when_every_sub_job_is_done(
        self, emu: RevAIEmulator, media: MediaServer
    ) -> None:
        every_check_moves_the_clock(emu, 60)
        job_id = submit(media_url=media.add("call", 2, SPOKEN), **SUBJOBS).execute(task_context())
        sensor = TranscriptSensor(
            task_id="wait", job_id=job_id, deferrable=True, poke_interval=0.01, timeout=60
        )
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute(task_context(task_id="wait"))
        job = resume(sensor, deferred.value, task_context(task_id="wait"))
        assert job["status"] == "transcribed" and job["summarization"]["status"] == "completed"
        assert {t["status"] for t in job["translation"]["target_languages"]} == {"completed"}
        assert FetchTranscriptOperator(task_id="f", job_id=job_id, summary=True).execute(task_context())

    def test_opting_out_waits_for_the_transcript_only(self, emu: RevAIEmulator, media: MediaServer) -> None:
        stop_the_clock = every_check_moves_the_clock(emu, 60)
        ctx = task_context()
        op = submit(
            media_url=media.add("call", 2, SPOKEN),
            wait_for_completion=True,
            wait_for_subjobs=False,
            **SUBJOBS,
        )
        job_id = op.execute(ctx)
        stop_the_clock()
        assert pushed(ctx)["job"]["summarization"]["status"] == "in_progress"
        assert FetchTranscriptOperator(task_id="f", job_id=job_id).execute(task_context())["monologues"]
        with pytest.raises(RevAIInvalidStateError, match="summarization is still in progress") as err:
            FetchTranscriptOperator(task_id="f", job_id=job_id, summary=True).execute(task_context())
        assert not err.value.permanent
        assert emu.request_counts["GET /jobs/{id}/transcript/summary"] == 0

    @pytest.mark.revai_emulator(
        processing_seconds=100, nlp_seconds=100, fail_summaries=True, fail_translation_languages={"de"}
    )
    def test_a_failed_sub_job_fails_only_its_own_fetch(self, emu: RevAIEmulator, media: MediaServer) -> None:
        every_check_moves_the_clock(emu, 60)
        job_id = submit(media_url=media.add("call", 2, SPOKEN), wait_for_completion=True, **SUBJOBS).execute(
            task_context()
        )
        with pytest.raises(RevAISubJobFailedError, match="the summarization failed") as summary:
            FetchTranscriptOperator(task_id="f", job_id=job_id, summary=True).execute(task_context())
        with pytest.raises(RevAISubJobFailedError, match="the translation into de failed"):
            FetchTranscriptOperator(task_id="f", job_id=job_id, translation_language="de").execute(
                task_context()
            )
        assert isinstance(summary.value, AirflowFailException)
        assert emu.request_counts["GET /jobs/{id}/transcript/summary"] == 0
        spanish = FetchTranscriptOperator(task_id="f", job_id=job_id, translation_language="es")
        assert spanish.execute(task_context())["monologues"]
        assert FetchTranscriptOperator(task_id="f", job_id=job_id, output_format="text").execute(
            task_context()
        )


# ---------------------------------------------------------------------------- custom vocabularies

PHRASES = [{"phrases": ["Airflow", "triggerer", "Rev AI"]}]


@pytest.mark.revai_emulator(processing_seconds=1.0, vocabulary_seconds=100)
class TestCustomVocabularies:
    def test_create_wait_on_the_worker_then_a_job_uses_it(
        self, emu: RevAIEmulator, media: MediaServer
    ) -> None:
        emu.on_request(lambda _: emu.core.clock.advance(60), "GET /vocabularies/{id}")
        ctx = task_context(task_id="vocabulary")
        op = CreateCustomVocabularyOperator(
            task_id="vocabulary", custom_vocabularies=PHRASES, deferrable=False, poll_interval=0.01
        )
        vocabulary_id = op.execute(ctx)
        assert emu.vocabulary(vocabulary_id)["status"] == "complete"  # type: ignore[index]
        assert pushed(ctx)["custom_vocabulary"]["status"] == "complete"
        body = emu.received_bodies("POST /vocabularies")[-1]
        assert body["custom_vocabularies"] == PHRASES and body["metadata"].startswith("[airflow-revai:")
        job_id = submit(media_url=media.add("call", 2, SPOKEN), custom_vocabulary_id=vocabulary_id).execute(
            task_context()
        )
        assert emu.job(job_id)["custom_vocabulary_id"] == vocabulary_id  # type: ignore[index]

    def test_create_and_wait_deferred(self, emu: RevAIEmulator) -> None:
        emu.on_request(lambda _: emu.core.clock.advance(60), "GET /vocabularies/{id}")
        op = CreateCustomVocabularyOperator(
            task_id="vocabulary", custom_vocabularies=PHRASES, deferrable=True
        )
        op.poll_interval = 0.01
        with pytest.raises(TaskDeferred) as deferred:
            op.execute(task_context(task_id="vocabulary"))
        trigger = deferred.value.trigger
        assert isinstance(trigger, TranscriptTrigger)
        assert trigger.serialize()[1]["resource"] == "custom_vocabulary"
        vocabulary_id = resume(op, deferred.value, task_context(task_id="vocabulary"))
        assert emu.vocabulary(vocabulary_id)["status"] == "complete"  # type: ignore[index]

    def test_a_retry_reconnects_instead_of_creating_another(self, emu: RevAIEmulator) -> None:
        store = StateStore()
        op = CreateCustomVocabularyOperator(
            task_id="vocabulary", custom_vocabularies=PHRASES, deferrable=False, wait_for_completion=False
        )
        first = op.execute(task_context(task_id="vocabulary", state_store=store))
        assert store.values == {"revai_vocabulary_id": first}
        again = op.execute(task_context(2, task_id="vocabulary", state_store=store))
        scanned = op.execute(task_context(2, task_id="vocabulary"))
        assert first == again == scanned and emu.request_counts["POST /vocabularies"] == 1

    @pytest.mark.revai_emulator(vocabulary_seconds=100, fail_vocabularies=True)
    def test_a_failed_vocabulary_fails_the_task_without_retries(self, emu: RevAIEmulator) -> None:
        emu.on_request(lambda _: emu.core.clock.advance(60), "GET /vocabularies/{id}")
        op = CreateCustomVocabularyOperator(
            task_id="vocabulary", custom_vocabularies=PHRASES, deferrable=False, poll_interval=0.01
        )
        with pytest.raises(RevAIVocabularyFailedError, match="internal_processing") as err:
            op.execute(task_context(task_id="vocabulary"))
        assert isinstance(err.value, AirflowFailException)

    def test_a_job_with_an_incomplete_vocabulary_is_refused_by_the_api(
        self, emu: RevAIEmulator, media: MediaServer
    ) -> None:
        op = CreateCustomVocabularyOperator(
            task_id="vocabulary", custom_vocabularies=PHRASES, wait_for_completion=False
        )
        vocabulary_id = op.execute(task_context(task_id="vocabulary"))
        with pytest.raises(AirflowFailException, match="404"):
            submit(media_url=media.add("call", 2, SPOKEN), custom_vocabulary_id=vocabulary_id).execute(
                task_context()
            )


# ---------------------------------------------------------------------------- deletion


@pytest.mark.revai_emulator(processing_seconds=0.05)
class TestDeletion:
    def transcribed_job(self, emu: RevAIEmulator, media: MediaServer) -> str:
        job_id = submit(media_url=media.add("call", 2, SPOKEN), wait_for_completion=True).execute(
            task_context()
        )
        assert emu.job(job_id)["status"] == "transcribed"  # type: ignore[index]
        return job_id

    def test_delete_job_is_idempotent(self, emu: RevAIEmulator, media: MediaServer) -> None:
        job_id = self.transcribed_job(emu, media)
        op = DeleteJobOperator(task_id="delete", job_id=job_id)
        assert op.execute(task_context(task_id="delete")) is True
        assert emu.job(job_id) is None
        assert op.execute(task_context(2, task_id="delete")) is False
        assert emu.request_counts["DELETE /jobs/{id}"] == 2

    def test_delete_after_fetch_to_storage(
        self, emu: RevAIEmulator, media: MediaServer, tmp_path: Path
    ) -> None:
        job_id = self.transcribed_job(emu, media)
        out = tmp_path / "out" / "call.json"
        fetch = FetchTranscriptOperator(
            task_id="f", job_id=job_id, output_path=str(out), delete_after_fetch=True
        )
        manifest = fetch.execute(task_context(task_id="f"))
        assert json.loads(out.read_text())["monologues"] and manifest["bytes"] == out.stat().st_size
        assert emu.job(job_id) is None

    def test_delete_after_fetch_inline_stores_the_xcom_first(
        self, emu: RevAIEmulator, media: MediaServer
    ) -> None:
        job_id = self.transcribed_job(emu, media)
        ctx = task_context(task_id="f")
        deleted_before_push: list[bool] = []
        ctx["ti"].xcom_push.side_effect = lambda **_: deleted_before_push.append(emu.job(job_id) is None)
        text = FetchTranscriptOperator(
            task_id="f", job_id=job_id, output_format="text", delete_after_fetch=True
        ).execute(ctx)
        assert pushed(ctx)["return_value"] == text and "Good morning" in text
        assert deleted_before_push == [False] and emu.job(job_id) is None

    def test_no_delete_when_the_write_failed(
        self, emu: RevAIEmulator, media: MediaServer, tmp_path: Path
    ) -> None:
        job_id = self.transcribed_job(emu, media)
        folder = tmp_path / "out"
        # The folder turns into a file after the fetch checked output_path: the write itself fails.
        emu.on_request(lambda _: folder.write_text("a file where a folder should be"), "GET /jobs/{id}")
        fetch = FetchTranscriptOperator(
            task_id="f", job_id=job_id, output_path=str(folder / "call.json"), delete_after_fetch=True
        )
        with pytest.raises(OSError):
            fetch.execute(task_context(task_id="f"))
        assert emu.job(job_id) is not None and emu.request_counts["DELETE /jobs/{id}"] == 0
