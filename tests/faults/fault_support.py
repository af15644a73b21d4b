"""Helpers of the fault-injection tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest.mock import MagicMock

#: Figures the tests measured, printed at the end of the run (``make test`` shows them).
REPORT: list[str] = []


def task_context(
    try_number: int = 1,
    *,
    dag_id: str = "faults",
    run_id: str = "scheduled__2026-11-24",
    task_id: str = "submit",
    map_index: int = -1,
    started: datetime | None = None,
) -> dict[str, Any]:
    """The parts of an Airflow context the provider reads, for one try of one task instance."""
    ti = MagicMock(dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index, try_number=try_number)
    dag_run = MagicMock(start_date=started or datetime.now(UTC))
    return {"ti": ti, "dag_run": dag_run}


def pushed(context: dict[str, Any]) -> dict[str, Any]:
    """What a task pushed to XCom, by key."""
    return {c.kwargs["key"]: c.kwargs["value"] for c in context["ti"].xcom_push.call_args_list}
