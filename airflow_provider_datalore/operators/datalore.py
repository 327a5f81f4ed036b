"""
Operators that run Datalore notebooks: ``DataloreRunNotebookOperator`` here, and
``DataloreRunInteractiveOperator`` (from ``operators.interactive``, importable from here as well).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator, ResumableJobMixin, conf

# A DAG file imports this module on every parse: only what defines the classes is imported here, the
# rest where it is used (docs/benchmarks.md, "import cost").
from airflow_provider_datalore.connection_form import DEFAULT_CONN_ID
from airflow_provider_datalore.lineage_record import LineageRecord, file_dataset
from airflow_provider_datalore.links.datalore import NOTEBOOK_URL_XCOM_KEY, DataloreNotebookLink
from airflow_provider_datalore.operators.interactive import DataloreRunInteractiveOperator
from airflow_provider_datalore.waiting import DataloreRunWaitMixin

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_datalore.events import RunEvent
    from airflow_provider_datalore.run_api.run import DataloreRun


class DataloreRunNotebookOperator(DataloreRunWaitMixin, ResumableJobMixin, BaseOperator):
    """
    Run a Datalore notebook through the Run API and, by default, wait for the run to finish.

    The run id and the notebook URL are pushed to XCom (``run_id``, ``notebook_url``) as soon as the run
    starts. When the run succeeds, the task returns the run as a dict (``run_id``, ``notebook_id``,
    ``success``, ``start_time``, ``end_time``, ``artifacts`` and more) and pushes ``artifacts``. A failed
    run fails the task. A timeout fails the task but not the run: the Run API cannot stop a run, so it goes
    on in Datalore.

    A start that may have started a run (a 5xx, a timeout or a lost connection after the request went
    out) fails the task without Airflow's retries, on every Airflow version: a retry would start a second
    run. ``retry_uncertain_start=True`` lets Airflow retry it.

    On Airflow >= 3.3 a retried try does not start a duplicate: the run id is kept in the task state store,
    and the new try re-attaches to a run still in progress, returns a run that already succeeded, and
    starts a new run only after a failed one. A start is recorded there before it is sent, so a try after
    a worker that died mid-start does not start another run either. Below 3.3 every try starts a new run.

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
    :param retry_uncertain_start: Let Airflow retry the task after a start whose outcome is unknown,
        accepting that the retry may start a second run (default False: the task fails, and says where
        to check).
    :param hook_params: The hook's retry settings for this task's requests, in the trigger too:
        ``{"retry_limit": 5, "retry_delay": 1.0, "retry_max_delay": 60.0}`` (any of them; these are the
        defaults).
    :param download_paths: Notebook files to download once the run has succeeded (Notebook API,
        Datalore 2026.2+): a path (``data/notebook_files/out.csv``), a glob, or a list. (templated)
    :param download_to: The folder they go to: a local path or a URI (``s3://bucket/results/``), as
        ``DataloreDownloadFilesOperator`` writes them (flat, complete or not at all); the entries go to
        XCom ``downloads``. (templated)
    :param download_conn_id: The Airflow connection of ``download_to``'s store, if any.
    :param download_artifacts: Also download the run's artifacts (``artifacts[].path``) through the
        Notebook API's ``/file``. The docs do not say a server serves them there; one that does not
        fails the task, saying so.
    :param output_cells: Not available here, and refused before any run: a Run API run computes a copy
        of the notebook whose results are its artifacts (the ``.ipynb``), while the Notebook API reads
        the notebook's own cells, which such a run does not change. Use
        :class:`~airflow_provider_datalore.operators.interactive.DataloreRunInteractiveOperator` with
        ``output_cells``, or download the artifact (``download_artifacts``).
    """

    template_fields: Sequence[str] = (
        "notebook_id",
        "parameters",
        "update_report",
        "download_paths",
        "download_to",
    )
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
        retry_uncertain_start: bool = False,
        hook_params: dict[str, Any] | None = None,
        download_paths: str | list[str] | None = None,
        download_to: Any = None,
        download_conn_id: str | None = None,
        download_artifacts: bool = False,
        output_cells: str | list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.output_cells = output_cells
        self.download_artifacts = download_artifacts
        self.download_paths = download_paths
        self.download_to = download_to
        self.download_conn_id = download_conn_id
        self.retry_uncertain_start = retry_uncertain_start
        self.hook_params = hook_params
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
        from airflow_provider_datalore.checks import check_bool, check_seconds

        self._lineage = None
        if self.output_cells is not None:
            raise ValueError(
                f"output_cells {self.output_cells!r}: a Run API run's cell outputs cannot be read. The run "
                "computes a copy of the notebook (its results are the run's artifacts, the .ipynb), and the "
                "Notebook API reads the notebook's own cells, which the run leaves as they were. Use "
                "DataloreRunInteractiveOperator(output_cells=...), which runs the notebook's own cells, or "
                "download the artifact with download_artifacts=True."
            )
        self._poll_seconds = check_seconds("poll_interval", self.poll_interval)
        self._timeout_seconds = check_seconds("timeout", self.timeout)
        check_bool("wait_for_termination", self.wait_for_termination)
        check_bool("retry_uncertain_start", self.retry_uncertain_start)
        self._request = self.hook.build_run_request(
            self.notebook_id, self.parameters, self.update_report, self.direct_file_storage_write
        )
        self._check_downloads()
        self._lineage = LineageRecord(notebook_id=self._request.notebook_id, notebook_url=self._notebook_url)
        # Known before any request: the "Datalore notebook" link works even if starting fails.
        context["ti"].xcom_push(key=NOTEBOOK_URL_XCOM_KEY, value=self._notebook_url)
        if not self.wait_for_termination:
            return self.submit_job(context)
        return self.execute_resumable(context)

    # -- ResumableJobMixin -------------------------------------------------------------------------

    def submit_job(self, context: Context) -> str:
        """Start the run; push ``run_id`` and ``notebook_url`` to XCom before any waiting."""
        from airflow_provider_datalore.exceptions import (
            DataloreError,
            DataloreRequestError,
            DataloreRunMayHaveStartedError,
        )
        from airflow_provider_datalore.start_record import StartRecord

        record = StartRecord(
            context.get("task_state_store"),
            self._request.notebook_id,
            self._notebook_url,
            getattr(context["ti"], "try_number", None),
        )
        try:
            record.before_start(allow_retry=self.retry_uncertain_start)
            run_id = self.hook.start_run(self._request)
        except DataloreRunMayHaveStartedError as err:
            record.reported()
            if self.retry_uncertain_start:
                raise DataloreRequestError(
                    f"{err.what_happened} retry_uncertain_start=True lets Airflow retry the task, and a "
                    f"retry starts another run: check {self._notebook_url}."
                ) from None
            raise
        except (DataloreError, ValueError):
            record.not_started()  # refused, or never sent: every other DataloreError says so
            raise
        # Anything else (the task's execution_timeout, a SIGTERM) leaves the record for the next try.
        record.started(self.external_id_key, run_id)
        self._remember_run(context, run_id)
        return run_id

    def get_job_status(self, external_id: Any, context: Context) -> str:
        """Return ``running``, ``success`` or ``failed`` for a run a previous try started."""
        from airflow_provider_datalore.events import RunEvent

        self._remember_run(context, str(external_id))
        run = self.hook.get_run(str(external_id), notebook_id=self._notebook_id)
        self.log.info("A previous try started Datalore run %s: %s.", external_id, run.describe())
        if run.is_successful:
            self._result = self.finish(context, RunEvent.finished(run))
        return run.state

    def is_job_active(self, status: str) -> bool:
        return status == "running"

    def is_job_succeeded(self, status: str) -> bool:
        return status == "success"

    # Returns the result although the mixin declares None: on re-attach, Airflow 3.3's execute_resumable
    # returns what this method returns.
    def poll_until_complete(self, external_id: Any, context: Context) -> dict[str, Any]:  # type: ignore[override]
        """Wait for the run: defer to the triggerer, or poll here; return the result."""
        from airflow_provider_datalore.events import RunEvent

        run_id = str(external_id)
        self._remember_run(context, run_id)
        if self.deferrable:
            run = self.hook.get_run(run_id, timeout=self._timeout_seconds, notebook_id=self._notebook_id)
            self._warn_if_options_ignored(run)
            if not run.is_finished:
                self.log.info("%s; waiting in the triggerer.", run.describe())
                self.defer_until_finished(
                    run_id, self._poll_seconds, self._timeout_seconds, notebook_id=self._notebook_id
                )
        else:
            run = self.hook.wait_for_run(
                run_id, self._poll_seconds, self._timeout_seconds, notebook_id=self._notebook_id
            )
        self._result = self.finish(context, RunEvent.finished(run))
        return self._result

    def get_job_result(self, external_id: Any, context: Context) -> dict[str, Any]:
        """Return the result of a run that has succeeded."""
        from airflow_provider_datalore.events import RunEvent

        if self._result is None:
            run = self.hook.get_run(str(external_id), notebook_id=self._notebook_id)
            self._result = self.finish(context, RunEvent.finished(run))
        return self._result

    def finish(self, context: Context, event: RunEvent) -> dict[str, Any]:
        """
        Warn if the server ignored options it was sent (see :meth:`_warn_if_options_ignored`); finish;
        then download ``download_paths`` from the succeeded run's notebook.
        """
        if event.run is not None:
            self._warn_if_options_ignored(event.run)
        result = super().finish(context, event)
        if self.download_to is not None:
            from airflow_provider_datalore.transfers import download_after_run

            downloads = download_after_run(self, context, result)
            self.lineage_record().outputs.extend(file_dataset(entry["destination"]) for entry in downloads)
            context["ti"].xcom_push(key="downloads", value=downloads)
        return result

    # -- helpers -----------------------------------------------------------------------------------

    def _check_downloads(self) -> None:
        """Refuse download options that cannot work, before a run starts."""
        if self.download_paths is None and self.download_to is None and not self.download_artifacts:
            return
        from airflow_provider_datalore.transfers import check_download_options

        check_download_options(self)

    def _remember_run(self, context: Context, run_id: str) -> None:
        """Push ``run_id`` to XCom (once per try) and log where the run is."""
        if getattr(self, "_run_id", None) == run_id:
            return
        context["ti"].xcom_push(key="run_id", value=run_id)
        self._run_id = run_id
        self.lineage_record().run_id = run_id
        self.log.info(
            "Datalore run %s of notebook %s: %s", run_id, self._request.notebook_id, self._notebook_url
        )

    def new_lineage_record(self) -> LineageRecord:
        """The record of a try resumed after a deferral: the notebook this task runs."""
        return LineageRecord(notebook_id=self._notebook_id, notebook_url=self._notebook_url)

    @property
    def _notebook_id(self) -> str:
        """
        The notebook this task runs, as ``owner/notebook``: what the task reports about the notebook.

        Never rebuilt from a status reply, whose ``userId`` the docs call only "Notebook user ID" (it may
        be whoever started the run).
        """
        if hasattr(self, "_request"):
            return self._request.notebook_id
        from airflow_provider_datalore.urls import normalize_notebook_id

        return normalize_notebook_id(self.notebook_id, base_url=self.hook.base_url)  # after a deferral

    @property
    def _notebook_url(self) -> str:
        """The page of the notebook this task runs."""
        return self.hook.notebook_url(self._notebook_id)

    def _warn_if_options_ignored(self, run: DataloreRun) -> None:
        """
        Warn once when the server may have ignored ``parameters`` or ``directFileStorageWrite``.

        Both arrived with Datalore 2026.1; an older server may accept and ignore them. The one sign in
        its replies: status replies without ``directFileStorageWrite``, which 2026.x servers always send.
        """
        # A task resumed from the triggerer is a new instance without the request execute() built: it
        # looked at the run's first status reply before deferring, and warned then if it had to.
        request = getattr(self, "_request", None)
        if (
            request is None
            or getattr(self, "_options_checked", False)
            or run.direct_file_storage_write is not None
        ):
            return
        self._options_checked = True
        sent = []
        if request.parameters is not None:
            names = [name for name, _ in request.parameters]
            sent.append(f"parameters {', '.join(names)}" if names else "parameters")
        if request.direct_file_storage_write is not None:
            sent.append("directFileStorageWrite")
        if sent:
            self.log.warning(
                "Datalore's status replies for run %s carry no directFileStorageWrite, as replies of servers "
                "before Datalore 2026.1 do: such a server may have ignored the %s this task sent. Check the "
                "run's results in %s.",
                run.run_id,
                " and ".join(sent),
                self._notebook_url,
            )

    def on_kill(self) -> None:
        """Say that the run goes on: the Run API cannot stop a run."""
        run_id = getattr(self, "_run_id", None)
        if run_id:
            self.log.warning(
                "Task killed while waiting for Datalore run %s. The run goes on in Datalore: the Run API "
                "has no way to stop it.",
                run_id,
            )


__all__ = ["DataloreRunInteractiveOperator", "DataloreRunNotebookOperator"]
