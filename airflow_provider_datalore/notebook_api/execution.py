"""
When an interactive run has finished: the one rule the operator's wait and the trigger's both ask.

What the reference says, and what the rule takes from it:

- "Terminal states: ``VALID``, ``ERROR``, ``WARNING``. Treat ``WARNING`` as success." A cell done by
  this run is ``VALID`` or ``WARNING``; ``ERROR`` fails the run.
- "On ``TIMEOUT``, the cell may still be running kernel-side": ``TIMEOUT`` is not an end. Nor is a status
  the reference does not list: the wait goes on, and the cell is reported in ``pending`` with the status
  as sent, so a timeout names it.
- ``BUSY``: "a cell is in ``STARTED``, ``WAITING``, or ``PROCESSING_OUTPUT``": no success while busy.
- "transient kernel-lifecycle states (booting after restart, dead after crash) are not currently
  distinguished — they manifest as ``READY`` briefly": ``READY`` alone proves nothing, and the cells may
  still show the previous run's statuses. So each cell is compared with a snapshot taken before the start.
- "``timing`` is ``null`` for cells that have never been executed."

The rule:

1. Runnable cells: CODE and SQL cells whose source is not blank, and CONTROL cells with a control
   ("exactly one control per cell"; running one assigns its variable). MARKDOWN never runs. A blank CODE
   cell is not waited for: nothing says a run gives it a new execution count, and waiting for one that
   never comes would end only at the timeout. Cells of another type are not waited for either.
2. A cell was executed by this run when its ``executionCount`` or ``lastExecutedAt`` is not null and
   differs from the snapshot's, or its ``timing`` is an object where the snapshot had null (a
   never-executed cell). A value that turned null is no sign of a run. A cell that is not in the snapshot
   (added since) is compared with a never-executed one.
3. Failed as soon as a runnable cell executed by this run is ``ERROR`` (the first by position): the
   issue's "cells after an ERROR do not run" and keep their old statuses, so nothing else would come.
4. Success when the kernel is not ``BUSY`` and every runnable cell was executed by this run and is
   ``VALID`` or ``WARNING``. A ``BUSY`` kernel alone says running (``busy``: no listing needed), so an
   ``ERROR`` is seen at the first poll after the kernel is idle, which is soon: nothing runs after it.
5. Otherwise running; ``pending`` names the runnable cells not done (not re-executed, or re-executed and
   not yet at a success status).

Everything here is a pure function of replies already read: no I/O, JSON-safe values for the trigger.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.clipping import clip, show
from airflow_provider_datalore.notebook_api.cells import ERROR_STATUS, SUCCESS_STATUSES

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from airflow_provider_datalore.notebook_api.cells import Cell, CellOutputs
    from airflow_provider_datalore.notebook_api.replies import KernelStatus

RUNNING, SUCCESS, FAILED = "running", "success", "failed"
#: Pending cells a ``Progress.to_json`` keeps (``pending_count`` has them all).
MAX_JSON_PENDING = 20
#: Characters of an error message and of a traceback's end that a failure's description shows.
MESSAGE_CHARS, TRACEBACK_CHARS = 1_000, 3_000


def is_runnable(cell: Cell) -> bool:
    """Whether a run of the notebook is waited for to run ``cell`` (rule 1)."""
    if cell.cell_type == "CONTROL":
        return bool(cell.control)
    return cell.cell_type in ("CODE", "SQL") and bool(cell.source.strip())


@dataclass(frozen=True, slots=True)
class CellMark:
    """What a cell showed before the start: ``executionCount``, ``lastExecutedAt``, whether it had timing."""

    execution_count: int | None = None
    last_executed_at: str | None = None
    timed: bool = False


NEVER_EXECUTED = CellMark()


@dataclass(frozen=True, slots=True)
class ExecutionSnapshot:
    """
    The runnable cells' marks before a run starts, from a detailed ``/cells`` listing.

    :param marks: ``{cell id: CellMark}``.
    """

    marks: Mapping[str, CellMark]

    @classmethod
    def from_cells(cls, cells: Sequence[Cell]) -> ExecutionSnapshot:
        """Take the snapshot from the cells of a detailed listing (``includeOutputs: true``)."""
        return cls(
            {
                cell.cell_id: CellMark(cell.execution_count, cell.last_executed_at, cell.timed)
                for cell in cells
                if is_runnable(cell)
            }
        )

    def executed(self, cell: Cell) -> bool:
        """Whether ``cell`` was executed since the snapshot (rule 2)."""
        mark = self.marks.get(cell.cell_id, NEVER_EXECUTED)
        return (
            (cell.execution_count is not None and cell.execution_count != mark.execution_count)
            or (cell.last_executed_at is not None and cell.last_executed_at != mark.last_executed_at)
            or (cell.timed and not mark.timed)
        )

    def to_json(self) -> dict[str, Any]:
        """Return the snapshot as JSON-safe values: ``{"cells": [[id, count, lastExecutedAt, timed], ...]}``."""
        return {
            "cells": [[key, m.execution_count, m.last_executed_at, m.timed] for key, m in self.marks.items()]
        }

    @classmethod
    def from_json(cls, data: Any) -> ExecutionSnapshot:
        """Read :meth:`to_json`'s value; ``ValueError`` for anything else."""
        rows = data.get("cells") if isinstance(data, dict) else None
        marks = {}
        for row in rows if isinstance(rows, list) else [None]:
            if not (
                isinstance(row, list)
                and len(row) == 4
                and isinstance(row[0], str)
                and (row[1] is None or (isinstance(row[1], int) and not isinstance(row[1], bool)))
                and (row[2] is None or isinstance(row[2], str))
                and isinstance(row[3], bool)
            ):
                raise ValueError(
                    f"an execution snapshot with a row {show(row, 100)}; expected [id, count, at, timed]"
                )
            marks[row[0]] = CellMark(row[1], row[2], row[3])
        return cls(marks)


@dataclass(frozen=True, slots=True)
class PendingCell:
    """A runnable cell not done: ``executed`` says whether this run executed it (its status is then no success)."""

    cell_id: str
    position: int
    status: str | None
    executed: bool

    def describe(self) -> str:
        """Return e.g. ``position 3 (id kN3xQ7): STARTED by this run``."""
        said = "by this run" if self.executed else "from before this run"
        return f"position {self.position} (id {clip(self.cell_id, 40)}): {clip(str(self.status), 40)} {said}"


@dataclass(frozen=True, slots=True)
class FailedCell:
    """The cell that ended ``ERROR``; its error comes from its ``/cell/outputs`` (``Progress.with_failure``)."""

    cell_id: str
    position: int
    error_message: str | None = None
    error_traceback: str | None = None

    def describe(self) -> str:
        """Return what failed, the server's words clipped; the traceback's last lines, each indented."""
        said = f"the cell at position {self.position} (id {clip(self.cell_id, 40)}) ended ERROR"
        if self.error_message:
            said += f": {clip(self.error_message, MESSAGE_CHARS)}"
        if self.error_traceback:
            tail = self.error_traceback[-TRACEBACK_CHARS:]
            cut = len(self.error_traceback) - len(tail)
            if cut and "\n" in tail:  # from the first whole line
                tail = tail.split("\n", 1)[1]
            said += f"\nTraceback{f' (its last {TRACEBACK_CHARS} characters)' if cut else ''}:"
            said += "".join(f"\n    {clip(line, TRACEBACK_CHARS)}" for line in tail.splitlines())
        return said


@dataclass(frozen=True, slots=True)
class Progress:
    """
    Where an interactive run is: ``state`` is ``running``, ``success`` or ``failed``.

    :param kernel_state: The kernel's state when judged.
    :param running_cell_id: The kernel's ``runningCellId``.
    :param total: Runnable cells.
    :param pending: The runnable cells not done, by position.
    :param pending_count: How many (``pending`` may hold fewer after a JSON round trip).
    :param failed_cell: The cell that failed the run.
    """

    state: str
    kernel_state: str
    running_cell_id: str | None = None
    total: int = 0
    pending: tuple[PendingCell, ...] = ()
    pending_count: int = 0
    failed_cell: FailedCell | None = None

    @property
    def is_terminal(self) -> bool:
        """Whether the wait is over."""
        return self.state != RUNNING

    @property
    def is_successful(self) -> bool:
        """Whether every runnable cell ran, ``VALID`` or ``WARNING``."""
        return self.state == SUCCESS

    def with_failure(self, outputs: CellOutputs) -> Progress:
        """Return this progress with the failed cell's error from its ``/cell/outputs`` reply."""
        if self.failed_cell is None or outputs.cell_id != self.failed_cell.cell_id:
            return self
        failed = replace(
            self.failed_cell, error_message=outputs.error_message, error_traceback=outputs.error_traceback
        )
        return replace(self, failed_cell=failed)

    def describe(self) -> str:
        """Return the progress in a sentence: what failed, or what is still to run."""
        if self.failed_cell is not None:
            return self.failed_cell.describe()
        if self.state == SUCCESS:
            return f"all {self.total} runnable cells ran"
        kernel = f"the kernel is {clip(self.kernel_state, 20)}" + (
            f" running cell {clip(self.running_cell_id, 40)}" if self.running_cell_id else ""
        )
        if not self.pending_count:
            return f"every runnable cell ran; {kernel}"
        if not self.pending:  # read from the kernel alone (busy), or every listed one was dropped
            return f"{kernel}; {self.total} runnable cells in this run"
        listed = ", ".join(cell.describe() for cell in self.pending[:5])
        more = f" and {self.pending_count - 5} more" if self.pending_count > 5 else ""
        return f"{self.pending_count} of {self.total} runnable cells not done ({listed}{more}); {kernel}"

    def to_json(self) -> dict[str, Any]:
        """Return the progress as JSON-safe values (a trigger event's)."""
        failed = self.failed_cell
        return {
            "state": self.state,
            "kernel_state": self.kernel_state,
            "running_cell_id": self.running_cell_id,
            "total": self.total,
            "pending": [
                [c.cell_id, c.position, c.status, c.executed] for c in self.pending[:MAX_JSON_PENDING]
            ],
            "pending_count": self.pending_count,
            "failed_cell": None if failed is None else [failed.cell_id, failed.position],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Progress:
        """Read :meth:`to_json`'s value (from a trigger event this provider wrote)."""
        failed = data.get("failed_cell")
        return cls(
            state=data["state"],
            kernel_state=data["kernel_state"],
            running_cell_id=data.get("running_cell_id"),
            total=data.get("total", 0),
            pending=tuple(PendingCell(*row) for row in data.get("pending", ())),
            pending_count=data.get("pending_count", 0),
            failed_cell=None if failed is None else FailedCell(failed[0], failed[1]),
        )


def judge(snapshot: ExecutionSnapshot, cells: Sequence[Cell], kernel: KernelStatus) -> Progress:
    """
    Return where the run is, from a detailed ``/cells`` listing and ``/kernel/status`` read after the start.

    :param snapshot: The marks taken before the start (:meth:`ExecutionSnapshot.from_cells`).
    :param cells: The cells of a detailed listing now.
    :param kernel: The kernel's status now.
    """
    runnable = sorted((cell for cell in cells if is_runnable(cell)), key=lambda cell: cell.position)
    pending: list[PendingCell] = []
    failed: FailedCell | None = None
    for cell in runnable:
        executed = snapshot.executed(cell)
        if executed and cell.execution_status == ERROR_STATUS and failed is None:
            failed = FailedCell(cell.cell_id, cell.position)
        if not (executed and cell.execution_status in SUCCESS_STATUSES):
            pending.append(PendingCell(cell.cell_id, cell.position, cell.execution_status, executed))
    if failed is not None:
        state = FAILED
    elif not pending and not kernel.is_busy:
        state = SUCCESS
    else:
        state = RUNNING
    return Progress(
        state, kernel.state, kernel.running_cell_id, len(runnable), tuple(pending), len(pending), failed
    )


def busy(snapshot: ExecutionSnapshot, kernel: KernelStatus) -> Progress:
    """
    Return the progress of a run whose kernel is ``BUSY``: running, without reading the cells.

    A busy kernel is running some cell, so the run has not finished (rule 4) and cannot have failed yet
    in a way that ends it (an ``ERROR`` stops the run: the kernel is then not busy). The poll that sees it
    reads only ``/kernel/status``, the cheap read the reference calls "safe to poll".
    """
    total = len(snapshot.marks)
    return Progress(RUNNING, kernel.state, kernel.running_cell_id, total, (), total)
