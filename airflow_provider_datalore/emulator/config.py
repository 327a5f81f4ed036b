"""Configuration of the Datalore emulator: tokens, notebooks and scripted faults."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.checks import (
    as_list,
    check_choice,
    check_keys,
    is_int,
    is_number,
    show,
)
from airflow_provider_datalore.emulator.fault_rules import ENDPOINTS as ENDPOINTS
from airflow_provider_datalore.emulator.fault_rules import FAULT_ACTIONS as FAULT_ACTIONS
from airflow_provider_datalore.emulator.fault_rules import check_fault

if TYPE_CHECKING:
    from pathlib import Path


ACCESS_LEVELS = ("editor", "viewer")
ALL_NOTEBOOKS = "*"
OUTCOMES = ("success", "failure")
TIME_FORMATS = ("iso", "epoch_ms")

DEFAULT_TOKEN = "emulator-token"
DEFAULT_NOTEBOOK = "demo/sales-report"
READ_ONLY_NOTEBOOK = "demo/read-only"


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

    def __post_init__(self) -> None:
        _check_notebook_id(self.id, "id")
        if self.polls is not None and (not is_int(self.polls) or self.polls < 0):
            raise ValueError(f"notebook {self.id}: 'polls' must be an integer >= 0, got {show(self.polls)}")
        if self.duration is not None and (not is_number(self.duration) or self.duration < 0):
            raise ValueError(
                f"notebook {self.id}: 'duration' must be a number >= 0, got {show(self.duration)}"
            )
        check_choice(self.outcome, OUTCOMES, f"notebook {self.id}: 'outcome'")
        check_choice(self.time_format, TIME_FORMATS, f"notebook {self.id}: 'time_format'")
        if not isinstance(self.status, str) or not self.status:
            raise ValueError(
                f"notebook {self.id}: 'status' must be a non-empty string, got {show(self.status)}"
            )
        if self.success_while_running is not None and not isinstance(self.success_while_running, bool):
            raise ValueError(
                f"notebook {self.id}: 'success_while_running' must be true, false or null, "
                f"got {show(self.success_while_running)}"
            )
        if not isinstance(self.end_time_while_running, bool):
            raise ValueError(
                f"notebook {self.id}: 'end_time_while_running' must be a boolean, "
                f"got {show(self.end_time_while_running)}"
            )
        if self.artifacts is not None:
            items = as_list(self.artifacts, f"notebook {self.id}: 'artifacts'")
            object.__setattr__(self, "artifacts", tuple(_to_artifact(a, self.id) for a in items))

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
        if not isinstance(data, Mapping):
            raise ValueError(f"a notebook must be a JSON object, got {show(data)}")
        check_keys(data, _NOTEBOOK_KEYS, "notebook", required=("id",))
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this notebook."""
        return {
            "id": self.id,
            "polls": self.polls,
            "duration": self.duration,
            "outcome": self.outcome,
            "artifacts": [{"name": a.name, "path": a.path} for a in self.effective_artifacts],
            "status": self.status,
            "time_format": self.time_format,
            "success_while_running": self.success_while_running,
            "end_time_while_running": self.end_time_while_running,
        }


@dataclass(frozen=True, repr=False)
class Fault:
    """
    A scripted fault for one endpoint: an HTTP status to answer, a wire-level action, or both.

    Which options go with which action is checked on construction (see ``fault_rules``); options left
    out take the action's defaults (``seconds``, ``size``, ``encoding``), so ``to_dict`` shows them.
    """

    endpoint: str
    times: int = 1
    status: int | None = None
    retry_after: str | None = None
    #: A JSON value; or, with ``content_type``, a string sent raw in ``encoding``.
    body: Any = None
    action: str | None = None
    seconds: float | None = None
    #: Also run the real operation (e.g. start the run) when the fault supplies the answer.
    process: bool = False
    #: Sent as the ``Location`` header with ``status`` (e.g. a 307 redirect to another host).
    location: str | None = None
    #: Bytes of the generated body of ``huge_body`` (its JSON) and ``gzip_bomb`` (once inflated).
    size: int | None = None
    #: ``huge_body`` sends a Content-Length instead of chunked transfer encoding.
    content_length: bool = False
    #: Sends ``body`` raw with this Content-Type (no charset parameter added).
    content_type: str | None = None
    encoding: str | None = None

    def __post_init__(self) -> None:
        for name, value in check_fault(self).items():
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"Fault({', '.join(f'{name}={show(value)}' for name, value in self.to_dict().items())})"

    @property
    def label(self) -> str | int:
        """Return what the journal records for this fault: the action name or the status code."""
        return self.action if self.action is not None else int(self.status or 0)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build a fault from its JSON form, raising ValueError on a bad key or value."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a fault must be a JSON object, got {show(data)}")
        check_keys(data, _FAULT_KEYS, "fault", required=("endpoint",))
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this fault."""
        return {name: getattr(self, name) for name in _FAULT_KEYS}


@dataclass
class EmulatorConfig:
    """Everything the emulator serves: tokens with their access, notebooks, and queued faults."""

    tokens: dict[str, dict[str, str]] = field(default_factory=dict)
    notebooks: list[Notebook] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        known = {nb.id for nb in self.notebooks}
        if len(known) != len(self.notebooks):
            raise ValueError("notebook ids must be unique")
        for token, access in self.tokens.items():
            check_token_access(token, access)
            for notebook_id in access:
                if notebook_id != ALL_NOTEBOOKS and notebook_id not in known:
                    raise ValueError(
                        f"token grants access to {notebook_id!r}, which is not a configured notebook"
                    )

    @classmethod
    def default(cls) -> EmulatorConfig:
        """Return the default config: one editor token on a 2-poll notebook, viewer on another."""
        return cls(
            tokens={DEFAULT_TOKEN: {DEFAULT_NOTEBOOK: "editor", READ_ONLY_NOTEBOOK: "viewer"}},
            notebooks=[
                Notebook(id=DEFAULT_NOTEBOOK, polls=2, artifacts=(Artifact(name="sales-report.ipynb"),)),
                Notebook(id=READ_ONLY_NOTEBOOK),
            ],
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmulatorConfig:
        """Build a config from its JSON form, raising ValueError naming the bad key or value."""
        if not isinstance(data, Mapping):
            raise ValueError(f"the emulator config must be a JSON object, got {type(data).__name__}")
        check_keys(data, ("tokens", "notebooks", "faults"), "config")
        tokens = data.get("tokens", {})
        if not isinstance(tokens, Mapping):
            raise ValueError("config 'tokens' must be an object of token -> {notebook id: access}")
        return cls(
            tokens={
                str(token): dict(access) if isinstance(access, Mapping) else access
                for token, access in tokens.items()
            },
            notebooks=[
                Notebook.from_dict(nb) for nb in as_list(data.get("notebooks", []), "config 'notebooks'")
            ],
            faults=parse_faults(data.get("faults", [])),
        )

    @classmethod
    def from_file(cls, path: str | Path) -> EmulatorConfig:
        """Load a config from a JSON file in the ``from_dict`` format."""
        with open(path, encoding="utf-8") as handle:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this config."""
        return {
            "tokens": {token: dict(access) for token, access in self.tokens.items()},
            "notebooks": [nb.to_dict() for nb in self.notebooks],
            "faults": [f.to_dict() for f in self.faults],
        }


def parse_faults(data: Any) -> list[Fault]:
    """Parse a JSON list of faults (or a single one), where Fault objects may stand for their JSON."""
    if isinstance(data, (Mapping, Fault)):
        data = [data]
    return [f if isinstance(f, Fault) else Fault.from_dict(f) for f in as_list(data, "'faults'")]


def check_token_access(token: Any, access: Any) -> None:
    """Raise ValueError unless ``access`` maps notebook ids (or ``*``) to ``editor``/``viewer``."""
    if not isinstance(token, str) or not token:
        raise ValueError(f"a token must be a non-empty string, got {show(token)}")
    if not isinstance(access, Mapping):
        raise ValueError(f"token access must be an object of notebook id -> access level, got {show(access)}")
    for notebook_id, level in access.items():
        if notebook_id != ALL_NOTEBOOKS:
            _check_notebook_id(notebook_id, "token access key")
        check_choice(level, ACCESS_LEVELS, f"access to {notebook_id!r}")


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
)


_FAULT_KEYS = tuple(f.name for f in fields(Fault))


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


def _check_notebook_id(value: Any, what: str) -> None:
    if not isinstance(value, str) or value.count("/") != 1 or not all(value.split("/")):
        raise ValueError(f"{what} must be a notebook id 'owner/notebook', got {show(value)}")
