"""Shared test set-up: an isolated Airflow home, a scripted loopback server, connections."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="revai-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(Path(__file__).resolve().parents[1] / "example_dags")

import pytest  # noqa: E402
from support import MediaServer, ScriptedServer, connection_json  # noqa: E402

from airflow_provider_rev.emulator import RevAIEmulator, serve_media  # noqa: E402

pytest_plugins = ["airflow_provider_rev.emulator.pytest_plugin"]


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def revai_conn(server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> ScriptedServer:
    """Point ``revai_default`` at the scripted server."""
    monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json(server.root_url))
    return server


@pytest.fixture
def emu(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[RevAIEmulator]:
    """The emulator as ``revai_default``: jobs take one second unless ``@pytest.mark.revai_emulator(...)``
    gives other settings (any :class:`~airflow_provider_rev.emulator.EmulatorConfig` field).
    """
    marker = request.node.get_closest_marker("revai_emulator")
    settings = {"processing_seconds": 1.0, **(marker.kwargs if marker else {})}
    with RevAIEmulator(**settings) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", connection_json(emulator.base_url, emulator.token))
        yield emulator


@pytest.fixture
def media(tmp_path: Path) -> Iterator[MediaServer]:
    """A loopback media server over a fresh folder (WAVs with sidecar transcripts)."""
    folder = tmp_path / "media"
    folder.mkdir()
    with serve_media(folder) as root_url:
        yield MediaServer(folder, root_url)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """DAG runs need a metadata database: migrate a throwaway sqlite one once per session."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )
