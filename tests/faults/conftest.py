"""Fault-injection tests: a report of the figures they measured (the ``emu`` fixture is the suite's)."""

from __future__ import annotations

from typing import Any

from faults.fault_support import REPORT


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT:
        terminalreporter.section("fault injection figures")
        for line in REPORT:
            terminalreporter.write_line(line)
