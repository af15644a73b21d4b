"""Helpers of the fault-injection tests."""

from __future__ import annotations

from support import pushed, task_context

#: Figures the tests measured, printed at the end of the run (``make test`` shows them).
REPORT: list[str] = []


__all__ = ["REPORT", "pushed", "task_context"]
