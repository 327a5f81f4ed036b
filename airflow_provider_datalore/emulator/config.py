"""Configuration of the Datalore emulator: tokens, notebooks, scripted faults and how the server answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.checks import (
    as_list,
    check_choice,
    check_keys,
    check_object,
    is_number,
    show,
)
from airflow_provider_datalore.emulator.fault_rules import ENDPOINTS as ENDPOINTS
from airflow_provider_datalore.emulator.fault_rules import FAULT_ACTIONS as FAULT_ACTIONS
from airflow_provider_datalore.emulator.fault_rules import check_fault
from airflow_provider_datalore.emulator.notebooks import Artifact as Artifact
from airflow_provider_datalore.emulator.notebooks import Notebook as Notebook
from airflow_provider_datalore.emulator.sales_report import sales_report_cells
from airflow_provider_datalore.emulator.tokens import (
    ALL_NOTEBOOKS,
    TokenSettings,
    as_api_token,
    check_token,
    parse_token_settings,
    token_to_json,
)

if TYPE_CHECKING:
    from pathlib import Path


#: ``2026``: as the 2026.x docs; ``2025-strict``: a run request with ``parameters`` or
#: ``directFileStorageWrite`` is 400; ``2025-lenient``: they are ignored, and replies lack the latter.
SERVER_VERSIONS = ("2026", "2025-strict", "2025-lenient")
#: The interactive call's 200: ``{}``, an empty body, ``text/plain`` ``OK``; or a 204.
INTERACTIVE_REPLIES = ("json", "empty", "text", "no_content")
#: The 404 of a path outside the API: plain text, a Spring Boot JSON error, or an HTML page.
UNKNOWN_PATH_REPLIES = ("text", "spring_json", "html")

DEFAULT_TOKEN = "emulator-token"
DEFAULT_NOTEBOOK = "demo/sales-report"
READ_ONLY_NOTEBOOK = "demo/read-only"


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
    #: Bytes of the generated body of ``huge_body`` (its JSON) and ``gzip_bomb`` (once inflated); of a
    #: file ``cut`` sends before closing (None: half); of ``overlong``'s bytes past the Content-Length.
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
        return cls(**check_object(data, _FAULT_KEYS, "fault", required=("endpoint",)))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this fault."""
        return {name: getattr(self, name) for name in _FAULT_KEYS}


@dataclass
class EmulatorConfig:
    """Everything the emulator serves: tokens, notebooks, queued faults, and how the server answers."""

    #: Token -> its access map ``{notebook id or "*": "editor" | "viewer"}``, or an ApiToken (the
    #: object form ``{"notebooks": {...}, "expires_at", "scope", "single_notebook"}`` in JSON).
    tokens: dict[str, TokenSettings] = field(default_factory=dict)
    notebooks: list[Notebook] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    server_version: str = "2026"
    interactive_reply: str = "json"
    #: The interactive call answers after this long, as a server that answers when the notebook is done.
    interactive_seconds: float = 0
    unknown_path_reply: str = "text"
    #: The server has the Notebook API (Datalore 2026.2 and later); false: every ``/api/notebook/v1/...``
    #: path is a 404 HTML page, as an older server (or the proxy before it) answers. Not tied to
    #: ``server_version``, so that each can be tried alone; an older server is both ``2025-*`` and false.
    notebook_api: bool = True
    #: ``/file`` serves a finished run's artifact path as its status reply gives it (``/notebook/...``).
    artifacts_in_files: bool = False
    #: ``/file`` sends a Content-Length; false: chunked transfer encoding.
    file_content_length: bool = True

    def __post_init__(self) -> None:
        known = {nb.id for nb in self.notebooks}
        if len(known) != len(self.notebooks):
            raise ValueError("notebook ids must be unique")
        if not isinstance(self.tokens, Mapping):
            raise ValueError("config 'tokens' must be an object of token -> {notebook id: access}")
        self.tokens = {
            token: _checked_token(token, settings, known) for token, settings in self.tokens.items()
        }
        check_choice(self.server_version, SERVER_VERSIONS, "config 'server_version'")
        check_choice(self.interactive_reply, INTERACTIVE_REPLIES, "config 'interactive_reply'")
        if not is_number(self.interactive_seconds) or self.interactive_seconds < 0:
            raise ValueError(
                f"config 'interactive_seconds' must be a number >= 0, got {show(self.interactive_seconds)}"
            )
        check_choice(self.unknown_path_reply, UNKNOWN_PATH_REPLIES, "config 'unknown_path_reply'")
        for key in _SWITCHES:
            if not isinstance(getattr(self, key), bool):
                raise ValueError(f"config {key!r} must be a boolean, got {show(getattr(self, key))}")

    @classmethod
    def default(cls) -> EmulatorConfig:
        """Return the default config: one editor token on a 2-poll notebook with cells, viewer on another."""
        return cls(
            tokens={DEFAULT_TOKEN: {DEFAULT_NOTEBOOK: "editor", READ_ONLY_NOTEBOOK: "viewer"}},
            notebooks=[
                Notebook(
                    id=DEFAULT_NOTEBOOK,
                    polls=2,
                    artifacts=(Artifact(name="sales-report.ipynb"),),
                    cells=sales_report_cells(),
                ),
                Notebook(id=READ_ONLY_NOTEBOOK),
            ],
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmulatorConfig:
        """Build a config from its JSON form, raising ValueError naming the bad key or value."""
        if not isinstance(data, Mapping):
            raise ValueError(f"the emulator config must be a JSON object, got {type(data).__name__}")
        check_keys(data, _CONFIG_KEYS, "config")
        notebooks = as_list(data.get("notebooks", []), "config 'notebooks'")
        return cls(
            tokens=data.get("tokens", {}),
            notebooks=[Notebook.from_dict(nb) for nb in notebooks],
            faults=parse_faults(data.get("faults", [])),
            **{key: data[key] for key in _SERVER_KEYS if key in data},
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
            "tokens": {token: token_to_json(settings) for token, settings in self.tokens.items()},
            "notebooks": [nb.to_dict() for nb in self.notebooks],
            "faults": [f.to_dict() for f in self.faults],
            **{key: getattr(self, key) for key in _SERVER_KEYS},
        }


def parse_faults(data: Any) -> list[Fault]:
    """Parse a JSON list of faults (or a single one), where Fault objects may stand for their JSON."""
    if isinstance(data, (Mapping, Fault)):
        data = [data]
    return [f if isinstance(f, Fault) else Fault.from_dict(f) for f in as_list(data, "'faults'")]


_FAULT_KEYS = tuple(f.name for f in fields(Fault))
_SWITCHES = ("notebook_api", "artifacts_in_files", "file_content_length")
_SERVER_KEYS = (
    "server_version",
    "interactive_reply",
    "interactive_seconds",
    "unknown_path_reply",
    *_SWITCHES,
)
_CONFIG_KEYS = ("tokens", "notebooks", "faults", *_SERVER_KEYS)


def _checked_token(token: Any, settings: Any, known: set[str]) -> TokenSettings:
    """Return a token's settings checked, refusing access to a notebook the config does not have."""
    check_token(token)
    settings = parse_token_settings(settings)
    for notebook_id in as_api_token(settings).notebooks:
        if notebook_id != ALL_NOTEBOOKS and notebook_id not in known:
            raise ValueError(f"token grants access to {notebook_id!r}, which is not a configured notebook")
    return settings
