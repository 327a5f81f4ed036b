from __future__ import annotations

import pytest

from airflow_provider_datalore.exceptions import DataloreResponseError
from airflow_provider_datalore.notebook_api.cells import (
    MAX_CELLS,
    Cell,
    CellListing,
    CellOutput,
    CellOutputs,
    read_cell,
    read_cells,
)
from tests.notebook_api.payloads import AT, code, control, listing, markdown, output, slider

SUMMARY = {
    "cells": [
        {
            "cellId": "kN3xQ7",
            "cellType": "CODE",
            "position": 0,
            "source": "import pandas as pd\ndf = pd.read_csv('data.csv')",
            "data": {"language": "python"},
        }
    ],
    "cellsWithOutputs": None,
    "outputsTruncated": False,
    "outputsTruncatedFromCellId": None,
}


def test_summary_listing_as_the_reference_shows_it():
    assert read_cells(SUMMARY) == CellListing(
        cells=(Cell("kN3xQ7", "CODE", 0, "import pandas as pd\ndf = pd.read_csv('data.csv')"),),
        detailed=False,
    )


def test_detailed_listing_as_the_reference_shows_it():
    reply = listing(code("kN3xQ7", 0, "print('hello')", count=3, outputs=[output("hello\n")]))
    assert read_cells(reply) == CellListing(
        cells=(
            Cell(
                "kN3xQ7",
                "CODE",
                0,
                "print('hello')",
                execution_status="VALID",
                execution_count=3,
                last_executed_at=AT,
                duration_ms=42,
                timed=True,
                outputs=(CellOutput("TEXT", "hello\n", False),),
            ),
        ),
        detailed=True,
    )


def test_an_empty_worksheet_in_either_shape():
    assert read_cells(listing()) == CellListing((), detailed=True)
    assert read_cells({"cells": [], "cellsWithOutputs": None}) == CellListing((), detailed=False)


def test_control_cells_keep_their_control_and_no_source():
    widget = slider()
    cell = read_cells(listing(control("c1", 0, widget))).cells[0]
    assert (cell.cell_type, cell.control, cell.source, cell.first_line) == (
        "CONTROL",
        widget,
        "",
        "Threshold",
    )
    assert cell.control is not widget  # a copy: the reply's dict is not shared


def test_outputs_truncated_names_the_first_dropped_cell():
    reply = listing(code("a", 0, outputs=[output("x" * 10)]), code("b", 1), truncated_from="b")
    read = read_cells(reply)
    assert (read.outputs_truncated, read.truncated_from_cell_id) == (True, "b")
    assert read.cells[1].outputs == ()


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        # Unknown statuses and output types are kept as sent.
        (code("a", 0, status="QUEUED_SOMEWHERE"), {"execution_status": "QUEUED_SOMEWHERE"}),
        (code("a", 0, outputs=[output("{}", "GEOJSON")]), {"outputs": (CellOutput("GEOJSON", "{}", False),)}),
        # Null timing: never executed.
        (code("a", 0, timing=None, count=None, status="NONE"), {"timed": False, "last_executed_at": None}),
        # Timing with null fields: started, never finished.
        (
            code("a", 0, timing={"durationMs": None, "lastExecutedAt": None}),
            {"timed": True, "duration_ms": None},
        ),
        # Missing outputs, a binary output, a truncated one.
        ({k: v for k, v in code("a", 0).items() if k != "outputs"}, {"outputs": ()}),
        (code("a", 0, outputs=[output(None, "PLOT")]), {"outputs": (CellOutput("PLOT", None, False),)}),
        (code("a", 0, outputs=[output("x", truncated=True)]), {"outputs": (CellOutput("TEXT", "x", True),)}),
        # A position that is not a number is the cell's place; a count that is not one is unknown.
        (code("a", "first"), {"position": 0}),  # type: ignore[arg-type]
        (code("a", 0, count=True), {"execution_count": None}),  # type: ignore[arg-type]
        (code("a", 0, count=-1), {"execution_count": None}),
        (code("a", 0, status=7), {"execution_status": None}),  # type: ignore[arg-type]
        # A long status is clipped, not kept whole.
        (code("a", 0, status="S" * 100), {"execution_status": "S" * 64 + "... (36 more characters)"}),
        (markdown("m", 0, "# Title\nmore"), {"cell_type": "MARKDOWN", "execution_status": "NONE"}),
    ],
)
def test_tolerant_reading(cell, expected):
    read = read_cells(listing(cell)).cells[0]
    assert {name: getattr(read, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (["not", "an", "object"], "a cell listing that is not an object: ['not', 'an', 'object']"),
        ("<html>", "a cell listing that is not an object: '<html>'"),
        (
            {"cells": None, "cellsWithOutputs": None},
            "a cell listing without a 'cells' or 'cellsWithOutputs' list",
        ),
        (listing(["a"]), "cell 0 of a cell listing is not an object: ['a']"),  # type: ignore[arg-type]
        (
            listing({"cellType": "CODE"}),
            "cell 0 of a cell listing has no 'cellId' of 1 to 200 printable characters (got None)",
        ),
        (
            listing({"cellId": 5, "cellType": "CODE"}),
            "cell 0 of a cell listing has no 'cellId' of 1 to 200 printable characters (got 5)",
        ),
        (
            listing({"cellId": "", "cellType": "CODE"}),
            "cell 0 of a cell listing has no 'cellId' of 1 to 200 printable characters (got '')",
        ),
        (
            listing({"cellId": "a\nb", "cellType": "CODE"}),
            "cell 0 of a cell listing has no 'cellId' of 1 to 200 printable characters (got 'a\\nb')",
        ),
        (
            listing({"cellId": "x" * 201, "cellType": "CODE"}),
            "cell 0 of a cell listing has no 'cellId' of 1 to 200 printable characters (got 'xxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxx')",
        ),
        (listing({"cellId": "a"}), "cell 0 of a cell listing has no string 'cellType' (got None)"),
        (listing(code("a", 0), code("a", 1)), "a cell listing with two cells of id a"),
        (
            listing(code("a", 0, outputs="hello")),
            "cell 0 of a cell listing has 'outputs' that is not a list: 'hello'",
        ),  # type: ignore[arg-type]
        (
            listing(code("a", 0, outputs=[output("x"), "y"])),
            "output 1 of cell 0 of a cell listing is not an object: 'y'",
        ),  # type: ignore[list-item]
    ],
)
def test_strict_reading(reply, message):
    with pytest.raises(DataloreResponseError) as err:
        read_cells(reply)
    assert str(err.value) == message


def test_a_listing_of_too_many_cells_is_refused():
    reply = {"cells": [{"cellId": str(i), "cellType": "CODE"} for i in range(MAX_CELLS + 1)]}
    with pytest.raises(DataloreResponseError) as err:
        read_cells(reply)
    assert str(err.value) == (
        "a cell listing of 10001 cells; this provider reads notebooks of at most 10000 cells per worksheet"
    )
    assert len(read_cells({"cells": reply["cells"][:MAX_CELLS]}).cells) == MAX_CELLS


def test_read_cell_of_a_cell_reply():
    assert read_cell(code("kN3xQ7", 4, "print(1)")).position == 4


OUTPUTS_REPLY = {
    "cellId": "kN3xQ7",
    "executionStatus": "VALID",
    "executionCount": 5,
    "timing": {"durationMs": 342, "lastExecutedAt": "2026-04-21T10:05:00.543Z"},
    "stdout": "Processing...\n",
    "stderr": None,
    "errorMessage": None,
    "errorTraceback": None,
    "outputs": [{"outputType": "TEXT", "text": "Processing...\n", "truncated": False}],
}


def test_cell_outputs_as_the_reference_shows_them():
    assert CellOutputs.from_reply(OUTPUTS_REPLY) == CellOutputs(
        cell_id="kN3xQ7",
        status="VALID",
        execution_count=5,
        last_executed_at="2026-04-21T10:05:00.543Z",
        duration_ms=342,
        stdout="Processing...\n",
        outputs=(CellOutput("TEXT", "Processing...\n", False),),
    )


def test_cell_outputs_flags_and_an_error():
    reply = OUTPUTS_REPLY | {
        "executionStatus": "ERROR",
        "errorMessage": "ZeroDivisionError: division by zero",
        "errorTraceback": "Traceback...",
        "stdoutTruncated": True,
        "stderrTruncated": "yes",  # only true is true
        "errorTracebackTruncated": True,
        "timing": None,
    }
    read = CellOutputs.from_reply(reply)
    assert (read.status, read.error_message, read.error_traceback) == (
        "ERROR",
        reply["errorMessage"],
        "Traceback...",
    )
    assert (read.stdout_truncated, read.stderr_truncated, read.error_traceback_truncated) == (
        True,
        False,
        True,
    )
    assert (read.last_executed_at, read.duration_ms) == (None, None)


def test_cell_outputs_tolerate_a_timeout_and_missing_fields():
    assert CellOutputs.from_reply({"cellId": "a", "executionStatus": "TIMEOUT"}) == CellOutputs(
        "a", "TIMEOUT"
    )


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (None, "a cell outputs reply that is not an object: None"),
        (
            [OUTPUTS_REPLY],
            "a cell outputs reply that is not an object: [{'cellId': 'kN3xQ7', 'errorMessage': None, 'errorTraceback': None, 'executionCo... (243 more characters)",
        ),
        (
            {"executionStatus": "VALID"},
            "a cell outputs reply has no 'cellId' of 1 to 200 printable characters (got None)",
        ),
    ],
)
def test_cell_outputs_strict(reply, message):
    with pytest.raises(DataloreResponseError) as err:
        CellOutputs.from_reply(reply)
    assert str(err.value) == message


def test_run_result_of_a_control_update():
    assert CellOutputs.from_update_reply({"cellId": "c", "applied": True, "runResult": None}) is None
    read = CellOutputs.from_update_reply({"cellId": "c", "applied": True, "runResult": OUTPUTS_REPLY})
    assert read is not None and read.execution_count == 5
    with pytest.raises(DataloreResponseError, match="a cell update reply that is not an object: 'ok'"):
        CellOutputs.from_update_reply("ok")
