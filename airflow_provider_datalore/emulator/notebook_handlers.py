"""What the Notebook API's cell, control, kernel and report endpoints do (see ``kernel`` and ``reports``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.cell_replies import cells_reply, detail, outputs_reply
from airflow_provider_datalore.emulator.errors import ApiError
from airflow_provider_datalore.emulator.handlers import Incoming, Outcome
from airflow_provider_datalore.emulator.kernel import RUNNABLE_TYPES
from airflow_provider_datalore.emulator.replies import Reply

if TYPE_CHECKING:
    from airflow_provider_datalore.emulator.notebook_requests import (
        CellRequest,
        CellRun,
        CellsRequest,
        CellsRun,
        ControlUpdate,
    )
    from airflow_provider_datalore.emulator.reports import PublishRequest
    from airflow_provider_datalore.emulator.state import EmulatorState


def _ok(body: Any, wait: float = 0.0) -> Outcome:
    return Outcome(Reply.json(200, body), wait=wait)


def _token(incoming: Incoming) -> str:
    assert incoming.token is not None
    return incoming.token


def kernel_status(state: EmulatorState, incoming: Incoming, notebook_id: str) -> Outcome:
    """
    Answer the notebook's kernel state; one status read (it may end the boot and advance the cells).

    :param state: the emulator's state.
    :param incoming: the request.
    :param notebook_id: the notebook its body names, as ``"owner/id"``.
    """
    with state.notebook(_token(incoming), notebook_id, editor=False) as session:
        session.kernel.read("kernel")
        return _ok(session.kernel.status())


def kernel_interrupt(state: EmulatorState, incoming: Incoming, notebook_id: str) -> Outcome:
    """
    Interrupt the running cell and stop the run: ``{"interrupted": bool}``; 409 NOT_STARTED without a session.

    :param state: the emulator's state.
    :param incoming: the request.
    :param notebook_id: the notebook its body names, as ``"owner/id"``.
    """
    with state.notebook(_token(incoming), notebook_id, editor=True) as session:
        return _ok(session.kernel.interrupt())


def list_cells(state: EmulatorState, incoming: Incoming, request: CellsRequest) -> Outcome:
    """
    Answer the worksheet's cells, with their statuses and outputs when asked; one status read.

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    with state.notebook(_token(incoming), request.notebook_id, editor=False) as session:
        if request.worksheet_index != 0:
            raise ApiError(
                404, f"Worksheet {request.worksheet_index} not found in notebook {request.notebook_id}"
            )
        session.kernel.read()
        return _ok(cells_reply(session.kernel.views(), include_outputs=request.include_outputs))


def get_cell(state: EmulatorState, incoming: Incoming, request: CellRequest) -> Outcome:
    """
    Answer ``{"cell": {...}}`` with its status and outputs; one status read; 404 for an unknown cell.

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    with state.notebook(_token(incoming), request.notebook_id, editor=False) as session:
        session.kernel.view(request.cell_id)
        session.kernel.read()
        return _ok({"cell": detail(session.kernel.view(request.cell_id))})


def cell_outputs(state: EmulatorState, incoming: Incoming, request: CellRequest) -> Outcome:
    """
    Answer a cell's status, stdout, stderr, error and outputs; one status read; 404 for an unknown cell.

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    with state.notebook(_token(incoming), request.notebook_id, editor=False) as session:
        session.kernel.view(request.cell_id)
        session.kernel.read()
        return _ok(outputs_reply(session.kernel.view(request.cell_id)))


def update_control(state: EmulatorState, incoming: Incoming, request: ControlUpdate) -> Outcome:
    """
    Store a control cell's new control data and, with ``run``, run the cell at once (409 BUSY mid-run).

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    with state.notebook(_token(incoming), request.notebook_id, editor=True) as session:
        kernel = session.kernel
        if request.run:
            kernel.view(request.cell_id)
            kernel.check_idle()
        kernel.update_control(request.cell_id, request.control)
        if not request.run:
            return _ok({"cellId": request.cell_id, "applied": True, "runResult": None})
        result = kernel.run_now([request.cell_id], stop_on_error=True, timeout_ms=request.timeout_ms)
        body = {"cellId": request.cell_id, "applied": True, "runResult": result.results[0]}
        return _ok(body, wait=result.seconds)


def run_cell(state: EmulatorState, incoming: Incoming, request: CellRun) -> Outcome:
    """
    Run one cell at once: the ``/cell/outputs`` shape, ``TIMEOUT`` past ``timeoutMs``; 400 for MARKDOWN.

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    with state.notebook(_token(incoming), request.notebook_id, editor=True) as session:
        cell = session.kernel.view(request.cell_id).cell
        if not cell.executed:
            raise ApiError(400, f"Cell {cell.id} is a MARKDOWN cell: there is nothing to run")
        result = session.kernel.run_now([cell.id], stop_on_error=True, timeout_ms=request.timeout_ms)
        return _ok(result.results[0], wait=result.seconds)


def run_cells(state: EmulatorState, incoming: Incoming, request: CellsRun) -> Outcome:
    """
    Run CODE and SQL cells at once, in order: ``{"results", "stopped", "stoppedReason"}``.

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    with state.notebook(_token(incoming), request.notebook_id, editor=True) as session:
        kernel = session.kernel
        for cell_id in request.cell_ids:
            cell = kernel.view(cell_id).cell
            if cell.type not in RUNNABLE_TYPES:
                raise ApiError(
                    400, f"Cell {cell_id} is a {cell.type} cell: /cells/run runs CODE and SQL cells only"
                )
        result = kernel.run_now(
            request.cell_ids, stop_on_error=request.stop_on_error, timeout_ms=request.timeout_ms
        )
        body = {
            "results": result.results,
            "stopped": result.stopped_reason is not None,
            "stoppedReason": result.stopped_reason,
        }
        return _ok(body, wait=result.seconds)


def publish_report(state: EmulatorState, incoming: Incoming, request: PublishRequest) -> Outcome:
    """
    Publish the notebook's report: ``{"reportId", "type", "mode"}``; 400 for an UPDATE with nothing to update.

    :param state: the emulator's state.
    :param incoming: the request.
    :param request: its parsed body.
    """
    with state.notebook(_token(incoming), request.notebook_id, editor=True) as session:
        return _ok(session.reports.publish(request))
