"""Notebook API reply bodies for the tests of notebook_api's pure readers, shaped as JetBrains' reference shows them."""

from __future__ import annotations

from typing import Any

AT = "2026-12-07T09:00:00.000Z"
LATER = "2026-12-07T10:00:00.000Z"


def code(
    cell_id: str,
    position: int,
    source: str = "x = 1",
    *,
    status: str | None = "VALID",
    count: int | None = 1,
    at: str | None = AT,
    timing: Any = "default",
    outputs: list[dict[str, Any]] | None = None,
    cell_type: str = "CODE",
) -> dict[str, Any]:
    """A detailed cell (``cellsWithOutputs``)."""
    return {
        "cellId": cell_id,
        "cellType": cell_type,
        "position": position,
        "source": source,
        "executionStatus": status,
        "executionCount": count,
        "timing": {"durationMs": 42, "lastExecutedAt": at} if timing == "default" else timing,
        "outputs": [] if outputs is None else outputs,
        "data": {"language": "python"},
    }


def control(cell_id: str, position: int, widget: dict[str, Any], **more: Any) -> dict[str, Any]:
    """A detailed CONTROL cell holding ``widget``."""
    cell = code(cell_id, position, "", **more)
    cell.update(cellType="CONTROL", data={"control": widget})
    return cell


def markdown(cell_id: str, position: int, source: str) -> dict[str, Any]:
    """A MARKDOWN cell (never runs: no status, no timing)."""
    return code(cell_id, position, source, status="NONE", count=None, timing=None, cell_type="MARKDOWN")


def output(text: str | None, output_type: str = "TEXT", *, truncated: bool = False) -> dict[str, Any]:
    return {"outputType": output_type, "text": text, "truncated": truncated}


def listing(*cells: dict[str, Any], truncated_from: str | None = None) -> dict[str, Any]:
    """A detailed ``/cells`` reply."""
    return {
        "cells": [],
        "cellsWithOutputs": list(cells),
        "outputsTruncated": truncated_from is not None,
        "outputsTruncatedFromCellId": truncated_from,
    }


def slider(variable: str = "threshold", label: str = "Threshold", **fields: Any) -> dict[str, Any]:
    return {"controlType": "SLIDER", "label": label, "variable": variable, "value": "50", "min": "0",
            "max": "100", "step": "5", **fields}  # fmt: skip


def dropdown(variable: str = "region", label: str = "Region", **fields: Any) -> dict[str, Any]:
    return {"controlType": "DROPDOWN", "label": label, "variable": variable, "items": ["EU", "US", "APAC"],
            "selectedValue": "EU", "multiselect": False, "selectedValues": [], **fields}  # fmt: skip


def datepicker(variable: str = "day", label: str = "Day", **fields: Any) -> dict[str, Any]:
    return {"controlType": "DATEPICKER", "label": label, "variable": variable, "startDate": "2026-01-01",
            "endDate": None, "withRange": False, **fields}  # fmt: skip


def checkbox(variable: str = "fresh", label: str = "Fresh only", **fields: Any) -> dict[str, Any]:
    return {"controlType": "CHECKBOX", "label": label, "variable": variable, "value": False, **fields}


def text_input(variable: str = "title", label: str = "Title", **fields: Any) -> dict[str, Any]:
    return {"controlType": "TEXT_INPUT", "label": label, "variable": variable, "value": "", "multiline": False,
            **fields}  # fmt: skip
