"""
The emulated API endpoints, one row each: what the routes, the fault rules and the faults are made from.

Adding an endpoint to the emulator is a row here and its handler in ``handlers``. Light on purpose (no
aiohttp): ``fault_rules`` reads the endpoints' names from here when the package is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_datalore.emulator import handlers
from airflow_provider_datalore.emulator.validation import (
    parse_interactive_request,
    parse_notebook_ref,
    parse_run_request,
)
from airflow_provider_datalore.notebook_api import PREFIX as NOTEBOOK_API_PREFIX
from airflow_provider_datalore.run_api import INTERACTIVE_PATH, RUN_PATH, STATUS_PATH

#: Validate a request body, given the server version, into what the handler takes; raise ApiError(400).
Parse = Callable[[Any, str], Any]


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
    #: Validates the JSON body (required, with ``Content-Type: application/json``); None: no body is checked.
    parse: Parse | None
    #: The fault ``action`` values that apply here (a plain status fault always does), or ``all``.
    fault_actions: Literal["all"] | tuple[str, ...] = "all"
    #: The truncated body that a ``malformed_json`` fault sends.
    malformed_body: bytes = b"{"

    def takes(self, action: str) -> bool:
        """
        Say whether faults with this ``action`` may be scripted for this endpoint.

        :param action: a fault action, e.g. ``drop``.
        """
        return self.fault_actions == "all" or action in self.fault_actions


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
        handler=handlers.kernel_status,
        parse=parse_notebook_ref,
        malformed_body=b'{"state": "REA',
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
