"""Strict validation of the APIs' request bodies (and the upload's query), raising 400s naming the bad field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_provider_datalore.emulator.checks import show
from airflow_provider_datalore.emulator.errors import ApiError

UPDATE_REPORT_VALUES = ("on success", "never")
#: The fields of a run request in the 2023.x-2025.6 docs, and those the 2026.x docs add.
_RUN_KEYS_BEFORE_2026 = ("notebookId", "updateReport")
_RUN_KEYS_SINCE_2026 = ("directFileStorageWrite", "parameters")
_RUN_KEYS = (*_RUN_KEYS_BEFORE_2026, *_RUN_KEYS_SINCE_2026)
_INTERACTIVE_KEYS = ("notebookId",)


@dataclass(frozen=True)
class RunRequest:
    """A validated ``POST /api/run/v1/notebook`` body, with the API's defaults filled in."""

    notebook_id: str
    update_report: str = "never"
    direct_file_storage_write: bool = False
    parameters: list[dict[str, str]] = field(default_factory=list)


def parse_run_request(body: Any, server_version: str = "2026") -> RunRequest:
    """
    Validate a run request body, raising ApiError(400) on anything the API does not accept.

    :param body: the parsed JSON body.
    :param server_version: ``2026``; ``2025-strict`` refuses the fields that 2026.x added, as a server
        whose JSON mapper fails on unknown properties; ``2025-lenient`` ignores them (values unchecked).
    """
    allowed: tuple[str, ...] = _RUN_KEYS
    if server_version != "2026" and isinstance(body, dict):
        unknown = [key for key in body if key not in _RUN_KEYS_BEFORE_2026]
        if server_version == "2025-strict" and unknown:
            raise bad_request(f'Unrecognized field "{unknown[0]}"')
        body = {key: value for key, value in body.items() if key not in _RUN_KEYS_SINCE_2026}
        allowed = _RUN_KEYS_BEFORE_2026
    check_body(body, allowed)
    notebook_id = _notebook_id(body)
    update_report = body.get("updateReport", "never")
    if not isinstance(update_report, str) or update_report not in UPDATE_REPORT_VALUES:
        raise bad_request(
            f'Field \'updateReport\' must be "on success" or "never", got {show(update_report)}'
        )
    direct = body.get("directFileStorageWrite", False)
    if not isinstance(direct, bool):
        raise bad_request(f"Field 'directFileStorageWrite' must be a boolean, got {show(direct)}")
    return RunRequest(
        notebook_id=notebook_id,
        update_report=update_report,
        direct_file_storage_write=direct,
        parameters=_parameters(body.get("parameters", [])),
    )


def parse_interactive_request(body: Any, server_version: str = "2026") -> str:
    """
    Validate an interactive run body and return its notebook ID, raising ApiError(400) if invalid.

    :param body: the parsed JSON body.
    :param server_version: not read: every version takes the same body (taken so that every parse
        function of the endpoint table is called alike).
    """
    check_body(body, _INTERACTIVE_KEYS)
    return _notebook_id(body)


def parse_notebook_ref(body: Any, server_version: str = "2026") -> str:
    """
    Validate a Notebook API body that names only its notebook; return ``"owner/id"`` or raise ApiError(400).

    :param body: the parsed JSON body: ``{"notebookId": {"ownerId": ..., "id": ...}}``.
    :param server_version: not read (every parse function of the endpoint table is called alike).
    """
    check_body(body, ("notebookId",))
    return notebook_ref(body)


@dataclass(frozen=True)
class FileRequest:
    """A validated Notebook API file request: the notebook (``"owner/id"``) and the path it names, as sent."""

    notebook_id: str
    path: str


def parse_directory_request(body: Any, server_version: str = "2026") -> FileRequest:
    """
    Validate a ``/files`` body ``{"notebookId": {...}, "directory": "..."}``, raising ApiError(400).

    :param body: the parsed JSON body.
    :param server_version: not read (every parse function of the endpoint table is called alike).
    """
    return _file_request(body, "directory")


def parse_file_request(body: Any, server_version: str = "2026") -> FileRequest:
    """
    Validate a ``/file``, ``/file/exists`` or ``/file/delete`` body ``{"notebookId": {...}, "filePath": ...}``.

    :param body: the parsed JSON body.
    :param server_version: not read (every parse function of the endpoint table is called alike).
    """
    return _file_request(body, "filePath")


def parse_upload_query(query: Any, server_version: str = "2026") -> FileRequest:
    """
    Validate the query of a ``/file/upload`` (``ownerId``, ``notebookId``, ``directory``), raising ApiError(400).

    :param query: the query parameters, by name (the body is multipart, read by the handler).
    :param server_version: not read (every parse function of the endpoint table is called alike).
    """
    allowed = ("ownerId", "notebookId", "directory")
    for key in query:
        if key not in allowed:
            raise bad_request(f"Unknown query parameter '{key}' (allowed: {', '.join(allowed)})")
    for key in allowed:
        if not query.get(key):
            raise bad_request(f"Missing required query parameter '{key}'")
    return FileRequest(f"{query['ownerId']}/{query['notebookId']}", query["directory"])


def _file_request(body: Any, key: str) -> FileRequest:
    check_body(body, ("notebookId", key))
    notebook_id = notebook_ref(body)
    if key not in body:
        raise bad_request(f"Missing required field '{key}'")
    path = body[key]
    if not isinstance(path, str):
        raise bad_request(f"Field '{key}' must be a string, got {show(path)}")
    return FileRequest(notebook_id, path)


def notebook_ref(body: dict[str, Any]) -> str:
    """Return a Notebook API body's ``notebookId`` object as ``"owner/id"``, raising ApiError(400) if invalid."""
    value = body.get("notebookId")
    if not isinstance(value, dict) or set(value) != {"ownerId", "id"}:
        raise bad_request(f"Field 'notebookId' must be an object with 'ownerId' and 'id', got {show(value)}")
    owner, notebook = value["ownerId"], value["id"]
    if not all(isinstance(part, str) and part for part in (owner, notebook)):
        raise bad_request(
            f"Fields 'notebookId.ownerId' and 'notebookId.id' must be non-empty strings, got {show(value)}"
        )
    return f"{owner}/{notebook}"


def check_body(body: Any, allowed: tuple[str, ...]) -> None:
    """Raise ApiError(400) unless ``body`` is a JSON object of ``allowed`` keys only."""
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    for key in body:
        if key not in allowed:
            raise bad_request(f"Unknown field '{key}' (allowed: {', '.join(allowed)})")


def _notebook_id(body: dict[str, Any]) -> str:
    if "notebookId" not in body:
        raise bad_request("Missing required field 'notebookId'")
    value = body["notebookId"]
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"Field 'notebookId' must be a non-empty string, got {show(value)}")
    return value


def _parameters(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise bad_request(
            f'Field \'parameters\' must be a list of {{"name", "value"}} objects, got {show(value)}'
        )
    seen: set[str] = set()
    result = []
    for index, item in enumerate(value):
        where = f"parameters[{index}]"
        if not isinstance(item, dict):
            raise bad_request(f"Field '{where}' must be an object with 'name' and 'value', got {show(item)}")
        if set(item) != {"name", "value"}:
            raise bad_request(
                f"Field '{where}' must have exactly the keys 'name' and 'value', got {sorted(item)}"
            )
        name, val = item["name"], item["value"]
        if not isinstance(name, str) or not name:
            raise bad_request(f"Field '{where}.name' must be a non-empty string, got {show(name)}")
        if not isinstance(val, str):
            raise bad_request(f"Field '{where}.value' must be a string, got {show(val)}")
        if name in seen:
            raise bad_request(f"Field '{where}.name': duplicate parameter name {name!r}")
        seen.add(name)
        result.append({"name": name, "value": val})
    return result


def bad_request(message: str) -> ApiError:
    """Return the 400 answering a request body that the API does not accept."""
    return ApiError(400, message)
