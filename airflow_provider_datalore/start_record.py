"""A start sent to Datalore, remembered in the task state store until its outcome is known (Airflow >= 3.3)."""

from __future__ import annotations

import datetime
from typing import Any

from airflow_provider_datalore.exceptions import DataloreRunMayHaveStartedError

#: The task state store key of a start whose outcome is not known yet.
SENT_KEY = "datalore_start_sent"


class StartRecord:
    """
    Remember, across tries, that a try asked Datalore to start a run and has not learnt the outcome.

    Written before the POST and removed once the run id is stored, the record tells a later try that an
    earlier one died in between (a killed worker raises nothing, and Airflow retries it): that try must
    not start a second run. Once a try has reported the uncertain start (the task failed saying so), the
    record is marked reported, and the next try, which a user started by clearing the task, may start.
    Without a task state store (Airflow < 3.3) nothing is recorded.

    :param store: ``context["task_state_store"]``, or None.
    :param notebook_id: The notebook the task runs.
    :param notebook_url: Its page, for the message.
    :param try_number: The try that sends the start.
    """

    def __init__(self, store: Any, notebook_id: str, notebook_url: str, try_number: int | None) -> None:
        self.store = store
        self.notebook_id = notebook_id
        self.notebook_url = notebook_url
        self.try_number = try_number

    def before_start(self, *, allow_retry: bool) -> None:
        """
        Refuse to start if an earlier try's start was never resolved; record this try's start.

        :param allow_retry: ``retry_uncertain_start``: start anyway.
        :raises DataloreRunMayHaveStartedError: An earlier try sent a start and ended before it knew.
        """
        if self.store is None:
            return
        earlier = self.store.get(SENT_KEY)
        if isinstance(earlier, dict) and not earlier.get("reported") and not allow_retry:
            self.store.set(SENT_KEY, {**earlier, "reported": True})
            error = DataloreRunMayHaveStartedError(
                f"An earlier try (try {earlier.get('try_number')}) asked Datalore to start a run of notebook "
                f"{self.notebook_id} at {earlier.get('sent_at')} and ended before it learnt whether a run "
                f"started (its worker may have been killed). No second run is started, and Airflow does "
                f"not retry the task: check {self.notebook_url}. Clearing the task starts a new run."
            )
            error.what_happened = str(error)
            raise error
        self.store.set(
            SENT_KEY,
            {
                "notebook_id": self.notebook_id,
                "try_number": self.try_number,
                "sent_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "reported": False,
            },
        )

    def started(self, run_id_key: str, run_id: str) -> None:
        """Store the run id, then forget the start: a later try re-attaches by the run id."""
        if self.store is not None:
            self.store.set(run_id_key, run_id)
            self.store.delete(SENT_KEY)

    def not_started(self) -> None:
        """Forget the start: Datalore refused it, or it never left this machine."""
        if self.store is not None:
            self.store.delete(SENT_KEY)

    def reported(self) -> None:
        """Mark the start reported: the task fails saying a run may have started; a user decides next."""
        if self.store is not None:
            record = self.store.get(SENT_KEY)
            self.store.set(SENT_KEY, {**(record if isinstance(record, dict) else {}), "reported": True})
