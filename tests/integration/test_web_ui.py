"""The web UI in a real browser: the Rev AI connection form, its Test button, the job link.

One real deployment (api-server, scheduler, dag-processor, triggerer; LocalExecutor,
SQLite) started by the harness, one emulator, one headless Chromium (Debian's
``/usr/bin/chromium``, driven by Playwright), all shared by the tests of this module.
What the tests check is what docs/ui.md says.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import airflow as airflow_package
import pytest
from integration.harness import REPORT, Deployment, Deployments
from integration.webui import (
    DAG_ID,
    browser_page,
    chromium_missing,
    fill_connection,
    open_connection_form,
    press_row_test,
    save_connection,
    show_extra_fields,
    task_details_url,
    web_ui_spec,
)
from packaging.version import Version
from support import MediaServer

from airflow_provider_rev.emulator import RevAIEmulator, serve_media
from airflow_provider_rev.get_provider_info import get_provider_info

if (reason := chromium_missing()) is not None:
    pytest.skip(reason, allow_module_level=True)

#: Jobs finish only when the test advances the emulator's clock.
JOB_SECONDS = 3600.0


@dataclass
class WebUI:
    airflow: Deployment
    emu: RevAIEmulator
    media: MediaServer
    page: Any
    run_id: str

    @property
    def emu_port(self) -> int:
        port = urlsplit(self.emu.base_url).port
        assert port is not None
        return port


@pytest.fixture(scope="module")
def ui(deployments: Deployments, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebUI]:
    """Start the deployment, the emulator and the browser once; stop them after the last test."""
    started = time.monotonic()
    folder = tmp_path_factory.mktemp("media")
    with RevAIEmulator(processing_seconds=JOB_SECONDS) as emu, serve_media(folder) as media_root:
        airflow = deployments.start("web-ui", web_ui_spec(emu.base_url, emu.token))
        try:
            media = MediaServer(folder, media_root)
            # The run goes on (to its deferred sensor) while the form tests use the browser.
            airflow.wait_for_dag(DAG_ID)
            airflow.api.unpause(DAG_ID)
            url = media.add("call", seconds=1.5, transcript="Speaker 0: Hello from the web UI test.")
            run_id = airflow.api.trigger(DAG_ID, conf={"media_url": url})
            with browser_page(airflow) as page:
                yield WebUI(airflow, emu, media, page, run_id)
        finally:
            deployments.stop("web-ui")
    REPORT.append(
        f"web UI in Chromium: deployment start-up {airflow.started_seconds:.0f} s, "
        f"all web UI tests {time.monotonic() - started:.0f} s"
    )


def _form() -> tuple[dict[str, Any], dict[str, Any]]:
    (entry,) = get_provider_info()["connection-types"]
    return entry["ui-field-behaviour"], entry["conn-fields"]


def test_connection_form_save_and_row_test(ui: WebUI) -> None:
    behaviour, fields = _form()
    page = ui.page
    open_connection_form(page, ui.airflow)
    form = page.get_by_role("dialog")
    for name in ("host", "port", "password"):
        box = form.locator(f"[name={name}]")
        assert box.is_visible(), name
        assert box.get_attribute("placeholder") == behaviour["placeholders"][name]
        assert form.get_by_text(behaviour["relabeling"][name], exact=True).is_visible(), name
    for hidden in ("login", "schema"):
        assert form.locator(f"[name={hidden}]").count() == 0, hidden
    # The emulator as a user types it: the base URL, its port in the Port field.
    fill_connection(page, "revai_default", "http://127.0.0.1", ui.emu_port, ui.emu.token)
    show_extra_fields(page)
    region = form.locator("[data-scope=field][data-part=root]").filter(has=page.locator("#element_region"))
    assert region.locator("label").inner_text().strip() == fields["region"]["label"]
    assert region.locator("[data-part=helper-text]").inner_text() == fields["region"]["description"]
    assert region.get_by_text("US: api.rev.ai").is_visible()
    for secret in ("webhook_secret", "webhook_previous_secret"):
        assert form.locator(f"#element_{secret}").get_attribute("type") == "password", secret
    save_connection(page, "revai_default")
    stored = ui.airflow.api.request("GET", "/connections/revai_default")
    assert (stored["host"], stored["port"]) == ("http://127.0.0.1", ui.emu_port)
    # Untouched fields are stored as null: no webhooks, and nothing short to mask.
    assert json.loads(stored["extra"]) == {
        "region": "api.rev.ai",
        "webhook_secret": None,
        "webhook_previous_secret": None,
        "webhook_base_url": None,
    }

    status, toast = press_row_test(page, ui.airflow, "revai_default")
    assert status == 200, toast
    assert "Test Connection Successful" in toast
    assert f"Connected to {ui.emu.base_url}; account emulator@example.com" in toast
    assert ui.emu.token not in toast


@pytest.mark.skipif(
    Version(airflow_package.__version__) != Version("3.3.2"),
    reason="pins Airflow 3.3.2's row Test button for a connection without port (docs/ui.md)",
)
def test_row_test_of_a_connection_without_port_is_refused_by_airflow_3_3_2(ui: WebUI) -> None:
    """The row button sends ``port: 0`` (``Number(null)``) and the stored token masked as
    ``***``; the API reads 0 as another port than the stored NULL and answers 400 before the
    hook runs. docs/ui.md documents it and the workaround (the Port field).
    """
    body = {
        "connection_id": "revai_port_in_host",
        "conn_type": "revai",
        "host": ui.emu.base_url,
        "password": ui.emu.token,
        "extra": json.dumps({"region": "api.rev.ai"}),
    }
    ui.airflow.api.request("POST", "/connections", json=body)
    before = ui.emu.request_counts["GET /account"]
    status, toast = press_row_test(ui.page, ui.airflow, "revai_port_in_host")
    assert status == 400
    assert "Test Connection Failed" in toast and "Bad Request" in toast
    assert ui.emu.request_counts["GET /account"] == before  # refused before the hook ran


def test_extra_link_opens_the_emulator_job_page(ui: WebUI) -> None:
    api, run_id = ui.airflow.api, ui.run_id

    def deferred() -> bool:
        states = {ti.task_id: ti.state for ti in api.task_instances(DAG_ID, run_id)}
        assert "failed" not in states.values(), states
        return states.get("wait") == "deferred"

    ui.airflow.wait_until(deferred, 120, lambda: f"{DAG_ID}/{run_id}: the sensor never deferred")
    job_id = api.xcom(DAG_ID, run_id, "submit")
    expected = f"{ui.emu.base_url}/jobs/{job_id}"

    page = ui.page
    page.goto(task_details_url(ui.airflow, run_id, "submit"))
    link = page.get_by_role("link", name="Rev AI job")
    assert link.get_attribute("href") == expected
    assert link.get_attribute("target") == "_blank"

    ui.emu.advance_clock(JOB_SECONDS)
    assert api.wait_for_run(DAG_ID, run_id, timeout=120) == "success"
    page.goto(expected)
    assert page.locator("#status").inner_text() == "transcribed"
    assert job_id in page.title()
