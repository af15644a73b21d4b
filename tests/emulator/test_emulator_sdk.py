"""Fidelity check: the official ``rev-ai`` Python SDK, unchanged, against the emulator.

Points where the SDK and API.md disagree (the emulator follows API.md):

* ``get_list_of_jobs`` documents ``starting_after`` as "created after"; the API returns jobs *older*
  than that job, newest first.
* ``submit_job_local_file`` sends the full local path as the multipart filename; the emulator names
  the job after its base name.
* ``Job.callback_url`` is stored as a 1-tuple by the SDK model (stray comma) - asserted as such.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from rev_ai import CaptionType, CustomerUrlData, JobStatus, apiclient
from rev_ai.custom_vocabularies_client import RevAiCustomVocabulariesClient
from rev_ai.models.asynchronous.summarization_formatting_options import SummarizationFormattingOptions
from rev_ai.models.asynchronous.summarization_options import SummarizationOptions
from rev_ai.models.asynchronous.translation_language_options import TranslationLanguageOptions
from rev_ai.models.asynchronous.translation_options import TranslationOptions
from rev_ai.models.customvocabulary import CustomVocabulary

from airflow_provider_rev.emulator import RevAIEmulator, make_wav


@pytest.fixture
def client(emu: RevAIEmulator) -> Iterator[apiclient.RevAiAPIClient]:
    sdk = apiclient.RevAiAPIClient(emu.token)
    sdk.base_url = emu.api_url + "/"
    yield sdk


def _wait(client: apiclient.RevAiAPIClient, job_id: str) -> apiclient.Job:
    deadline = time.monotonic() + 5
    while True:
        job = client.get_job_details(job_id)
        if job.status != JobStatus.IN_PROGRESS:
            return job
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_sdk_constructor_url_parameter_also_works(emu: RevAIEmulator) -> None:
    sdk = apiclient.RevAiAPIClient(emu.token, url=emu.base_url)
    assert sdk.get_account().email == "emulator@example.com"


def test_sdk_full_url_workflow(emu: RevAIEmulator, client: apiclient.RevAiAPIClient, tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "call.wav", seconds=3)
    (tmp_path / "call.txt").write_text("Speaker 0: Hello from the SDK.\nSpeaker 1: It works!")
    job = client.submit_job_url(
        source_config=CustomerUrlData(wav.as_uri()),
        metadata="sdk",
        skip_diarization=False,
        delete_after_seconds=600,
        language="en",
    )
    assert job.status == JobStatus.IN_PROGRESS
    assert job.metadata == "sdk"
    assert job.delete_after_seconds == 600
    assert job.language == "en"
    assert job.transcriber == "machine"
    assert job.created_on.endswith("Z")

    done = _wait(client, job.id)
    assert done.status == JobStatus.TRANSCRIBED
    assert done.duration_seconds == 3.0
    assert done.completed_on is not None
    assert done.failure is None

    transcript = client.get_transcript_object(job.id)
    assert [m.speaker for m in transcript.monologues] == [0, 1]
    first = transcript.monologues[0].elements[0]
    assert (first.type_, first.value) == ("text", "Hello")
    assert first.timestamp is not None and first.end_timestamp > first.timestamp
    assert 0 < first.confidence <= 1
    as_json = client.get_transcript_json(job.id)
    assert as_json["monologues"][0]["elements"][:2] == [
        {
            "type": "text",
            "value": "Hello",
            "ts": first.timestamp,
            "end_ts": first.end_timestamp,
            "confidence": first.confidence,
        },
        {"type": "punct", "value": " "},
    ]
    assert client.get_transcript_text(job.id) == (
        "Speaker 0    00:00:00    Hello from the SDK.\nSpeaker 1    00:00:02    It works!"
    )
    with client.get_transcript_text_as_stream(job.id) as stream:
        assert b"Hello from the SDK." in stream.content

    srt = client.get_captions(job.id)
    assert srt.startswith("1\n00:00:00,")
    assert "Hello from the SDK." in srt
    vtt = client.get_captions(job.id, content_type=CaptionType.VTT)
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.")

    account = client.get_account()
    assert account.email == "emulator@example.com"
    assert isinstance(account.balance_seconds, int)

    client.delete_job(job.id)
    with pytest.raises(requests.HTTPError) as error:
        client.get_job_details(job.id)
    assert error.value.response.status_code == 404
    assert "could not find job" in str(error.value)


def test_sdk_deprecated_media_url_and_callback(client: apiclient.RevAiAPIClient, tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "a.wav", seconds=2)
    job = client.submit_job_url(media_url=wav.as_uri(), callback_url="http://127.0.0.1:9/cb")
    assert job.media_url == wav.as_uri()
    assert job.callback_url == ("http://127.0.0.1:9/cb",)  # SDK model quirk
    assert _wait(client, job.id).status == JobStatus.TRANSCRIBED


def test_sdk_local_file_upload(client: apiclient.RevAiAPIClient, tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "upload.wav", seconds=2, channels=2)
    job = client.submit_job_local_file(str(wav), metadata="local", speaker_channels_count=2)
    assert job.name == "upload.wav"
    assert job.metadata == "local"
    assert job.speaker_channels_count == 2
    done = _wait(client, job.id)
    assert done.status == JobStatus.TRANSCRIBED
    assert done.duration_seconds == 2.0
    with pytest.raises(requests.HTTPError) as error:
        client.get_captions(job.id)
    assert error.value.response.status_code == 405
    assert "WEBVTT" in client.get_captions(job.id, content_type=CaptionType.VTT, channel_id=1)


def test_sdk_list_jobs(client: apiclient.RevAiAPIClient, tmp_path: Path) -> None:
    wav = make_wav(tmp_path / "a.wav", seconds=2)
    ids = [client.submit_job_url(source_config=CustomerUrlData(wav.as_uri())).id for _ in range(3)]
    assert [j.id for j in client.get_list_of_jobs()] == ids[::-1]
    assert [j.id for j in client.get_list_of_jobs(limit=1)] == [ids[2]]
    assert [j.id for j in client.get_list_of_jobs(limit=5, starting_after=ids[2])] == [ids[1], ids[0]]
    with pytest.raises(requests.HTTPError) as error:
        client.get_list_of_jobs(limit=1001)
    assert error.value.response.status_code == 400


def test_sdk_summary_and_translation(
    emu: RevAIEmulator, client: apiclient.RevAiAPIClient, tmp_path: Path
) -> None:
    wav = make_wav(tmp_path / "a.wav", seconds=4)
    job = client.submit_job_url(
        source_config=CustomerUrlData(wav.as_uri()),
        summarization_config=SummarizationOptions(formatting_type=SummarizationFormattingOptions.BULLETS),
        translation_config=TranslationOptions(
            [TranslationLanguageOptions("es"), TranslationLanguageOptions("fr")]
        ),
    )
    deadline = time.monotonic() + 5
    while True:
        details = client.get_job_details(job.id)
        statuses = [details.summarization.status] + [t.status for t in details.translation.target_languages]
        if details.status == JobStatus.TRANSCRIBED and set(statuses) == {"completed"}:
            break
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert details.summarization.type == "bullets"
    assert details.translation.completed_on is not None
    summary = client.get_transcript_summary_object(job.id)
    assert summary.bullet_points and summary.summary is None
    assert client.get_transcript_summary_text(job.id).startswith("- ")
    translated = client.get_translated_transcript_object(job.id, "es")
    assert translated.monologues[0].elements[0].value.startswith("es:")
    assert client.get_translated_transcript_text(job.id, "fr").startswith("Speaker ")
    assert client.get_translated_captions(job.id, "es").startswith("1\n")
    assert client.get_translated_captions(job.id, "fr", CaptionType.VTT).startswith("WEBVTT")


def test_sdk_sees_problem_bodies(client: apiclient.RevAiAPIClient) -> None:
    with pytest.raises(requests.HTTPError) as error:
        client.submit_job_url(media_url="ftp://example.com/a.mp3")
    assert error.value.response.status_code == 400
    assert "Provided media_url is not a valid fully-qualified http, or https URL." in str(error.value)


def test_sdk_custom_vocabularies(
    emu: RevAIEmulator, client: apiclient.RevAiAPIClient, tmp_path: Path
) -> None:
    vocabularies = RevAiCustomVocabulariesClient(emu.token)
    vocabularies.base_url = emu.api_url + "/vocabularies/"
    submitted = vocabularies.submit_custom_vocabularies(
        [CustomVocabulary(["Airflow", "Rev AI"]), CustomVocabulary(["DAG"])],
        metadata="sdk vocabulary",
        notification_config=CustomerUrlData("http://127.0.0.1:9/cv"),
    )
    assert submitted["id"].startswith("cv") and len(submitted["id"]) == 14
    assert (submitted["status"], submitted["metadata"]) == ("in_progress", "sdk vocabulary")

    emu.advance_clock(1)
    info = vocabularies.get_custom_vocabularies_information(submitted["id"])
    assert info["status"] == "complete"
    assert info["completed_on"].endswith("Z")
    other = vocabularies.submit_custom_vocabularies([CustomVocabulary(["Kubernetes"])])
    assert [v["id"] for v in vocabularies.get_list_of_custom_vocabularies()] == [other["id"], submitted["id"]]
    assert [v["id"] for v in vocabularies.get_list_of_custom_vocabularies(limit=1)] == [other["id"]]

    wav = make_wav(tmp_path / "a.wav", seconds=2)
    job = client.submit_job_url(
        source_config=CustomerUrlData(wav.as_uri()), custom_vocabulary_id=submitted["id"]
    )
    assert job.custom_vocabulary_id == submitted["id"]
    assert _wait(client, job.id).status == JobStatus.TRANSCRIBED

    assert vocabularies.delete_custom_vocabulary(submitted["id"]) is None
    with pytest.raises(requests.HTTPError) as error:
        vocabularies.get_custom_vocabularies_information(submitted["id"])
    assert error.value.response.status_code == 404
    assert "could not find custom vocabulary" in str(error.value)
    with pytest.raises(requests.HTTPError) as error:
        client.submit_job_url(
            source_config=CustomerUrlData(wav.as_uri()), custom_vocabulary_id=submitted["id"]
        )
    assert error.value.response.status_code == 404
    assert emu.request_counts["POST /vocabularies"] == 2
