"""The "Rev AI job" extra link shown on the submit operator and the sensor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context
    from airflow.sdk.types import TaskInstanceKey

JOB_URL_XCOM_KEY = "revai_job_url"


class RevAIJobLink(BaseOperatorLink):
    """Link to the task's Rev AI job, read from XCom so it works per map index and mid-wait."""

    name = "Rev AI job"

    @staticmethod
    def remember(context: Context, url: str) -> None:
        """Push the job's URL for the link; called before any waiting or deferring."""
        context["ti"].xcom_push(key=JOB_URL_XCOM_KEY, value=url)

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        """Return the job URL pushed by the task, or ``""`` before it has one."""
        url = XCom.get_value(key=JOB_URL_XCOM_KEY, ti_key=ti_key)
        return url if isinstance(url, str) else ""
