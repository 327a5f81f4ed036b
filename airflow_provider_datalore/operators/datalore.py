"""Operators that run Datalore notebooks: ``DataloreRunNotebookOperator`` and ``DataloreRunInteractiveOperator``."""

from __future__ import annotations

import datetime
import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator, ResumableJobMixin, conf

from airflow_provider_datalore.connection_form import DEFAULT_CONN_ID
from airflow_provider_datalore.links.datalore import NOTEBOOK_URL_XCOM_KEY, DataloreNotebookLink

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_datalore.hooks.datalore import DataloreHook
    from airflow_provider_datalore.run import DataloreRun

#: Extra time Airflow's own deferral timeout allows beyond the trigger's deadline, so that the trigger's
#: clearer "timeout" event arrives first.
DEFERRAL_GRACE = datetime.timedelta(minutes=5)


class DataloreRunWaitMixin:
    """
    What the operator and the sensor share: the hook, the deferral to the trigger, and the one path from
    a finished wait (a trigger event or a sync poll) to the task's result or error.
    """

    datalore_conn_id: str
    if TYPE_CHECKING:
        log: Any
        defer: Any  # BaseOperator.defer

    @cached_property
    def hook(self) -> DataloreHook:
        """The hook for ``datalore_conn_id``."""
        from airflow_provider_datalore.hooks.datalore import DataloreHook

        return DataloreHook(datalore_conn_id=self.datalore_conn_id)

    def defer_until_finished(self, run_id: str, poll_seconds: float, timeout_seconds: float) -> None:
        """Hand the waiting to the triggerer, with an absolute deadline ``timeout_seconds`` from now."""
        from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger

        self.defer(
            trigger=DataloreRunStatusTrigger(
                run_id=run_id,
                datalore_conn_id=self.datalore_conn_id,
                poll_interval=poll_seconds,
                end_time=time.time() + timeout_seconds,
            ),
            method_name="execute_complete",
            timeout=datetime.timedelta(seconds=timeout_seconds) + DEFERRAL_GRACE,
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Turn the trigger's event into the task's result, or raise for failure, timeout or error."""
        from airflow_provider_datalore.run import DataloreRun

        run = DataloreRun.from_dict(event["run"]) if event.get("run") else None
        return self.finish_run(context, event["status"], event.get("message") or "", run)

    def finish_run(
        self, context: Context, status: str, message: str, run: DataloreRun | None
    ) -> dict[str, Any]:
        """
        Return the finished run as a dict and push its artifacts to XCom; raise unless it succeeded.

        :param status: ``success``, ``failed``, ``timeout`` or ``error``.
        :param message: What happened, naming the run and notebook.
        :param run: The run as last seen, if any.
        """
        from airflow_provider_datalore.exceptions import (
            DataloreError,
            DataloreRunFailedError,
        )

        if status == "success" and run is not None:
            ti = context["ti"]
            ti.xcom_push(key="artifacts", value=[artifact.to_dict() for artifact in run.artifacts])
            if run.notebook_url:
                ti.xcom_push(key=NOTEBOOK_URL_XCOM_KEY, value=run.notebook_url)
            self.log.info(
                "%s. Artifacts: %s", message, [artifact.url or artifact.name for artifact in run.artifacts]
            )
            return run.to_dict()
        if status == "failed":
            raise self.failure_error(DataloreRunFailedError(message))
        if status == "timeout":
            raise self.timeout_error(message)
        raise self.failure_error(
            DataloreError(message or f"Unexpected event from the Datalore trigger: {status!r}")
        )

    def failure_error(self, error: Exception) -> Exception:
        """Return what to raise when the run failed (sensors may turn it into a skip)."""
        return error

    def timeout_error(self, message: str) -> Exception:
        """Return what to raise when waiting ran out."""
        from airflow_provider_datalore.exceptions import DataloreRunTimeoutError

        return DataloreRunTimeoutError(message)


class DataloreRunNotebookOperator(DataloreRunWaitMixin, ResumableJobMixin, BaseOperator):
    """
    Run a Datalore notebook through the Run API and, by default, wait for the run to finish.

    The run id and the notebook URL are pushed to XCom (``run_id``, ``notebook_url``) as soon as the run
    starts. When the run succeeds, the task returns the run as a dict (``run_id``, ``notebook_id``,
    ``success``, ``start_time``, ``end_time``, ``artifacts`` and more) and pushes ``artifacts``. A failed
    run fails the task. A timeout fails the task but not the run: the Run API cannot stop a run, so it goes
    on in Datalore.

    On Airflow >= 3.3 a retried try does not start a duplicate: the run id is kept in the task state store,
    and the new try re-attaches to a run still in progress, returns a run that already succeeded, and
    starts a new run only after a failed one. Below 3.3 every try starts a new run.

    :param notebook_id: ``"owner/notebook"`` or the notebook's URL. (templated)
    :param parameters: Values for the notebook's interactive controls, ``{variable: value}`` or
        ``[{"name": variable, "value": value}]``; sent as strings. (templated)
    :param update_report: True or ``"on success"`` to update the published report when the run
        succeeds; False or ``"never"``; None leaves Datalore's default (never). (templated)
    :param direct_file_storage_write: True to save run data to the notebook's files instead of isolated
        run storage; None leaves Datalore's default (false).
    :param wait_for_termination: Wait for the run to finish; False returns the run id at once.
    :param deferrable: Wait in the triggerer, freeing the worker slot. Defaults to
        ``[operators] default_deferrable``.
    :param poll_interval: Seconds between status checks.
    :param timeout: How long to wait for the run: a ``timedelta`` or seconds (default 24 hours).
    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    """

    template_fields: Sequence[str] = ("notebook_id", "parameters", "update_report")
    template_fields_renderers = {"parameters": "json"}
    operator_extra_links = (DataloreNotebookLink(),)
    ui_color = "#6B57FF"
    ui_fgcolor = "#FFFFFF"
    external_id_key = "datalore_run_id"

    def __init__(
        self,
        *,
        notebook_id: str,
        parameters: dict[str, Any] | list[dict[str, Any]] | None = None,
        update_report: bool | str | None = None,
        direct_file_storage_write: bool | None = None,
        wait_for_termination: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10,
        timeout: datetime.timedelta | float = datetime.timedelta(hours=24),
        datalore_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.notebook_id = notebook_id
        self.parameters = parameters
        self.update_report = update_report
        self.direct_file_storage_write = direct_file_storage_write
        self.wait_for_termination = wait_for_termination
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.datalore_conn_id = datalore_conn_id
        self._result: dict[str, Any] | None = None

    def execute(self, context: Context) -> Any:
        """Check every argument, start the run (or re-attach to it) and wait as configured."""
        from airflow_provider_datalore.hooks.datalore import check_seconds

        self._poll_seconds = check_seconds("poll_interval", self.poll_interval)
        self._timeout_seconds = check_seconds("timeout", self.timeout)
        if not isinstance(self.wait_for_termination, bool):
            raise ValueError(
                f"wait_for_termination {self.wait_for_termination!r} is not valid; expected True or False"
            )
        self._request = self.hook.build_run_request(
            self.notebook_id, self.parameters, self.update_report, self.direct_file_storage_write
        )
        # Known before any request: the "Datalore notebook" link works even if starting fails.
        context["ti"].xcom_push(
            key=NOTEBOOK_URL_XCOM_KEY, value=self.hook.notebook_url(self._request["notebookId"])
        )
        if not self.wait_for_termination:
            return self.submit_job(context)
        return self.execute_resumable(context)

    # -- ResumableJobMixin -------------------------------------------------------------------------

    def submit_job(self, context: Context) -> str:
        """Start the run; push ``run_id`` and ``notebook_url`` to XCom before any waiting."""
        request = self._request
        run_id = self.hook.run_notebook(
            request["notebookId"],
            request.get("parameters"),
            request.get("updateReport"),
            request.get("directFileStorageWrite"),
        )
        self._remember_run(context, run_id)
        return run_id

    def get_job_status(self, external_id: Any, context: Context) -> str:
        """Return ``running``, ``success`` or ``failed`` for a run a previous try started."""
        self._remember_run(context, str(external_id))
        run = self.hook.get_run(str(external_id))
        self.log.info("A previous try started Datalore run %s: %s.", external_id, run.describe())
        if run.is_successful:
            self._result = self.finish_run(context, run.state, run.describe(), run)
        return run.state

    def is_job_active(self, status: str) -> bool:
        return status == "running"

    def is_job_succeeded(self, status: str) -> bool:
        return status == "success"

    # Returns the result although the mixin declares None: on re-attach, Airflow 3.3's execute_resumable
    # returns what this method returns.
    def poll_until_complete(self, external_id: Any, context: Context) -> dict[str, Any]:  # type: ignore[override]
        """Wait for the run: defer to the triggerer, or poll here; return the result."""
        run_id = str(external_id)
        self._remember_run(context, run_id)
        if self.deferrable:
            run = self.hook.get_run(run_id)
            if not run.is_finished:
                self.log.info("%s; waiting in the triggerer.", run.describe())
                self.defer_until_finished(run_id, self._poll_seconds, self._timeout_seconds)
        else:
            run = self.hook.wait_for_run(run_id, self._poll_seconds, self._timeout_seconds)
        self._result = self.finish_run(context, run.state, run.describe(), run)
        return self._result

    def get_job_result(self, external_id: Any, context: Context) -> dict[str, Any]:
        if self._result is None:
            run = self.hook.get_run(str(external_id))
            self._result = self.finish_run(context, run.state, run.describe(), run)
        return self._result

    # -- helpers -----------------------------------------------------------------------------------

    def _remember_run(self, context: Context, run_id: str) -> None:
        """Push ``run_id`` to XCom (once per try) and log where the run is."""
        if getattr(self, "_run_id", None) == run_id:
            return
        notebook_url = self.hook.notebook_url(self._request["notebookId"])
        context["ti"].xcom_push(key="run_id", value=run_id)
        self._run_id = run_id
        self.log.info("Datalore run %s of notebook %s: %s", run_id, self._request["notebookId"], notebook_url)

    def on_kill(self) -> None:
        """Say that the run goes on: the Run API cannot stop a run."""
        run_id = getattr(self, "_run_id", None)
        if run_id:
            self.log.warning(
                "Task killed while waiting for Datalore run %s. The run goes on in Datalore: the Run API "
                "has no way to stop it.",
                run_id,
            )


class DataloreRunInteractiveOperator(BaseOperator):
    """
    Run a Datalore notebook in interactive mode, updating its outputs in place.

    Datalore returns no run id and no artifacts for an interactive run, so there is nothing to wait for:
    the task succeeds as soon as Datalore accepts the request.

    :param notebook_id: ``"owner/notebook"`` or the notebook's URL. (templated)
    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    """

    template_fields: Sequence[str] = ("notebook_id",)
    operator_extra_links = (DataloreNotebookLink(),)
    ui_color = "#6B57FF"
    ui_fgcolor = "#FFFFFF"

    def __init__(self, *, notebook_id: str, datalore_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.notebook_id = notebook_id
        self.datalore_conn_id = datalore_conn_id

    def execute(self, context: Context) -> None:
        from airflow_provider_datalore.hooks.datalore import DataloreHook

        hook = DataloreHook(datalore_conn_id=self.datalore_conn_id)
        notebook_url = hook.notebook_url(self.notebook_id)
        context["ti"].xcom_push(key=NOTEBOOK_URL_XCOM_KEY, value=notebook_url)
        hook.run_notebook_interactive(self.notebook_id)
