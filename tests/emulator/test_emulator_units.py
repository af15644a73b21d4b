"""Unit checks of the emulator's building blocks: sample WAVs, probing, sidecar URLs, faults, plugin."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import pytest

from airflow_provider_rev.emulator import EmulatorConfig, FaultConfig, RevAIEmulator, make_wav
from airflow_provider_rev.emulator.faults import FaultKind, FaultPlan, ScriptedFault
from airflow_provider_rev.emulator.media import MediaFailure, MediaKind, probe_file, sidecar_url, upload_name
from airflow_provider_rev.emulator.status import FailureCode

pytest_plugins = ["airflow_provider_rev.emulator.pytest_plugin"]


def test_make_wav_is_deterministic(tmp_path: Path) -> None:
    first = make_wav(tmp_path / "a.wav", seconds=1.5, channels=2, rate=8000)
    second = make_wav(tmp_path / "b.wav", seconds=1.5, channels=2, rate=8000)
    assert first.read_bytes() == second.read_bytes()
    with wave.open(str(first)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes(), wav.getsampwidth()) == (
            2,
            8000,
            12000,
            2,
        )
        frames = wav.readframes(100)
    assert any(frames) and max(abs(v) for v in struct.unpack("<200h", frames)) <= 1000
    with pytest.raises(ValueError):
        make_wav(tmp_path / "c.wav", seconds=-1)


@pytest.mark.parametrize(
    ("head", "kind", "size", "duration"),
    [
        (b"ID3\x04", MediaKind.MP3, 16_000, 1.0),
        (b"\xff\xfb\x90\x00", MediaKind.MP3, 32_000, 2.0),
        (b"fLaC", MediaKind.FLAC, 175_000, 2.0),
        (b"OggS", MediaKind.OGG, 24_000, 2.0),
        (b"\0\0\0\x20ftypM4A ", MediaKind.MP4, 32_000, 2.0),
        (b"\x1a\x45\xdf\xa3", MediaKind.WEBM, 16_000, 1.0),
    ],
)
def test_probe_estimates_other_formats(
    tmp_path: Path, head: bytes, kind: MediaKind, size: int, duration: float
) -> None:
    path = tmp_path / "media.bin"
    path.write_bytes(head + b"\x01" * (size - len(head)))
    info = probe_file(path)
    assert (info.kind, info.size, info.duration_seconds, info.channels) == (kind, size, duration, None)


def test_probe_float_wav_via_riff_walk(tmp_path: Path) -> None:
    rate, channels, frames = 8000, 2, 16000
    fmt = struct.pack("<HHIIHH", 3, channels, rate, rate * channels * 4, channels * 4, 32)
    data = b"\0\0\x80\x3f" * frames * channels
    body = (
        b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    )
    path = tmp_path / "float.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    info = probe_file(path)
    assert (info.kind, info.duration_seconds, info.channels) == (MediaKind.WAV, 2.0, 2)


def test_probe_rejects_garbage_and_empty(tmp_path: Path) -> None:
    garbage = tmp_path / "g.wav"
    garbage.write_bytes(b"hello world, not audio")
    with pytest.raises(MediaFailure) as error:
        probe_file(garbage)
    assert error.value.code is FailureCode.INVALID_MEDIA
    empty = tmp_path / "e.wav"
    empty.write_bytes(b"")
    with pytest.raises(MediaFailure) as error:
        probe_file(empty)
    assert error.value.code is FailureCode.EMPTY_MEDIA


def test_sidecar_url_and_upload_name() -> None:
    assert sidecar_url("http://h/a/b.wav?sig=1") == "http://h/a/b.txt?sig=1"
    assert sidecar_url("http://h/a/b") == "http://h/a/b.txt"
    assert upload_name("/tmp/x/y.wav") == "y.wav"
    assert upload_name("C:\\media\\y.mp3") == "y.mp3"
    assert upload_name(None) is None


def test_fault_plan_scripted_then_random() -> None:
    plan = FaultPlan(FaultConfig(error_fraction=1.0, routes=frozenset({"GET /jobs"})))
    plan.inject(ScriptedFault(route="GET /jobs", status=429, times=1))
    first = plan.decide("GET /jobs")
    assert first is not None and first.scripted and first.status == 429 and first.retry_after == 1
    second = plan.decide("GET /jobs")
    assert second is not None and second.kind is FaultKind.SERVER_ERROR and second.status in (502, 503, 504)
    assert plan.decide("GET /account") is None
    plan.clear()
    assert plan.decide("GET /jobs") is None
    with pytest.raises(ValueError):
        plan.inject(ScriptedFault(times=0))


def test_pytest_plugin_fixture(revai_emulator: object) -> None:
    assert isinstance(revai_emulator, RevAIEmulator)
    assert revai_emulator.config.processing_seconds == 0.05


@pytest.mark.revai_emulator(
    vocabulary_seconds=5, fail_summaries=True, fail_translation_languages=["de"], fail_vocabularies=True
)
def test_pytest_plugin_marker_passes_new_fields(revai_emulator: RevAIEmulator) -> None:
    config = revai_emulator.config
    assert (config.processing_seconds, config.vocabulary_seconds) == (0.05, 5)
    assert config.fail_summaries and config.fail_vocabularies
    assert config.fail_translation_languages == frozenset({"de"})


def test_fail_translation_languages_takes_a_collection() -> None:
    assert EmulatorConfig(fail_translation_languages={"es", "de"}).fail_translation_languages == frozenset(  # type: ignore[arg-type]
        {"es", "de"}
    )
    with pytest.raises(TypeError):
        EmulatorConfig(fail_translation_languages="de")  # type: ignore[arg-type]
