"""docs/local.md's copy-paste block, run as a user would: in an empty folder, in bash."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "local.md"


def the_block() -> str:
    match = re.search(
        r"<!-- tested: tests/test_docs_local_run.py -->\n```bash\n(.*?)\n```", PAGE.read_text(), re.S
    )
    assert match, "docs/local.md lost its tested bash block"
    return match.group(1)


def test_the_run_your_own_dag_block_runs_as_pasted(tmp_path: Path) -> None:
    # A user's shell: this virtualenv's `python` and `airflow` first on PATH, none of the
    # suite's Airflow settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "AIRFLOW__", "PYTEST"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-e", "-c", the_block()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "waiting in the triggerer" in done.stdout and "Resumed from the triggerer" in done.stdout
    captions = (tmp_path / "transcripts" / "call.srt").read_text()
    assert re.search(r"^1\n00:00:00,\d{3} --> .*\nThanks for calling\.", captions, re.M), captions
    assert "Happy to help." in captions and captions in done.stdout  # the block's `cat`
    assert "no sidecar" not in (tmp_path / "emulator.log").read_text()
