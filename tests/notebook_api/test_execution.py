from __future__ import annotations

import json

import pytest

from airflow_provider_datalore.notebook_api.cells import CellOutputs, read_cells
from airflow_provider_datalore.notebook_api.execution import (
    FAILED,
    RUNNING,
    SUCCESS,
    ExecutionSnapshot,
    FailedCell,
    PendingCell,
    Progress,
    busy,
    is_runnable,
    judge,
)
from airflow_provider_datalore.notebook_api.replies import KernelStatus
from tests.notebook_api.payloads import AT, LATER, code, control, listing, markdown, slider

READY, BUSY = KernelStatus("READY"), KernelStatus("BUSY", "b")


def before():
    """The notebook before the run: every runnable cell shows the previous run's VALID."""
    return {
        "md": markdown("md", 0, "# Report"),
        "a": code("a", 1, "import pandas", count=1),
        "blank": code("blank", 2, "  \n", count=None, timing=None, status="NONE"),
        "ctl": control("ctl", 3, slider(), count=2),
        "b": code("b", 4, "kpi", count=3),
        "q": code("q", 5, "SELECT 1", count=4, cell_type="SQL"),
    }


def cells(cells_by_id):
    return read_cells(listing(*cells_by_id.values())).cells


SNAPSHOT = ExecutionSnapshot.from_cells(cells(before()))


def after(**changes):
    """The notebook after: each named cell re-executed (a new count and time) with the given status."""
    now = before()
    for cell_id, status in changes.items():
        count = now[cell_id]["executionCount"]
        now[cell_id].update(
            executionStatus=status,
            executionCount=count + 10,
            timing={"durationMs": 5, "lastExecutedAt": LATER},
        )
    return now


ALL_VALID = {"a": "VALID", "ctl": "VALID", "b": "VALID", "q": "VALID"}


@pytest.mark.parametrize(
    ("now", "kernel", "state", "pending"),
    [
        # A booting kernel shows READY while the cells still show the previous run's VALID: not done.
        (before(), READY, RUNNING, ["a", "ctl", "b", "q"]),
        (after(**ALL_VALID), READY, SUCCESS, []),
        (after(**ALL_VALID), KernelStatus("NOT_STARTED"), SUCCESS, []),
        # Every cell re-executed but the kernel still busy (outputs being processed): not done.
        (after(**ALL_VALID), BUSY, RUNNING, []),
        (after(**(ALL_VALID | {"b": "WARNING"})), READY, SUCCESS, []),
        (after(a="VALID", ctl="VALID"), READY, RUNNING, ["b", "q"]),
        (after(a="VALID", ctl="STARTED"), BUSY, RUNNING, ["ctl", "b", "q"]),
        # TIMEOUT: the request's wait ended, the cell may still run. An unknown status: keep waiting.
        (after(**(ALL_VALID | {"b": "TIMEOUT"})), READY, RUNNING, ["b"]),
        (after(**(ALL_VALID | {"b": "QUEUED_ON_GPU"})), READY, RUNNING, ["b"]),
        (after(**(ALL_VALID | {"b": None})), READY, RUNNING, ["b"]),
        # An ERROR of this run fails at once; the cells after it keep their old statuses.
        (after(a="VALID", ctl="ERROR"), BUSY, FAILED, ["ctl", "b", "q"]),
        (after(a="ERROR", b="ERROR"), READY, FAILED, ["a", "ctl", "b", "q"]),
    ],
)
def test_judge(now, kernel, state, pending):
    progress = judge(SNAPSHOT, cells(now), kernel)
    assert (progress.state, [cell.cell_id for cell in progress.pending]) == (state, pending)
    assert progress.total == 4
    assert progress.pending_count == len(pending)


def test_an_error_left_from_the_previous_run_does_not_fail_this_one():
    old = before()
    old["a"]["executionStatus"] = "ERROR"
    snapshot = ExecutionSnapshot.from_cells(cells(old))
    progress = judge(snapshot, cells(old), READY)
    assert (progress.state, progress.failed_cell) == (RUNNING, None)
    assert progress.pending[0] == PendingCell("a", 1, "ERROR", executed=False)


def test_the_first_error_by_position_fails_the_run():
    progress = judge(SNAPSHOT, cells(after(q="ERROR", ctl="ERROR")), READY)
    assert progress.failed_cell == FailedCell("ctl", 3)
    assert progress.is_terminal and not progress.is_successful


@pytest.mark.parametrize(
    ("was", "now", "executed"),
    [
        # Never executed (timing null), then timing with null fields: started by this run.
        (
            {"executionCount": None, "timing": None},
            {"executionCount": None, "timing": {"durationMs": None, "lastExecutedAt": None}},
            True,
        ),
        ({"executionCount": None, "timing": None}, {"executionCount": None, "timing": None}, False),
        # A kernel restart starts counting again: the same count, a later time.
        (
            {"executionCount": 1},
            {"executionCount": 1, "timing": {"durationMs": 1, "lastExecutedAt": LATER}},
            True,
        ),
        ({"executionCount": 5}, {"executionCount": 1}, True),
        # A value that turned null is no sign of a run.
        ({"executionCount": 5}, {"executionCount": None}, False),
        ({}, {"timing": {"durationMs": None, "lastExecutedAt": None}}, False),
        ({}, {"timing": None}, False),
    ],
)
def test_what_counts_as_executed_by_this_run(was, now, executed):
    old, new = before(), before()
    old["b"].update(was)
    new["b"].update(now)
    new["b"]["executionStatus"] = "VALID"
    snapshot = ExecutionSnapshot.from_cells(cells(old))
    [b] = [cell for cell in cells(new) if cell.cell_id == "b"]
    assert snapshot.executed(b) is executed


def test_cells_added_or_deleted_during_the_run():
    now = after(**ALL_VALID)
    del now["q"]
    now["new"] = code("new", 6, "print(2)", count=None, timing=None, status="NONE")
    progress = judge(SNAPSHOT, cells(now), READY)
    assert (progress.state, progress.pending) == (RUNNING, (PendingCell("new", 6, "NONE", False),))
    now["new"] = code("new", 6, "print(2)", count=1, status="VALID")
    assert judge(SNAPSHOT, cells(now), READY).state == SUCCESS


def test_what_is_runnable():
    by_id = {cell.cell_id: is_runnable(cell) for cell in cells(before())}
    assert by_id == {"md": False, "a": True, "blank": False, "ctl": True, "b": True, "q": True}
    empty_control = read_cells(listing(control("c", 0, {}))).cells[0]
    other = read_cells(listing(code("c", 0, "x", cell_type="CHART"))).cells[0]
    assert (is_runnable(empty_control), is_runnable(other)) == (False, False)


def test_a_notebook_with_nothing_to_run_succeeds_once_the_kernel_is_idle():
    only_text = read_cells(listing(markdown("md", 0, "hi"))).cells
    snapshot = ExecutionSnapshot.from_cells(only_text)
    assert judge(snapshot, only_text, READY).state == SUCCESS
    assert judge(snapshot, only_text, BUSY).state == RUNNING


def test_the_snapshot_travels_as_json():
    data = json.loads(json.dumps(SNAPSHOT.to_json()))
    assert data == {
        "cells": [["a", 1, AT, True], ["ctl", 2, AT, True], ["b", 3, AT, True], ["q", 4, AT, True]]
    }
    assert ExecutionSnapshot.from_json(data) == SNAPSHOT


@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"cells": "x"},
        {"cells": [["a", 1, AT]]},
        {"cells": [["a", True, AT, True]]},
        {"cells": [[1, 1, AT, True]]},
    ],
)
def test_a_snapshot_of_another_shape_is_refused(data):
    with pytest.raises(
        ValueError, match=r"^an execution snapshot with a row .*; expected \[id, count, at, timed\]$"
    ):
        ExecutionSnapshot.from_json(data)


def test_an_empty_snapshot_round_trips():
    assert ExecutionSnapshot.from_json({"cells": []}) == ExecutionSnapshot({})


def test_progress_travels_as_json_with_at_most_20_pending():
    many = {f"c{i}": code(f"c{i}", i, "x", count=1) for i in range(30)}
    snapshot = ExecutionSnapshot.from_cells(cells(many))
    progress = judge(snapshot, cells(many), BUSY)
    data = json.loads(json.dumps(progress.to_json()))
    assert len(data["pending"]) == 20 and data["pending"][0] == ["c0", 0, "VALID", False]
    back = Progress.from_json(data)
    assert (back.state, back.pending_count, back.pending[:20], back.running_cell_id) == (
        RUNNING,
        30,
        progress.pending[:20],
        "b",
    )
    assert back.describe() == progress.describe()
    failed = judge(SNAPSHOT, cells(after(a="ERROR")), READY)
    assert Progress.from_json(json.loads(json.dumps(failed.to_json()))) == failed


def test_describe_what_is_still_running():
    progress = judge(SNAPSHOT, cells(after(a="VALID", ctl="STARTED")), KernelStatus("BUSY", "ctl"))
    assert progress.describe() == (
        "3 of 4 runnable cells not done (position 3 (id ctl): STARTED by this run, position 4 (id b): VALID "
        "from before this run, position 5 (id q): VALID from before this run); the kernel is BUSY running cell ctl"
    )
    busy_after_all = judge(SNAPSHOT, cells(after(**ALL_VALID)), BUSY)
    assert busy_after_all.describe() == "every runnable cell ran; the kernel is BUSY running cell b"
    assert judge(SNAPSHOT, cells(after(**ALL_VALID)), READY).describe() == "all 4 runnable cells ran"


def test_a_failure_with_its_error_from_cell_outputs():
    progress = judge(SNAPSHOT, cells(after(a="VALID", ctl="ERROR")), READY)
    assert progress.describe() == "the cell at position 3 (id ctl) ended ERROR"
    outputs = CellOutputs.from_reply(
        {
            "cellId": "ctl",
            "executionStatus": "ERROR",
            "errorMessage": "ValueError: bad\nINFO - forged line",
            "errorTraceback": 'Traceback (most recent call last):\n  File "<cell>", line 1\nValueError: bad',
        }
    )
    failed = progress.with_failure(outputs)
    assert failed.failed_cell == FailedCell(
        "ctl", 3, "ValueError: bad\nINFO - forged line", outputs.error_traceback
    )
    assert failed.describe() == (
        "the cell at position 3 (id ctl) ended ERROR: ValueError: bad\\nINFO - forged line\n"
        "Traceback:\n"
        "    Traceback (most recent call last):\n"
        '      File "<cell>", line 1\n'
        "    ValueError: bad"
    )
    assert progress.with_failure(CellOutputs("other", "ERROR", error_message="x")) == progress


def test_a_long_traceback_shows_its_end():
    progress = judge(SNAPSHOT, cells(after(a="ERROR")), READY)
    traceback = "\n".join(f"frame {i}" for i in range(2_000)) + "\nKeyError: 'region'"
    described = progress.with_failure(CellOutputs("a", "ERROR", error_traceback=traceback)).describe()
    assert described.startswith(
        "the cell at position 1 (id a) ended ERROR\nTraceback (its last 3000 characters):\n"
    )
    assert described.endswith("\n    KeyError: 'region'")
    assert "\n    frame 1729\n" in described and "frame 1728" not in described
    assert len(described) < 4_500


def test_a_busy_kernel_is_running_without_reading_the_cells():
    progress = busy(SNAPSHOT, KernelStatus("BUSY", "ctl"))
    assert (progress.state, progress.total, progress.pending_count, progress.pending) == (RUNNING, 4, 4, ())
    assert progress.describe() == "the kernel is BUSY running cell ctl; 4 runnable cells in this run"
    assert Progress.from_json(json.loads(json.dumps(progress.to_json()))) == progress
