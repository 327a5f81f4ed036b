"""``DataloreRunInteractiveOperator``: a notebook run in interactive mode, its outputs updated in place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

# A DAG file imports this module on every parse: only what defines the classes is imported here.
from airflow_provider_datalore.connection_form import DEFAULT_CONN_ID
from airflow_provider_datalore.links.datalore import NOTEBOOK_URL_XCOM_KEY, DataloreNotebookLink

if TYPE_CHECKING:
    import datetime
    from collections.abc import Sequence

    from airflow.providers.common.compat.sdk import Context


class DataloreRunInteractiveOperator(BaseOperator):
    """
    Run a Datalore notebook in interactive mode, updating its outputs in place.

    Datalore returns no run id and no artifacts for an interactive run, so there is nothing to wait for:
    the task succeeds as soon as Datalore answers with any 2xx, whatever the body (the docs describe
    none). The docs do not say whether Datalore answers at once or once the notebook has computed; if it
    does not answer within ``request_timeout``, the notebook may be running now, and the task fails
    without Airflow's retries (another try would run it again).

    :param notebook_id: ``"owner/notebook"`` or the notebook's URL. (templated)
    :param request_timeout: How long the request may take: a ``timedelta`` or seconds (default: the
        connection's request timeout). Raise it for a notebook that takes longer to compute.
    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    :param hook_params: The hook's retry settings for this task's requests:
        ``{"retry_limit": 5, "retry_delay": 1.0, "retry_max_delay": 60.0}`` (any of them; these are the
        defaults).
    """

    template_fields: Sequence[str] = ("notebook_id",)
    operator_extra_links = (DataloreNotebookLink(),)
    ui_color = "#6B57FF"
    ui_fgcolor = "#FFFFFF"

    def __init__(
        self,
        *,
        notebook_id: str,
        request_timeout: datetime.timedelta | float | None = None,
        datalore_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.notebook_id = notebook_id
        self.request_timeout = request_timeout
        self.datalore_conn_id = datalore_conn_id
        self.hook_params = hook_params

    def execute(self, context: Context) -> None:
        """Ask Datalore to run the notebook interactively; push its URL for the link."""
        from airflow_provider_datalore.checks import check_hook_params, check_seconds
        from airflow_provider_datalore.hooks.datalore import DataloreHook

        timeout = None
        if self.request_timeout is not None:
            timeout = check_seconds("request_timeout", self.request_timeout)
        hook = DataloreHook(datalore_conn_id=self.datalore_conn_id, **check_hook_params(self.hook_params))
        notebook_url = hook.notebook_url(self.notebook_id)
        context["ti"].xcom_push(key=NOTEBOOK_URL_XCOM_KEY, value=notebook_url)
        hook.run_notebook_interactive(self.notebook_id, timeout=timeout)
