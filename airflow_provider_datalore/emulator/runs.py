"""A Run API run (``POST /api/run/v1/notebook``) as the emulator keeps it."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_datalore.emulator.notebooks import Notebook


@dataclass
class Run:
    """A notebook run started through ``POST /api/run/v1/notebook``."""

    run_id: str
    notebook: Notebook
    parameters: list[dict[str, str]]
    update_report: str
    direct_file_storage_write: bool
    read_only: bool
    access: str
    start_time: float
    end_time: float | None = None
    status_polls: int = 0
    started_monotonic: float = field(default_factory=time.monotonic, repr=False)

    @property
    def notebook_id(self) -> str:
        """Return the full ``owner/notebook`` ID of the run's notebook."""
        return self.notebook.id

    @property
    def finished(self) -> bool:
        """Return whether the run has been reported finished."""
        return self.end_time is not None

    @property
    def success(self) -> bool | None:
        """Return the run's outcome once finished, else None."""
        return self.notebook.outcome == "success" if self.finished else None

    def to_dict(self) -> dict[str, Any]:
        """Return the emulator's view of this run as a JSON-serialisable dict."""
        return {
            "run_id": self.run_id,
            "notebook_id": self.notebook_id,
            "parameters": copy.deepcopy(self.parameters),
            "update_report": self.update_report,
            "direct_file_storage_write": self.direct_file_storage_write,
            "read_only": self.read_only,
            "access": self.access,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "status_polls": self.status_polls,
            "finished": self.finished,
            "success": self.success,
        }
