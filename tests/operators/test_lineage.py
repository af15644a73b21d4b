"""Lineage: OpenLineage datasets of submit and fetch, and the manifest on a fetch's outlet Asset event."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest
from airflow.providers.common.compat.sdk import ObjectStoragePath
from support import MediaServer, task_context

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.lineage import DatasetRef, job_dataset, location_dataset
from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator

SIGNATURE = "X-Amz-Signature=f00dfacecafe4242"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (
            f"https://media.example.com:8443/calls/a.mp3?{SIGNATURE}",
            ("https://media.example.com:8443", "/calls/a.mp3"),
        ),
        ("s3://aws_default@bucket/calls/a.json", ("s3://bucket", "calls/a.json")),
        (ObjectStoragePath("s3://aws_default@bucket/calls/a.json"), ("s3://bucket", "calls/a.json")),
        ("gs://bucket/a.srt", ("gs://bucket", "a.srt")),
        ("file:///data/out/a.json", ("file", "/data/out/a.json")),
        (ObjectStoragePath("file:///data/out/a.json"), ("file", "/data/out/a.json")),
        (Path("/data/in/a.wav"), ("file", "/data/in/a.wav")),
        ("/data/in/a.wav", ("file", "/data/in/a.wav")),
    ],
)
def test_locations_are_named_without_credentials_or_queries(location: Any, expected: tuple[str, str]) -> None:
    assert location_dataset(location) == DatasetRef(*expected)


def test_jobs_are_named_by_the_api_host() -> None:
    assert job_dataset("https://api.rev.ai", "Umx5c6F7pH7r") == DatasetRef(
        "revai://api.rev.ai", "jobs/Umx5c6F7pH7r"
    )
    assert job_dataset("http://127.0.0.1:8808", "j1") == DatasetRef("revai://127.0.0.1:8808", "jobs/j1")


def lineage_of(operator: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Run the OpenLineage provider's own extractor on a finished operator."""
    from airflow.providers.openlineage.extractors.base import DefaultExtractor

    lineage = DefaultExtractor(operator).extract_on_complete(MagicMock())
    assert lineage is not None
    return (
        [(d.namespace, d.name) for d in lineage.inputs],
        [(d.namespace, d.name) for d in lineage.outputs],
    )


def test_submit_and_fetch_report_media_to_job_to_file(
    emu: RevAIEmulator, media: MediaServer, tmp_path: Path
) -> None:
    url = media.add("call", seconds=2, transcript="Speaker 0: Lineage please.")
    submit = SubmitTranscriptionOperator(
        task_id="submit",
        media_url=f"{url}?{SIGNATURE}",
        wait_for_completion=True,
        deferrable=False,
        poll_interval=0.2,
    )
    job_id = submit.execute(task_context())
    api = f"revai://127.0.0.1:{emu.port}"
    media_root = media.root_url.removeprefix("http://")
    assert lineage_of(submit) == ([(f"http://{media_root}", "/call.wav")], [(api, f"jobs/{job_id}")])

    target = tmp_path / "out" / "call.json"
    fetch = FetchTranscriptOperator(task_id="fetch", job_id=job_id, output_path=str(target))
    fetch.execute(task_context(task_id="fetch"))
    assert lineage_of(fetch) == ([(api, f"jobs/{job_id}")], [("file", str(target))])

    inline = FetchTranscriptOperator(task_id="inline", job_id=job_id, output_format="text")
    inline.execute(task_context(task_id="inline"))
    assert lineage_of(inline) == ([(api, f"jobs/{job_id}")], [])
    assert "Signature" not in repr(lineage_of(submit))
