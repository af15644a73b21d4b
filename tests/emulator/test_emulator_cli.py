"""The command line starts a server that answers, and stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from airflow_provider_rev.emulator import make_wav
from airflow_provider_rev.emulator.cli import build_parser, config_from_args


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_and_stops(tmp_path: Path, stop_signal: signal.Signals) -> None:
    wav = make_wav(tmp_path / "a.wav", seconds=2)
    command = [
        sys.executable,
        "-m",
        "airflow_provider_rev.emulator",
        "--port",
        "0",
        "--token",
        "cli-token",
        "--processing-seconds",
        "0.05",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            assert match, line
            api = match.group(1) + "/speechtotext/v1"
            with requests.Session() as http:
                assert http.get(api + "/account", timeout=5).status_code == 401
                http.headers["Authorization"] = "Bearer cli-token"
                job = http.post(api + "/jobs", json={"source_config": {"url": wav.as_uri()}}, timeout=5)
                assert job.status_code == 200
                assert http.get(f"{api}/jobs/{job.json()['id']}", timeout=5).status_code == 200
        finally:
            proc.send_signal(stop_signal)
            _, stderr = proc.communicate(timeout=10)
        assert proc.returncode == 0, stderr
        assert "stopped" in stderr


def test_cli_flags_map_to_config(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        [
            "--processing-seconds",
            "3",
            "--seconds-per-audio-second",
            "0.5",
            "--rate-limit-fraction",
            "0.1",
            "--retry-after",
            "4",
            "--error-fraction",
            "0.2",
            "--drop-fraction",
            "0.05",
            "--latency",
            "0.01",
            "--seed",
            "9",
            "--media-root",
            str(tmp_path),
            "--fault-routes",
            "GET /jobs/{id}",
        ]
    )
    config = config_from_args(args)
    assert (args.host, args.port, config.token) == ("127.0.0.1", 8808, "emulator-token")
    assert config.processing_seconds == 3 and config.seconds_per_audio_second == 0.5
    assert config.media_roots == (tmp_path,)
    faults = config.faults
    assert (faults.rate_limit_fraction, faults.retry_after, faults.error_fraction) == (0.1, 4, 0.2)
    assert (faults.drop_fraction, faults.latency, faults.seed) == (0.05, 0.01, 9)
    assert faults.routes == frozenset({"GET /jobs/{id}"})


def test_uploads_take_their_words_from_media_root_and_say_so_when_they_cannot(tmp_path: Path) -> None:
    """An upload carries only a file name: its sidecar is found in a --media-root folder, and
    an upload without one gets a warning naming the flag."""
    calls = tmp_path / "calls"
    calls.mkdir()
    make_wav(calls / "call.wav", seconds=4)
    (calls / "call.txt").write_text("Speaker 0: Good morning.\nSpeaker 1: Hello there.\n")
    make_wav(tmp_path / "other.wav", seconds=2)
    command = [sys.executable, "-m", "airflow_provider_rev.emulator", "--port", "0", "--token", "t"]
    command += ["--processing-seconds", "0"]
    command += ["--media-root", str(tmp_path / "empty"), "--media-root", str(calls)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            match = re.search(r"(http://127\.0\.0\.1:\d+)", proc.stdout.readline())
            assert match
            api = match.group(1) + "/speechtotext/v1"
            with requests.Session() as http:
                http.headers["Authorization"] = "Bearer t"
                ids = []
                for wav in (calls / "call.wav", tmp_path / "other.wav"):
                    with wav.open("rb") as media:
                        files = {"media": (wav.name, media, "audio/wav"), "options": (None, "{}")}
                        ids.append(http.post(api + "/jobs", files=files, timeout=5).json()["id"])
                for job_id in ids:
                    while http.get(f"{api}/jobs/{job_id}", timeout=5).json()["status"] == "in_progress":
                        time.sleep(0.05)
                accept = {"Accept": "application/vnd.rev.transcript.v1.0+json"}
                transcripts = [
                    http.get(f"{api}/jobs/{job_id}/transcript", headers=accept, timeout=5) for job_id in ids
                ]
                words = [transcript.json()["monologues"] for transcript in transcripts]
        finally:
            proc.send_signal(signal.SIGTERM)
            _, stderr = proc.communicate(timeout=10)
    said = [[e["value"] for e in m["elements"] if e["type"] == "text"] for m in words[0]]
    assert said == [["Good", "morning"], ["Hello", "there"]]
    assert [m["speaker"] for m in words[0]] == [0, 1]
    assert "'call.wav'" not in stderr
    assert "upload 'other.wav' has no sidecar 'other.txt'" in stderr and "--media-root" in stderr
    assert str(calls) in stderr  # it says where it looked


def test_cli_rejects_bad_fractions() -> None:
    with pytest.raises(SystemExit):
        from airflow_provider_rev.emulator.cli import main

        main(["--error-fraction", "2"])


def test_cli_vocabulary_and_sub_job_flags() -> None:
    args = build_parser().parse_args(
        [
            "--vocabulary-seconds",
            "30",
            "--fail-summaries",
            "--fail-translation-languages",
            "de, fr,",
            "--fail-vocabularies",
        ]
    )
    config = config_from_args(args)
    assert config.vocabulary_seconds == 30
    assert config.fail_summaries and config.fail_vocabularies
    assert config.fail_translation_languages == frozenset({"de", "fr"})
    defaults = config_from_args(build_parser().parse_args([]))
    assert defaults.vocabulary_seconds is None
    assert not defaults.fail_summaries and not defaults.fail_vocabularies
    assert defaults.fail_translation_languages == frozenset()


def test_the_emulator_page_lists_every_flag_and_no_other() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text()
    table = page[page.index("### Every flag") :].split("\n\n", 2)[1]
    documented = re.findall(r"^\| `(--[a-z-]+)", table, re.M)
    flags = [
        option
        for action in build_parser()._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]
    assert sorted(documented) == sorted(flags)
    assert len(documented) == len(set(documented))
