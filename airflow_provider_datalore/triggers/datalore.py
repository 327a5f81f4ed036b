"""``DataloreRunStatusTrigger``: wait for a Datalore run in the triggerer, without a worker slot."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_datalore.checks import check_seconds
from airflow_provider_datalore.clipping import clip
from airflow_provider_datalore.connection_form import DEFAULT_CONN_ID
from airflow_provider_datalore.events import RunEvent, RunEventStatus
from airflow_provider_datalore.triggers.pacing import first_wait, next_wait, remaining

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class DataloreRunStatusTrigger(BaseTrigger):
    """
    Poll a Datalore run until it finishes, then fire one event.

    The event's payload is :meth:`RunEvent.to_payload`: ``{"status": "success" | "failed" | "timeout" |
    "error", "run_id": ..., "run": <DataloreRun.to_dict()> or None, "message": ...}``. The trigger only
    reads (it never starts a run), so a triggerer restart that runs it again loses nothing and duplicates
    nothing. Transient poll failures are retried under the hook's policy; an ``error`` event comes only
    when that is used up.

    :param run_id: The Datalore run to wait for.
    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    :param poll_interval: Seconds between polls.
    :param end_time: Deadline as a Unix timestamp; None waits for ever.
    :param notebook_id: The run's notebook (``owner/notebook``) when the task that started it knows it;
        else the status replies name it.
    :param hook_params: The hook's retry settings (``retry_limit``, ``retry_delay``, ``retry_max_delay``)
        for the polls, as the task was given them; None: the hook's defaults.
    """

    def __init__(
        self,
        run_id: str,
        datalore_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 10.0,
        end_time: float | None = None,
        notebook_id: str | None = None,
        hook_params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.notebook_id = notebook_id
        self.hook_params = hook_params
        self.run_id = run_id
        self.datalore_conn_id = datalore_conn_id
        self.poll_interval = poll_interval
        self.end_time = end_time

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the class path and the JSON-safe arguments that re-create this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "run_id": self.run_id,
                "datalore_conn_id": self.datalore_conn_id,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
                "notebook_id": self.notebook_id,
                "hook_params": self.hook_params,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the run finishes or the deadline passes; yield exactly one event."""
        event = await self._wait()
        yield TriggerEvent(event.to_payload())

    async def _wait(self) -> RunEvent:
        from airflow_provider_datalore.exceptions import DataloreError
        from airflow_provider_datalore.hooks.datalore import DataloreHook
        from airflow_provider_datalore.progress import WaitProgress

        try:
            # Kwargs from the database, or from a DAG that built the trigger itself: a poll interval of 0
            # would spin the triggerer's event loop.
            check_seconds("poll_interval", self.poll_interval)
            hook = DataloreHook(datalore_conn_id=self.datalore_conn_id, **(self.hook_params or {}))
            progress = WaitProgress(self.log)
            async with hook:
                await asyncio.sleep(first_wait(self.poll_interval, self.end_time))
                last = None
                while True:
                    try:
                        # No poll outlives the deadline, however slowly the server answers.
                        run = await hook.a_get_run(
                            self.run_id, timeout=remaining(self.end_time), notebook_id=self.notebook_id
                        )
                    except DataloreError:
                        left = remaining(self.end_time)
                        if last is not None and left is not None and left <= 0:
                            # The deadline passed during this last look (a slow server, a busy
                            # triggerer): the wait timed out, as the last poll that answered says.
                            return RunEvent(RunEventStatus.TIMEOUT, self.run_id, last.timeout_message(), last)
                        raise
                    if run.is_finished:
                        return RunEvent.finished(run)
                    last = run
                    left = remaining(self.end_time)
                    if left is not None and left <= 0:
                        return RunEvent(RunEventStatus.TIMEOUT, self.run_id, run.timeout_message(), run)
                    wait = next_wait(self.poll_interval, self.end_time)
                    progress.poll(run, wait)
                    await asyncio.sleep(wait)
        except (DataloreError, ValueError) as err:
            return self._error(str(err))
        except Exception as err:  # a trigger that raises leaves the task without an event: always yield one
            self.log.exception("Unexpected error while waiting for Datalore run %s.", self.run_id)
            return self._error(f"unexpected {type(err).__name__}: {clip(str(err))}")

    def _error(self, reason: str) -> RunEvent:
        return RunEvent(
            RunEventStatus.ERROR,
            self.run_id,
            f"Stopped waiting for Datalore run {clip(str(self.run_id))}: {reason}",
        )

    async def on_kill(self) -> None:
        """Say that the run goes on: the Run API cannot stop a run (Airflow >= 3.3 calls this)."""
        self.log.warning(
            "The task waiting for Datalore run %s was killed. The run goes on in Datalore: the Run API "
            "has no way to stop it.",
            self.run_id,
        )
