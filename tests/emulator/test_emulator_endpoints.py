"""The endpoint table drives the emulator: its routes, the names faults take, and what faults send."""

from __future__ import annotations

import dataclasses
import re

import pytest
import requests

from airflow_provider_datalore.emulator import Fault, config, fault_rules
from airflow_provider_datalore.emulator import endpoints as endpoint_table
from airflow_provider_datalore.emulator.endpoints import API_ENDPOINTS, emulated_endpoints
from airflow_provider_datalore.run_api import INTERACTIVE_PATH, RUN_PATH, STATUS_PATH

TOKEN = "emulator-token"
ROWS = pytest.mark.parametrize("endpoint", API_ENDPOINTS, ids=lambda endpoint: endpoint.name)


def _send(emulator, method: str, path_template: str) -> requests.Response:
    """Send ``method`` to the path, its placeholders filled, with the default token and a JSON body."""
    path = re.sub(r"\{[^}]+\}", "some-run", path_template)
    return requests.request(
        method,
        f"{emulator.url}{path}",
        json={"notebookId": "demo/sales-report"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )


@ROWS
@pytest.mark.parametrize("prefix", ["", "/datalore"])
def test_every_row_is_routed_to_its_own_endpoint(make_emulator, endpoint, prefix):
    emulator = make_emulator(prefix=prefix)
    # A fault only the row's own route takes: its 418 proves the route exists and carries the row's name.
    emulator.add_faults(Fault(endpoint=endpoint.name, status=418))

    response = _send(emulator, endpoint.method, endpoint.path)

    assert response.status_code == 418
    assert response.json() == {"error": "Injected 418"}
    assert emulator.pending_faults == []
    [entry] = emulator.journal
    assert (entry.method, entry.status, entry.fault) == (endpoint.method, 418, 418)


@ROWS
def test_every_row_answers_from_its_handler_not_from_the_catch_all(datalore_emulator, endpoint):
    response = _send(datalore_emulator, endpoint.method, endpoint.path)

    # The catch-all answers plain text "Not Found"; the API answers JSON (an unknown run's 404 too).
    assert response.headers["Content-Type"].startswith("application/json"), response.text
    assert datalore_emulator.journal[-1].status == response.status_code


@pytest.mark.parametrize(
    ("method", "path"),
    [("HEAD", "/api/run/v1/some-run"), ("POST", "/api/run/v1/some-run"), ("GET", INTERACTIVE_PATH)],
)
def test_a_method_without_a_row_is_the_catch_all_404(datalore_emulator, method, path):
    response = requests.request(method, f"{datalore_emulator.url}{path}", timeout=10)

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/plain")


@ROWS
def test_a_malformed_json_fault_sends_the_rows_truncated_body(datalore_emulator, endpoint):
    datalore_emulator.add_faults(Fault(endpoint=endpoint.name, action="malformed_json"))

    response = _send(datalore_emulator, endpoint.method, endpoint.path)

    assert response.status_code == 200
    assert response.content == endpoint.malformed_body


def test_the_names_faults_take_are_the_tables_names():
    names = tuple(endpoint.name for endpoint in API_ENDPOINTS)

    assert names == (
        "run",
        "status",
        "interactive",
        "kernel_status",
        "kernel_interrupt",
        "cells",
        "cell",
        "cell_outputs",
        "control_update",
        "cell_run",
        "cells_run",
        "report_publish",
        "files",
        "file",
        "file_exists",
        "file_upload",
        "file_delete",
    )
    assert names == fault_rules.ENDPOINTS
    assert names == config.ENDPOINTS


def test_emulated_endpoints_lists_every_rows_method_and_path_template():
    assert emulated_endpoints() == (
        ("POST", RUN_PATH),
        ("GET", STATUS_PATH),
        ("POST", INTERACTIVE_PATH),
        ("POST", "/api/notebook/v1/kernel/status"),
        ("POST", "/api/notebook/v1/kernel/interrupt"),
        ("POST", "/api/notebook/v1/cells"),
        ("POST", "/api/notebook/v1/cell"),
        ("POST", "/api/notebook/v1/cell/outputs"),
        ("POST", "/api/notebook/v1/cell/controls/update"),
        ("POST", "/api/notebook/v1/cell/run"),
        ("POST", "/api/notebook/v1/cells/run"),
        ("POST", "/api/notebook/v1/report/publish"),
        ("POST", "/api/notebook/v1/files"),
        ("POST", "/api/notebook/v1/file"),
        ("POST", "/api/notebook/v1/file/exists"),
        ("POST", "/api/notebook/v1/file/upload"),
        ("POST", "/api/notebook/v1/file/delete"),
    )
    assert emulated_endpoints() == tuple((endpoint.method, endpoint.path) for endpoint in API_ENDPOINTS)


def test_the_rows_are_well_formed():
    assert len({endpoint.name for endpoint in API_ENDPOINTS}) == len(API_ENDPOINTS)
    assert len(set(emulated_endpoints())) == len(API_ENDPOINTS)
    for endpoint in API_ENDPOINTS:
        assert endpoint.api in ("run", "notebook")
        assert endpoint.method in ("GET", "POST")
        assert endpoint.fault_actions == "all" or set(endpoint.fault_actions) <= set(
            fault_rules.FAULT_ACTIONS
        )
        assert (endpoint.parse is None) == (endpoint.method == "GET"), "a POST's body is validated"


def test_a_row_naming_its_fault_actions_refuses_the_others(monkeypatch):
    status = endpoint_table.endpoint_named("status")
    narrowed = dataclasses.replace(status, fault_actions=("drop", "delay"))
    monkeypatch.setitem(endpoint_table._BY_NAME, "status", narrowed)

    with pytest.raises(ValueError, match="fault action 'reset' does not apply to endpoint 'status'"):
        Fault(endpoint="status", action="reset")
    assert Fault(endpoint="status", action="drop").action == "drop"
    assert Fault(endpoint="status", status=503).status == 503, "a plain status fault applies everywhere"


def test_every_emulated_endpoint_has_a_row_in_the_clients_retry_table():
    """An endpoint added to the emulator fails here until the client knows whether it may be retried."""
    from airflow_provider_datalore.notebook_api.endpoints import ENDPOINTS as NOTEBOOK_API
    from airflow_provider_datalore.run_api.endpoints import ENDPOINTS as RUN_API
    from tests.retry_table import ENDPOINT_TABLE

    client = {(e.method, e.path): (e.api, e.name) for e in RUN_API + NOTEBOOK_API}
    missing = [pair for pair in emulated_endpoints() if pair not in client]
    assert missing == []
    assert all(client[pair] in ENDPOINT_TABLE for pair in emulated_endpoints())
