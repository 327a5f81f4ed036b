"""The hook's cell, control, kernel and report calls at the wire: the exact request, and what is retried."""

from __future__ import annotations

import asyncio

import pytest

from airflow_provider_datalore.exceptions import (
    DataloreConflictError,
    DataloreRequestError,
    DataloreResponseError,
)
from airflow_provider_datalore.hooks.datalore import DataloreHook
from tests.constants import TOKEN

BASE = "https://datalore.example.com"
API = f"{BASE}/api/notebook/v1"
NOTEBOOK = {"ownerId": "alice", "id": "sales"}

DETAILED = {
    "cells": [],
    "cellsWithOutputs": [
        {
            "cellId": "c1",
            "cellType": "CODE",
            "position": 0,
            "source": "print('hello')",
            "executionStatus": "VALID",
            "executionCount": 3,
            "timing": {"durationMs": 42, "lastExecutedAt": "2026-04-21T10:05:00.123Z"},
            "outputs": [{"outputType": "TEXT", "text": "hello\n", "truncated": False}],
            "data": {"language": "python"},
        }
    ],
    "outputsTruncated": False,
    "outputsTruncatedFromCellId": None,
}


@pytest.fixture
def hook(datalore_connection, monkeypatch):
    monkeypatch.setattr("airflow_provider_datalore.transport.sync.time.sleep", lambda seconds: None)
    datalore_connection(host=BASE)
    return DataloreHook()


def test_list_cells_with_outputs(hook, requests_mock):
    requests_mock.post(f"{API}/cells", [{"status_code": 502, "text": "bad gateway"}, {"json": DETAILED}])

    listing = hook.list_cells(f"{BASE}/notebook/alice/sales", outputs=True)

    assert requests_mock.last_request.json() == {
        "notebookId": NOTEBOOK,
        "worksheetIndex": 0,
        "includeOutputs": True,
    }
    assert requests_mock.call_count == 2  # a read, though a POST
    (cell,) = listing.cells
    assert (cell.cell_id, cell.execution_status, cell.execution_count, cell.outputs[0].text) == (
        "c1",
        "VALID",
        3,
        "hello\n",
    )


def test_get_cell_outputs(hook, requests_mock):
    requests_mock.post(
        f"{API}/cell/outputs",
        json={
            "cellId": "c1",
            "executionStatus": "ERROR",
            "executionCount": 5,
            "timing": None,
            "stdout": "x",
            "stderr": None,
            "errorMessage": "ZeroDivisionError: division by zero",
            "errorTraceback": "Traceback...",
            "outputs": [],
        },
    )

    outputs = hook.get_cell_outputs("alice/sales", "c1")

    assert requests_mock.last_request.json() == {"notebookId": NOTEBOOK, "cellId": "c1"}
    assert (outputs.status, outputs.error_message) == ("ERROR", "ZeroDivisionError: division by zero")


def test_update_control_sets_the_value_without_running_and_is_retried(hook, requests_mock):
    requests_mock.post(
        f"{API}/cell/controls/update",
        [{"status_code": 503, "text": "down"}, {"json": {"cellId": "k", "applied": True, "runResult": None}}],
    )
    control = {"controlType": "CHECKBOX", "label": "Fresh", "variable": "fresh", "value": True}

    hook.update_control("alice/sales", "k", control)

    assert requests_mock.call_count == 2
    assert requests_mock.last_request.json() == {
        "notebookId": NOTEBOOK,
        "cellId": "k",
        "control": control,
        "run": False,
    }


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"json": {"interrupted": True}}, True),
        ({"json": {"interrupted": False}}, False),
        ({"status_code": 409, "json": {"error": "No session", "state": "NOT_STARTED"}}, False),
    ],
    ids=["running", "idle", "no-session"],
)
def test_interrupt_kernel(hook, requests_mock, reply, expected):
    requests_mock.post(f"{API}/kernel/interrupt", **reply)
    assert hook.interrupt_kernel("alice/sales") is expected
    assert requests_mock.last_request.json() == {"notebookId": NOTEBOOK}
    assert requests_mock.call_count == 1


def test_interrupt_kernel_409_in_another_state_is_an_error(hook, requests_mock):
    requests_mock.post(f"{API}/kernel/interrupt", status_code=409, json={"error": "odd", "state": "BUSY"})
    with pytest.raises(DataloreConflictError):
        hook.interrupt_kernel("alice/sales")


def test_interrupt_kernel_is_retried(hook, requests_mock):
    requests_mock.post(f"{API}/kernel/interrupt", [{"status_code": 503}, {"json": {"interrupted": True}}])
    assert hook.interrupt_kernel("alice/sales") is True
    assert requests_mock.call_count == 2


def test_publish_report(hook, requests_mock):
    requests_mock.post(f"{API}/report/publish", json={"reportId": "r1", "type": "STATIC", "mode": "UPDATE"})

    published = hook.publish_report("alice/sales", "STATIC", "UPDATE")

    assert requests_mock.last_request.json() == {"notebookId": NOTEBOOK, "type": "STATIC", "mode": "UPDATE"}
    assert published.to_dict() == {"report_id": "r1", "type": "STATIC", "mode": "UPDATE"}


def test_publish_report_is_not_retried_once_sent(hook, requests_mock):
    requests_mock.post(f"{API}/report/publish", status_code=503, text="down")
    with pytest.raises(DataloreRequestError) as raised:
        hook.publish_report("alice/sales", "INTERACTIVE", "CREATE")
    assert requests_mock.call_count == 1
    assert "the report may have been published" in str(raised.value)
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize(
    ("report_type", "mode"), [("static", "CREATE"), ("STATIC", "REPLACE"), (None, "CREATE")]
)
def test_publish_report_refuses_a_bad_type_or_mode_before_sending(hook, requests_mock, report_type, mode):
    with pytest.raises(
        ValueError, match="expected a type of STATIC, INTERACTIVE and a mode of CREATE, UPDATE"
    ):
        hook.publish_report("alice/sales", report_type, mode)
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("cell_id", ["", "  ", None, 3])
def test_a_bad_cell_id_sends_nothing(hook, requests_mock, cell_id):
    with pytest.raises(ValueError, match="cell id .* is not valid"):
        hook.get_cell_outputs("alice/sales", cell_id)
    assert requests_mock.call_count == 0


def test_async_twins_read_the_emulator(emulator):
    async def read():
        async with DataloreHook() as hook:
            listing = await hook.a_list_cells("demo/sales-report", outputs=True)
            kernel = await hook.a_get_kernel_status("demo/sales-report")
        return listing, kernel

    listing, kernel = asyncio.run(read())
    assert kernel.state in ("NOT_STARTED", "READY")
    assert listing.detailed is True
    (request, _) = emulator.journal
    assert request.body == {
        "notebookId": {"ownerId": "demo", "id": "sales-report"},
        "worksheetIndex": 0,
        "includeOutputs": True,
    }


def test_a_cells_reply_may_be_larger_than_other_replies_but_not_unbounded(hook, requests_mock):
    # /cells sends up to about 5 million characters of outputs: more than the 4 MiB of other replies.
    big = {**DETAILED["cellsWithOutputs"][0], "outputs": [{"outputType": "TEXT", "text": "x" * 6_000_000}]}
    requests_mock.post(f"{API}/cells", json={**DETAILED, "cellsWithOutputs": [big]})
    (cell,) = hook.list_cells("alice/sales", outputs=True).cells
    assert len(cell.outputs[0].text) == 6_000_000

    huge = {**big, "outputs": [{"outputType": "TEXT", "text": "x" * (33 * 1024 * 1024)}]}
    requests_mock.post(f"{API}/cells", json={**DETAILED, "cellsWithOutputs": [huge]})
    with pytest.raises(DataloreResponseError, match="a reply of more than"):
        hook.list_cells("alice/sales", outputs=True)

    requests_mock.post(f"{API}/kernel/status", json={"state": "READY", "padding": "x" * 5_000_000})
    with pytest.raises(DataloreResponseError, match="a reply of more than"):
        hook.get_kernel_status("alice/sales")
