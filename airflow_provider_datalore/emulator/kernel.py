"""
A notebook's kernel: its session, execution counter, variables and how the cells' executions advance.

An interactive run (the Run API's interactive call) queues every CODE, SQL and CONTROL cell in order
(MARKDOWN cells are not executed) and starts the first. Execution advances lazily: each status read
(``/kernel/status``, ``/cells``, ``/cell``, ``/cell/outputs``) is one poll of the running cell, which
finishes once ``polls`` reads have seen it ``STARTED`` and ``seconds`` have passed; the next one then
starts. A finished cell takes the next execution count (kernel-wide, from 1), its ``timing`` and its
status: ``VALID``, ``WARNING`` (``warning``) or ``ERROR`` (``error``). An ERROR stops the run: later cells
keep their previous statuses, counts and timing. A CONTROL cell assigns its variable; a code cell's
texts name variables as ``{variable}`` and show the value the kernel holds when it runs.

``kernel_boot_polls: N``: the first N ``/kernel/status`` reads after an interactive start answer
``READY`` and the cells show their previous statuses (the booting race); cell reads neither advance
nor end the boot. A second interactive start while cells run interrupts the running cell (ERROR
``KeyboardInterrupt``) and starts over from the first cell. Not thread-safe: the state's lock guards it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.cell_replies import CellState, CellView, outputs_reply
from airflow_provider_datalore.emulator.cells import Output, substitute
from airflow_provider_datalore.emulator.controls import complete_control, control_problem, kernel_value
from airflow_provider_datalore.emulator.errors import ApiError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from airflow_provider_datalore.emulator.cells import Cell

INTERRUPT_MESSAGE = "KeyboardInterrupt"
RUNNABLE_TYPES = ("CODE", "SQL")


@dataclass
class _Running:
    cell: Cell
    #: ``time.monotonic()`` when it started.
    started: float
    reads: int = 0


@dataclass(frozen=True)
class RunResult:
    """What a synchronous run (``/cells/run``, a control update with ``run``) answers, and how long it holds."""

    results: list[dict[str, Any]]
    stopped_reason: str | None
    seconds: float


class Kernel:
    """One notebook's kernel and the states of its cells (see the module)."""

    def __init__(self, notebook_id: str, cells: Sequence[Cell], boot_polls: int = 0) -> None:
        """
        Make a kernel with no session, every cell never run.

        :param notebook_id: ``owner/notebook``, for messages.
        :param cells: the notebook's cells, in order.
        :param boot_polls: the ``kernel_boot_polls`` setting.
        """
        self.notebook_id = notebook_id
        self.cells = tuple(cells)
        self._by_id = {cell.id: cell for cell in self.cells}
        self.boot_polls = boot_polls
        self.controls = {cell.id: dict(cell.control) for cell in self.cells if cell.control is not None}
        self.states = {cell.id: CellState() for cell in self.cells}
        self.session = False
        self.counter = 0
        self.variables: dict[str, str] = {}
        self._queue: list[Cell] = []
        self._running: _Running | None = None
        #: ``/kernel/status`` reads left that answer READY before the queued run goes live; None: not booting.
        self._boot_left: int | None = None

    # Starting and stopping

    def start_all(self, *, wait: bool = False) -> float:
        """
        Start executing every cell from the first (the interactive run); return the seconds to hold its answer.

        :param wait: ``interactive_waits``: execute every cell now, polls ignored, and return their seconds.
        """
        now = time.monotonic()
        if self._boot_left is None:
            self._advance(now)
        if self._running is not None:
            self._finish(self._running, now, interrupted=True)
        self.session = True
        self._queue = [cell for cell in self.cells if cell.executed]
        if wait:
            self._boot_left = None
            return self._run_through()
        self._boot_left = self.boot_polls if self.boot_polls else None
        if self._boot_left is None:
            self._go_live()
        return 0.0

    def interrupt(self) -> dict[str, bool]:
        """Stop the running cell (ERROR ``KeyboardInterrupt``) and the run; 409 when there is no session."""
        if not self.session:
            raise ApiError(
                409, f"No session for notebook {self.notebook_id}: nothing to interrupt", state="NOT_STARTED"
            )
        now = time.monotonic()
        if self._boot_left is None:
            self._advance(now)
        running = self._running
        if running is not None:
            self._finish(running, now, interrupted=True)
        self._queue.clear()
        self._boot_left = None
        return {"interrupted": running is not None}

    # Reads

    def read(self, kind: str = "cell") -> None:
        """
        Count one status read: it may end the boot, finish cells and start the next; it sees the running one.

        :param kind: ``kernel`` for ``/kernel/status`` (the reads the boot counts), ``cell`` for the others.
        """
        if self._boot_left is not None:
            if self._boot_left > 0:
                if kind == "kernel":
                    self._boot_left -= 1
                return
            self._go_live()
        self._advance(time.monotonic(), by_read=True)
        if self._running is not None:
            self._running.reads += 1

    def status(self) -> dict[str, Any]:
        """Return the ``/kernel/status`` reply as the kernel stands (after ``read``)."""
        if not self.session:
            return {"state": "NOT_STARTED", "runningCellId": None}
        if self._running is not None:
            return {"state": "BUSY", "runningCellId": self._running.cell.id}
        return {"state": "READY", "runningCellId": None}

    def views(self) -> list[CellView]:
        """Return every cell as replies show it, in order."""
        return [self.view(cell.id) for cell in self.cells]

    def view(self, cell_id: str) -> CellView:
        """Return one cell as replies show it; ApiError(404) if the notebook has no such cell."""
        cell = self._by_id.get(cell_id)
        if cell is None:
            raise ApiError(404, f"Cell {cell_id} not found in notebook {self.notebook_id}")
        return CellView(cell, self.cells.index(cell), self.states[cell_id], self.controls.get(cell_id))

    # Controls and synchronous runs

    def update_control(self, cell_id: str, control: Mapping[str, Any]) -> None:
        """Store a control cell's new control data; ApiError(404) unknown cell, (400) not CONTROL or bad data."""
        cell = self.view(cell_id).cell
        if cell.type != "CONTROL":
            raise ApiError(400, f"Cell {cell_id} is a {cell.type} cell, not a CONTROL cell")
        problem = control_problem(control, self.controls[cell_id])
        if problem is not None:
            raise ApiError(400, f"Cell {cell_id}: {problem}")
        self.controls[cell_id] = complete_control(control, self.controls[cell_id])

    def run_now(self, cell_ids: Sequence[str], *, stop_on_error: bool, timeout_ms: int) -> RunResult:
        """
        Execute cells at once, in order, polls ignored (``/cells/run``, a control update with ``run``).

        A cell whose ``seconds`` pass ``timeout_ms`` answers ``TIMEOUT`` and goes on running (status reads
        finish it); the run stops there. Raises ApiError(409, BUSY) while an interactive run executes.
        """
        cells = [self.view(cell_id).cell for cell_id in cell_ids]
        self.check_idle()
        now = time.monotonic()
        self.session = True
        results, spent = [], 0.0
        for cell in cells:
            running = _Running(cell, now + spent)
            self._start(running)
            if cell.seconds * 1000 > timeout_ms:
                spent += timeout_ms / 1000
                results.append(outputs_reply(self.view(cell.id), status="TIMEOUT"))
                return RunResult(results, "timeout", spent)
            spent += cell.seconds
            self._finish(running, now + spent)
            results.append(outputs_reply(self.view(cell.id)))
            if stop_on_error and self.states[cell.id].status == "ERROR":
                return RunResult(results, "error", spent)
        return RunResult(results, None, spent)

    def check_idle(self) -> None:
        """Raise ApiError(409, BUSY) while an interactive run executes (or boots) (cells that are due finish first)."""
        if self._boot_left is None:
            self._advance(time.monotonic())
        if self._running is not None or self._boot_left is not None:
            busy = f"running cell {self._running.cell.id}" if self._running is not None else "starting a run"
            raise ApiError(409, f"The kernel of notebook {self.notebook_id} is busy {busy}", state="BUSY")

    # Execution

    def _go_live(self) -> None:
        self._boot_left = None
        now = time.monotonic()
        self._start_next(now)
        self._advance(now, by_read=True)

    def _run_through(self) -> float:
        now, spent = time.monotonic(), 0.0
        self._start_next(now)
        while self._running is not None:
            spent += self._running.cell.seconds
            self._finish(self._running, now + spent)
            self._start_next(now + spent)
        return spent

    def _advance(self, now: float, *, by_read: bool = False) -> None:
        """
        Finish the running cell once its polls and seconds are done, and the next ones that are too.

        :param now: ``time.monotonic()``.
        :param by_read: a status read advances; anything else (an interrupt, a run) finishes only a cell
            with no polls whose seconds have passed, so that it acts on the cell the last read showed.
        """
        while self._running is not None:
            running = self._running
            cell = running.cell
            if cell.effective_polls and not by_read:
                return
            if running.reads < cell.effective_polls or now - running.started < cell.seconds:
                return
            end = running.started + cell.seconds if cell.effective_polls == 0 else now
            self._finish(running, end)
            self._start_next(end)

    def _start_next(self, now: float) -> None:
        if self._queue:
            self._start(_Running(self._queue.pop(0), now))

    def _start(self, running: _Running) -> None:
        state = self.states[running.cell.id]
        state.status, state.started = running.cell.running_status, True
        state.duration_ms = state.finished_at = None
        state.outputs, state.stdout, state.stderr = [], None, None
        state.error_message = state.error_traceback = None
        self._running = running

    def _finish(self, running: _Running, end: float, *, interrupted: bool = False) -> None:
        """Record a cell's end at ``end`` (monotonic): its count, timing and what it produced."""
        cell, state = running.cell, self.states[running.cell.id]
        self.counter += 1
        state.count = self.counter
        state.duration_ms = max(0, round((end - running.started) * 1000))
        state.finished_at = time.time() - max(0.0, time.monotonic() - end)
        if interrupted:
            state.status = "ERROR"
            state.error_message = INTERRUPT_MESSAGE
            state.error_traceback = (
                f'Traceback (most recent call last):\n  File "<cell {cell.id}>", line 1, in <module>\n'
                f"{INTERRUPT_MESSAGE}"
            )
        elif cell.type == "CONTROL":
            control = self.controls[cell.id]
            self.variables[control["variable"]] = kernel_value(control)
            state.status = "VALID"
        else:
            values = self.variables
            state.outputs = [Output(o.type, substitute(o.text, values)) for o in cell.outputs]
            state.stdout = substitute(cell.stdout, values)
            state.stderr = substitute(cell.stderr, values)
            if cell.error is not None:
                state.status = "ERROR"
                state.error_message = substitute(cell.error.message, values)
                state.error_traceback = substitute(cell.error.traceback, values)
            else:
                state.status = "WARNING" if cell.warning else "VALID"
            state.status = cell.final_status or state.status
        if self._running is running:
            self._running = None
        if state.status == "ERROR":
            self._queue.clear()

    def snapshot(self) -> dict[str, Any]:
        """Return the emulator's view of the kernel and every cell, for tests (no read is counted)."""
        return {
            **self.status(),
            "booting": self._boot_left is not None,
            "executionCounter": self.counter,
            "variables": dict(self.variables),
            "queued": [cell.id for cell in self._queue],
            "cells": [
                {**outputs_reply(view), "cellType": view.cell.type, "control": view.control}
                for view in self.views()
            ],
        }
