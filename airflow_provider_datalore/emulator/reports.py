"""
A notebook's report publications (``/report/publish``): which exist, by type, and each publish.

``CREATE`` always makes a publication with a new ``reportId`` (also when one of that type exists);
``UPDATE`` updates the newest publication of its type and answers its ``reportId``, or is 400 when the
notebook has none of that type (JetBrains' reference: "UPDATE requires an existing publication of the
selected type"). The emulator does not model the report layout: a notebook without one publishes too.
A notebook's config may give the publications it already has: ``{"STATIC": "<reportId>"}``.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_datalore.emulator.checks import check_choice, show
from airflow_provider_datalore.emulator.errors import ApiError

REPORT_TYPES = ("STATIC", "INTERACTIVE")
PUBLISH_MODES = ("CREATE", "UPDATE")
COMPUTATION_MODES = ("REACTIVE", "JUPYTER")
_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class PublishRequest:
    """A validated ``/report/publish`` body, the reference's defaults filled in."""

    notebook_id: str
    type: str
    mode: str
    full_width: bool = True
    #: INTERACTIVE only (default ``REACTIVE`` there); None for STATIC.
    computation_mode: str | None = None
    can_download_and_edit_copy: bool = False


def parse_publications(value: Any, what: str) -> dict[str, str]:
    """
    Return a notebook's ``publications`` setting checked: report type -> the ``reportId`` it has.

    :param value: the JSON object, e.g. ``{"STATIC": "r-1"}``.
    :param what: names the setting in errors.
    """
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be an object of report type -> reportId, got {show(value)}")
    for kind, report_id in value.items():
        check_choice(kind, REPORT_TYPES, f"{what} key")
        if not isinstance(report_id, str) or not report_id:
            raise ValueError(f"{what} {kind!r} must be a non-empty reportId string, got {show(report_id)}")
    return dict(value)


class Publications:
    """Every publish of one notebook's report, in order, and its newest publication of each type."""

    def __init__(self, notebook_id: str, existing: Mapping[str, str]) -> None:
        """
        Start with the publications the config gives.

        :param notebook_id: ``owner/notebook``, for messages.
        :param existing: report type -> reportId.
        """
        self.notebook_id = notebook_id
        self._newest = dict(existing)
        self.history: list[dict[str, Any]] = []

    def publish(self, request: PublishRequest) -> dict[str, str]:
        """Publish (see the module); return the reply ``{"reportId", "type", "mode"}``."""
        if request.mode == "UPDATE":
            report_id = self._newest.get(request.type)
            if report_id is None:
                raise ApiError(
                    400,
                    f"Notebook {self.notebook_id} has no {request.type} publication to update: "
                    "publish it with mode CREATE first",
                )
        else:
            report_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))
            self._newest[request.type] = report_id
        self.history.append(
            {
                "reportId": report_id,
                "type": request.type,
                "mode": request.mode,
                "fullWidth": request.full_width,
                "computationMode": request.computation_mode,
                "canDownloadAndEditCopy": request.can_download_and_edit_copy,
                "time": time.time(),
            }
        )
        return {"reportId": report_id, "type": request.type, "mode": request.mode}

    def snapshot(self) -> dict[str, Any]:
        """Return the newest publication of each type and every publish, for tests."""
        return {"reports": dict(self._newest), "publishes": [dict(entry) for entry in self.history]}
