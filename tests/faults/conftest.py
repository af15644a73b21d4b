"""Fault-injection tests: the emulator as ``revai_default``, task contexts, and a report of figures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from faults.fault_support import REPORT

from airflow_provider_rev.emulator import RevAIEmulator


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("fault injection figures")
        for line in REPORT:
            terminalreporter.write_line(line)


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[RevAIEmulator]:
    """An emulator whose jobs take one second, configured as ``revai_default``."""
    with RevAIEmulator(processing_seconds=1.0) as emulator:
        conn = {"conn_type": "revai", "host": emulator.base_url, "password": emulator.token}
        monkeypatch.setenv("AIRFLOW_CONN_REVAI_DEFAULT", json.dumps(conn))
        yield emulator
