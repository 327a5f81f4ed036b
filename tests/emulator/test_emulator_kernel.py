"""The emulator's kernel: execution over status reads and seconds, ERROR stops, the booting race, interrupts."""

from __future__ import annotations

import time

import pytest
import requests

from airflow_provider_datalore.emulator import Fault

NB = "o/nb"
SLIDER = {
    "controlType": "SLIDER",
    "label": "N",
    "variable": "n",
    "value": "5",
    "min": "0",
    "max": "10",
    "step": "1",
}
CELLS = [
    {"id": "md", "type": "MARKDOWN", "source": "# Title"},
    {"id": "n", "type": "CONTROL", "control": SLIDER},
    {
        "id": "a",
        "type": "CODE",
        "source": "print(n)",
        "stdout": "n={n}\n",
        "outputs": [{"type": "TEXT", "text": "n={n}"}],
    },
    {
        "id": "b",
        "type": "CODE",
        "source": "n * 10",
        "outputs": [{"type": "LAST_EXPRESSION", "text": "{n}0"}],
        "polls": 2,
    },
]
ERROR = {
    "message": "ValueError: no orders",
    "traceback": "Traceback (most recent call last):\nValueError: no orders",
}


@pytest.fixture
def serve(serve_json, cells_for):
    """Return a factory: an emulator with one notebook ``o/nb`` of these cells (and settings), and its client."""

    def make(cells=None, token=None, **notebook):
        emulator, _ = serve_json([{"id": NB, "cells": CELLS if cells is None else cells, **notebook}], token)
        return emulator, cells_for(emulator, notebook=NB)

    return make


def test_the_kernel_has_no_session_and_the_cells_never_ran_until_a_start(serve):
    _, nb = serve()

    assert nb.kernel() == {"state": "NOT_STARTED", "runningCellId": None}
    assert nb.statuses() == {
        "md": ("NONE", None),
        "n": ("NONE", None),
        "a": ("NONE", None),
        "b": ("NONE", None),
    }
    assert nb.outputs("a") == {
        "cellId": "a",
        "executionStatus": "NONE",
        "executionCount": None,
        "timing": None,
        "stdout": None,
        "stderr": None,
        "errorMessage": None,
        "errorTraceback": None,
        "outputs": [],
        "stdoutTruncated": False,
        "stderrTruncated": False,
        "errorTracebackTruncated": False,
    }


def test_each_kernel_status_read_is_one_poll_of_the_running_cell(serve):
    _, nb = serve()
    nb.start()

    # The control cell and "a" are seen running by one read each, "b" by two; markdown is not executed.
    assert nb.kernel_states(6) == [
        ("BUSY", "n"),
        ("BUSY", "a"),
        ("BUSY", "b"),
        ("BUSY", "b"),
        ("READY", None),
        ("READY", None),
    ]
    assert nb.statuses() == {"md": ("NONE", None), "n": ("VALID", 1), "a": ("VALID", 2), "b": ("VALID", 3)}
    assert nb.untimed(nb.outputs("b")) == {
        "cellId": "b",
        "executionStatus": "VALID",
        "executionCount": 3,
        "timing": "timed",
        "stdout": None,
        "stderr": None,
        "errorMessage": None,
        "errorTraceback": None,
        "outputs": [{"outputType": "LAST_EXPRESSION", "text": "50", "truncated": False}],
        "stdoutTruncated": False,
        "stderrTruncated": False,
        "errorTracebackTruncated": False,
    }


def test_cell_reads_are_polls_too_and_a_running_cell_shows_no_outputs_and_null_timing(serve):
    emulator, nb = serve()
    nb.start()

    first = nb.untimed(nb.outputs("a"))  # the read that sees "n" running
    assert (first["executionStatus"], first["timing"]) == ("NONE", None)
    running = nb.untimed(nb.body("cell", cellId="a"))["cell"]  # "n" finishes, "a" starts
    assert (running["executionStatus"], running["executionCount"]) == ("STARTED", None)
    assert (running["timing"], running["outputs"]) == ("running", [])
    assert nb.statuses()["a"] == ("VALID", 2)
    assert emulator.notebook_state(NB)["kernel"]["runningCellId"] == "b"


def test_a_second_run_counts_on_and_keeps_the_previous_statuses_until_each_cell_runs_again(serve):
    _, nb = serve()
    nb.start()
    nb.kernel_states(5)
    nb.start()

    assert nb.kernel_states(2) == [("BUSY", "n"), ("BUSY", "a")]
    assert nb.statuses() == {"md": ("NONE", None), "n": ("VALID", 4), "a": ("VALID", 5), "b": ("STARTED", 3)}


def test_an_error_stops_the_run_and_later_cells_keep_their_previous_status_count_and_timing(serve):
    cells = [
        {"id": "a", "type": "CODE", "outputs": [{"type": "TEXT", "text": "ok"}]},
        {"id": "e", "type": "CODE", "stderr": "warning: empty\n", "error": ERROR},
        {"id": "c", "type": "CODE", "outputs": [{"type": "TEXT", "text": "later"}]},
    ]
    _, nb = serve(cells)
    before = nb.body("cells/run", cellIds=["c"])["results"][0]
    nb.start()

    assert nb.kernel_states(4) == [("BUSY", "a"), ("BUSY", "e"), ("READY", None), ("READY", None)]
    assert nb.statuses() == {"a": ("VALID", 2), "e": ("ERROR", 3), "c": ("VALID", 1)}
    assert nb.outputs("c") == before, "untouched: same count, timing and outputs"
    failed = nb.untimed(nb.outputs("e"))
    assert (failed["errorMessage"], failed["errorTraceback"]) == (ERROR["message"], ERROR["traceback"])
    assert (failed["stderr"], failed["outputs"]) == ("warning: empty\n", [])


def test_a_warning_cell_ends_warning_and_the_run_goes_on(serve):
    _, nb = serve([{"id": "w", "type": "CODE", "warning": True}, {"id": "x", "type": "CODE"}])
    nb.start()
    nb.kernel_states(3)

    assert nb.statuses() == {"w": ("WARNING", 1), "x": ("VALID", 2)}


def test_kernel_boot_polls_answer_ready_with_the_previous_statuses_then_the_run_goes_live(serve):
    _, nb = serve(kernel_boot_polls=2)
    nb.start()
    never = {"md": ("NONE", None), "n": ("NONE", None), "a": ("NONE", None), "b": ("NONE", None)}
    # A client's poll: the kernel's status, then the cells'. Two polls see READY and nothing run.
    assert nb.kernel() == {"state": "READY", "runningCellId": None}
    assert nb.statuses() == never
    assert nb.kernel() == {"state": "READY", "runningCellId": None}
    # The boot is over: the next read (of any kind) starts the first cell.
    assert nb.statuses() == {**never, "n": ("STARTED", None)}
    assert nb.kernel_states(4) == [("BUSY", "a"), ("BUSY", "b"), ("BUSY", "b"), ("READY", None)]
    previous = nb.statuses()
    nb.start()

    # The race again: READY, and every cell still shows the first run's status and count.
    assert nb.kernel() == {"state": "READY", "runningCellId": None}
    assert nb.statuses() == previous
    assert previous == {"md": ("NONE", None), "n": ("VALID", 1), "a": ("VALID", 2), "b": ("VALID", 3)}
    assert nb.kernel() == {"state": "READY", "runningCellId": None}
    assert nb.statuses() == {**previous, "n": ("STARTED", 1)}
    assert nb.kernel() == {"state": "BUSY", "runningCellId": "a"}


def test_cell_reads_during_the_boot_neither_advance_nor_end_it(serve):
    _, nb = serve(kernel_boot_polls=1)
    nb.start()
    for _ in range(3):
        assert nb.statuses()["n"] == ("NONE", None)

    assert nb.kernel_states(2) == [("READY", None), ("BUSY", "n")]


def test_seconds_hold_a_cell_running_whatever_the_reads(serve):
    _, nb = serve(
        [{"id": "slow", "type": "CODE", "seconds": 0.4}, {"id": "fast", "type": "CODE", "polls": 0}]
    )
    nb.start()
    assert nb.kernel_states(3) == [("BUSY", "slow")] * 3
    time.sleep(0.45)

    assert nb.kernel() == {"state": "READY", "runningCellId": None}
    assert nb.outputs("slow")["timing"]["durationMs"] >= 400


def test_interactive_waits_answers_once_every_cell_ran(serve):
    emulator, nb = serve(
        [{"id": "s1", "type": "CODE", "seconds": 0.2}, {"id": "s2", "type": "CODE", "seconds": 0.2}],
        interactive_waits=True,
    )
    started = time.monotonic()
    nb.start()

    assert time.monotonic() - started >= 0.4
    assert nb.kernel() == {"state": "READY", "runningCellId": None}
    assert nb.statuses() == {"s1": ("VALID", 1), "s2": ("VALID", 2)}
    assert emulator.interactive_runs == [NB]


def test_a_notebook_without_cells_is_ready_after_a_start_with_nothing_to_run(serve):
    _, nb = serve([])
    nb.start()

    assert nb.kernel() == {"state": "READY", "runningCellId": None}
    assert nb.cells(include_outputs=True) == {
        "cells": [],
        "cellsWithOutputs": [],
        "outputsTruncated": False,
        "outputsTruncatedFromCellId": None,
    }


# Interrupts


def test_an_interrupt_without_a_session_is_409_not_started(serve):
    emulator, nb = serve()

    response = nb.post("kernel/interrupt", {"notebookId": nb.ref})

    assert response.status_code == 409
    assert response.json() == {
        "error": "No session for notebook o/nb: nothing to interrupt",
        "state": "NOT_STARTED",
    }
    assert [(e.path, e.status) for e in emulator.journal] == [("/api/notebook/v1/kernel/interrupt", 409)]


def test_an_interrupt_fails_the_running_cell_with_keyboard_interrupt_and_stops_the_run(serve):
    emulator, nb = serve()
    nb.start()
    assert nb.kernel_states(2) == [("BUSY", "n"), ("BUSY", "a")]

    assert nb.body("kernel/interrupt") == {"interrupted": True}
    assert nb.kernel() == {"state": "READY", "runningCellId": None}
    assert nb.statuses() == {"md": ("NONE", None), "n": ("VALID", 1), "a": ("ERROR", 2), "b": ("NONE", None)}
    interrupted = nb.untimed(nb.outputs("a"))
    assert interrupted["errorMessage"] == "KeyboardInterrupt"
    assert interrupted["errorTraceback"] == (
        'Traceback (most recent call last):\n  File "<cell a>", line 1, in <module>\nKeyboardInterrupt'
    )
    assert (interrupted["timing"], interrupted["outputs"], interrupted["stdout"]) == ("timed", [], None)
    assert nb.body("kernel/interrupt") == {"interrupted": False}, "idempotent: nothing runs now"
    interrupts = emulator.requests("POST", "/kernel/interrupt")
    assert [(e.status, e.body) for e in interrupts] == [(200, {"notebookId": nb.ref})] * 2


def test_an_interrupt_while_booting_drops_the_run(serve):
    _, nb = serve(kernel_boot_polls=3)
    nb.start()

    assert nb.body("kernel/interrupt") == {"interrupted": False}
    assert nb.kernel_states(5) == [("READY", None)] * 5
    assert nb.statuses()["n"] == ("NONE", None)


def test_a_start_while_a_cell_runs_interrupts_it_and_starts_over(serve):
    _, nb = serve()
    nb.start()
    nb.kernel_states(3)  # "b" is running
    nb.start()

    assert nb.outputs("b")["errorMessage"] == "KeyboardInterrupt"
    assert nb.kernel_states(6) == [
        ("BUSY", "a"),
        ("BUSY", "b"),
        ("BUSY", "b"),
        ("READY", None),
        ("READY", None),
        ("READY", None),
    ]
    assert nb.statuses() == {"md": ("NONE", None), "n": ("VALID", 4), "a": ("VALID", 5), "b": ("VALID", 6)}


def test_an_interrupt_needs_an_editor(serve, cells_for):
    emulator, _ = serve(token={NB: "viewer"})
    viewer = cells_for(emulator, notebook=NB)

    assert viewer.body("kernel/interrupt", 403) == {"error": "You have view-only access to notebook o/nb"}
    assert viewer.kernel() == {"state": "NOT_STARTED", "runningCellId": None}


# /cells/run


def test_cells_run_runs_code_cells_at_once_and_stops_on_the_first_error(serve):
    cells = [
        {"id": "a", "type": "CODE", "stdout": "one\n", "polls": 5},
        {"id": "e", "type": "CODE", "error": ERROR},
        {"id": "c", "type": "CODE"},
    ]
    _, nb = serve(cells)

    reply = nb.untimed(nb.body("cells/run", cellIds=["a", "e", "c"]))

    assert [
        (r["cellId"], r["executionStatus"], r["executionCount"], r["timing"]) for r in reply["results"]
    ] == [
        ("a", "VALID", 1, "timed"),
        ("e", "ERROR", 2, "timed"),
    ]
    assert (reply["stopped"], reply["stoppedReason"]) == (True, "error")
    assert reply["results"][0]["stdout"] == "one\n"
    assert nb.kernel() == {"state": "READY", "runningCellId": None}
    go_on = nb.body("cells/run", cellIds=["e", "c"], stopOnError=False)
    assert [(r["cellId"], r["executionStatus"]) for r in go_on["results"]] == [("e", "ERROR"), ("c", "VALID")]
    assert (go_on["stopped"], go_on["stoppedReason"]) == (False, None)


def test_cells_run_answers_timeout_and_the_cell_runs_on(serve):
    _, nb = serve([{"id": "slow", "type": "CODE", "seconds": 0.3}, {"id": "c", "type": "CODE"}])

    started = time.monotonic()
    reply = nb.body("cells/run", cellIds=["slow", "c"], timeoutMs=100)

    assert time.monotonic() - started >= 0.1
    assert [(r["cellId"], r["executionStatus"]) for r in reply["results"]] == [("slow", "TIMEOUT")]
    assert (reply["stopped"], reply["stoppedReason"]) == (True, "timeout")
    assert nb.kernel() == {"state": "BUSY", "runningCellId": "slow"}
    time.sleep(0.3)
    assert nb.kernel() == {"state": "READY", "runningCellId": None}
    assert nb.statuses() == {"slow": ("VALID", 1), "c": ("NONE", None)}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"cellIds": ["n"]}, 400, "Cell n is a CONTROL cell: /cells/run runs CODE and SQL cells only"),
        (
            {"cellIds": ["a", "md"]},
            400,
            "Cell md is a MARKDOWN cell: /cells/run runs CODE and SQL cells only",
        ),
        ({"cellIds": ["nope"]}, 404, "Cell nope not found in notebook o/nb"),
        ({"cellIds": []}, 400, "Field 'cellIds' must be a non-empty list of cell IDs, got []"),
        (
            {"cellIds": ["a"], "timeoutMs": 30001},
            400,
            "Field 'timeoutMs' must be an integer from 1 to 30000, got 30001",
        ),
        ({"cellIds": ["a"], "stopOnError": "yes"}, 400, "Field 'stopOnError' must be a boolean, got 'yes'"),
    ],
)
def test_cells_run_refuses_what_the_reference_refuses(serve, body, status, error):
    _, nb = serve()

    assert nb.body("cells/run", status, **body) == {"error": error}
    assert nb.kernel() == {"state": "NOT_STARTED", "runningCellId": None}


def test_cells_run_is_409_busy_while_an_interactive_run_executes(serve):
    _, nb = serve()
    nb.start()

    assert nb.body("cells/run", 409, cellIds=["a"]) == {
        "error": "The kernel of notebook o/nb is busy running cell n",
        "state": "BUSY",
    }


# Faults, the control plane


def test_a_fault_on_a_status_read_counts_no_poll_unless_processed(serve):
    emulator, nb = serve()
    nb.start()
    emulator.add_faults(
        Fault(endpoint="kernel_status", status=503), Fault(endpoint="cells", status=502, process=True)
    )

    assert nb.post("kernel/status", {"notebookId": nb.ref}).status_code == 503
    assert emulator.notebook_state(NB)["kernel"]["runningCellId"] == "n"
    assert nb.post("cells", {"notebookId": nb.ref}).status_code == 502
    assert nb.kernel() == {"state": "BUSY", "runningCellId": "a"}, "the processed 502 was a poll"


def test_the_control_plane_shows_a_notebooks_kernel_cells_and_publications(serve):
    emulator, nb = serve()
    nb.start()
    nb.kernel_states(2)

    snapshot = requests.get(f"{emulator.url}/_emulator/notebooks/o/nb", timeout=10).json()

    assert snapshot == emulator.notebook_state(NB)
    kernel = snapshot["kernel"]
    assert (kernel["state"], kernel["runningCellId"], kernel["booting"]) == ("BUSY", "a", False)
    assert (kernel["executionCounter"], kernel["variables"], kernel["queued"]) == (1, {"n": "5"}, ["b"])
    assert [(c["cellId"], c["cellType"], c["executionStatus"]) for c in kernel["cells"]] == [
        ("md", "MARKDOWN", "NONE"),
        ("n", "CONTROL", "VALID"),
        ("a", "CODE", "STARTED"),
        ("b", "CODE", "NONE"),
    ]
    assert kernel["cells"][1]["control"] == SLIDER
    assert (snapshot["reports"], snapshot["publishes"]) == ({}, [])
    assert requests.get(f"{emulator.url}/_emulator/notebooks/o/none", timeout=10).status_code == 404
    assert nb.kernel() == {"state": "BUSY", "runningCellId": "b"}, "the snapshots counted no read"


def test_a_cell_may_show_another_running_status_and_end_with_an_undocumented_one(serve):
    cells = [
        {"id": "p", "type": "CODE", "running_status": "PROCESSING_OUTPUT", "final_status": "QUEUED_ON_GPU"},
        {"id": "e", "type": "CODE", "final_status": "ERROR"},
        {"id": "c", "type": "CODE"},
    ]
    _, nb = serve(cells)
    nb.start()

    assert nb.statuses() == {"p": ("PROCESSING_OUTPUT", None), "e": ("NONE", None), "c": ("NONE", None)}
    assert nb.kernel() == {"state": "BUSY", "runningCellId": "e"}
    assert nb.kernel_states(2) == [("READY", None)] * 2, "a final ERROR stops the run too"
    assert nb.statuses() == {"p": ("QUEUED_ON_GPU", 1), "e": ("ERROR", 2), "c": ("NONE", None)}


def test_a_cell_that_never_ends_keeps_the_kernel_busy(serve):
    _, nb = serve([{"id": "forever", "type": "CODE", "seconds": 3600}])
    nb.start()

    assert nb.kernel_states(20) == [("BUSY", "forever")] * 20
    assert nb.body("kernel/interrupt") == {"interrupted": True}
    assert nb.statuses() == {"forever": ("ERROR", 1)}


def test_cell_run_runs_one_cell_and_answers_its_outputs(serve):
    _, nb = serve()

    ran = nb.untimed(nb.body("cell/run", cellId="n"))
    assert (ran["cellId"], ran["executionStatus"], ran["executionCount"], ran["timing"]) == (
        "n",
        "VALID",
        1,
        "timed",
    )
    assert nb.body("cell/run", cellId="a")["outputs"] == [
        {"outputType": "TEXT", "text": "n=5", "truncated": False}
    ]
    assert nb.body("cell/run", 400, cellId="md") == {
        "error": "Cell md is a MARKDOWN cell: there is nothing to run"
    }
    assert nb.body("cell/run", 404, cellId="zz") == {"error": "Cell zz not found in notebook o/nb"}
    assert nb.kernel() == {"state": "READY", "runningCellId": None}
