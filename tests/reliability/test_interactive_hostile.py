"""
Interactive runs against hostile servers and bad input: a clear error before anything changes, a wait that
ends honestly, outputs within their budget, no token shown.

Each test is one row of the table "Interactive runs: hostile servers and bad input" in docs/reliability.md
(``test_<case id with underscores>``; ``test_reliability_doc.py`` keeps the two equal). The servers are
the emulator's notebook model, faults and settings, so a user can reproduce each case.
"""

from __future__ import annotations

import json
import time

import pytest

from airflow_provider_datalore.emulator import Notebook
from airflow_provider_datalore.exceptions import (
    DataloreNotebookMismatchError,
    DataloreRunTimeoutError,
)
from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.notebook_api.outputs import MAX_ENTRY_CHARS, MAX_TEXT_CHARS
from airflow_provider_datalore.operators.interactive import DataloreRunInteractiveOperator
from tests.constants import TOKEN
from tests.helpers import task_context

NB = "demo/sales-report"
HOSTILE = "demo/hostile"
CELLS_PATH = "/api/notebook/v1/cells"
INTERRUPT_PATH = "/api/notebook/v1/kernel/interrupt"


def run(notebook_id=NB, **kwargs):
    kwargs.setdefault("poll_interval", 0.01)
    kwargs.setdefault("timeout", 30)
    context = task_context()
    result = DataloreRunInteractiveOperator(task_id="i", notebook_id=notebook_id, **kwargs).execute(context)
    return result, context


def hostile_notebook(emulator, cells, **settings):
    emulator.add_token(TOKEN, {NB: "editor", HOSTILE: "editor"})
    emulator.add_notebook(Notebook.from_dict({"id": HOSTILE, "cells": cells, **settings}))


def paths(emulator):
    return [entry.path for entry in emulator.journal]


def code(cell_id, **more):
    return {"id": cell_id, "type": "CODE", "source": f"{cell_id} = compute()\n{cell_id}", **more}


def refused_before_anything(emulator, caught, *words):
    for word in words:
        assert word in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert paths(emulator) == [CELLS_PATH]  # the cells were read; nothing was set or started


def test_parameter_for_a_control_that_does_not_exist(emulator):
    with pytest.raises(DataloreNotebookMismatchError) as caught:
        run(parameters={"regoin": "EMEA"})
    refused_before_anything(emulator, caught, "'regoin'", "region", "period", "min_amount")


def test_parameter_of_another_type(emulator):
    with pytest.raises(DataloreNotebookMismatchError) as caught:
        run(parameters={"include_returns": "yes", "period": 7})
    refused_before_anything(
        emulator, caught, "2 parameters", "include_returns", "CHECKBOX", "period", "DATEPICKER"
    )


def test_slider_value_out_of_range(emulator):
    with pytest.raises(DataloreNotebookMismatchError) as caught:
        run(parameters={"min_amount": 900})
    refused_before_anything(emulator, caught, "min_amount", "900", "SLIDER", "0", "500")


def test_output_cells_text_matching_two_cells(emulator):
    with pytest.raises(DataloreNotebookMismatchError) as caught:
        run(output_cells="orders")
    refused_before_anything(emulator, caught, "'orders'", "load", "table")


def test_output_cells_text_matching_no_cell(emulator):
    with pytest.raises(DataloreNotebookMismatchError) as caught:
        run(output_cells="net_profit")
    refused_before_anything(
        emulator, caught, "'net_profit'", "matches no cell", "chart (CODE at position 9)", "and 1 more"
    )


def test_output_cells_id_that_does_not_exist(emulator):
    with pytest.raises(DataloreNotebookMismatchError) as caught:
        run(output_cells=["kpi", "kN3xQ7"])
    refused_before_anything(emulator, caught, "'kN3xQ7'")


def test_unknown_execution_status(emulator):
    # A cell that ends with a status the reference does not list: the wait does not take it for an end.
    hostile_notebook(emulator, [code("a"), code("b", final_status="SKIPPED")])
    with pytest.raises(DataloreRunTimeoutError) as caught:
        run(HOSTILE, timeout=0.5)
    assert "position 1 (id b): SKIPPED by this run" in str(caught.value)
    assert paths(emulator)[-1] == INTERRUPT_PATH


def test_unknown_output_type(emulator):
    hostile_notebook(emulator, [code("w", outputs=[{"type": "WIDGET", "text": "<w/>"}])])
    _, context = run(HOSTILE, output_cells="w")
    entry = context["ti"].xcom["cell_outputs"]["w"]
    assert entry["outputs"] == [{"type": "WIDGET", "text": "<w/>", "truncated": False}]
    assert entry["value"] is None  # only a LAST_EXPRESSION or TEXT output is a value


def test_null_timing(emulator):
    # Cells whose timing is null although their counts moved on: the counts alone say they ran.
    hostile_notebook(emulator, [code("a", outputs=[{"type": "TEXT", "text": "1"}])])
    emulator.add_faults(
        # The snapshot before the start is the emulator's own answer (never executed: timing null) ...
        {"endpoint": "cells", "action": "delay", "seconds": 0.01},
        # ... every later listing the hostile one.
        {
            "endpoint": "cells",
            "status": 200,
            "times": 1000,
            "body": {
                "cells": [],
                "cellsWithOutputs": [
                    {
                        "cellId": "a",
                        "cellType": "CODE",
                        "position": 0,
                        "source": "a = compute()\na",
                        "executionStatus": "VALID",
                        "executionCount": 7,
                        "timing": None,
                        "outputs": [],
                    }
                ],
                "outputsTruncated": False,
                "outputsTruncatedFromCellId": None,
            },
        },
    )
    result, _ = run(HOSTILE, timeout=10)
    assert result["notebook_id"] == HOSTILE
    listings = [e.fault for e in emulator.journal if e.path == CELLS_PATH]
    assert listings[0] == "delay" and set(listings[1:]) == {200}  # it ended on a hostile reply


def test_outputs_truncated(emulator):
    # 60 cells of 100,000 characters: /cells stops sending outputs past ~5 million characters; the wait
    # reads the statuses, which it still sends, and a late cell's outputs come from /cell/outputs.
    cells = [
        code(f"c{i}", polls=0, seconds=0, outputs=[{"type": "TEXT", "text": str(i % 10) * 100_000}])
        for i in range(60)
    ]
    hostile_notebook(emulator, cells)
    _, context = run(HOSTILE, output_cells="c59")
    entry = context["ti"].xcom["cell_outputs"]["c59"]
    assert entry["value"] == "9" * MAX_TEXT_CHARS
    assert entry["truncated"] is True
    listing = DataloreHook().list_cells(HOSTILE, outputs=True)  # what the wait read: cut at ~5 million
    assert listing.outputs_truncated is True
    assert listing.cells[59].outputs == () and listing.cells[59].execution_status == "VALID"


def test_output_of_100000_characters_in_every_cell(emulator):
    cells = [
        code(f"c{i}", outputs=[{"type": "LAST_EXPRESSION", "text": "x" * 100_000}], stdout="y" * 100_000)
        for i in range(10)
    ]
    hostile_notebook(emulator, cells)
    _, context = run(HOSTILE, output_cells=[f"c{i}" for i in range(10)])
    outputs = context["ti"].xcom["cell_outputs"]
    assert len(outputs) == 10
    for entry in outputs.values():
        assert entry["truncated"] is True
        assert len(entry["value"]) == MAX_TEXT_CHARS
        assert len(json.dumps(entry)) < MAX_ENTRY_CHARS + 4096
    assert len(json.dumps(outputs)) < 10 * (MAX_ENTRY_CHARS + 4096)


def test_interrupt_answered_409(emulator):
    hostile_notebook(emulator, [code("loop", polls=10**6)])
    emulator.add_faults(
        {
            "endpoint": "kernel_interrupt",
            "status": 409,
            "body": {"error": "No session", "state": "NOT_STARTED"},
        }
    )
    with pytest.raises(DataloreRunTimeoutError) as caught:
        run(HOSTILE, timeout=0.3)
    assert "No cell was running any more" in str(caught.value)
    assert [e.status for e in emulator.journal if e.path == INTERRUPT_PATH] == [409]


def test_kernel_that_never_leaves_busy(emulator):
    hostile_notebook(emulator, [code("loop", polls=10**6)])
    started = time.monotonic()
    with pytest.raises(DataloreRunTimeoutError) as caught:
        run(HOSTILE, timeout=1, poll_interval=0.05)
    assert time.monotonic() - started < 5
    assert "the kernel is BUSY running cell loop" in str(caught.value)
    assert "Its computation was interrupted." in str(caught.value)
    assert emulator.notebook_state(HOSTILE)["kernel"]["state"] != "BUSY"
