"""The notebooks the emulator knows: how their runs behave and how their status replies look."""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_datalore.emulator.cells import Cell, parse_cells
from airflow_provider_datalore.emulator.checks import (
    as_list,
    check_choice,
    check_keys,
    check_object,
    is_int,
    is_json,
    is_number,
    show,
)
from airflow_provider_datalore.emulator.files import FileContent, contents_to_json, parse_file_contents
from airflow_provider_datalore.emulator.reports import parse_publications
from airflow_provider_datalore.run_api import STATUS_FIELDS

OUTCOMES = ("success", "failure")
#: How startTime and endTime are written: ``iso`` ``2026-11-26T10:00:00Z``, ``iso_fraction``
#: ``...T10:00:00.123456789Z``, ``iso_offset`` ``...T12:00:00.123+02:00``, ``epoch_ms`` (int),
#: ``epoch_s`` (int), ``epoch_s_float`` (3 decimals), ``invalid`` (the string ``"soon"``).
TIME_FORMATS = ("iso", "epoch_ms", "iso_fraction", "iso_offset", "epoch_s", "epoch_s_float", "invalid")
#: ``notebookId`` in status replies: the part after the slash, or the whole ``owner/notebook``.
NOTEBOOK_ID_FORMATS = ("bare", "full")
#: The fields of a status reply, as documented: the ones ``omit_fields`` may leave out.
REPLY_FIELDS = STATUS_FIELDS


class Absent(enum.Enum):
    """The value of a setting left out of the config, where ``null`` is a value of its own."""

    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


#: ``artifacts_reply`` not set: finished runs list ``artifacts`` as usual.
ABSENT = Absent.ABSENT


@dataclass(frozen=True)
class Artifact:
    """An artifact a finished run lists; ``path`` defaults to the run's artifact directory."""

    name: str
    path: str | None = None


@dataclass(frozen=True)
class Notebook:
    """A notebook the emulator knows, and how its runs behave."""

    id: str
    polls: int | None = None
    duration: float | None = None
    outcome: str = "success"
    artifacts: tuple[Artifact, ...] | None = None
    status: str = "running"
    time_format: str = "iso"
    success_while_running: bool | None = False
    end_time_while_running: bool = True
    #: Sent as ``status`` in a finished run's reply too, beside ``endTime`` and ``success``.
    final_status: str | None = None
    #: The reply's ``userId`` (e.g. who started the run); None: the notebook's owner.
    reply_user_id: str | None = None
    reply_notebook_id: str = "bare"
    #: The raw JSON a finished run's reply carries as ``artifacts`` (``null`` included); ABSENT: the list.
    artifacts_reply: Any = field(default=ABSENT, hash=False)
    #: Fields left out of every status reply of this notebook's runs.
    omit_fields: tuple[str, ...] = ()
    #: The notebook's files (Notebook API): path -> text, or a GeneratedFile ``{"size", "seed"}``.
    files: Mapping[str, FileContent] = field(default_factory=dict, hash=False)
    #: The files a run writes into the notebook's tree when it finishes successfully, as ``files``.
    run_writes: Mapping[str, FileContent] = field(default_factory=dict, hash=False)
    #: The notebook's cells (Notebook API), in order; see ``cells`` and docs/emulator-notebook.md.
    cells: tuple[Cell, ...] = field(default=(), hash=False)
    #: After an interactive start, this many ``/kernel/status`` reads answer READY, the cells unchanged.
    kernel_boot_polls: int = 0
    #: The interactive call answers once every cell has executed (polls ignored); false: at once.
    interactive_waits: bool = False
    #: The report publications it has: ``{"STATIC" | "INTERACTIVE": reportId}``.
    publications: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        check_notebook_id(self.id, "id")
        what = f"notebook {self.id}:"
        if self.polls is not None and (not is_int(self.polls) or self.polls < 0):
            raise ValueError(f"{what} 'polls' must be an integer >= 0, got {show(self.polls)}")
        if self.duration is not None and (not is_number(self.duration) or self.duration < 0):
            raise ValueError(f"{what} 'duration' must be a number >= 0, got {show(self.duration)}")
        check_choice(self.outcome, OUTCOMES, f"{what} 'outcome'")
        check_choice(self.time_format, TIME_FORMATS, f"{what} 'time_format'")
        check_choice(self.reply_notebook_id, NOTEBOOK_ID_FORMATS, f"{what} 'reply_notebook_id'")
        _check_text(self.status, f"{what} 'status'", optional=False)
        _check_text(self.final_status, f"{what} 'final_status'", optional=True)
        _check_text(self.reply_user_id, f"{what} 'reply_user_id'", optional=True)
        if self.success_while_running is not None and not isinstance(self.success_while_running, bool):
            raise ValueError(
                f"{what} 'success_while_running' must be true, false or null, "
                f"got {show(self.success_while_running)}"
            )
        if not isinstance(self.end_time_while_running, bool):
            raise ValueError(
                f"{what} 'end_time_while_running' must be a boolean, got {show(self.end_time_while_running)}"
            )
        if self.artifacts is not None:
            items = as_list(self.artifacts, f"{what} 'artifacts'")
            object.__setattr__(self, "artifacts", tuple(_to_artifact(a, self.id) for a in items))
        if self.artifacts_reply is not ABSENT:
            if not is_json(self.artifacts_reply):
                raise ValueError(f"{what} 'artifacts_reply' must be JSON, got {show(self.artifacts_reply)}")
            object.__setattr__(self, "artifacts_reply", copy.deepcopy(self.artifacts_reply))
        omitted = as_list(self.omit_fields, f"{what} 'omit_fields'")
        for name in omitted:
            check_choice(name, REPLY_FIELDS, f"{what} 'omit_fields' item")
        object.__setattr__(self, "omit_fields", tuple(omitted))
        object.__setattr__(self, "files", parse_file_contents(self.files, f"{what} 'files'"))
        object.__setattr__(self, "run_writes", parse_file_contents(self.run_writes, f"{what} 'run_writes'"))
        object.__setattr__(self, "cells", parse_cells(self.cells, self.id))
        if not is_int(self.kernel_boot_polls) or self.kernel_boot_polls < 0:
            raise ValueError(
                f"{what} 'kernel_boot_polls' must be an integer >= 0, got {show(self.kernel_boot_polls)}"
            )
        if not isinstance(self.interactive_waits, bool):
            raise ValueError(
                f"{what} 'interactive_waits' must be a boolean, got {show(self.interactive_waits)}"
            )
        object.__setattr__(
            self, "publications", parse_publications(self.publications, f"{what} 'publications'")
        )

    @property
    def owner(self) -> str:
        """Return the owner part of the notebook ID (the API's ``userId``)."""
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        """Return the part of the notebook ID after the slash (the API's ``notebookId``)."""
        return self.id.split("/", 1)[1]

    @property
    def effective_polls(self) -> int:
        """Return how many status GETs report the run in progress (1 unless ``duration`` is set)."""
        if self.polls is not None:
            return self.polls
        return 0 if self.duration is not None else 1

    @property
    def effective_artifacts(self) -> tuple[Artifact, ...]:
        """Return the artifacts a finished run lists (default: ``<nb>.ipynb``)."""
        if self.artifacts is None:
            return (Artifact(name=f"{self.name}.ipynb"),)
        return self.artifacts

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notebook:
        """Build a notebook from its JSON form, raising ValueError on a bad key or value."""
        return cls(**check_object(data, _NOTEBOOK_KEYS, "notebook", required=("id",)))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this notebook (``artifacts_reply`` only when set)."""
        data = {
            "id": self.id,
            "polls": self.polls,
            "duration": self.duration,
            "outcome": self.outcome,
            "artifacts": [{"name": a.name, "path": a.path} for a in self.effective_artifacts],
            "status": self.status,
            "time_format": self.time_format,
            "success_while_running": self.success_while_running,
            "end_time_while_running": self.end_time_while_running,
            "final_status": self.final_status,
            "reply_user_id": self.reply_user_id,
            "reply_notebook_id": self.reply_notebook_id,
            "omit_fields": list(self.omit_fields),
            "files": contents_to_json(self.files),
            "run_writes": contents_to_json(self.run_writes),
            "cells": [cell.to_dict() for cell in self.cells],
            "kernel_boot_polls": self.kernel_boot_polls,
            "interactive_waits": self.interactive_waits,
            "publications": dict(self.publications),
        }
        if self.artifacts_reply is not ABSENT:
            data["artifacts_reply"] = copy.deepcopy(self.artifacts_reply)
        return data


_NOTEBOOK_KEYS = (
    "id",
    "polls",
    "duration",
    "outcome",
    "artifacts",
    "status",
    "time_format",
    "success_while_running",
    "end_time_while_running",
    "final_status",
    "reply_user_id",
    "reply_notebook_id",
    "artifacts_reply",
    "omit_fields",
    "files",
    "run_writes",
    "cells",
    "kernel_boot_polls",
    "interactive_waits",
    "publications",
)


def _check_text(value: Any, what: str, *, optional: bool) -> None:
    if (value is None and optional) or (isinstance(value, str) and value):
        return
    allowed = "a non-empty string or null" if optional else "a non-empty string"
    raise ValueError(f"{what} must be {allowed}, got {show(value)}")


def _to_artifact(data: Any, notebook_id: str) -> Artifact:
    if isinstance(data, Artifact):
        data = {"name": data.name, "path": data.path}
    if not isinstance(data, Mapping):
        raise ValueError(f"notebook {notebook_id}: an artifact must be an object, got {show(data)}")
    check_keys(data, ("name", "path"), f"notebook {notebook_id}: artifact", required=("name",))
    name, path = data["name"], data.get("path")
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"notebook {notebook_id}: artifact 'name' must be a non-empty string, got {show(name)}"
        )
    if path is not None and not isinstance(path, str):
        raise ValueError(f"notebook {notebook_id}: artifact 'path' must be a string, got {show(path)}")
    return Artifact(name=name, path=path)


def check_notebook_id(value: Any, what: str) -> None:
    """Raise ValueError unless ``value`` is a notebook ID ``owner/notebook``."""
    if not isinstance(value, str) or value.count("/") != 1 or not all(value.split("/")):
        raise ValueError(f"{what} must be a notebook id 'owner/notebook', got {show(value)}")
