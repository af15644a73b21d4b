"""``make demo``: run the example DAG end to end against the local Rev AI emulator.

What it does, with nothing but this repository and its virtualenv:

1. writes a short WAV and its sidecar transcript into ``<workdir>/media``;
2. serves that folder over HTTP on 127.0.0.1 and starts ``python -m airflow_provider_rev.emulator``;
3. points a throwaway ``AIRFLOW_HOME`` and ``AIRFLOW_CONN_REVAI_DEFAULT`` at them, migrates the
   metadata database and runs ``airflow dags test example_rev_transcribe``;
4. shows the lines proving the sensor deferred to the triggerer and resumed, then the
   transcript text, the summary the DAG returned to XCom, and where the JSON and SRT files
   were written;
5. stops every process it started, and exits non-zero if any step or check failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_provider_rev.emulator import DEFAULT_TOKEN, make_wav, serve_media
from airflow_provider_rev.models import Transcript

ROOT = Path(__file__).resolve().parents[1]
DAG_ID = "example_rev_transcribe"
SAMPLE_SECONDS = 6.0
SAMPLE_TRANSCRIPT = (
    "Speaker 0: Welcome to the Rev AI provider for Apache Airflow.\n"
    "Speaker 1: This recording was transcribed by the local emulator, offline.\n"
)
#: Log lines of ``airflow dags test`` worth showing: the provider's own, and task state changes.
HIGHLIGHT = re.compile(r"Rev AI job|waiting in the triggerer|Resumed from the triggerer|Fetched the")
READY = re.compile(r"listening on (http://\S+)")


class DemoError(RuntimeError):
    """A step of the demo failed; the message says which and why."""


@dataclass
class DemoResult:
    """What the demo run produced, for the summary and for the test that runs the same path."""

    workdir: Path
    state: str = ""
    highlights: list[str] = field(default_factory=list)
    transcript_text: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Path] = field(default_factory=dict)
    emulator_url: str = ""


@contextmanager
def emulator(log_path: Path, processing_seconds: float) -> Iterator[str]:
    """Start the emulator CLI on a free port; yield its base URL; stop it on exit."""
    command = [sys.executable, "-m", "airflow_provider_rev.emulator", "--port", "0"]
    command += ["--processing-seconds", str(processing_seconds)]
    with (
        log_path.open("w") as log,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True) as process,
    ):
        try:
            line = process.stdout.readline() if process.stdout else ""
            ready = READY.search(line)
            if not ready:
                raise DemoError(f"the emulator did not start (see {log_path}): {line.strip()!r}")
            yield ready.group(1)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def airflow_env(workdir: Path, emulator_url: str, media_url: str, output_uri: str) -> dict[str, str]:
    """Return the environment a user would export to run the example DAG against the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__"))}
    env.update(
        AIRFLOW_HOME=str(workdir / "airflow-home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "example_dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW_CONN_REVAI_DEFAULT=json.dumps(
            {"conn_type": "revai", "host": emulator_url, "password": DEFAULT_TOKEN}
        ),
        REVAI_EXAMPLE_MEDIA_URL=media_url,
        REVAI_EXAMPLE_OUTPUT_URI=output_uri,
        REVAI_EXAMPLE_POKE_INTERVAL="2",
    )
    return env


def airflow(args: Sequence[str], env: dict[str, str], log_path: Path, echo: bool = False) -> list[str]:
    """Run the ``airflow`` CLI of this virtualenv; keep its output in ``log_path``; return the lines."""
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    lines: list[str] = []
    with log_path.open("a") as log:
        log.write(f"$ {' '.join(command)}\n")
        with subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as process:
            for line in process.stdout or ():
                log.write(line)
                lines.append(line.rstrip("\n"))
                if echo and HIGHLIGHT.search(line):
                    print(f"  | {_short(line)}", flush=True)
        if process.returncode != 0:
            raise DemoError(f"'airflow {' '.join(args)}' exited with {process.returncode}; see {log_path}")
    return lines


def _short(line: str) -> str:
    """Drop the timestamp/level prefix and logger suffix Airflow adds to each log line."""
    line = re.sub(r"^\S+Z \[\w+\s*\] ", "", line.strip())
    return re.sub(r"\s+\[[\w.]+\].*$", "", line)


def check(result: DemoResult, expected_text: str) -> None:
    """Fail unless the run deferred, resumed, wrote both files and transcribed and summarized the sample."""
    joined = "\n".join(result.highlights)
    if result.state != "success":
        raise DemoError(f"the DAG run ended {result.state or 'without a state'}")
    for needle in ("waiting in the triggerer", "Resumed from the triggerer"):
        if needle not in joined:
            raise DemoError(f"no {needle!r} line: the sensor did not defer and resume as expected")
    for name in ("transcript.json", "captions.srt"):
        if name not in result.outputs:
            raise DemoError(f"{name} was not written under {result.workdir / 'transcripts'}")
    got, want = _words(result.transcript_text), _words(expected_text)
    if got != want:
        raise DemoError(f"unexpected transcript: {result.transcript_text!r}")
    if _words("\n".join(summary_lines(result.summary))) != want:
        raise DemoError(f"unexpected summary in XCom: {result.summary!r}")


def _words(text: str) -> list[str]:
    text = re.sub(r"(?m)^Speaker \d+:", "", text)
    return re.findall(r"[a-z0-9']+", text.lower())


def run(workdir: Path, processing_seconds: float = 8.0) -> DemoResult:
    """Run the whole demo in ``workdir`` (emptied first) and return what it produced.

    Jobs take ``processing_seconds``: long enough that the sensor's first check still finds
    the job in progress (and defers) even when starting the tasks is slow on a busy machine.
    """
    shutil.rmtree(workdir, ignore_errors=True)
    media = workdir / "media"
    media.mkdir(parents=True)
    make_wav(media / "sample.wav", seconds=SAMPLE_SECONDS)
    (media / "sample.txt").write_text(SAMPLE_TRANSCRIPT)
    transcripts = workdir / "transcripts"
    result = DemoResult(workdir=workdir)
    log_path = workdir / "airflow.log"

    with serve_media(media) as media_root, emulator(workdir / "emulator.log", processing_seconds) as emu_url:
        result.emulator_url = emu_url
        print(f"Rev AI emulator on {emu_url}; sample media on {media_root}/sample.wav", flush=True)
        env = airflow_env(workdir, emu_url, f"{media_root}/sample.wav", transcripts.as_uri())
        print("Migrating a throwaway Airflow metadata database ...", flush=True)
        airflow(["db", "migrate"], env, log_path)
        print(f"Running 'airflow dags test {DAG_ID}' (submit -> deferrable sensor -> fetch):", flush=True)
        lines = airflow(["dags", "test", DAG_ID], env, log_path, echo=True)
    result.highlights = [_short(line) for line in lines if HIGHLIGHT.search(line)]
    state = re.findall(r"state=(\w+)", "\n".join(line for line in lines if "DagRun Finished" in line))
    result.state = state[-1] if state else ""
    for path in sorted(transcripts.rglob("*")):
        if path.is_file():
            result.outputs[path.name] = path
    result.summary = returned_xcom(workdir / "airflow-home" / "airflow.db", "fetch_summary")
    if "transcript.json" in result.outputs:
        document = json.loads(result.outputs["transcript.json"].read_text())
        result.transcript_text = Transcript.from_dict(document).text
    return result


def returned_xcom(database: Path, task_id: str) -> dict[str, Any]:
    """Read what ``task_id`` returned to XCom in the demo's one DAG run (its metadata database)."""
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND key = 'return_value'",
            (DAG_ID, task_id),
        ).fetchone()
    value = json.loads(row[0]) if row else None
    return value if isinstance(value, dict) else {}


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """Return the summary as the reader sees it: its bullet points, or its paragraph."""
    bullets = summary.get("bullet_points")
    if isinstance(bullets, list):
        return [f"- {bullet}" for bullet in bullets]
    return [str(summary["summary"])] if summary.get("summary") else []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo, print the transcript and the files written; 1 if anything failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".demo", help="scratch folder (emptied)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        result = run(args.workdir.resolve())
        check(result, SAMPLE_TRANSCRIPT)
    except DemoError as exc:
        print(f"\nDemo FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"\nDAG run: {result.state}. Transcript:\n\n{textwrap.indent(result.transcript_text, '    ')}\n")
    summary = "\n".join(summary_lines(result.summary))
    print(f"Summary (returned to XCom by fetch_summary):\n\n{textwrap.indent(summary, '    ')}\n")
    for name, path in result.outputs.items():
        print(f"  {name:<16} {path}")
    print(f"\nDone in {time.monotonic() - started:.0f} s; logs in {args.workdir / 'airflow.log'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
