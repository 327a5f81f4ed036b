"""
The interactive operator against the emulator's notebook model: parameters reach the controls (and the
"kernel"), the wait ends when this run's cells have run, outputs go to XCom, failures and timeouts say
what happened, and a stop interrupts the kernel.
"""

from __future__ import annotations

import pytest

from airflow_provider_datalore.exceptions import (
    DataloreError,
    DataloreNotebookMismatchError,
    DataloreRunFailedError,
    DataloreRunTimeoutError,
)
from airflow_provider_datalore.operators.interactive import DataloreRunInteractiveOperator
from tests.constants import TOKEN
from tests.helpers import task_context

NB = "demo/sales-report"
CELLS_PATH = "/api/notebook/v1/cells"
CONTROL_PATH = "/api/notebook/v1/cell/controls/update"
START_PATH = "/api/computation/v1/notebook"
INTERRUPT_PATH = "/api/notebook/v1/kernel/interrupt"


def operator(**kwargs):
    kwargs.setdefault("poll_interval", 0.01)
    kwargs.setdefault("timeout", 30)
    return DataloreRunInteractiveOperator(
        task_id="interactive", notebook_id=kwargs.pop("notebook_id", NB), **kwargs
    )


def paths(emulator):
    return [entry.path for entry in emulator.journal]


def add_notebook(emulator, notebook_id, cells, **settings):
    from airflow_provider_datalore.emulator import Notebook

    emulator.add_token(TOKEN, {NB: "editor", notebook_id: "editor"})
    emulator.add_notebook(Notebook.from_dict({"id": notebook_id, "cells": cells, **settings}))


def test_parameters_reach_the_controls_and_the_outputs_come_back(emulator):
    context = task_context()
    task = operator(
        parameters={"region": "APAC", "period": ["2026-10-01", "2026-10-31"], "min_amount": 100},
        output_cells=["kpi", "print(f'{title}"],
    )

    result = task.execute(context)

    updates = [entry.body for entry in emulator.journal if entry.path == CONTROL_PATH]
    assert [(u["cellId"], u["run"]) for u in updates] == [
        ("region", False),
        ("period", False),
        ("min-amount", False),
    ]
    assert updates[0]["control"]["selectedValue"] == "APAC"
    assert (updates[1]["control"]["startDate"], updates[1]["control"]["endDate"]) == (
        "2026-10-01",
        "2026-10-31",
    )
    assert updates[2]["control"]["value"] == "100"
    # Checked, then set, then started: in that order, once each.
    assert paths(emulator)[:5] == [CELLS_PATH, CONTROL_PATH, CONTROL_PATH, CONTROL_PATH, START_PATH]
    outputs = context["ti"].xcom["cell_outputs"]
    assert outputs["kpi"]["value"] == "1234"
    assert outputs["kpi"]["status"] == "VALID"
    assert outputs["print(f'{title}"]["value"] == (
        "Monthly sales: APAC, 2026-10-01/2026-10-31, orders >= 100, returns: False"
    )
    assert result["cell_outputs"] == outputs
    assert context["ti"].xcom["notebook_url"] == f"{emulator.url}/notebook/{NB}"
    assert INTERRUPT_PATH not in paths(emulator)


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        ({"regoin": "EMEA"}, "regoin"),
        ({"min_amount": 900}, "min_amount"),
        ({"region": "MARS"}, "MARS"),
        ({"include_returns": "yes"}, "include_returns"),
    ],
)
def test_a_bad_parameter_changes_nothing_and_starts_nothing(emulator, parameters, words):
    with pytest.raises(ValueError, match=words):
        operator(parameters=parameters).execute(task_context())
    assert paths(emulator) == [CELLS_PATH]


def test_an_output_cell_that_matches_nothing_starts_nothing(emulator):
    with pytest.raises(DataloreNotebookMismatchError, match="no_such_cell"):
        operator(output_cells="no_such_cell").execute(task_context())
    assert paths(emulator) == [CELLS_PATH]


def test_output_cells_without_waiting_is_refused_before_any_request(emulator):
    with pytest.raises(ValueError, match="need wait_for_termination=True"):
        operator(output_cells="kpi", wait_for_termination=False).execute(task_context())
    assert paths(emulator) == []


def test_without_waiting_it_only_starts(emulator):
    assert operator(wait_for_termination=False).execute(task_context()) is None
    assert paths(emulator) == [START_PATH]


CELLS = [
    {"id": "a", "type": "CODE", "source": "x = 1", "outputs": [{"type": "TEXT", "text": "one"}]},
    {
        "id": "b",
        "type": "CODE",
        "source": "1 / 0",
        "error": {
            "message": "ZeroDivisionError: division by zero",
            "traceback": "Traceback\n  1 / 0\nZeroDivisionError",
        },
    },
    {"id": "c", "type": "CODE", "source": "never()"},
]


def test_a_cell_that_ends_error_fails_the_task_with_its_error(emulator):
    add_notebook(emulator, "demo/broken", CELLS)

    with pytest.raises(DataloreRunFailedError) as raised:
        operator(notebook_id="demo/broken").execute(task_context())

    message = str(raised.value)
    assert "position 1 (id b) ended ERROR: ZeroDivisionError: division by zero" in message
    assert "    1 / 0" in message
    assert INTERRUPT_PATH not in paths(emulator)  # nothing runs after an ERROR
    assert TOKEN not in message


def test_a_timeout_interrupts_the_kernel_and_says_what_runs(emulator):
    add_notebook(
        emulator,
        "demo/endless",
        [{"id": "loop", "type": "CODE", "source": "while True: pass", "polls": 10**6}],
    )

    with pytest.raises(DataloreRunTimeoutError) as raised:
        operator(notebook_id="demo/endless", timeout=0.3).execute(task_context())

    assert "had not finished when the wait's timeout passed" in str(raised.value)
    assert "BUSY running cell loop" in str(raised.value)
    assert "Its computation was interrupted." in str(raised.value)
    assert paths(emulator)[-1] == INTERRUPT_PATH


def test_on_kill_interrupts_a_started_run(emulator):
    add_notebook(
        emulator,
        "demo/endless",
        [{"id": "loop", "type": "CODE", "source": "while True: pass", "polls": 10**6}],
    )
    task = operator(notebook_id="demo/endless", wait_for_termination=False)
    task.execute(task_context())

    task.on_kill()

    assert paths(emulator) == [START_PATH, INTERRUPT_PATH]
    assert emulator.journal[-1].status == 200


def test_on_kill_before_the_start_sends_nothing(emulator):
    operator().on_kill()
    assert paths(emulator) == []


def test_an_interrupt_answered_409_is_not_an_error(emulator):
    add_notebook(emulator, "demo/endless", [{"id": "loop", "type": "CODE", "source": "x", "polls": 10**6}])
    emulator.add_faults(
        {
            "endpoint": "kernel_interrupt",
            "status": 409,
            "body": {"error": "No session", "state": "NOT_STARTED"},
        }
    )
    task = operator(notebook_id="demo/endless", timeout=0.2)

    with pytest.raises(DataloreRunTimeoutError, match="No cell was running any more"):
        task.execute(task_context())


def test_a_booting_kernel_that_shows_ready_does_not_end_the_wait(emulator):
    add_notebook(emulator, "demo/booting", CELLS[:1], kernel_boot_polls=3)
    context = task_context()

    operator(notebook_id="demo/booting", output_cells="a").execute(context)

    assert context["ti"].xcom["cell_outputs"]["a"]["value"] == "one"
    # READY three times while booting, with the previous statuses: each time the cells were read again.
    assert paths(emulator).count(CELLS_PATH) >= 4


def test_polls_that_fail_stop_the_wait_and_interrupt(emulator, retry_waits):
    add_notebook(emulator, "demo/endless", [{"id": "loop", "type": "CODE", "source": "x", "polls": 10**6}])
    emulator.add_faults({"endpoint": "kernel_status", "status": 503, "times": 100})

    with pytest.raises(
        DataloreError, match="Stopped waiting for the interactive run of Datalore notebook demo/endless"
    ):
        operator(notebook_id="demo/endless", hook_params={"retry_limit": 2}).execute(task_context())

    assert paths(emulator)[-1] == INTERRUPT_PATH


def test_the_run_operator_refuses_output_cells_before_any_run(emulator):
    from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator

    task = DataloreRunNotebookOperator(task_id="run", notebook_id=NB, output_cells=["kpi"])
    with pytest.raises(ValueError, match="a Run API run's cell outputs cannot be read") as raised:
        task.execute(task_context())
    assert "DataloreRunInteractiveOperator(output_cells=...)" in str(raised.value)
    assert paths(emulator) == []


def test_a_warning_counts_as_success(emulator):
    add_notebook(emulator, "demo/warns", [{**CELLS[0], "warning": True}])
    context = task_context()
    operator(notebook_id="demo/warns", output_cells="a").execute(context)
    assert context["ti"].xcom["cell_outputs"]["a"]["status"] == "WARNING"


def test_a_failed_run_publishes_nothing(emulator):
    add_notebook(emulator, "demo/broken", CELLS)
    with pytest.raises(DataloreRunFailedError):
        operator(notebook_id="demo/broken", publish_report="STATIC").execute(task_context())
    assert "/api/notebook/v1/report/publish" not in paths(emulator)


def test_publish_updates_an_existing_publication(emulator):
    add_notebook(emulator, "demo/published", CELLS[:1], publications={"STATIC": "r-old"})
    context = task_context()
    operator(notebook_id="demo/published", publish_report="STATIC").execute(context)
    publishes = [e.body for e in emulator.journal if e.path == "/api/notebook/v1/report/publish"]
    assert [(p["type"], p["mode"]) for p in publishes] == [("STATIC", "UPDATE")]
    assert context["ti"].xcom["report"]["mode"] == "UPDATE"
    assert (
        context["ti"].xcom["report_url"]
        == f"{emulator.url}/report/static/demo/{context['ti'].xcom['report']['report_id']}"
    )
