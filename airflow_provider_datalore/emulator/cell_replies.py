"""
The JSON of the Notebook API's cell replies (``/cells``, ``/cell``, ``/cell/outputs``, run results), clipped.

The truncation rules are JetBrains' reference's: one output's ``text`` is cut at 100,000 characters
(``truncated: true``); a ``/cells`` reply with outputs carries at most 5,000,000 characters of output text
in all: the first cell whose outputs would pass that, and every cell after it, get ``outputs: []``
(``outputsTruncated``, ``outputsTruncatedFromCellId``); ``stdout``, ``stderr`` and ``errorTraceback`` are
cut at 10,000 characters with ``stdoutTruncated``, ``stderrTruncated``, ``errorTracebackTruncated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from airflow_provider_datalore.emulator.cells import Cell, Output

OUTPUT_TEXT_LIMIT = 100_000
CELLS_OUTPUT_CAP = 5_000_000
STREAM_LIMIT = 10_000


@dataclass
class CellState:
    """Where a cell stands in the kernel: its execution status, count, timing and what its last run produced."""

    status: str = "NONE"
    count: int | None = None
    #: The cell has started at least once (``timing`` is null until then).
    started: bool = False
    duration_ms: int | None = None
    #: Unix seconds of the end of its last run; None while running.
    finished_at: float | None = None
    outputs: list[Output] = field(default_factory=list)
    stdout: str | None = None
    stderr: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None


@dataclass(frozen=True)
class CellView:
    """One cell as a reply shows it: the cell, its position, its state and (CONTROL) its control now."""

    cell: Cell
    position: int
    state: CellState
    control: Mapping[str, Any] | None = None


def iso_millis(epoch: float) -> str:
    """Return unix seconds as ISO 8601 UTC with milliseconds: ``2026-04-21T10:05:00.423Z``."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{moment.microsecond // 1000:03d}Z"


def timing(state: CellState) -> dict[str, Any] | None:
    """Return a cell's ``timing``: null if it never ran, both fields null while it runs."""
    if not state.started:
        return None
    executed = None if state.finished_at is None else iso_millis(state.finished_at)
    return {"durationMs": state.duration_ms, "lastExecutedAt": executed}


def outputs_json(outputs: Sequence[Output]) -> tuple[list[dict[str, Any]], int]:
    """Return outputs as replies send them, each text cut at 100,000 characters, and their characters in all."""
    sent, total = [], 0
    for output in outputs:
        text, truncated = output.text, False
        if text is not None and len(text) > OUTPUT_TEXT_LIMIT:
            text, truncated = text[:OUTPUT_TEXT_LIMIT], True
        total += len(text or "")
        sent.append({"outputType": output.type, "text": text, "truncated": truncated})
    return sent, total


def summary(view: CellView) -> dict[str, Any]:
    """Return a cell of a ``/cells`` summary: cellId, cellType, position, source, data."""
    cell = view.cell
    return {
        "cellId": cell.id,
        "cellType": cell.type,
        "position": view.position,
        "source": cell.source,
        "data": cell.reply_data(view.control),
    }


def detail(view: CellView, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """
    Return a cell with its execution status and outputs (``/cell``, ``/cells`` with ``includeOutputs``).

    :param view: the cell.
    :param outputs: the outputs to send instead of its own (``[]`` past the ``/cells`` cap), or None.
    """
    return {
        **summary(view),
        "executionStatus": view.state.status,
        "executionCount": view.state.count,
        "timing": timing(view.state),
        "outputs": outputs_json(view.state.outputs)[0] if outputs is None else outputs,
    }


def cells_reply(views: Sequence[CellView], *, include_outputs: bool) -> dict[str, Any]:
    """Return the ``/cells`` reply: the summary, or (``include_outputs``) the details within the 5M cap."""
    if not include_outputs:
        return {
            "cells": [summary(view) for view in views],
            "cellsWithOutputs": None,
            "outputsTruncated": False,
            "outputsTruncatedFromCellId": None,
        }
    details, total, dropped_from = [], 0, None
    for view in views:
        outputs, size = outputs_json(view.state.outputs)
        if dropped_from is None and total + size > CELLS_OUTPUT_CAP:
            dropped_from = view.cell.id
        if dropped_from is not None:
            outputs = []
        else:
            total += size
        details.append(detail(view, outputs))
    return {
        "cells": [],
        "cellsWithOutputs": details,
        "outputsTruncated": dropped_from is not None,
        "outputsTruncatedFromCellId": dropped_from,
    }


def outputs_reply(view: CellView, status: str | None = None) -> dict[str, Any]:
    """
    Return a cell's ``/cell/outputs`` reply (also a run's ``runResult`` and ``results[]``).

    :param view: the cell.
    :param status: the ``executionStatus`` to send instead of its own (``TIMEOUT``), or None.
    """
    state = view.state
    stdout, stdout_cut = _clip(state.stdout)
    stderr, stderr_cut = _clip(state.stderr)
    traceback, traceback_cut = _clip(state.error_traceback)
    return {
        "cellId": view.cell.id,
        "executionStatus": state.status if status is None else status,
        "executionCount": state.count,
        "timing": timing(state),
        "stdout": stdout,
        "stderr": stderr,
        "errorMessage": state.error_message,
        "errorTraceback": traceback,
        "outputs": outputs_json(state.outputs)[0],
        "stdoutTruncated": stdout_cut,
        "stderrTruncated": stderr_cut,
        "errorTracebackTruncated": traceback_cut,
    }


def _clip(text: str | None) -> tuple[str | None, bool]:
    if text is not None and len(text) > STREAM_LIMIT:
        return text[:STREAM_LIMIT], True
    return text, False
