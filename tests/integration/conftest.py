"""Real Airflow deployments: api-server, scheduler, dag-processor and triggerer as processes.

The whole directory is skipped below Airflow 3.3 (``make test-floor`` runs 3.1): these tests
exercise 3.3's shared trigger streams. The ``deployments`` fixture starts each named
deployment once per session and stops them all at the end, whatever happened; the figures
the tests measured are printed in the terminal summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import airflow
import pytest
from packaging.version import Version

if Version(Version(airflow.__version__).base_version) < Version("3.3"):
    pytest.skip(f"real deployments need Airflow 3.3+, not {airflow.__version__}", allow_module_level=True)

from integration.harness import REPORT, Deployments  # noqa: E402


@pytest.fixture(scope="session")
def deployments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployments]:
    """Start real deployments by name (``deployments.start(name, spec)``), each once per session.

    Everything they started is stopped when the session ends, also after a failure.
    """
    registry = Deployments(tmp_path_factory.mktemp("deployments"))
    try:
        yield registry
    finally:
        registry.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("real Airflow deployment figures")
        for line in REPORT:
            terminalreporter.write_line(line)
