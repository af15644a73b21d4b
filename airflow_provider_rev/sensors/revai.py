"""The sensor that waits for a Rev AI job in poke, reschedule or deferrable mode."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowSensorTimeout,
    BaseSensorOperator,
    PokeReturnValue,
    conf,
)

from airflow_provider_rev.exceptions import RevAITransientError, RevAIWaitTimeoutError
from airflow_provider_rev.hooks.revai import RevAIHook
from airflow_provider_rev.links import RevAIJobLink
from airflow_provider_rev.options import validate_job_id
from airflow_provider_rev.triggers.revai import TranscriptTrigger
from airflow_provider_rev.waiting import (
    deferral_message,
    describe,
    is_done,
    job_from_event,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class TranscriptSensor(BaseSensorOperator):
    """Wait until a Rev AI job is ``transcribed``; fail at once, without retries, if it ``failed``.

    A job submitted with ``summarization_config`` or ``translation_config`` is also waited
    for until its summary and every translation have left ``in_progress``, so a fetch right
    after this sensor finds them ready (``wait_for_subjobs=False``: the transcript only). A
    failed sub-job does not fail the sensor: fetching that output does, naming it.

    The job's details (a dict, as :meth:`~airflow_provider_rev.models.Job.to_dict` returns)
    become the XCom return value. ``poke_interval`` is the polling interval in every mode,
    deferrable included; ``timeout`` bounds the whole wait and raises
    ``AirflowSensorTimeout`` (or skips with ``soft_fail=True``).

    :param job_id: the job to wait for, e.g. ``"{{ ti.xcom_pull(task_ids='submit') }}"``.
    :param revai_conn_id: the ``revai`` connection.
    :param deferrable: wait in the triggerer instead of a worker slot (default from
        ``[operators] default_deferrable``).
    :param wait_for_subjobs: also wait for the job's summary and translations.
    :param shared_polling: when deferred on Airflow 3.3+, share one poll loop with every job
        waiting on the same connection (``False``: this job polls on its own, for debugging).
    """

    template_fields: Sequence[str] = ("job_id", "revai_conn_id")
    operator_extra_links = (RevAIJobLink(),)
    ui_color = "#e8f1fb"

    def __init__(
        self,
        *,
        job_id: str,
        revai_conn_id: str = RevAIHook.default_conn_name,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        wait_for_subjobs: bool = True,
        shared_polling: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.wait_for_subjobs = wait_for_subjobs
        self.shared_polling = shared_polling
        self.job_id = job_id
        self.revai_conn_id = revai_conn_id
        self.deferrable = deferrable

    @cached_property
    def hook(self) -> RevAIHook:
        """The hook for ``revai_conn_id``."""
        return RevAIHook(self.revai_conn_id)

    def poke(self, context: Context) -> PokeReturnValue | bool:
        """Check the job once; a transient API error counts as "not yet"."""
        job_id = validate_job_id(self.job_id)
        RevAIJobLink.remember(context, self.hook.settings.job_url(job_id))
        try:
            job = self.hook.get_job(job_id)
        except RevAITransientError as exc:
            self.log.warning("Rev AI job %s: %s; will check again", job_id, exc)
            return False
        self.log.info(describe(job))
        if is_done(job, self.wait_for_subjobs):
            return PokeReturnValue(is_done=True, xcom_value=job.to_dict())
        return False

    def execute(self, context: Context) -> Any:
        """Poke (or reschedule) on the worker, or check once and defer to the triggerer."""
        RevAIJobLink.begin(context)
        if not self.deferrable:
            return super().execute(context)
        result = self.poke(context)
        if isinstance(result, PokeReturnValue) and result.is_done:
            return result.xcom_value
        self.log.info(deferral_message("job", self.job_id, self.poke_interval, self.timeout))
        self.defer(
            trigger=TranscriptTrigger(
                job_id=validate_job_id(self.job_id),
                revai_conn_id=self.revai_conn_id,
                poll_interval=self.poke_interval,
                end_time=time.time() + self.timeout,
                first_check_at=time.time() + self.poke_interval,
                wait_for_subjobs=self.wait_for_subjobs,
                shared_polling=self.shared_polling,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Resume after the trigger fired: return the job, or raise what the event means."""
        try:
            job = job_from_event(event)
        except RevAIWaitTimeoutError as exc:
            raise AirflowSensorTimeout(str(exc)) from exc
        self.log.info("Resumed from the triggerer: %s", describe(job))
        return job.to_dict()
