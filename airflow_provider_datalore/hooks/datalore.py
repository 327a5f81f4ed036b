"""``DataloreHook``: the Datalore Run API, sync for operators and async for triggers."""

from __future__ import annotations

import time
from typing import Any

from airflow_provider_datalore.checks import check_seconds
from airflow_provider_datalore.connection_form import legacy_form_widgets, legacy_ui_field_behaviour
from airflow_provider_datalore.exceptions import (
    DataloreResponseError,
    DataloreRunTimeoutError,
)
from airflow_provider_datalore.hooks.base import deadline_after
from airflow_provider_datalore.hooks.notebook_cells import NotebookCellsMixin
from airflow_provider_datalore.hooks.notebook_files import NotebookFilesMixin
from airflow_provider_datalore.progress import WaitProgress
from airflow_provider_datalore.run_api.endpoints import (
    interactive_call,
    run_parser,
    start_call,
    status_call,
)
from airflow_provider_datalore.run_api.run import DataloreRun, reply_run_id
from airflow_provider_datalore.run_api.run_request import DataloreRunRequest
from airflow_provider_datalore.transport.failures import may_have_started
from airflow_provider_datalore.urls import normalize_notebook_id, notebook_url


class DataloreHook(NotebookCellsMixin, NotebookFilesMixin):
    """
    Talk to Datalore's APIs with the token of a ``datalore`` connection: the Run API's runs here, the
    Notebook API's files in :class:`~airflow_provider_datalore.hooks.notebook_files.NotebookFilesMixin`,
    its cells, controls, kernel and report in
    :class:`~airflow_provider_datalore.hooks.notebook_cells.NotebookCellsMixin`.

    Why the Notebook API's methods belong on this hook too: see :mod:`~airflow_provider_datalore.hooks.base`.

    The connection's host is the server's URL (empty: Datalore Cloud), its password the API token.
    Reading a run's status is retried on transient failures; starting a run is retried only when no run
    can have started (the connection was never established, or HTTP 429).

    For many async reads, open the hook as an async context manager: while it is open, its reads share
    the event loop's keep-alive connections to the server::

        async with DataloreHook() as hook:
            run = await hook.a_get_run(run_id)

    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    :param retry_limit: Tries per request in all, the first included.
    :param retry_delay: Seconds; the upper bound of the first wait between tries (it doubles each time,
        with full jitter).
    :param retry_max_delay: Seconds; no wait between tries is longer, ``Retry-After`` included.
    """

    def notebook_url(self, notebook_id: str) -> str:
        """Return the notebook's page for an id or URL accepted by :meth:`run_notebook`."""
        return notebook_url(self.base_url, normalize_notebook_id(notebook_id, base_url=self.base_url))

    # -- runs --------------------------------------------------------------------------------------

    def build_run_request(
        self,
        notebook_id: str,
        parameters: dict[str, Any] | list[dict[str, Any]] | None = None,
        update_report: bool | str | None = None,
        direct_file_storage_write: bool | None = None,
    ) -> DataloreRunRequest:
        """
        Check the arguments of a run against this connection and return the request :meth:`start_run` sends.

        :raises ValueError: An argument is not valid; the message names it and says what was expected.
        """
        return DataloreRunRequest.build(
            notebook_id, parameters, update_report, direct_file_storage_write, base_url=self.base_url
        )

    def start_run(self, request: DataloreRunRequest) -> str:
        """
        Start a run and return its id.

        The request is never retried once it may have reached Datalore: a failure then raises
        ``DataloreRunMayHaveStartedError``.

        :param request: From :meth:`build_run_request`.
        """
        notebook = request.notebook_id
        call = start_call(self.base_url, request)
        self.log.info("Starting a Datalore run of notebook %s (%s).", notebook, call.notebook_url)
        payload = self._transport.request(call, request.to_json())
        try:
            run_id = reply_run_id(payload, f"reply to {call.where}")
        except DataloreResponseError as err:
            raise may_have_started(call, f"Datalore accepted it, but {err}") from None
        self.log.info("Datalore run %s of notebook %s started.", run_id, notebook)
        return run_id

    def run_notebook(
        self,
        notebook_id: str,
        parameters: dict[str, Any] | list[dict[str, Any]] | None = None,
        update_report: bool | str | None = None,
        direct_file_storage_write: bool | None = None,
    ) -> str:
        """
        Start a run of a notebook and return the run id.

        Every argument is checked before any request is sent. The request is never retried once it may
        have reached Datalore: a failure then raises ``DataloreRunMayHaveStartedError``.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param parameters: Values for the notebook's interactive controls: ``{variable: value}`` or
            ``[{"name": variable, "value": value}]``; values are sent as strings.
        :param update_report: True or ``"on success"`` to update the published report when the run
            succeeds; False or ``"never"``; None leaves it to Datalore (never).
        :param direct_file_storage_write: True to save run data to the notebook's files instead of
            isolated run storage; None leaves it to Datalore (false).
        """
        return self.start_run(
            self.build_run_request(notebook_id, parameters, update_report, direct_file_storage_write)
        )

    def get_run(
        self, run_id: str, *, timeout: float | None = None, notebook_id: str | None = None
    ) -> DataloreRun:
        """
        Return the run's current state (retried on transient failures).

        :param run_id: The run id :meth:`run_notebook` returned.
        :param timeout: Seconds the read may take in all, retries included; None: as many attempts as
            the retry policy allows, each bounded by the connection's timeout.
        :param notebook_id: The notebook the run belongs to, when known (``"owner/notebook"``): the run
            is reported as that notebook's. Without it the reply's ``userId``/``notebookId`` name it.
        """
        call = status_call(run_id, self.base_url, notebook_id)
        return self._transport.request(
            call, parse=run_parser(call, self.base_url), deadline=deadline_after(timeout)
        )

    async def a_get_run(
        self, run_id: str, *, timeout: float | None = None, notebook_id: str | None = None
    ) -> DataloreRun:
        """
        Return the run's current state without blocking the event loop (the twin of :meth:`get_run`).

        Inside ``async with hook:`` the read reuses the event loop's connections to the server.
        """
        base_url = (await self.a_get_settings()).base_url
        call = status_call(run_id, base_url, notebook_id)
        return await self._a_request(call, parse=run_parser(call, base_url), deadline=deadline_after(timeout))

    def wait_for_run(
        self,
        run_id: str,
        poll_interval: float = 10,
        timeout: float | None = 24 * 3600,
        notebook_id: str | None = None,
    ) -> DataloreRun:
        """
        Poll the run until it finishes and return it, whether it succeeded or failed.

        :param run_id: The run id :meth:`run_notebook` returned.
        :param poll_interval: Seconds between polls (> 0).
        :param timeout: Seconds to wait at most (> 0), or None to wait for ever.
        :param notebook_id: The notebook the run belongs to, when known (see :meth:`get_run`).
        :raises DataloreRunTimeoutError: The run is still in progress after ``timeout``; it goes on in
            Datalore (the Run API cannot stop a run). No read goes on past ``timeout`` (the last may take
            half a second more, to look at the run once more).
        """
        poll_interval = check_seconds("poll_interval", poll_interval)
        if timeout is not None:
            timeout = check_seconds("timeout", timeout)
        deadline = deadline_after(timeout)
        progress = WaitProgress(self.log)
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            run = self.get_run(run_id, timeout=remaining, notebook_id=notebook_id)
            if run.is_finished:
                self.log.info("%s.", run.describe())
                return run
            wait = poll_interval
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DataloreRunTimeoutError(run.timeout_message(timeout))
                wait = min(wait, remaining)
            progress.poll(run, wait)
            time.sleep(wait)

    def run_notebook_interactive(self, notebook_id: str, *, timeout: float | None = None) -> None:
        """
        Run a notebook in interactive mode: its outputs are updated in place.

        Datalore returns no run id for this, so there is nothing to wait for. Any 2xx is success, whatever
        its body (the docs describe none). The docs do not say whether Datalore answers at once or when
        the notebook has finished: a read timeout means the notebook may be running now, and is not retried.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL.
        :param timeout: Seconds the request may take, instead of the connection's timeout.
        """
        notebook = normalize_notebook_id(notebook_id, base_url=self.base_url)
        call = interactive_call(self.base_url, notebook)
        self.log.info("Running Datalore notebook %s interactively (%s).", notebook, call.notebook_url)
        self._transport.request(call, {"notebookId": notebook}, timeout=timeout)

    # -- the connection form (on this class itself: Airflow 2 reads them from the hook's __dict__) --

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Return how the standard connection fields look (Airflow 2.11 to 3.1)."""
        return legacy_ui_field_behaviour()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """Return the extra connection fields (Airflow 2.11 to 3.1)."""
        return legacy_form_widgets()
