"""The one event a trigger fires when a wait is over, as the task reads it back."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from airflow_provider_datalore.clipping import show
from airflow_provider_datalore.exceptions import DataloreError
from airflow_provider_datalore.run_api.run import DataloreRun


class RunEventStatus(enum.StrEnum):
    """How a wait for a run ended."""

    #: The run finished and Datalore says it succeeded.
    SUCCESS = "success"
    #: The run finished without success.
    FAILED = "failed"
    #: The deadline passed while the run was still in progress (the run goes on in Datalore).
    TIMEOUT = "timeout"
    #: The status could not be read (retries used up, a refused token, a run that vanished).
    ERROR = "error"


@dataclass(frozen=True)
class RunEvent:
    """
    What the trigger tells the task: how the wait ended, a message naming the run, and the run as last seen.

    :param status: How the wait ended.
    :param run_id: The run waited for.
    :param message: What happened, naming the run and the notebook.
    :param run: The run as last seen; None when no status could be read.
    """

    status: RunEventStatus
    run_id: str
    message: str
    run: DataloreRun | None = None

    @classmethod
    def finished(cls, run: DataloreRun) -> RunEvent:
        """Return the event for a run that has finished, successfully or not."""
        status = RunEventStatus.SUCCESS if run.is_successful else RunEventStatus.FAILED
        return cls(status, run.run_id, run.describe(), run)

    def to_payload(self) -> dict[str, Any]:
        """Return the JSON-safe payload of the ``TriggerEvent``."""
        return {
            "status": self.status.value,
            "run_id": self.run_id,
            "run": self.run.to_dict() if self.run is not None else None,
            "message": self.message,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> RunEvent:
        """
        Read a ``TriggerEvent`` payload back.

        :raises DataloreError: The payload's status is not one of :class:`RunEventStatus`.
        """
        try:
            status = RunEventStatus(str(payload.get("status")))
        except ValueError:
            raise DataloreError(
                f"Unexpected event from the Datalore trigger: status {show(payload.get('status'))}"
            ) from None
        run = DataloreRun.from_dict(payload["run"]) if payload.get("run") else None
        return cls(status, str(payload.get("run_id")), payload.get("message") or "", run)
