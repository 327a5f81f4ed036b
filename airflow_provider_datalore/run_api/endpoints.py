"""The Run API's endpoints, what each may do, and the calls the hook makes to them."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow_provider_datalore.checks import check_run_id
from airflow_provider_datalore.run_api import INTERACTIVE_PATH, RUN_PATH, STATUS_PATH
from airflow_provider_datalore.run_api.run import DataloreRun
from airflow_provider_datalore.run_api.wording import run_api_wording
from airflow_provider_datalore.transport.calls import Call, Endpoint, ReplyKind, RequestKind
from airflow_provider_datalore.urls import notebook_url

if TYPE_CHECKING:
    from airflow_provider_datalore.run_api.run_request import DataloreRunRequest

API = "Run API"
RUNNING = "the notebook may be running now"

#: ``POST /api/run/v1/notebook``: start a run (a new run each time it arrives).
START = Endpoint(
    API, "start", "POST", RUN_PATH, may_start_work=True, unknown_fate=RUNNING, wording=run_api_wording
)
#: ``GET /api/run/v1/{runId}``: a run's status.
STATUS = Endpoint(
    API, "status", "GET", STATUS_PATH, request=RequestKind.NONE, safe_to_retry=True, wording=run_api_wording
)
#: ``POST /api/computation/v1/notebook``: run the notebook interactively; the docs describe no reply body.
INTERACTIVE = Endpoint(
    API,
    "interactive",
    "POST",
    INTERACTIVE_PATH,
    reply=ReplyKind.EMPTY,
    may_start_work=True,
    unknown_fate=RUNNING,
    wording=run_api_wording,
)

#: Every endpoint of the Run API the provider calls.
ENDPOINTS = (START, STATUS, INTERACTIVE)


def start_call(base_url: str, request: DataloreRunRequest) -> Call:
    """Return the call that starts the run ``request`` describes."""
    return Call.about_notebook(
        START, base_url, request.notebook_id, "start a run of", bad_request_hint=_older_server_hint(request)
    )


def interactive_call(base_url: str, notebook_id: str) -> Call:
    """Return ``POST /api/computation/v1/notebook`` for a checked notebook id."""
    return Call.about_notebook(INTERACTIVE, base_url, notebook_id, "run interactively")


def status_call(run_id: object, base_url: str | None = None, notebook_id: str | None = None) -> Call:
    """
    Return ``GET /api/run/v1/{runId}``, naming the run's notebook when the caller knows it.

    :raises ValueError: ``run_id`` is not a run id (nothing is sent).
    """
    return _status_call(check_run_id(run_id), base_url, notebook_id)


@functools.lru_cache(maxsize=4096)  # a trigger reads the same run every few seconds
def _status_call(run_id: str, base_url: str | None, notebook_id: str | None) -> Call:
    return Call(
        STATUS,
        path=STATUS_PATH.format(run_id=quote(run_id, safe="")),
        action=f"read the status of run {run_id}",
        notebook_id=notebook_id,
        notebook_url=notebook_url(base_url, notebook_id) if base_url and notebook_id else None,
        run_id=run_id,
    )


@functools.lru_cache(maxsize=4096)  # one per run read: a trigger's polls share it
def run_parser(call: Call, base_url: str) -> Any:
    """Return the function that reads a status reply of ``call`` as a :class:`DataloreRun`."""
    return functools.partial(
        DataloreRun.from_response, base_url=base_url, run_id=call.run_id, notebook_id=call.notebook_id
    )


def _older_server_hint(request: DataloreRunRequest) -> str:
    """Return what a 400 should add for a run with options that Datalore before 2026.1 does not take."""
    newer = [
        name
        for name, value in (
            ("parameters", request.parameters),
            ("directFileStorageWrite", request.direct_file_storage_write),
        )
        if value is not None
    ]
    if not newer:
        return ""
    return (
        f"The request carried {' and '.join(newer)}, which the Run API documents from Datalore 2026.1 on "
        f"(the 2025.x docs list only notebookId and updateReport): the server may predate Run API "
        f"parameters. Upgrade it, or run the notebook without {' and '.join(newer)}."
    )
