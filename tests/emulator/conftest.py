"""Fixtures for the emulator tests: a fast emulator, an HTTP client, media and webhook servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from emulator.emulator_support import FAST, Api, LoopbackServer

from airflow_provider_rev.emulator import RevAIEmulator, make_wav


def pytest_configure(config: pytest.Config) -> None:
    """Load the emulator's pytest plugin now, so its marker is known when test modules are imported."""
    config.pluginmanager.import_plugin("airflow_provider_rev.emulator.pytest_plugin")


@pytest.fixture
def emu() -> Iterator[RevAIEmulator]:
    with RevAIEmulator(**FAST) as emulator:
        yield emulator


@pytest.fixture
def session(emu: RevAIEmulator) -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.headers.update(emu.auth_headers)
        yield http


@pytest.fixture
def api(emu: RevAIEmulator, session: requests.Session) -> Api:
    return Api(emu, session)


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    return make_wav(tmp_path / "sample.wav", seconds=2.0)


@pytest.fixture
def loopback(tmp_path: Path) -> Iterator[LoopbackServer]:
    root = tmp_path / "served"
    root.mkdir()
    server = LoopbackServer(root)
    server.start()
    yield server
    server.stop()
