"""The job page the "Rev AI job" extra link opens on the emulator: readable without the token."""

from __future__ import annotations

from pathlib import Path

import requests
from emulator.emulator_support import Api

from airflow_provider_rev.emulator import RevAIEmulator


def test_job_page_shows_the_job_without_the_token(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    job = api.submit_file(wav, metadata="<nightly & co>")
    before = emu.request_counts
    page = requests.get(f"{emu.base_url}/jobs/{job['id']}", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert f"job <code>{job['id']}</code>" in page.text
    assert '<strong id="status">in_progress</strong>' in page.text
    assert "&lt;nightly &amp; co&gt;" in page.text and "<nightly" not in page.text
    assert emu.token not in page.text
    # Not an API call: not counted, so request-count assertions elsewhere are unaffected.
    assert emu.request_counts == before


def test_job_page_of_an_unknown_job_is_a_404(emu: RevAIEmulator) -> None:
    page = requests.get(f"{emu.base_url}/jobs/nope", timeout=10)
    assert page.status_code == 404
    assert "could not find job" in page.text


def test_the_api_route_still_needs_the_token(emu: RevAIEmulator, api: Api, wav: Path) -> None:
    job = api.submit_file(wav)
    assert requests.get(f"{emu.base_url}/speechtotext/v1/jobs/{job['id']}", timeout=10).status_code == 401
