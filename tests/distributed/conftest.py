"""A production-shaped deployment: CeleryExecutor, PostgreSQL, Redis, two workers, two triggerers.

Run by ``make test-distributed`` only (the ``distributed`` marker is deselected by default, so
``make test`` does not start it); skipped below Airflow 3.3 like ``tests/integration``. The
figures the scenarios measured are printed in the terminal summary.
"""

from __future__ import annotations

import signal
from typing import Any

import airflow
import pytest
from packaging.version import Version

if Version(Version(airflow.__version__).base_version) < Version("3.3"):
    pytest.skip(
        f"the distributed deployment needs Airflow 3.3+, not {airflow.__version__}", allow_module_level=True
    )

from distributed.cluster import FIGURES  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """Turn SIGTERM (a CI timeout, ``kill``) into KeyboardInterrupt, so the deployment is still stopped."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("distributed deployment figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
