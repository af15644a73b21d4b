"""``example_rev_fire_and_forget``: submit without waiting, the watcher reports, the consumer fetches.

The submit DAG runs with ``dag.test()`` against the emulator while the Asset's own watcher
(rebuilt from its serialized form, as the triggerer does) runs beside it. The consumer's tasks
are then given the Asset events the watcher produced, in the shape the scheduler stores them
(``extra["payload"]``). The deployment run (scheduler, triggerer, restarts) is not part of
this test; see ``docs/completions.md``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException
from support import MediaServer, run_results, task_context

from airflow_provider_rev.emulator import RevAIEmulator
from airflow_provider_rev.operators.revai import FetchTranscriptOperator, SubmitTranscriptionOperator
from airflow_provider_rev.triggers.completions import JobCompletionTrigger

EXAMPLE = Path(__file__).resolve().parents[2] / "example_dags" / "example_rev_fire_and_forget.py"


def load_pair(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("REVAI_EXAMPLE_WATCH_INTERVAL", "0.2")
    spec = importlib.util.spec_from_file_location("example_dags_fire_and_forget", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TriggeringEvents(Mapping[Any, list[dict[str, Any]]]):
    """``triggering_asset_events`` as Airflow gives it: looked up by Asset (by its name here)."""

    def __init__(self, name: str, events: list[dict[str, Any]]) -> None:
        self.name, self.events = name, events

    def __getitem__(self, asset: Any) -> list[dict[str, Any]]:
        if asset.name != self.name:
            raise KeyError(asset)
        return self.events

    def __iter__(self) -> Iterator[Any]:
        return iter([self.name])

    def __len__(self) -> int:
        return 1


class WatcherThread(threading.Thread):
    """The Asset's watcher on its own event loop, as the triggerer runs it."""

    def __init__(self, trigger: JobCompletionTrigger) -> None:
        super().__init__(daemon=True)
        self.trigger = trigger
        self.events: list[dict[str, Any]] = []
        self.listings = 0
        self.loop = asyncio.new_event_loop()
        self.task: asyncio.Task[None] | None = None

    async def _consume(self) -> None:
        async for event in self.trigger.run():
            self.events.append(event.payload)

    def run(self) -> None:
        self.task = self.loop.create_task(self._consume())
        try:
            self.loop.run_until_complete(self.task)
        except asyncio.CancelledError:
            pass
        finally:
            self.loop.close()

    def stop(self) -> None:
        assert self.task is not None
        self.loop.call_soon_threadsafe(self.task.cancel)
        self.join(10)


@pytest.mark.revai_emulator(processing_seconds=0.5)
def test_submitted_jobs_are_fetched_once_each_without_a_waiting_task(
    airflow_db: None,
    emu: RevAIEmulator,
    media: MediaServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pair = load_pair(monkeypatch)
    submit_dag, fetch_dag = pair.submit_dag, pair.dag
    assert list(fetch_dag.timetable.asset_condition.objects) == [pair.FINISHED_JOBS]
    assert submit_dag.get_task("submit").partial_kwargs["wait_for_completion"] is False

    (watcher,) = pair.FINISHED_JOBS.watchers
    _, kwargs = watcher.trigger.serialize()
    watching = WatcherThread(JobCompletionTrigger(**kwargs))
    watching.start()
    assert emu.wait_for_requests("GET /jobs", 1, timeout=10)  # it listed once: it is watching

    urls = [
        media.add(f"call{i}", seconds=2, transcript=f"Speaker 0: Recording number {i}.") for i in range(5)
    ]
    urls.append(media.root_url + "/missing.wav")
    other = media.add("other", seconds=2, transcript="Speaker 0: Not this DAG's.")
    submit_run = submit_dag.test(run_conf={"media_urls": urls})
    assert str(submit_run.state) == "success"
    states, xcoms = run_results(submit_dag.dag_id, submit_run.run_id)
    job_ids = [xcoms[("submit", index, "return_value")] for index in range(6)]
    # another DAG's job on the same connection: not this Asset's (its metadata has no prefix)
    SubmitTranscriptionOperator(task_id="elsewhere", media_url=other).execute(
        task_context(dag_id="elsewhere")
    )

    deadline = time.monotonic() + 30
    while len(watching.events) < 6 and time.monotonic() < deadline:
        time.sleep(0.1)
    listed = emu.request_counts["GET /jobs"]
    while emu.request_counts["GET /jobs"] < listed + 5 and time.monotonic() < deadline:
        time.sleep(0.1)  # a few more rounds: nothing is reported twice
    watching.stop()
    assert sorted(event["id"] for event in watching.events) == sorted(job_ids)

    # the consumer run the scheduler would start with these events
    events = TriggeringEvents(
        pair.FINISHED_JOBS.name, [{"extra": {"from_trigger": True, "payload": p}} for p in watching.events]
    )
    transcribed = fetch_dag.get_task("transcribed").python_callable(triggering_asset_events=events)
    assert sorted(transcribed) == sorted(job_ids[:5])
    with pytest.raises(AirflowFailException, match=job_ids[5]):
        fetch_dag.get_task("report_failures").python_callable(triggering_asset_events=events)

    out = tmp_path / "out"
    for index, job_id in enumerate(transcribed):
        FetchTranscriptOperator(task_id="fetch", job_id=job_id, output_path=f"{out}/{job_id}.json").execute(
            task_context(dag_id=fetch_dag.dag_id, task_id="fetch", map_index=index)
        )
    assert sorted(path.stem for path in out.iterdir()) == sorted(job_ids[:5])
    assert emu.request_counts["GET /jobs/{id}/transcript"] == 5
