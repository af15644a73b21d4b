"""serve_media: a loopback file server the emulator can download from."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from airflow_provider_rev.emulator import serve_media


def test_serves_files_on_loopback_and_stops(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Speaker 0: hello")
    with serve_media(tmp_path) as root:
        assert root.startswith("http://127.0.0.1:")
        assert requests.get(f"{root}/a.txt", timeout=5).text == "Speaker 0: hello"
        assert requests.get(f"{root}/missing.wav", timeout=5).status_code == 404
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{root}/a.txt", timeout=5)
