"""The Notebook API at the wire: every call is a POST, and yet its reads are retried and its changes not."""

from __future__ import annotations

import pytest

from airflow_provider_datalore.exceptions import (
    DataloreConflictError,
    DataloreForbiddenError,
    DataloreNotFoundError,
    DataloreRequestError,
    DataloreRunMayHaveStartedError,
)
from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.notebook_api import endpoints
from airflow_provider_datalore.notebook_api.notebook import NotebookRef
from airflow_provider_datalore.transport.calls import AttemptFailed
from airflow_provider_datalore.transport.failures import final_error
from airflow_provider_datalore.transport.retry import Failure
from tests.constants import TOKEN

BASE = "https://datalore.example.com"
KERNEL_URL = f"{BASE}/api/notebook/v1/kernel/status"


@pytest.fixture
def hook(datalore_connection, monkeypatch):
    monkeypatch.setattr("airflow_provider_datalore.transport.sync.time.sleep", lambda seconds: None)
    datalore_connection(host=BASE)
    return DataloreHook()


def test_kernel_status_sends_the_notebook_as_an_object(hook, requests_mock):
    requests_mock.post(KERNEL_URL, json={"state": "BUSY", "runningCellId": "kN3xQ7"})
    status = hook.get_kernel_status(f"{BASE}/notebook/alice/sales")
    request = requests_mock.last_request
    assert (request.method, request.url, request.json()) == (
        "POST",
        KERNEL_URL,
        {"notebookId": {"ownerId": "alice", "id": "sales"}},
    )
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (status.state, status.running_cell_id, status.is_busy) == ("BUSY", "kN3xQ7", True)


def test_a_read_that_is_a_post_is_retried_on_a_transient_failure(hook, requests_mock):
    requests_mock.post(
        KERNEL_URL,
        [{"status_code": 503, "text": "down"}, {"json": {"state": "READY", "runningCellId": None}}],
    )
    assert hook.get_kernel_status("alice/sales").state == "READY"
    assert requests_mock.call_count == 2


def test_a_malformed_kernel_status_is_retried_then_named(hook, requests_mock):
    requests_mock.post(KERNEL_URL, json={"state": "BOOTING"})
    with pytest.raises(Exception, match="without a documented state .*'BOOTING'") as raised:
        hook.get_kernel_status("alice/sales")
    assert requests_mock.call_count == 5
    assert TOKEN not in str(raised.value)


def test_409_is_a_conflict_naming_the_kernel_state(hook, requests_mock):
    requests_mock.post(
        KERNEL_URL, status_code=409, json={"error": "No session for the notebook", "state": "NOT_STARTED"}
    )
    with pytest.raises(DataloreConflictError) as raised:
        hook.get_kernel_status("alice/sales")
    assert requests_mock.call_count == 1
    assert raised.value.server_state == "NOT_STARTED"
    assert str(raised.value) == (
        "Datalore could not read the kernel status of notebook alice/sales (POST "
        "/api/notebook/v1/kernel/status, HTTP 409): No session for the notebook: the notebook's kernel is "
        "not in the state this needs (Datalore names the state it is in)."
    )


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (
            403,
            DataloreForbiddenError,
            "has no access to notebook alice/sales, or its scope does not cover the Notebook API",
        ),
        (
            404,
            DataloreNotFoundError,
            "it was not found, or notebook alice/sales is not shared with the API token",
        ),
    ],
)
def test_client_errors_speak_of_the_notebook_api(hook, requests_mock, status, error, words):
    requests_mock.post(KERNEL_URL, status_code=status, json={"error": "nope"})
    with pytest.raises(error, match=words):
        hook.get_kernel_status("alice/sales")
    assert requests_mock.call_count == 1


def test_a_bad_notebook_id_sends_nothing(hook, requests_mock):
    requests_mock.post(KERNEL_URL, json={"state": "READY"})
    with pytest.raises(ValueError, match="'alice'"):
        hook.get_kernel_status("alice")
    assert requests_mock.call_count == 0


def _lost(endpoint):
    notebook = NotebookRef("alice", "sales")
    call = endpoints.notebook_call(endpoint, BASE, notebook, "act on")
    return final_error(
        AttemptFailed(call, failure=Failure.READ_TIMEOUT, detail="no reply"), 1, "datalore_default"
    )


def test_a_lost_change_says_what_may_have_happened_and_is_not_a_duplicate_run_error():
    error = _lost(endpoints.FILE_UPLOAD)
    assert type(error) is DataloreRequestError
    assert str(error) == (
        "Could not act on notebook alice/sales (POST /api/notebook/v1/file/upload): read timeout: no reply. "
        "The request may have reached Datalore, so the file may have been uploaded. It is not retried: "
        "check in Datalore before running the task again."
    )


def test_a_lost_cell_run_is_the_may_have_started_error():
    error = _lost(endpoints.CELL_RUN)
    assert isinstance(error, DataloreRunMayHaveStartedError)
    assert "so the cell may be running now." in str(error)
    assert f"check {BASE}/notebook/alice/sales before running the task again" in str(error)


def test_a_lost_read_is_a_plain_request_error():
    error = _lost(endpoints.FILES)
    assert type(error) is DataloreRequestError
    assert "may have" not in str(error)
