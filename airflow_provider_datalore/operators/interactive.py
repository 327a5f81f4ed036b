"""``DataloreRunInteractiveOperator``: a notebook run in interactive mode, with parameters, a wait and outputs."""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator, conf

# A DAG file imports this module on every parse: only what defines the classes is imported here.
from airflow_provider_datalore.connection_form import DEFAULT_CONN_ID
from airflow_provider_datalore.lineage_record import DataloreLineageMixin, LineageRecord
from airflow_provider_datalore.links.datalore import (
    NOTEBOOK_URL_XCOM_KEY,
    REPORT_URL_XCOM_KEY,
    DataloreNotebookLink,
    DataloreReportLink,
)
from airflow_provider_datalore.task_hook import DataloreTaskHookMixin
from airflow_provider_datalore.waiting import DEFERRAL_GRACE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_datalore.events import InteractiveRunEvent
    from airflow_provider_datalore.notebook_api.execution import ExecutionSnapshot


class DataloreRunInteractiveOperator(DataloreLineageMixin, DataloreTaskHookMixin, BaseOperator):
    """
    Run a Datalore notebook interactively: set its controls, run every cell, wait, and return cell outputs.

    The notebook's own cells are computed (its outputs updated in place), in the notebook's kernel.
    Steps, each after the one before succeeded:

    1. Read the notebook's cells (Notebook API, Datalore 2026.2+) and check every ``parameters`` value
       against the control cell whose ``variable`` it names, and every ``output_cells`` reference.
       A bad value or reference fails the task here: nothing is changed, nothing runs.
    2. Set the controls (``/cell/controls/update``). They keep the new values in the notebook afterwards,
       as if set by hand; two runs of one notebook at once share its kernel and its controls, so the
       last values set win for both: do not run one notebook from two tasks at a time.
    3. Start the run (the Run API's interactive run: every cell, in order). Not retried, and not by
       Airflow's task retries either if its answer is lost: the notebook may be running.
    4. With ``wait_for_termination``: wait until every runnable cell has run in this run (deferred to the
       triggerer with ``deferrable``). A cell that ends ``ERROR`` fails the task with its position, error
       and traceback; ``WARNING`` counts as success. At ``timeout`` the kernel is interrupted and the task
       fails, saying what was still running; so it is when the task is killed or its
       ``execution_timeout`` passes.
    5. On success: push ``cell_outputs`` (one entry per ``output_cells`` reference) and, with
       ``publish_report``, publish the report (XCom ``report``).

    :param notebook_id: ``"owner/notebook"`` or the notebook's URL. (templated)
    :param parameters: Values for the notebook's controls, by their variable: ``{"region": "EMEA"}`` or
        ``[{"name": "region", "value": "EMEA"}]``. A checkbox takes a bool, a slider a number within its
        range, a dropdown one of its items (a list of them if multi-select), a date picker an ISO date
        or date (a pair for a range), a text input a string. None leaves a control as it is. (templated)
    :param output_cells: Cells whose outputs go to XCom ``cell_outputs``: a cell id, or a text that one
        code cell's source contains, or a list of them. Each entry: ``status``, ``execution_count``,
        ``outputs``, ``stdout``, ``stderr``, ``error``, ``truncated`` and ``value`` (the text of the
        cell's last ``LAST_EXPRESSION`` or ``TEXT`` output). Needs ``wait_for_termination``. (templated)
    :param publish_report: ``"STATIC"`` or ``"INTERACTIVE"``: publish that report after a successful run
        (its publication updated, or created when there is none). Needs ``wait_for_termination``. (templated)
    :param wait_for_termination: Wait for the run to finish (default). False: succeed once it started.
    :param deferrable: Wait in the triggerer, freeing the worker slot.
    :param poll_interval: Seconds between polls of the kernel's status.
    :param timeout: How long to wait at most: a ``timedelta`` or seconds.
    :param request_timeout: How long the start request may take (default: the connection's timeout).
    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    :param hook_params: The hook's retry settings for this task's requests (``retry_limit``,
        ``retry_delay``, ``retry_max_delay``).
    """

    template_fields: Sequence[str] = ("notebook_id", "parameters", "output_cells", "publish_report")
    template_fields_renderers = {"parameters": "json"}
    operator_extra_links = (DataloreNotebookLink(), DataloreReportLink())
    ui_color = "#6B57FF"
    ui_fgcolor = "#FFFFFF"

    def __init__(
        self,
        *,
        notebook_id: str,
        parameters: dict[str, Any] | list[dict[str, Any]] | None = None,
        output_cells: str | list[str] | None = None,
        publish_report: str | None = None,
        wait_for_termination: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10,
        timeout: datetime.timedelta | float = datetime.timedelta(hours=24),
        request_timeout: datetime.timedelta | float | None = None,
        datalore_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.notebook_id = notebook_id
        self.parameters = parameters
        self.output_cells = output_cells
        self.publish_report = publish_report
        self.wait_for_termination = wait_for_termination
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.request_timeout = request_timeout
        self.datalore_conn_id = datalore_conn_id
        self.hook_params = hook_params

    def execute(self, context: Context) -> dict[str, Any] | None:
        """Check, set the controls, start the run, and wait as configured."""
        from airflow_provider_datalore import interactive_runs
        from airflow_provider_datalore.checks import check_bool, check_seconds
        from airflow_provider_datalore.notebook_api.references import check_output_cells
        from airflow_provider_datalore.urls import normalize_notebook_id

        self._lineage = None
        poll_seconds = check_seconds("poll_interval", self.poll_interval)
        timeout_seconds = check_seconds("timeout", self.timeout)
        wait = check_bool("wait_for_termination", self.wait_for_termination)
        start_timeout = (
            None if self.request_timeout is None else check_seconds("request_timeout", self.request_timeout)
        )
        output_cells = [] if self.output_cells is None else check_output_cells(self.output_cells)
        report_type = interactive_runs.check_publish_report(self.publish_report)
        if not wait and (output_cells or report_type):
            raise ValueError(
                "output_cells and publish_report need wait_for_termination=True: they are read and done "
                "once the run has finished"
            )
        notebook_id = self._notebook_id = normalize_notebook_id(self.notebook_id, base_url=self.hook.base_url)
        context["ti"].xcom_push(key=NOTEBOOK_URL_XCOM_KEY, value=self.hook.notebook_url(notebook_id))
        self._lineage = self._new_record(notebook_id)
        prepared = interactive_runs.prepare(self.hook, notebook_id, self.parameters, output_cells, wait=wait)
        interactive_runs.set_controls(self.hook, notebook_id, prepared.updates)

        self._started = True  # from here on, a kill interrupts: the start may be running the notebook
        self.hook.run_notebook_interactive(notebook_id, timeout=start_timeout)
        if not wait or prepared.snapshot is None:
            return None
        if self.deferrable:
            from airflow_provider_datalore.triggers.interactive import DataloreInteractiveRunTrigger

            self.defer(
                trigger=DataloreInteractiveRunTrigger(
                    notebook_id=notebook_id,
                    snapshot=prepared.snapshot.to_json(),
                    datalore_conn_id=self.datalore_conn_id,
                    poll_interval=poll_seconds,
                    end_time=time.time() + timeout_seconds,
                    hook_params=self.hook_params,
                    references=prepared.references,
                ),
                method_name="execute_complete",
                timeout=datetime.timedelta(seconds=timeout_seconds) + DEFERRAL_GRACE,
            )
        event = self._wait_here(notebook_id, prepared.snapshot, poll_seconds, timeout_seconds)
        return self._finish(context, event, prepared.references)

    def _new_record(self, notebook_id: str) -> LineageRecord:
        """The lineage record of a try: the notebook, run interactively (no run id, no artifacts)."""
        return LineageRecord(
            notebook_id=notebook_id, notebook_url=self.hook.notebook_url(notebook_id), interactive=True
        )

    def _wait_here(
        self, notebook_id: str, snapshot: ExecutionSnapshot, poll_seconds: float, timeout_seconds: float
    ) -> InteractiveRunEvent:
        """Poll on the worker until the run has finished or ``timeout_seconds`` passed (the trigger's loop)."""
        from airflow_provider_datalore.events import InteractiveRunEvent
        from airflow_provider_datalore.exceptions import DataloreError

        deadline = time.monotonic() + timeout_seconds
        last = None
        while True:
            try:
                progress = self.hook.get_interactive_progress(
                    notebook_id, snapshot, timeout=max(deadline - time.monotonic(), 1.0)
                )
            except DataloreError as err:
                return InteractiveRunEvent.stopped(notebook_id, str(err))
            if progress.is_terminal:
                return InteractiveRunEvent.finished(notebook_id, progress)
            if last is None or progress.kernel_state != last.kernel_state:
                self.log.info("Datalore notebook %s: %s.", notebook_id, progress.describe())
            last = progress
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return InteractiveRunEvent.timed_out(notebook_id, progress)
            time.sleep(min(poll_seconds, remaining))

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Turn the trigger's event into the task's result, or interrupt and raise."""
        from airflow_provider_datalore.events import InteractiveRunEvent

        self._started = True
        parsed = InteractiveRunEvent.from_payload(event)
        self._notebook_id = parsed.notebook_id
        self._lineage = self._new_record(parsed.notebook_id)
        references = event.get("references")
        return self._finish(context, parsed, references if isinstance(references, dict) else {})

    def _finish(
        self, context: Context, event: InteractiveRunEvent, references: dict[str, str]
    ) -> dict[str, Any]:
        from airflow_provider_datalore import interactive_runs
        from airflow_provider_datalore.events import RunEventStatus
        from airflow_provider_datalore.exceptions import (
            DataloreError,
            DataloreRunFailedError,
            DataloreRunTimeoutError,
        )
        from airflow_provider_datalore.notebook_api.execution import Progress

        notebook_id = event.notebook_id
        progress = Progress.from_json(event.progress) if event.progress else None
        if event.status in (RunEventStatus.SUCCESS, RunEventStatus.FAILED):
            self.lineage_record().interactive_state = event.status.value
        if event.status is RunEventStatus.SUCCESS:
            self._started = False
            self.log.info("%s.", event.message)
            outputs = interactive_runs.cell_outputs(self.hook, notebook_id, references)
            context["ti"].xcom_push(key="cell_outputs", value=outputs)
            result: dict[str, Any] = {
                "notebook_id": notebook_id,
                "notebook_url": self.hook.notebook_url(notebook_id),
                "cell_outputs": outputs,
            }
            if self.publish_report:
                result["report"] = interactive_runs.publish(self.hook, notebook_id, self.publish_report)
                context["ti"].xcom_push(key="report", value=result["report"])
                if result["report"]["url"]:
                    context["ti"].xcom_push(key=REPORT_URL_XCOM_KEY, value=result["report"]["url"])
            return result
        if event.status is RunEventStatus.FAILED and progress is not None:
            self._started = False  # a cell ended ERROR: nothing runs after it
            raise DataloreRunFailedError(
                interactive_runs.failure_message(self.hook, notebook_id, progress, event.message)
            )
        stopped = interactive_runs.interrupt(self.hook, notebook_id, f"the wait ended: {event.status}")
        self._started = False
        if event.status is RunEventStatus.TIMEOUT:
            raise DataloreRunTimeoutError(f"{event.message}. {stopped}")
        raise DataloreError(f"{event.message}. {stopped}")

    def on_kill(self) -> None:
        """Interrupt the notebook's computation: the task was killed, or its execution_timeout passed."""
        if not getattr(self, "_started", False):
            return
        from airflow_provider_datalore import interactive_runs

        notebook_id = getattr(self, "_notebook_id", None) or self.notebook_id
        interactive_runs.interrupt(self.hook, notebook_id, "the task was killed")
