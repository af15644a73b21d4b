"""``example_rev_batch`` end to end: mapped submit-and-wait (deferred) and mapped fetch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from support import MediaServer, load_example_dag, run_results

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.models import Transcript

RECORDINGS = {
    "alpha": "Speaker 0: First recording about apples.",
    "bravo": "Speaker 0: Second recording about bananas and more.",
    "charlie": "Speaker 0: Third one.\nSpeaker 1: About cherries.",
}


def test_each_recording_is_submitted_once_waited_in_the_triggerer_and_fetched(
    airflow_db: None,
    emulator: RevAIEmulator,
    media: MediaServer,
    deferrals: list[dict[str, Any]],
    tmp_path: Path,
) -> None:
    urls = {
        media.add(name, seconds=2 + i, transcript=text): name
        for i, (name, text) in enumerate(RECORDINGS.items())
    }
    dag = load_example_dag("example_rev_batch")

    dag_run = dag.test(run_conf={"media_urls": list(urls), "output_uri": (tmp_path / "out").as_uri()})

    assert str(dag_run.state) == "success"
    states, xcoms = run_results(dag.dag_id, dag_run.run_id)
    assert sorted(k for k in states if k[0] != "media_urls") == [
        ("fetch", 0),
        ("fetch", 1),
        ("fetch", 2),
        ("submit", 0),
        ("submit", 1),
        ("submit", 2),
    ]
    assert set(states.values()) == {"success"}

    jobs = emulator.jobs()
    assert len(jobs) == 3 and emulator.request_counts["POST /jobs"] == 3
    assert len(deferrals) == 3, "every mapped submit should have waited in the triggerer"
    keys = {job["metadata"] for job in jobs}
    assert len(keys) == 3, "each map index carries its own pay-once key"

    for index in range(3):
        job_id = xcoms[("submit", index, "return_value")]
        manifest = xcoms[("fetch", index, "return_value")]
        assert manifest["job_id"] == job_id
        path = Path(urlsplit(manifest["uri"]).path)
        assert path.name == f"{index}.json"
        name = list(urls.values())[index]
        transcript = Transcript.from_dict(json.loads(path.read_text()))
        assert words(transcript) == spoken_words(RECORDINGS[name])
        assert manifest["words"] == len(spoken_words(RECORDINGS[name]))

    events = asset_events("revai_transcripts", dag_run.run_id)
    assert sorted(events) == [0, 1, 2], "each mapped fetch makes one event of the outlet Asset"
    for index, extra in events.items():
        assert extra == xcoms[("fetch", index, "return_value")], "the event carries the fetch's manifest"


def asset_events(asset_name: str, run_id: str) -> dict[int, dict[str, Any]]:
    """The ``extra`` of each event of an Asset made by a DAG run, by the source task's map index."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        events = session.scalars(
            select(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .where(AssetModel.name == asset_name, AssetEvent.source_run_id == run_id)
        ).all()
        return {event.source_map_index: dict(event.extra) for event in events}


def words(transcript: Transcript) -> list[str]:
    return [e.value for m in transcript.monologues for e in m.elements if e.type == "text"]


def spoken_words(sidecar: str) -> list[str]:
    """The words of a sidecar transcript, without its ``Speaker N:`` prefixes."""
    return [word.strip(".,") for line in sidecar.splitlines() for word in line.split(":", 1)[1].split()]
