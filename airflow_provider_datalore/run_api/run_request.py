"""``DataloreRunRequest``: a request to start a run, checked once, before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_datalore.run_api.parameters import (
    normalize_direct_file_storage_write,
    normalize_parameters,
    normalize_update_report,
)
from airflow_provider_datalore.urls import normalize_notebook_id


@dataclass(frozen=True)
class DataloreRunRequest:
    """
    What ``POST /api/run/v1/notebook`` will carry, every argument already checked.

    Build it with :meth:`build` (or ``DataloreHook.build_run_request``); only :meth:`to_json` knows the
    Run API's field names.

    :param notebook_id: ``"owner/notebook"``.
    :param parameters: ``(name, value)`` pairs for the notebook's interactive controls, values as strings;
        None sends no ``parameters`` key.
    :param update_report: ``"on success"`` or ``"never"``; None leaves Datalore's default.
    :param direct_file_storage_write: None leaves Datalore's default.
    """

    notebook_id: str
    parameters: tuple[tuple[str, str], ...] | None = None
    update_report: str | None = None
    direct_file_storage_write: bool | None = None

    @classmethod
    def build(
        cls,
        notebook_id: object,
        parameters: object = None,
        update_report: object = None,
        direct_file_storage_write: object = None,
        *,
        base_url: str,
    ) -> DataloreRunRequest:
        """
        Check the arguments of a run and return the request.

        :param notebook_id: ``"owner/notebook"`` or the notebook's URL on ``base_url``.
        :param parameters: ``{variable: value}`` or ``[{"name": variable, "value": value}]``.
        :param update_report: True / ``"on success"``, False / ``"never"``, or None.
        :param direct_file_storage_write: True, False or None.
        :param base_url: The connection's base URL; a notebook URL must be on that server.
        :raises ValueError: An argument is not valid; the message names it and says what was expected.
        """
        notebook = normalize_notebook_id(notebook_id, base_url=base_url)
        pairs = normalize_parameters(parameters)
        return cls(
            notebook_id=notebook,
            parameters=None if pairs is None else tuple((p["name"], p["value"]) for p in pairs),
            update_report=normalize_update_report(update_report),
            direct_file_storage_write=normalize_direct_file_storage_write(direct_file_storage_write),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the request body; options left unset are not sent (older servers reject unknown keys)."""
        body: dict[str, Any] = {"notebookId": self.notebook_id}
        if self.parameters is not None:
            body["parameters"] = [{"name": name, "value": value} for name, value in self.parameters]
        if self.update_report is not None:
            body["updateReport"] = self.update_report
        if self.direct_file_storage_write is not None:
            body["directFileStorageWrite"] = self.direct_file_storage_write
        return body
