"""The one event a trigger fires when a wait is over, as the task reads it back."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.clipping import clip, show
from airflow_provider_datalore.exceptions import DataloreError
from airflow_provider_datalore.run_api.run import DataloreRun

if TYPE_CHECKING:
    from airflow_provider_datalore.notebook_api.execution import Progress


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


def event_status(payload: dict[str, Any]) -> RunEventStatus:
    """
    Return the status of a trigger event's payload.

    :raises DataloreError: It is not one of :class:`RunEventStatus`.
    """
    try:
        return RunEventStatus(str(payload.get("status")))
    except ValueError:
        raise DataloreError(
            f"Unexpected event from the Datalore trigger: status {show(payload.get('status'))}"
        ) from None


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
        status = event_status(payload)
        run = DataloreRun.from_dict(payload["run"]) if payload.get("run") else None
        return cls(status, str(payload.get("run_id")), payload.get("message") or "", run)


@dataclass(frozen=True)
class InteractiveRunEvent:
    """
    What the interactive run's trigger tells the task: how the wait ended, and the run's progress then.

    :param status: How the wait ended (``failed``: a cell ended ``ERROR``).
    :param notebook_id: The notebook, ``owner/notebook``.
    :param message: What happened, naming the notebook.
    :param progress: ``Progress.to_json()`` as last judged; None when nothing could be read.
    """

    status: RunEventStatus
    notebook_id: str
    message: str
    progress: dict[str, Any] | None = None

    @classmethod
    def finished(cls, notebook_id: str, progress: Progress) -> InteractiveRunEvent:
        """Return the event of a run that has finished, successfully or not."""
        status = RunEventStatus.SUCCESS if progress.is_successful else RunEventStatus.FAILED
        verb = "finished" if progress.is_successful else "failed"
        message = f"The interactive run of Datalore notebook {notebook_id} {verb}: {progress.describe()}"
        return cls(status, notebook_id, message, progress.to_json())

    @classmethod
    def timed_out(cls, notebook_id: str, progress: Progress) -> InteractiveRunEvent:
        """Return the event of a wait whose deadline passed, saying what is still running."""
        message = (
            f"The interactive run of Datalore notebook {notebook_id} had not finished when the wait's "
            f"timeout passed: {progress.describe()}"
        )
        return cls(RunEventStatus.TIMEOUT, notebook_id, message, progress.to_json())

    @classmethod
    def stopped(cls, notebook_id: str, reason: str) -> InteractiveRunEvent:
        """Return the event of a wait that could not go on (its reads failed)."""
        message = (
            f"Stopped waiting for the interactive run of Datalore notebook {clip(notebook_id)}: {reason}"
        )
        return cls(RunEventStatus.ERROR, notebook_id, message)

    def to_payload(self) -> dict[str, Any]:
        """Return the JSON-safe payload of the ``TriggerEvent``."""
        return {
            "status": self.status.value,
            "notebook_id": self.notebook_id,
            "message": self.message,
            "progress": self.progress,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> InteractiveRunEvent:
        """
        Read a ``TriggerEvent`` payload back.

        :raises DataloreError: The payload's status is not one of :class:`RunEventStatus`.
        """
        status = event_status(payload)
        progress = payload.get("progress")
        return cls(
            status,
            str(payload.get("notebook_id")),
            payload.get("message") or "",
            progress if isinstance(progress, dict) else None,
        )
