"""``DataloreInteractiveRunTrigger``: wait for an interactive run in the triggerer, without a worker slot."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_datalore.checks import check_seconds
from airflow_provider_datalore.clipping import clip
from airflow_provider_datalore.connection_form import DEFAULT_CONN_ID
from airflow_provider_datalore.events import InteractiveRunEvent
from airflow_provider_datalore.triggers.pacing import first_wait, next_wait, remaining

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class DataloreInteractiveRunTrigger(BaseTrigger):
    """
    Poll a notebook's kernel and cells until the interactive run started before it has finished; fire one event.

    Each poll reads ``/kernel/status``; only when the kernel is not ``BUSY`` does it read the cells'
    statuses (``/cells`` with outputs) and judge them against ``snapshot``, the cells as they were before
    the start (:func:`~airflow_provider_datalore.notebook_api.execution.judge`): a kernel that shows
    ``READY`` while booting, or cells that show the previous run's statuses, cannot end the wait.

    The event's payload is :meth:`InteractiveRunEvent.to_payload`: ``{"status": "success" | "failed" |
    "timeout" | "error", "notebook_id", "message", "progress": <Progress.to_json()> or None}``. The
    trigger only reads: it never interrupts the kernel, even at its deadline (it may run twice, and a
    second copy must not stop what the first waited for); the task does, when the event says so.

    :param notebook_id: The notebook, ``owner/notebook``.
    :param snapshot: ``ExecutionSnapshot.to_json()`` of the cells before the start.
    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    :param poll_interval: Seconds between polls.
    :param end_time: Deadline as a Unix timestamp; None waits for ever.
    :param hook_params: The hook's retry settings for the polls, as the task was given them.
    :param references: The task's ``output_cells`` resolved to cell ids, handed back in the event (the
        task reads those cells' outputs when it resumes; ``dag.test()`` drops ``defer``'s own kwargs).
    """

    def __init__(
        self,
        notebook_id: str,
        snapshot: dict[str, Any],
        datalore_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 10.0,
        end_time: float | None = None,
        hook_params: dict[str, Any] | None = None,
        references: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.references = references
        self.notebook_id = notebook_id
        self.snapshot = snapshot
        self.datalore_conn_id = datalore_conn_id
        self.poll_interval = poll_interval
        self.end_time = end_time
        self.hook_params = hook_params

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the class path and the JSON-safe arguments that re-create this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "notebook_id": self.notebook_id,
                "snapshot": self.snapshot,
                "datalore_conn_id": self.datalore_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "hook_params": self.hook_params,
                "references": self.references,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the run has finished or the deadline passes; yield exactly one event."""
        event = await self._wait()
        yield TriggerEvent({**event.to_payload(), "references": self.references or {}})

    async def _wait(self) -> InteractiveRunEvent:
        from airflow_provider_datalore.exceptions import DataloreError
        from airflow_provider_datalore.hooks.datalore import DataloreHook
        from airflow_provider_datalore.notebook_api.execution import ExecutionSnapshot

        try:
            check_seconds("poll_interval", self.poll_interval)
            snapshot = ExecutionSnapshot.from_json(self.snapshot)
            hook = DataloreHook(datalore_conn_id=self.datalore_conn_id, **(self.hook_params or {}))
            async with hook:
                await asyncio.sleep(first_wait(self.poll_interval, self.end_time))
                last = None
                while True:
                    try:
                        progress = await hook.a_get_interactive_progress(
                            self.notebook_id, snapshot, timeout=remaining(self.end_time)
                        )
                    except DataloreError:
                        left = remaining(self.end_time)
                        if last is not None and left is not None and left <= 0:
                            # The deadline passed during this last look (a slow server, a busy
                            # triggerer): the wait timed out, as the last poll that answered says.
                            return InteractiveRunEvent.timed_out(self.notebook_id, last)
                        raise
                    if progress.is_terminal:
                        return InteractiveRunEvent.finished(self.notebook_id, progress)
                    if progress.kernel_state != (last.kernel_state if last else None):
                        self.log.info("Datalore notebook %s: %s.", self.notebook_id, progress.describe())
                    last = progress
                    left = remaining(self.end_time)
                    if left is not None and left <= 0:
                        return InteractiveRunEvent.timed_out(self.notebook_id, progress)
                    await asyncio.sleep(next_wait(self.poll_interval, self.end_time))
        except (DataloreError, ValueError) as err:
            return self._error(str(err))
        except Exception as err:  # a trigger that raises leaves the task without an event: always yield one
            self.log.exception("Unexpected error while waiting for Datalore notebook %s.", self.notebook_id)
            return self._error(f"unexpected {type(err).__name__}: {clip(str(err))}")

    def _error(self, reason: str) -> InteractiveRunEvent:
        return InteractiveRunEvent.stopped(self.notebook_id, reason)
