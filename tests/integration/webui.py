"""Driving Airflow's web UI with Playwright and Debian's Chromium, for the browser test and the docs.

The deployment comes from the harness (:mod:`integration.harness`); this module only adds
the browser: launch headless Chromium from ``/usr/bin/chromium`` (Playwright's own browser
download is not used), log in as the harness's admin user, and the few page steps that
``tests/integration/test_web_ui.py`` and ``scripts/docs_screenshots.py`` share.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from integration.harness import USERNAME, Deployment, DeploymentSpec
from support import connection_json

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
VIEWPORT = {"width": 1280, "height": 800}
#: The web UI test's DAG: submit one recording, then a deferrable sensor.
DAG_ID = "integration_web_ui"
DAGS = Path(__file__).parent / "web_ui_dags"
#: The connection the DAG uses, given to the deployment as an environment variable.
DAG_CONN_ID = "revai_web_ui"


def web_ui_spec(emu_base_url: str, emu_token: str) -> DeploymentSpec:
    """Return the deployment of the web UI test: the default one, Test button enabled."""
    return DeploymentSpec(
        dags_folder=DAGS,
        connections={DAG_CONN_ID: connection_json(emu_base_url, emu_token, region="api.rev.ai")},
        config={"core.test_connection": "Enabled"},
    )


def chromium_missing() -> str | None:
    """Return why the browser cannot run here, or ``None`` when it can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing: run scripts/browser_deps.sh (apt-get install chromium, as root)"
    return None


@contextmanager
def browser_page(airflow: Deployment) -> Iterator[Any]:
    """Yield a Playwright page logged in to ``airflow``'s web UI as the admin user."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(30_000)
            page.goto(f"{airflow.api_url}/auth/login")
            page.fill("input[name=username]", USERNAME)
            page.fill("input[name=password]", airflow.password)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{airflow.api_url}/")
            yield page
        finally:
            browser.close()


def open_connection_form(page: Any, airflow: Deployment, conn_type_name: str = "Rev AI") -> None:
    """Open *Add Connection* and pick the connection type by its display name."""
    page.goto(f"{airflow.api_url}/connections")
    page.get_by_role("button", name="Add Connection").click()
    page.get_by_role("combobox").click()
    page.keyboard.type(conn_type_name)
    page.keyboard.press("Enter")
    page.locator("input[name=host]").wait_for()


def show_extra_fields(page: Any) -> None:
    """Unfold the form's *Extra Fields* section (this folds *Standard Fields*)."""
    page.get_by_role("button", name="Extra Fields", exact=True).click()
    page.locator("#element_region").wait_for(state="visible")


def fill_connection(page: Any, conn_id: str, host: str, port: int | None, token: str) -> None:
    """Fill the Rev AI form's standard fields; the region keeps its default."""
    page.get_by_label("Connection ID").fill(conn_id)
    page.locator("input[name=host]").fill(host)
    if port is not None:
        page.locator("input[name=port]").fill(str(port))
    page.locator("input[name=password]").fill(token)


def save_connection(page: Any, conn_id: str) -> None:
    """Press *Save* and wait until the connection list shows ``conn_id``."""
    page.get_by_role("button", name="Save").click()
    page.get_by_role("row").filter(has_text=conn_id).wait_for()


def press_row_test(page: Any, airflow: Deployment, conn_id: str) -> tuple[int, str]:
    """Press the row's *Test Connection* button; return the HTTP status and the toast's text."""
    page.goto(f"{airflow.api_url}/connections")
    row = page.get_by_role("row").filter(has_text=conn_id)
    with page.expect_response("**/api/v2/connections/test") as answer:
        row.get_by_role("button", name="Test Connection").click()
    toast = page.locator("[data-scope=toast][data-part=root]").last
    toast.wait_for()
    return answer.value.status, str(toast.inner_text())


def task_details_url(airflow: Deployment, run_id: str, task_id: str) -> str:
    """Return the UI address of a task instance's *Details* tab (where extra links show)."""
    return f"{airflow.api_url}/dags/{DAG_ID}/runs/{run_id}/tasks/{task_id}/details"
