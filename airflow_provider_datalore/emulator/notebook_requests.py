"""
Strict validation of the Notebook API's cell, control, kernel and report bodies, raising 400s naming the field.

Where JetBrains' reference gives a default it is filled in; where it gives a range (``timeoutMs`` at most
30000), a value outside it is 400 (the emulator's choice: the reference does not say whether it clamps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_datalore.emulator.checks import is_int, show
from airflow_provider_datalore.emulator.reports import (
    COMPUTATION_MODES,
    PUBLISH_MODES,
    REPORT_TYPES,
    PublishRequest,
)
from airflow_provider_datalore.emulator.validation import bad_request, check_body, notebook_ref

MAX_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class CellsRequest:
    """A validated ``/cells`` body."""

    notebook_id: str
    worksheet_index: int = 0
    include_outputs: bool = False


@dataclass(frozen=True)
class CellRequest:
    """A validated ``/cell`` or ``/cell/outputs`` body."""

    notebook_id: str
    cell_id: str


@dataclass(frozen=True)
class CellRun:
    """A validated ``/cell/run`` body."""

    notebook_id: str
    cell_id: str
    timeout_ms: int = MAX_TIMEOUT_MS


@dataclass(frozen=True)
class ControlUpdate:
    """A validated ``/cell/controls/update`` body (the control itself is checked against the cell's)."""

    notebook_id: str
    cell_id: str
    control: dict[str, Any]
    run: bool = False
    timeout_ms: int = MAX_TIMEOUT_MS


@dataclass(frozen=True)
class CellsRun:
    """A validated ``/cells/run`` body."""

    notebook_id: str
    cell_ids: tuple[str, ...]
    stop_on_error: bool = True
    timeout_ms: int = MAX_TIMEOUT_MS


def parse_cells_request(body: Any, server_version: str = "2026") -> CellsRequest:
    """
    Validate ``{"notebookId", "worksheetIndex"?, "includeOutputs"?}``.

    :param body: the parsed JSON body.
    :param server_version: not read (every parse function of the endpoint table is called alike).
    """
    check_body(body, ("notebookId", "worksheetIndex", "includeOutputs"))
    index = body.get("worksheetIndex", 0)
    if not is_int(index) or index < 0:
        raise bad_request(f"Field 'worksheetIndex' must be an integer >= 0, got {show(index)}")
    return CellsRequest(notebook_ref(body), index, _flag(body, "includeOutputs", False))


def parse_cell_request(body: Any, server_version: str = "2026") -> CellRequest:
    """
    Validate ``{"notebookId", "cellId"}``.

    :param body: the parsed JSON body.
    :param server_version: not read (every parse function of the endpoint table is called alike).
    """
    check_body(body, ("notebookId", "cellId"))
    return CellRequest(notebook_ref(body), _cell_id(body))


def parse_cell_run(body: Any, server_version: str = "2026") -> CellRun:
    """
    Validate ``{"notebookId", "cellId", "timeoutMs"?}``.

    :param body: the parsed JSON body.
    :param server_version: not read (every parse function of the endpoint table is called alike).
    """
    check_body(body, ("notebookId", "cellId", "timeoutMs"))
    return CellRun(notebook_ref(body), _cell_id(body), _timeout(body))


def parse_control_update(body: Any, server_version: str = "2026") -> ControlUpdate:
    """
    Validate ``{"notebookId", "cellId", "control", "run"?, "timeoutMs"?}``.

    :param body: the parsed JSON body.
    :param server_version: not read (every parse function of the endpoint table is called alike).
    """
    check_body(body, ("notebookId", "cellId", "control", "run", "timeoutMs"))
    notebook_id, cell_id = notebook_ref(body), _cell_id(body)
    control = body.get("control")
    if not isinstance(control, dict):
        raise bad_request(f"Field 'control' must be an object with 'controlType', got {show(control)}")
    return ControlUpdate(notebook_id, cell_id, control, _flag(body, "run", False), _timeout(body))


def parse_cells_run(body: Any, server_version: str = "2026") -> CellsRun:
    """
    Validate ``{"notebookId", "cellIds", "stopOnError"?, "timeoutMs"?}``.

    :param body: the parsed JSON body.
    :param server_version: not read (every parse function of the endpoint table is called alike).
    """
    check_body(body, ("notebookId", "cellIds", "stopOnError", "timeoutMs"))
    notebook_id = notebook_ref(body)
    cell_ids = body.get("cellIds")
    if not isinstance(cell_ids, list) or not cell_ids:
        raise bad_request(f"Field 'cellIds' must be a non-empty list of cell IDs, got {show(cell_ids)}")
    if not all(isinstance(cell_id, str) and cell_id for cell_id in cell_ids):
        raise bad_request(f"Field 'cellIds' must hold non-empty strings, got {show(cell_ids)}")
    return CellsRun(notebook_id, tuple(cell_ids), _flag(body, "stopOnError", True), _timeout(body))


def parse_publish_request(body: Any, server_version: str = "2026") -> PublishRequest:
    """
    Validate ``{"notebookId", "type", "mode", "fullWidth"?, "computationMode"?, "canDownloadAndEditCopy"?}``.

    :param body: the parsed JSON body.
    :param server_version: not read (every parse function of the endpoint table is called alike).
    """
    allowed = ("notebookId", "type", "mode", "fullWidth", "computationMode", "canDownloadAndEditCopy")
    check_body(body, allowed)
    notebook_id = notebook_ref(body)
    kind, mode = body.get("type"), body.get("mode")
    if kind not in REPORT_TYPES:
        raise bad_request(f"Field 'type' must be STATIC or INTERACTIVE, got {show(kind)}")
    if mode not in PUBLISH_MODES:
        raise bad_request(f"Field 'mode' must be CREATE or UPDATE, got {show(mode)}")
    computation = body.get("computationMode")
    if computation is not None and kind != "INTERACTIVE":
        raise bad_request("Field 'computationMode' applies to INTERACTIVE reports only")
    if computation is not None and computation not in COMPUTATION_MODES:
        raise bad_request(f"Field 'computationMode' must be REACTIVE or JUPYTER, got {show(computation)}")
    if kind == "INTERACTIVE" and computation is None:
        computation = "REACTIVE"
    return PublishRequest(
        notebook_id,
        kind,
        mode,
        full_width=_flag(body, "fullWidth", True),
        computation_mode=computation,
        can_download_and_edit_copy=_flag(body, "canDownloadAndEditCopy", False),
    )


def _cell_id(body: dict[str, Any]) -> str:
    if "cellId" not in body:
        raise bad_request("Missing required field 'cellId'")
    value = body["cellId"]
    if not isinstance(value, str) or not value:
        raise bad_request(f"Field 'cellId' must be a non-empty string, got {show(value)}")
    return value


def _flag(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise bad_request(f"Field {key!r} must be a boolean, got {show(value)}")
    return value


def _timeout(body: dict[str, Any]) -> int:
    value = body.get("timeoutMs", MAX_TIMEOUT_MS)
    if not is_int(value) or not 1 <= value <= MAX_TIMEOUT_MS:
        raise bad_request(
            f"Field 'timeoutMs' must be an integer from 1 to {MAX_TIMEOUT_MS}, got {show(value)}"
        )
    return value
