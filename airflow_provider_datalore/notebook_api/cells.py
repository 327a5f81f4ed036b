"""
A notebook's cells and one cell's outputs, read from the Notebook API's ``/cells``, ``/cell`` and
``/cell/outputs`` replies (and ``runResult``, which has the ``/cell/outputs`` shape).

Strict where a wrong reading would mislead: a reply that is not an object, a cell without a string
``cellId`` or ``cellType``, two cells with one id, more than :data:`MAX_CELLS` cells, or an output that
is not an object fail the reading with a ``DataloreResponseError`` (a read: retried). Tolerant where the
reference leaves room or a newer server may say more: an ``executionStatus`` or ``outputType`` outside
the documented sets is kept as sent, ``timing`` may be null (never executed) or have null fields (started,
never finished), ``outputs`` may be missing (none), a ``position`` that is not a number is the cell's
place in the list. Texts are kept as sent; what goes to XCom is cut in ``outputs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_datalore.clipping import clip, show
from airflow_provider_datalore.exceptions import DataloreResponseError

#: "Terminal states: VALID, ERROR, WARNING. Treat WARNING as success." (of NONE, STARTED, WAITING,
#: PROCESSING_OUTPUT, VALID, ERROR, WARNING, TIMEOUT; another status is kept as sent).
SUCCESS_STATUSES = frozenset({"VALID", "WARNING"})
ERROR_STATUS = "ERROR"
#: Cells a listing may have; more is a broken server (a worksheet of that many cells is not a notebook).
MAX_CELLS = 10_000
#: Characters of a cell id at most (the reference's ids are six); a longer one is a broken server.
MAX_CELL_ID_CHARS = 200
#: Characters of a status, type or timestamp kept from the server.
MAX_WORD_CHARS = 64


@dataclass(frozen=True, slots=True)
class CellOutput:
    """
    One output of a cell.

    :param output_type: ``TEXT``, ``LAST_EXPRESSION``, ``TABLE``... as sent.
    :param text: Its text; None for binary-only types (``PLOT``).
    :param truncated: Whether the server cut it (at 100,000 characters).
    """

    output_type: str
    text: str | None
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class Cell:
    """
    One cell as ``/cells`` (either shape) or ``/cell`` gives it.

    :param cell_id: ``cellId``.
    :param cell_type: ``CODE``, ``MARKDOWN``, ``SQL``, ``CONTROL`` (or another, as sent).
    :param position: Its 0-based place in the worksheet.
    :param source: Its source; empty for CONTROL cells (the reference: source is ignored for them).
    :param control: ``data.control`` of a CONTROL cell; None for other cells or without one.
    :param execution_status: ``executionStatus`` as sent; None in a summary listing.
    :param execution_count: ``executionCount``; None when not sent.
    :param last_executed_at: ``timing.lastExecutedAt``; None when never executed or not finished.
    :param duration_ms: ``timing.durationMs``.
    :param timed: Whether ``timing`` was an object: null means the cell has never been executed.
    :param outputs: Its outputs; empty in a summary listing, or when ``outputsTruncated`` dropped them.
    """

    cell_id: str
    cell_type: str
    position: int
    source: str = ""
    control: dict[str, Any] | None = None
    execution_status: str | None = None
    execution_count: int | None = None
    last_executed_at: str | None = None
    duration_ms: int | None = None
    timed: bool = False
    outputs: tuple[CellOutput, ...] = ()

    @property
    def first_line(self) -> str:
        """The first non-blank line of its source (of a CONTROL cell: its label or variable), unclipped."""
        if self.control is not None:
            return str(self.control.get("label") or self.control.get("variable") or "")
        return next((line.strip() for line in self.source.splitlines() if line.strip()), "")


@dataclass(frozen=True, slots=True)
class CellListing:
    """
    A ``/cells`` reply.

    :param cells: The cells, in the order sent.
    :param detailed: Whether it was the detailed shape (``cellsWithOutputs``, with statuses and outputs).
    :param outputs_truncated: ``outputsTruncated``: the reply reached its ~5 million characters and the
        outputs of ``truncated_from_cell_id`` and every later cell were dropped (read them by
        ``/cell/outputs``).
    :param truncated_from_cell_id: ``outputsTruncatedFromCellId``.
    """

    cells: tuple[Cell, ...]
    detailed: bool
    outputs_truncated: bool = False
    truncated_from_cell_id: str | None = None


@dataclass(frozen=True, slots=True)
class CellOutputs:
    """
    A ``/cell/outputs`` reply (or a ``/cell/run`` reply, or the ``runResult`` of a control update).

    :param cell_id: ``cellId``.
    :param status: ``executionStatus`` as sent (``TIMEOUT``: the request's wait ended, the cell may run on).
    :param execution_count: ``executionCount``.
    :param last_executed_at: ``timing.lastExecutedAt``.
    :param duration_ms: ``timing.durationMs``.
    :param stdout: What the cell printed; the server cuts it at 10,000 characters (``stdout_truncated``).
    :param stderr: Likewise (``stderr_truncated``).
    :param error_message: ``errorMessage``.
    :param error_traceback: ``errorTraceback`` (``error_traceback_truncated``).
    :param outputs: Its outputs.
    """

    cell_id: str
    status: str | None
    execution_count: int | None = None
    last_executed_at: str | None = None
    duration_ms: int | None = None
    stdout: str | None = None
    stderr: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    outputs: tuple[CellOutput, ...] = ()
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    error_traceback_truncated: bool = False

    @classmethod
    def from_reply(cls, payload: Any) -> CellOutputs:
        """
        Read a ``/cell/outputs`` or ``/cell/run`` reply.

        :raises DataloreResponseError: Not an object, no string ``cellId``, an output not an object.
        """
        if not isinstance(payload, dict):
            raise DataloreResponseError(f"a cell outputs reply that is not an object: {show(payload, 80)}")
        last_executed_at, duration_ms, _ = _timing(payload.get("timing"))
        return cls(
            cell_id=_cell_id(payload, "a cell outputs reply"),
            status=_word(payload.get("executionStatus")),
            execution_count=_count(payload.get("executionCount")),
            last_executed_at=last_executed_at,
            duration_ms=duration_ms,
            stdout=_text(payload.get("stdout")),
            stderr=_text(payload.get("stderr")),
            error_message=_text(payload.get("errorMessage")),
            error_traceback=_text(payload.get("errorTraceback")),
            outputs=_outputs(payload.get("outputs"), "a cell outputs reply"),
            stdout_truncated=payload.get("stdoutTruncated") is True,
            stderr_truncated=payload.get("stderrTruncated") is True,
            error_traceback_truncated=payload.get("errorTracebackTruncated") is True,
        )

    @classmethod
    def from_update_reply(cls, payload: Any) -> CellOutputs | None:
        """
        Read the ``runResult`` of a ``/cell/controls/update`` (or ``/cell/edit``) reply; None when null
        (the update did not run the cell).
        """
        if not isinstance(payload, dict):
            raise DataloreResponseError(f"a cell update reply that is not an object: {show(payload, 80)}")
        result = payload.get("runResult")
        return None if result is None else cls.from_reply(result)


def read_cells(payload: Any) -> CellListing:
    """
    Read a ``/cells`` reply in either shape: summary (``cells``) or detailed (``cellsWithOutputs``).

    The detailed shape is the one whose ``cellsWithOutputs`` is a list (the summary sends null there,
    the detailed an empty ``cells``).

    :raises DataloreResponseError: Not an object, neither list, more than :data:`MAX_CELLS` cells, a
        malformed cell, two cells with one id.
    """
    if not isinstance(payload, dict):
        raise DataloreResponseError(f"a cell listing that is not an object: {show(payload, 80)}")
    detailed_cells, summary_cells = payload.get("cellsWithOutputs"), payload.get("cells")
    detailed = isinstance(detailed_cells, list) and (bool(detailed_cells) or not summary_cells)
    entries = detailed_cells if detailed else summary_cells
    if not isinstance(entries, list):
        raise DataloreResponseError("a cell listing without a 'cells' or 'cellsWithOutputs' list")
    if len(entries) > MAX_CELLS:
        raise DataloreResponseError(
            f"a cell listing of {len(entries)} cells; this provider reads notebooks of at most {MAX_CELLS} "
            "cells per worksheet"
        )
    cells = tuple(read_cell(entry, index) for index, entry in enumerate(entries))
    seen: set[str] = set()
    for cell in cells:
        if cell.cell_id in seen:
            raise DataloreResponseError(f"a cell listing with two cells of id {clip(cell.cell_id, 80)}")
        seen.add(cell.cell_id)
    truncated_from = payload.get("outputsTruncatedFromCellId")
    return CellListing(
        cells=cells,
        detailed=detailed,
        outputs_truncated=payload.get("outputsTruncated") is True,
        truncated_from_cell_id=truncated_from
        if isinstance(truncated_from, str) and truncated_from in seen
        else None,
    )


def read_cell(entry: Any, index: int = 0) -> Cell:
    """
    Read one cell of a listing, or the ``cell`` of a ``/cell`` reply (pass ``payload["cell"]``).

    :param index: Its place in the listing: its position when it sends none.
    """
    what = f"cell {index} of a cell listing"
    if not isinstance(entry, dict):
        raise DataloreResponseError(f"{what} is not an object: {show(entry, 80)}")
    cell_type = entry.get("cellType")
    if not isinstance(cell_type, str) or not cell_type:
        raise DataloreResponseError(f"{what} has no string 'cellType' (got {show(cell_type, 60)})")
    data = entry.get("data")
    control = data.get("control") if isinstance(data, dict) and cell_type == "CONTROL" else None
    position = entry.get("position")
    source = entry.get("source")
    last_executed_at, duration_ms, timed = _timing(entry.get("timing"))
    return Cell(
        cell_id=_cell_id(entry, what),
        cell_type=clip(cell_type, MAX_WORD_CHARS),
        position=position if isinstance(position, int) and not isinstance(position, bool) else index,
        source=source if isinstance(source, str) and cell_type != "CONTROL" else "",
        control=dict(control) if isinstance(control, dict) else None,
        execution_status=_word(entry.get("executionStatus")),
        execution_count=_count(entry.get("executionCount")),
        last_executed_at=last_executed_at,
        duration_ms=duration_ms,
        timed=timed,
        outputs=_outputs(entry.get("outputs"), what),
    )


def _cell_id(entry: dict[str, Any], what: str) -> str:
    cell_id = entry.get("cellId")
    if (
        not isinstance(cell_id, str)
        or not cell_id
        or len(cell_id) > MAX_CELL_ID_CHARS
        or not cell_id.isprintable()
    ):
        raise DataloreResponseError(
            f"{what} has no 'cellId' of 1 to {MAX_CELL_ID_CHARS} printable characters (got {show(cell_id, 60)})"
        )
    return cell_id


def _outputs(outputs: Any, what: str) -> tuple[CellOutput, ...]:
    if outputs is None:
        return ()
    if not isinstance(outputs, list):
        raise DataloreResponseError(f"{what} has 'outputs' that is not a list: {show(outputs, 80)}")
    read = []
    for number, output in enumerate(outputs):
        if not isinstance(output, dict):
            raise DataloreResponseError(f"output {number} of {what} is not an object: {show(output, 80)}")
        read.append(
            CellOutput(
                output_type=_word(output.get("outputType")) or "",
                text=_text(output.get("text")),
                truncated=output.get("truncated") is True,
            )
        )
    return tuple(read)


def _timing(timing: Any) -> tuple[str | None, int | None, bool]:
    """Return ``(lastExecutedAt, durationMs, whether timing was an object)``."""
    if not isinstance(timing, dict):
        return None, None, False
    return _word(timing.get("lastExecutedAt")), _count(timing.get("durationMs")), True


def _word(value: Any) -> str | None:
    return clip(value, MAX_WORD_CHARS) if isinstance(value, str) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
