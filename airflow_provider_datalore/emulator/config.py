"""Configuration of the Datalore emulator: tokens, notebooks and scripted faults."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

ACCESS_LEVELS = ("editor", "viewer")
ALL_NOTEBOOKS = "*"
ENDPOINTS = ("run", "status", "interactive")
FAULT_ACTIONS = ("drop", "reset", "malformed_json", "delay")
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
        if self.polls is not None and (not _is_int(self.polls) or self.polls < 0):
            raise ValueError(f"notebook {self.id}: 'polls' must be an integer >= 0, got {self.polls!r}")
        if self.duration is not None and (not _is_number(self.duration) or self.duration < 0):
            raise ValueError(f"notebook {self.id}: 'duration' must be a number >= 0, got {self.duration!r}")
        _check_choice(self.outcome, OUTCOMES, f"notebook {self.id}: 'outcome'")
        _check_choice(self.time_format, TIME_FORMATS, f"notebook {self.id}: 'time_format'")
        if not isinstance(self.status, str) or not self.status:
            raise ValueError(f"notebook {self.id}: 'status' must be a non-empty string, got {self.status!r}")
        if self.success_while_running is not None and not isinstance(self.success_while_running, bool):
            raise ValueError(
                f"notebook {self.id}: 'success_while_running' must be true, false or null, "
                f"got {self.success_while_running!r}"
            )
        if not isinstance(self.end_time_while_running, bool):
            raise ValueError(
                f"notebook {self.id}: 'end_time_while_running' must be a boolean, "
                f"got {self.end_time_while_running!r}"
            )
        if self.artifacts is not None:
            items = _as_list(self.artifacts, f"notebook {self.id}: 'artifacts'")
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
            raise ValueError(f"a notebook must be a JSON object, got {data!r}")
        _check_keys(data, _NOTEBOOK_KEYS, "notebook", required=("id",))
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


@dataclass(frozen=True)
class Fault:
    """A scripted fault for one endpoint: an HTTP status to answer, or a wire-level action."""

    endpoint: str
    times: int = 1
    status: int | None = None
    retry_after: str | None = None
    body: Any = None
    action: str | None = None
    seconds: float = 0.0
    process: bool = False
    #: Sent as the ``Location`` header with ``status`` (e.g. a 307 redirect to another host).
    location: str | None = None

    def __post_init__(self) -> None:
        _check_choice(self.endpoint, ENDPOINTS, "fault 'endpoint'")
        if not _is_int(self.times) or self.times < 1:
            raise ValueError(f"fault 'times' must be an integer >= 1, got {self.times!r}")
        if (self.status is None) == (self.action is None):
            raise ValueError("a fault needs exactly one of 'status' (an HTTP code) or 'action'")
        if self.status is not None and (not _is_int(self.status) or not 200 <= self.status <= 599):
            raise ValueError(f"fault 'status' must be an HTTP status code, got {self.status!r}")
        if self.action is not None:
            _check_choice(self.action, FAULT_ACTIONS, "fault 'action'")
            if self.retry_after is not None or self.body is not None or self.location is not None:
                raise ValueError("fault 'retry_after', 'body' and 'location' only go with 'status'")
        if self.location is not None and not isinstance(self.location, str):
            raise ValueError(f"fault 'location' must be a string, got {self.location!r}")
        if self.retry_after is not None:
            if _is_int(self.retry_after):
                object.__setattr__(self, "retry_after", str(self.retry_after))
            elif not isinstance(self.retry_after, str):
                raise ValueError(f"fault 'retry_after' must be a string, got {self.retry_after!r}")
        if not _is_number(self.seconds) or self.seconds < 0:
            raise ValueError(f"fault 'seconds' must be a number >= 0, got {self.seconds!r}")
        if self.action == "delay" and self.seconds <= 0:
            raise ValueError("a 'delay' fault needs 'seconds' > 0")
        if not isinstance(self.process, bool):
            raise ValueError(f"fault 'process' must be a boolean, got {self.process!r}")

    @property
    def label(self) -> str | int:
        """Return what the journal records for this fault: the action name or the status code."""
        return self.action if self.action is not None else int(self.status or 0)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build a fault from its JSON form, raising ValueError on a bad key or value."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a fault must be a JSON object, got {data!r}")
        _check_keys(data, _FAULT_KEYS, "fault", required=("endpoint",))
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this fault."""
        return {
            "endpoint": self.endpoint,
            "times": self.times,
            "status": self.status,
            "retry_after": self.retry_after,
            "body": self.body,
            "action": self.action,
            "seconds": self.seconds,
            "process": self.process,
            "location": self.location,
        }


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
        _check_keys(data, ("tokens", "notebooks", "faults"), "config")
        tokens = data.get("tokens", {})
        if not isinstance(tokens, Mapping):
            raise ValueError("config 'tokens' must be an object of token -> {notebook id: access}")
        return cls(
            tokens={
                str(token): dict(access) if isinstance(access, Mapping) else access
                for token, access in tokens.items()
            },
            notebooks=[
                Notebook.from_dict(nb) for nb in _as_list(data.get("notebooks", []), "config 'notebooks'")
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
    """Parse a JSON list of faults (or a single fault object), raising ValueError when invalid."""
    if isinstance(data, Mapping):
        data = [data]
    return [Fault.from_dict(f) for f in _as_list(data, "'faults'")]


def check_token_access(token: Any, access: Any) -> None:
    """Raise ValueError unless ``access`` maps notebook ids (or ``*``) to ``editor``/``viewer``."""
    if not isinstance(token, str) or not token:
        raise ValueError(f"a token must be a non-empty string, got {token!r}")
    if not isinstance(access, Mapping):
        raise ValueError(f"token access must be an object of notebook id -> access level, got {access!r}")
    for notebook_id, level in access.items():
        if notebook_id != ALL_NOTEBOOKS:
            _check_notebook_id(notebook_id, "token access key")
        _check_choice(level, ACCESS_LEVELS, f"access to {notebook_id!r}")


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
_FAULT_KEYS = (
    "endpoint",
    "times",
    "status",
    "retry_after",
    "body",
    "action",
    "seconds",
    "process",
    "location",
)


def _to_artifact(data: Any, notebook_id: str) -> Artifact:
    if isinstance(data, Artifact):
        data = {"name": data.name, "path": data.path}
    if not isinstance(data, Mapping):
        raise ValueError(f"notebook {notebook_id}: an artifact must be an object, got {data!r}")
    _check_keys(data, ("name", "path"), f"notebook {notebook_id}: artifact", required=("name",))
    name, path = data["name"], data.get("path")
    if not isinstance(name, str) or not name:
        raise ValueError(f"notebook {notebook_id}: artifact 'name' must be a non-empty string, got {name!r}")
    if path is not None and not isinstance(path, str):
        raise ValueError(f"notebook {notebook_id}: artifact 'path' must be a string, got {path!r}")
    return Artifact(name=name, path=path)


def _check_keys(
    data: Mapping[str, Any], allowed: tuple[str, ...], what: str, required: tuple[str, ...] = ()
) -> None:
    for key in data:
        if key not in allowed:
            raise ValueError(f"{what}: unknown key {key!r} (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in data:
            raise ValueError(f"{what}: missing required key {key!r}")


def _check_choice(value: Any, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise ValueError(f"{what} must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")


def _check_notebook_id(value: Any, what: str) -> None:
    if not isinstance(value, str) or value.count("/") != 1 or not all(value.split("/")):
        raise ValueError(f"{what} must be a notebook id 'owner/notebook', got {value!r}")


def _as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} must be a list, got {value!r}")
    return list(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
