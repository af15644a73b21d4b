"""The "Rev AI job" extra link shown on the submit operator and the sensor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context
    from airflow.sdk.types import TaskInstanceKey

JOB_URL_XCOM_KEY = "revai_job_url"

#: The job URL each task try running in this process has remembered ("" before it has one).
_REMEMBERED: dict[tuple[Any, ...], str] = {}


def _try_of(ti: Any) -> tuple[Any, ...]:
    return (ti.dag_id, ti.task_id, ti.run_id, ti.map_index, ti.try_number)


class RevAIJobLink(BaseOperatorLink):
    """Link to the task's Rev AI job, read from XCom so it works per map index and mid-wait."""

    name = "Rev AI job"

    @staticmethod
    def begin(context: Context) -> None:
        """Note that this process runs the try from its start, so it has no job URL yet.

        Airflow computes the link when the try ends, also when it failed before a job existed;
        without this note the link would ask the API server for an XCom that cannot exist, and
        the 404 would add an error line to the log of every failed submit.
        """
        _REMEMBERED.setdefault(_try_of(context["ti"]), "")

    @staticmethod
    def remember(context: Context, url: str) -> None:
        """Push the job's URL for the link; called before any waiting or deferring."""
        context["ti"].xcom_push(key=JOB_URL_XCOM_KEY, value=url)
        _REMEMBERED[_try_of(context["ti"])] = url

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        """Return the job URL pushed by the task, or ``""`` before it has one.

        A try that ran here answers from memory; one resumed from the triggerer reads the XCom
        its first part pushed.
        """
        known = _REMEMBERED.pop(_try_of(ti_key), None)
        if known is not None:
            return known
        url = XCom.get_value(key=JOB_URL_XCOM_KEY, ti_key=ti_key)
        return url if isinstance(url, str) else ""
