"""
The emulated API endpoints, one row each: what the routes, the fault rules and the faults are made from.

Adding an endpoint to the emulator is a row here and its handler in ``handlers``. Light on purpose (no
aiohttp): ``fault_rules`` reads the endpoints' names from here when the package is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_datalore.emulator import handlers, notebook_handlers
from airflow_provider_datalore.emulator.notebook_requests import (
    parse_cell_request,
    parse_cell_run,
    parse_cells_request,
    parse_cells_run,
    parse_control_update,
    parse_publish_request,
)
from airflow_provider_datalore.emulator.validation import (
    parse_directory_request,
    parse_file_request,
    parse_interactive_request,
    parse_notebook_ref,
    parse_run_request,
    parse_upload_query,
)
from airflow_provider_datalore.notebook_api import PREFIX as NOTEBOOK_API_PREFIX
from airflow_provider_datalore.run_api import INTERACTIVE_PATH, RUN_PATH, STATUS_PATH

#: Validate a request body (or a multipart request's query), given the server version, into what the
#: handler takes; raise ApiError(400).
Parse = Callable[[Any, str], Any]
#: The fault actions that reshape a file's streamed body: only a row that names them takes them (``all``
#: does not), as their answer must be a file.
FILE_BODY_ACTIONS = ("cut", "overlong", "gzip_body")
#: What faults ``/file`` takes: all but ``drip_headers`` (which sends a whole answer byte by byte), and
#: the actions on a file's body.
_FILE_FAULTS = (
    "drop",
    "reset",
    "malformed_json",
    "delay",
    "drip",
    "interim_1xx",
    "close_idle",
    "huge_body",
    "gzip_bomb",
    *FILE_BODY_ACTIONS,
)


@dataclass(frozen=True)
class Endpoint:
    """One emulated API endpoint and all the emulator needs to serve it."""

    #: The short name that faults give as their ``endpoint``.
    name: str
    #: The API it belongs to: ``run`` (the Run API and its interactive call) or ``notebook``.
    api: str
    method: str
    #: The path, placeholders as ``{name}``, below the server's prefix.
    path: str
    handler: handlers.Handler
    #: Validates the JSON body (required, with ``Content-Type: application/json``), or with ``multipart``
    #: the query; None: no body is checked.
    parse: Parse | None
    #: The fault ``action`` values that apply here (a plain status fault always does), or ``all`` (all
    #: but the ``FILE_BODY_ACTIONS``).
    fault_actions: Literal["all"] | tuple[str, ...] = "all"
    #: The truncated body that a ``malformed_json`` fault sends.
    malformed_body: bytes = b"{"
    #: ``json``; ``multipart``: the handler reads the body itself, streamed, and ``parse`` gets the query.
    body: Literal["json", "multipart"] = "json"

    def takes(self, action: str) -> bool:
        """
        Say whether faults with this ``action`` may be scripted for this endpoint.

        :param action: a fault action, e.g. ``drop``.
        """
        if self.fault_actions == "all":
            return action not in FILE_BODY_ACTIONS
        return action in self.fault_actions


API_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        name="run",
        api="run",
        method="POST",
        path=RUN_PATH,
        handler=handlers.run_notebook,
        parse=parse_run_request,
        malformed_body=b'{"runId": "',
    ),
    Endpoint(
        name="status",
        api="run",
        method="GET",
        path=STATUS_PATH,
        handler=handlers.run_status,
        parse=None,
        malformed_body=b'{"runId": "run1", "status": "runn',
    ),
    Endpoint(
        name="interactive",
        api="run",
        method="POST",
        path=INTERACTIVE_PATH,
        handler=handlers.run_interactive,
        parse=parse_interactive_request,
        malformed_body=b"{",
    ),
    Endpoint(
        name="kernel_status",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/kernel/status",
        handler=notebook_handlers.kernel_status,
        parse=parse_notebook_ref,
        malformed_body=b'{"state": "REA',
    ),
    Endpoint(
        name="kernel_interrupt",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/kernel/interrupt",
        handler=notebook_handlers.kernel_interrupt,
        parse=parse_notebook_ref,
        malformed_body=b'{"interrupted": tr',
    ),
    Endpoint(
        name="cells",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/cells",
        handler=notebook_handlers.list_cells,
        parse=parse_cells_request,
        malformed_body=b'{"cells": [], "cellsWithOutputs": [{"cellId": "lo',
    ),
    Endpoint(
        name="cell",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/cell",
        handler=notebook_handlers.get_cell,
        parse=parse_cell_request,
        malformed_body=b'{"cell": {"cellId": "kpi", "executionStatus": "VAL',
    ),
    Endpoint(
        name="cell_outputs",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/cell/outputs",
        handler=notebook_handlers.cell_outputs,
        parse=parse_cell_request,
        malformed_body=b'{"cellId": "kpi", "executionStatus": "STAR',
    ),
    Endpoint(
        name="control_update",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/cell/controls/update",
        handler=notebook_handlers.update_control,
        parse=parse_control_update,
        malformed_body=b'{"cellId": "region", "appl',
    ),
    Endpoint(
        name="cell_run",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/cell/run",
        handler=notebook_handlers.run_cell,
        parse=parse_cell_run,
        malformed_body=b'{"cellId": "kpi", "executionStatus": "VAL',
    ),
    Endpoint(
        name="cells_run",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/cells/run",
        handler=notebook_handlers.run_cells,
        parse=parse_cells_run,
        malformed_body=b'{"results": [{"cellId": "lo',
    ),
    Endpoint(
        name="report_publish",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/report/publish",
        handler=notebook_handlers.publish_report,
        parse=parse_publish_request,
        malformed_body=b'{"reportId": "r',
    ),
    Endpoint(
        name="files",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/files",
        handler=handlers.list_files,
        parse=parse_directory_request,
        malformed_body=b'{"files": [{"name": "out.',
    ),
    Endpoint(
        name="file",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/file",
        handler=handlers.download_file,
        parse=parse_file_request,
        fault_actions=_FILE_FAULTS,
        malformed_body=b'{"error": "File not fo',
    ),
    Endpoint(
        name="file_exists",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/file/exists",
        handler=handlers.file_exists,
        parse=parse_file_request,
        malformed_body=b'{"exists": tr',
    ),
    Endpoint(
        name="file_upload",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/file/upload",
        handler=handlers.upload_file,
        parse=parse_upload_query,
        malformed_body=b'{"fileName": "out.csv", "stat',
        body="multipart",
    ),
    Endpoint(
        name="file_delete",
        api="notebook",
        method="POST",
        path=f"{NOTEBOOK_API_PREFIX}/file/delete",
        handler=handlers.delete_file,
        parse=parse_file_request,
        malformed_body=b'{"error": "',
    ),
)
#: The endpoints' names, in the table's order.
ENDPOINT_NAMES = tuple(endpoint.name for endpoint in API_ENDPOINTS)
_BY_NAME = {endpoint.name: endpoint for endpoint in API_ENDPOINTS}


def endpoint_named(name: str) -> Endpoint:
    """
    Return the endpoint a fault names, raising KeyError for a name not in the table.

    :param name: the endpoint's short name, e.g. ``status``.
    """
    return _BY_NAME[name]


def emulated_endpoints() -> tuple[tuple[str, str], ...]:
    """Return the (HTTP method, path template) of every emulated API endpoint, as ``("GET", STATUS_PATH)``."""
    return tuple((endpoint.method, endpoint.path) for endpoint in API_ENDPOINTS)
