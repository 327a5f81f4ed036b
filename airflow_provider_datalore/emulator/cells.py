"""
A notebook's cells as the emulator's config gives them (the ``cells`` of a notebook): what each holds and does.

A cell is ``{"id", "type": CODE|MARKDOWN|SQL|CONTROL, "source", ...}``. CODE and SQL cells say what a run
of theirs produces: ``outputs`` (``[{"type": "TEXT", "text": "..."}]``, any type string, ``text`` null for
binary ones such as PLOT), ``stdout``, ``stderr``, ``error`` ``{"message", "traceback"}`` (the cell ends
ERROR) or ``warning`` (it ends WARNING), ``running_status`` (shown while it runs, default ``STARTED``),
``final_status`` (ends with this status instead, e.g. an undocumented one), and ``data`` (the reply's ``data``; CODE default
``{"language": "python"}``). A CONTROL cell has ``control`` (see ``controls``). CODE, SQL and CONTROL cells
take ``polls`` (status reads that see the cell running; default 1, 0 with ``seconds``) and ``seconds``
(it runs at least that long; default 0). A MARKDOWN cell is never executed. Light: no aiohttp.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_datalore.emulator.checks import (
    as_list,
    check_choice,
    check_object,
    is_int,
    is_number,
    show,
)
from airflow_provider_datalore.emulator.controls import complete_control, control_problem

CELL_TYPES = ("CODE", "MARKDOWN", "SQL", "CONTROL")
#: The output types JetBrains' reference lists; a cell's config may give any other (a server's new one).
OUTPUT_TYPES = (
    "TEXT",
    "HTML",
    "TABLE",
    "MARKDOWN",
    "SVG",
    "LATEX",
    "PLOTLY",
    "VEGA",
    "PLOT",
    "LAST_EXPRESSION",
    "TSV",
)
EXECUTED_TYPES = ("CODE", "SQL", "CONTROL")
_DEFAULT_DATA: dict[str, dict[str, Any]] = {
    "CODE": {"language": "python"},
    "SQL": {"databaseId": None, "variableName": "df"},
}
_RESULT_KEYS = ("outputs", "stdout", "stderr", "error", "warning", "data", "running_status", "final_status")
_KEYS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "CODE": ("id", "type", "source", *_RESULT_KEYS, "polls", "seconds"),
    "SQL": ("id", "type", "source", *_RESULT_KEYS, "polls", "seconds"),
    "CONTROL": ("id", "type", "source", "control", "polls", "seconds"),
    "MARKDOWN": ("id", "type", "source"),
}
_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Output:
    """One output a cell's run produces: its type (``outputType``) and text (None for binary ones)."""

    type: str
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this output."""
        return {"type": self.type, "text": self.text}


@dataclass(frozen=True)
class CellError:
    """The error a cell's run ends with: ``errorMessage`` and ``errorTraceback``."""

    message: str
    traceback: str = ""


@dataclass(frozen=True)
class Cell:
    """A cell of a notebook and what a run of it produces (see the module)."""

    id: str
    type: str
    source: str = ""
    control: Mapping[str, Any] | None = field(default=None, hash=False)
    outputs: tuple[Output, ...] = ()
    stdout: str | None = None
    stderr: str | None = None
    error: CellError | None = None
    warning: bool = False
    data: Mapping[str, Any] | None = field(default=None, hash=False)
    polls: int | None = None
    seconds: float = 0
    #: The ``executionStatus`` it shows while it runs (e.g. ``PROCESSING_OUTPUT``, or one nobody documented).
    running_status: str = "STARTED"
    #: The status it ends with instead of VALID/WARNING/ERROR (an undocumented one); None: derived.
    final_status: str | None = None

    @property
    def executed(self) -> bool:
        """Return whether a run executes this cell (all but MARKDOWN)."""
        return self.type in EXECUTED_TYPES

    @property
    def effective_polls(self) -> int:
        """Return how many status reads see this cell running (1 unless ``seconds`` is set)."""
        if self.polls is not None:
            return self.polls
        return 0 if self.seconds else 1

    def reply_data(self, control: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """
        Return the cell's ``data`` as replies send it.

        :param control: the control's current state (a CONTROL cell's), or None for its configured one.
        """
        if self.type == "CONTROL":
            return {"control": dict(control if control is not None else self.control or {})}
        if self.type == "MARKDOWN":
            return {}
        return dict(self.data if self.data is not None else _DEFAULT_DATA[self.type])

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this cell: the keys its type takes."""
        data: dict[str, Any] = {"id": self.id, "type": self.type, "source": self.source}
        if self.type == "CONTROL":
            data["control"] = dict(self.control or {})
        if self.type in ("CODE", "SQL"):
            data |= {
                "outputs": [output.to_dict() for output in self.outputs],
                "stdout": self.stdout,
                "stderr": self.stderr,
                "error": None if self.error is None else vars(self.error).copy(),
                "warning": self.warning,
                "data": None if self.data is None else dict(self.data),
                "running_status": self.running_status,
                "final_status": self.final_status,
            }
        if self.executed:
            data |= {"polls": self.polls, "seconds": self.seconds}
        return data


def parse_cells(value: Any, notebook_id: str) -> tuple[Cell, ...]:
    """
    Return a notebook's ``cells`` setting checked (Cell objects may stand for their JSON); ValueError otherwise.

    :param value: the JSON list of cells.
    :param notebook_id: names the notebook in errors.
    """
    cells = tuple(
        cell if isinstance(cell, Cell) else _parse_cell(cell, f"notebook {notebook_id}: cells[{index}]")
        for index, cell in enumerate(as_list(value, f"notebook {notebook_id}: 'cells'"))
    )
    seen: set[str] = set()
    variables: set[str] = set()
    for cell in cells:
        if cell.id in seen:
            raise ValueError(f"notebook {notebook_id}: two cells have the id {cell.id!r}")
        seen.add(cell.id)
        if cell.control is not None:
            if cell.control["variable"] in variables:
                raise ValueError(
                    f"notebook {notebook_id}: two control cells assign {cell.control['variable']!r}"
                )
            variables.add(cell.control["variable"])
    return cells


def substitute(text: str | None, variables: Mapping[str, str]) -> str | None:
    """
    Return ``text`` with each ``{variable}`` the kernel has assigned replaced by its value (others kept).

    :param text: an output's text, stdout or stderr as configured.
    :param variables: variable -> its value's text.
    """
    if text is None:
        return None
    return _VARIABLE.sub(lambda match: variables.get(match.group(1), match.group(0)), text)


def _parse_cell(data: Any, what: str) -> Cell:
    check_object(data, _KEYS_BY_TYPE["CODE"] + ("control",), what, required=("id", "type"))
    kind = data["type"]
    check_choice(kind, CELL_TYPES, f"{what} 'type'")
    check_object(data, _KEYS_BY_TYPE[kind], f"{what} ({kind})")
    cell_id = data["id"]
    if not isinstance(cell_id, str) or not cell_id or not cell_id.isprintable():
        raise ValueError(f"{what} 'id' must be a non-empty string, got {show(cell_id)}")
    what = f"{what} {cell_id!r}"
    source = data.get("source", "")
    if not isinstance(source, str):
        raise ValueError(f"{what} 'source' must be a string, got {show(source)}")
    polls, seconds = data.get("polls"), data.get("seconds", 0)
    if polls is not None and (not is_int(polls) or polls < 0):
        raise ValueError(f"{what} 'polls' must be an integer >= 0, got {show(polls)}")
    if not is_number(seconds) or seconds < 0:
        raise ValueError(f"{what} 'seconds' must be a number >= 0, got {show(seconds)}")
    control = None
    if kind == "CONTROL":
        if "control" not in data:
            raise ValueError(f"{what}: a CONTROL cell needs 'control'")
        problem = control_problem(data["control"])
        if problem is not None:
            raise ValueError(f"{what} 'control': {problem}")
        control = complete_control(data["control"])
    if data.get("error") is not None and data.get("warning"):
        raise ValueError(f"{what}: 'error' and 'warning' exclude each other (a cell ends ERROR or WARNING)")
    return Cell(
        id=cell_id,
        type=kind,
        source=source,
        control=control,
        outputs=tuple(_output(o, f"{what} outputs[{i}]") for i, o in enumerate(data.get("outputs", []))),
        stdout=_optional_text(data.get("stdout"), f"{what} 'stdout'"),
        stderr=_optional_text(data.get("stderr"), f"{what} 'stderr'"),
        error=_error(data.get("error"), f"{what} 'error'"),
        warning=_flag(data.get("warning", False), f"{what} 'warning'"),
        data=_data(data.get("data"), f"{what} 'data'"),
        polls=polls,
        seconds=seconds,
        running_status=_status(
            data.get("running_status", "STARTED"), f"{what} 'running_status'", optional=False
        ),
        final_status=_status(data.get("final_status"), f"{what} 'final_status'", optional=True),
    )


def _output(data: Any, what: str) -> Output:
    if isinstance(data, Output):
        return data
    check_object(data, ("type", "text"), what, required=("type",))
    kind, text = data["type"], data.get("text")
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"{what} 'type' must be a non-empty string (e.g. TEXT, TABLE), got {show(kind)}")
    return Output(kind, _optional_text(text, f"{what} 'text'"))


def _error(data: Any, what: str) -> CellError | None:
    if data is None or isinstance(data, CellError):
        return data
    check_object(data, ("message", "traceback"), what, required=("message",))
    message, traceback = data["message"], data.get("traceback", "")
    if not isinstance(message, str) or not message:
        raise ValueError(f"{what} 'message' must be a non-empty string, got {show(message)}")
    if not isinstance(traceback, str):
        raise ValueError(f"{what} 'traceback' must be a string, got {show(traceback)}")
    return CellError(message, traceback)


def _optional_text(value: Any, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{what} must be a string or null, got {show(value)}")
    return value


def _status(value: Any, what: str, *, optional: bool) -> Any:
    if (value is None and optional) or (isinstance(value, str) and value):
        return value
    raise ValueError(f"{what} must be a non-empty string{' or null' if optional else ''}, got {show(value)}")


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{what} must be a boolean, got {show(value)}")
    return value


def _data(value: Any, what: str) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, Mapping):
        raise ValueError(f"{what} must be an object or null, got {show(value)}")
    return None if value is None else dict(value)
