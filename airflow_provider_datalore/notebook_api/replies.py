"""The Notebook API's replies, read once into values: what a reply means is decided here only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_provider_datalore.clipping import clip
from airflow_provider_datalore.exceptions import DataloreResponseError

#: The kernel states ``/kernel/status`` documents.
KERNEL_STATES = ("NOT_STARTED", "READY", "BUSY")


@dataclass(frozen=True, slots=True)
class KernelStatus:
    """
    A notebook's kernel, as ``/kernel/status`` reports it.

    :param state: ``NOT_STARTED`` (no session yet), ``READY`` (no cell running) or ``BUSY``.
    :param running_cell_id: The cell running when ``BUSY``; None otherwise.
    """

    state: str
    running_cell_id: str | None = None

    @property
    def is_busy(self) -> bool:
        """Whether a cell is running."""
        return self.state == "BUSY"

    @classmethod
    def from_reply(cls, payload: Any) -> KernelStatus:
        """
        Read a ``/kernel/status`` reply.

        :raises DataloreResponseError: The reply has no documented state (a malformed reply: retried).
        """
        state = payload.get("state") if isinstance(payload, dict) else None
        if state not in KERNEL_STATES:
            raise DataloreResponseError(
                f"a kernel status reply without a documented state (expected one of {', '.join(KERNEL_STATES)}, "
                f"got {clip(repr(state), 60)})"
            )
        cell = payload.get("runningCellId")
        return cls(state, clip(cell, 100) if isinstance(cell, str) and state == "BUSY" else None)
