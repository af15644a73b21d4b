"""Take the screenshots of docs/ui.md: ``make docs-screenshots``.

Starts the test suite's real deployment (tests/integration/harness.py: api-server,
scheduler, dag-processor, triggerer) and the emulator, drives headless Chromium
(``/usr/bin/chromium``, see scripts/browser_deps.sh) with Playwright through the same steps
as tests/integration/test_web_ui.py, and saves 1280x800 PNGs into docs/_static/screenshots/.
Everything it starts is stopped when it ends.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]

from integration.harness import Deployment, port_is_free  # noqa: E402
from integration.webui import (  # noqa: E402
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
from support import MediaServer  # noqa: E402

from airflow_provider_rev.emulator import RevAIEmulator, serve_media  # noqa: E402

OUT = ROOT / "docs" / "_static" / "screenshots"
#: Jobs finish only when the script advances the emulator's clock (after the "deferred" shot).
JOB_SECONDS = 3600.0


def main() -> int:
    """Take every screenshot; return the process exit code."""
    if (reason := chromium_missing()) is not None:
        print(reason, file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="docs-screenshots-"))
    media_folder = work / "media"
    media_folder.mkdir()
    with (
        RevAIEmulator(processing_seconds=JOB_SECONDS, port=8808 if port_is_free(8808) else 0) as emu,
        serve_media(media_folder) as media_root,
        Deployment(web_ui_spec(emu.base_url, emu.token), work / "deployment") as airflow,
        browser_page(airflow) as page,
    ):
        port = urlsplit(emu.base_url).port

        def shot(name: str) -> None:
            page.wait_for_timeout(500)  # let transitions settle
            page.screenshot(path=str(OUT / f"{name}.png"))
            print(f"saved {OUT / name}.png")

        open_connection_form(page, airflow)
        shot("connection_form")  # empty: the placeholders show
        fill_connection(page, "revai_default", "http://127.0.0.1", port, emu.token)
        show_extra_fields(page)
        shot("connection_form_region")
        save_connection(page, "revai_default")
        press_row_test(page, airflow, "revai_default")
        shot("connection_test")

        airflow.wait_for_dag(DAG_ID)
        airflow.api.unpause(DAG_ID)
        url = MediaServer(media_folder, media_root).add("call", 1.5, "Speaker 0: Hello from the docs.")
        run_id = airflow.api.trigger(DAG_ID, conf={"media_url": url})

        def deferred() -> bool:
            states = {ti.task_id: ti.state for ti in airflow.api.task_instances(DAG_ID, run_id)}
            return states.get("wait") == "deferred"

        airflow.wait_until(deferred, 180, lambda: "the sensor never deferred")
        page.goto(f"{airflow.api_url}/dags/{DAG_ID}/runs/{run_id}/tasks/wait")
        page.get_by_text("Deferred").first.wait_for()
        shot("run_deferred")
        page.goto(task_details_url(airflow, run_id, "submit"))
        page.get_by_role("link", name="Rev AI job").wait_for()
        shot("extra_link")
        page.goto(f"{airflow.api_url}/dags/{DAG_ID}/runs/{run_id}")
        page.get_by_role("button", name=re.compile("graph", re.IGNORECASE)).first.click()
        page.wait_for_timeout(2000)
        shot("run_deferred_graph")

        emu.advance_clock(JOB_SECONDS)
        airflow.api.wait_for_run(DAG_ID, run_id, timeout=180)
        job_id = airflow.api.xcom(DAG_ID, run_id, "submit")
        page.goto(f"{emu.base_url}/jobs/{job_id}")
        shot("emulator_job_page")
    return 0


if __name__ == "__main__":
    sys.exit(main())
