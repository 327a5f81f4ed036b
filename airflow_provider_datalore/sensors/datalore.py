"""``DataloreRunStatusSensor``: wait for a Datalore run that another task started."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseSensorOperator, PokeReturnValue, conf

# A DAG file imports this module on every parse: only what defines the classes is imported here, the
# rest where it is used (docs/benchmarks.md, "import cost").
from airflow_provider_datalore.connection_form import DEFAULT_CONN_ID
from airflow_provider_datalore.lineage_record import LineageRecord
from airflow_provider_datalore.links.datalore import NOTEBOOK_URL_XCOM_KEY, DataloreNotebookLink
from airflow_provider_datalore.waiting import DataloreRunWaitMixin

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.providers.common.compat.sdk import Context


class DataloreRunStatusSensor(DataloreRunWaitMixin, BaseSensorOperator):
    """
    Wait for a Datalore run to finish; succeed with the run as the result when it succeeded.

    Typically waits on a run that ``DataloreRunNotebookOperator(wait_for_termination=False)`` started:
    ``run_id="{{ ti.xcom_pull(task_ids='start', key='run_id') }}"``. Deferrable, it checks once and then
    waits in the triggerer. On success it returns the run as a dict and pushes ``artifacts`` to XCom; a
    failed run fails the task (or skips it with ``soft_fail``). A timeout stops the waiting, not the run.

    The sensor knows only a run id, so the notebook it reports (the ``notebook_url`` XCom, the link, the
    result's ``notebook_id``) is the one the status replies name: ``userId/notebookId``. The docs call
    ``userId`` only "Notebook user ID"; where Datalore sends the id of whoever started the run, that URL
    is wrong. The run operator reports the notebook it was asked to run instead.

    :param run_id: The Datalore run to wait for. (templated)
    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    :param deferrable: Wait in the triggerer, freeing the worker slot. Defaults to
        ``[operators] default_deferrable``.
    :param poke_interval: Seconds between status checks (default 10).
    :param timeout: Seconds to wait at most (default 7 days).
    :param soft_fail: Skip the task instead of failing it when the run failed or the wait timed out.
    :param hook_params: The hook's retry settings for this task's requests, in the trigger too:
        ``{"retry_limit": 5, "retry_delay": 1.0, "retry_max_delay": 60.0}`` (any of them; these are the
        defaults).
    """

    template_fields: Sequence[str] = ("run_id",)
    operator_extra_links = (DataloreNotebookLink(),)
    ui_color = "#6B57FF"
    ui_fgcolor = "#FFFFFF"

    def __init__(
        self,
        *,
        run_id: str,
        datalore_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poke_interval: float = 10,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        self.run_id = run_id
        self.datalore_conn_id = datalore_conn_id
        self.deferrable = deferrable
        self.hook_params = hook_params

    def execute(self, context: Context) -> Any:
        """Check once; then wait here (poke) or in the triggerer (deferrable)."""
        from airflow_provider_datalore.checks import check_seconds

        self._lineage = None
        self._poke_seconds = check_seconds("poke_interval", self.poke_interval)
        self._timeout_seconds = check_seconds("timeout", self.timeout)
        if not self.deferrable:
            from airflow.providers.common.compat.sdk import AirflowSensorTimeout

            try:
                return super().execute(context)
            except AirflowSensorTimeout as err:
                raise AirflowSensorTimeout(
                    f"{err} Stopped waiting for Datalore run {self.run_id}; the run goes on in Datalore "
                    "(the Run API cannot stop a run)."
                ) from None
        done = self.poke(context)
        if isinstance(done, PokeReturnValue) and done.is_done:
            return done.xcom_value
        self.defer_until_finished(self.run_id, self._poke_seconds, self._timeout_seconds)

    def poke(self, context: Context) -> bool | PokeReturnValue:
        """Read the run once; when it has finished, return its result or raise for a failed run."""
        from airflow_provider_datalore.events import RunEvent

        run = self.hook.get_run(self.run_id)
        record = self.lineage_record()
        record.run, record.notebook_id = run, run.notebook_id or record.notebook_id
        record.notebook_url = run.notebook_url or record.notebook_url
        if run.notebook_url and not getattr(self, "_link_pushed", False):
            context["ti"].xcom_push(key=NOTEBOOK_URL_XCOM_KEY, value=run.notebook_url)
            self._link_pushed = True
        if not run.is_finished:
            self.log.info("%s.", run.describe())
            return False
        return PokeReturnValue(is_done=True, xcom_value=self.finish(context, RunEvent.finished(run)))

    def new_lineage_record(self) -> LineageRecord:
        """The record of a try: the run waited for (its notebook comes with the status replies)."""
        return LineageRecord(run_id=self.run_id)

    def failure_error(self, error: Exception) -> Exception:
        if self.soft_fail:
            from airflow.providers.common.compat.sdk import AirflowSkipException

            return AirflowSkipException(str(error))
        return error

    def timeout_error(self, message: str) -> Exception:
        from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException

        if self.soft_fail:
            return AirflowSkipException(message)
        return AirflowSensorTimeout(message)
