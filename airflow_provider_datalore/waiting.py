"""``DataloreRunWaitMixin``: what the run operator and the sensor share to wait for a run and finish it."""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING, Any

# A DAG file imports this module on every parse: only what defines the classes is imported here, the
# rest where it is used (docs/benchmarks.md, "import cost").
from airflow_provider_datalore.lineage_record import DataloreLineageMixin, DatasetName
from airflow_provider_datalore.links.datalore import NOTEBOOK_URL_XCOM_KEY
from airflow_provider_datalore.task_hook import DataloreTaskHookMixin

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_datalore.events import RunEvent

#: Extra time Airflow's own deferral timeout allows beyond the trigger's deadline, so that the trigger's
#: clearer "timeout" event arrives first.
DEFERRAL_GRACE = datetime.timedelta(minutes=5)


class DataloreRunWaitMixin(DataloreLineageMixin, DataloreTaskHookMixin):
    """
    The hook, the deferral to the trigger, and the one path from a finished wait (a trigger event or a
    sync poll) to the task's result or error, with the run recorded for the task's lineage.
    """

    if TYPE_CHECKING:
        log: Any
        defer: Any  # BaseOperator.defer

    def defer_until_finished(
        self, run_id: str, poll_seconds: float, timeout_seconds: float, notebook_id: str | None = None
    ) -> None:
        """
        Hand the waiting to the triggerer, with an absolute deadline ``timeout_seconds`` from now.

        :param notebook_id: The run's notebook when the task knows it; else the trigger reads it from the
            status replies.
        """
        from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger

        self.defer(
            trigger=DataloreRunStatusTrigger(
                run_id=run_id,
                datalore_conn_id=self.datalore_conn_id,
                poll_interval=poll_seconds,
                end_time=time.time() + timeout_seconds,
                notebook_id=notebook_id,
                hook_params=self.hook_params,
            ),
            method_name="execute_complete",
            timeout=datetime.timedelta(seconds=timeout_seconds) + DEFERRAL_GRACE,
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Turn the trigger's event into the task's result, or raise for failure, timeout or error."""
        from airflow_provider_datalore.events import RunEvent

        return self.finish(context, RunEvent.from_payload(event))

    def finish(self, context: Context, event: RunEvent) -> dict[str, Any]:
        """
        Return the finished run as a dict and push its artifacts to XCom; raise unless it succeeded.

        :param event: How the wait ended (from the trigger, or made from a sync poll's last read).
        """
        from airflow_provider_datalore.clipping import show
        from airflow_provider_datalore.events import RunEventStatus
        from airflow_provider_datalore.exceptions import DataloreError, DataloreRunFailedError

        run = event.run
        record = self.lineage_record()
        record.run_id = event.run_id or record.run_id
        if run is not None:
            record.run = run
            record.notebook_url = run.notebook_url or record.notebook_url
        if event.status is RunEventStatus.SUCCESS and run is not None:
            # An artifact's path is below the server's URL: the namespace is the server, as for notebook files.
            record.outputs.extend(
                DatasetName(self.hook.base_url, artifact.path) for artifact in run.artifacts
            )
            ti = context["ti"]
            ti.xcom_push(key="artifacts", value=[artifact.to_dict() for artifact in run.artifacts])
            if run.notebook_url:
                ti.xcom_push(key=NOTEBOOK_URL_XCOM_KEY, value=run.notebook_url)
            self.log.info(
                "%s. Artifacts: %s",
                event.message,
                show([artifact.url or artifact.name for artifact in run.artifacts], 2000),
            )
            return run.to_dict()
        if event.status is RunEventStatus.FAILED:
            raise self.failure_error(DataloreRunFailedError(event.message))
        if event.status is RunEventStatus.TIMEOUT:
            raise self.timeout_error(event.message)
        raise self.failure_error(
            DataloreError(event.message or f"Datalore run {event.run_id}: {event.status}")
        )

    def failure_error(self, error: Exception) -> Exception:
        """Return what to raise when the run failed (sensors may turn it into a skip)."""
        return error

    def timeout_error(self, message: str) -> Exception:
        """Return what to raise when waiting ran out."""
        from airflow_provider_datalore.exceptions import DataloreRunTimeoutError

        return DataloreRunTimeoutError(message)
