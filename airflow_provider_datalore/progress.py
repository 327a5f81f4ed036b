"""How a long wait reports itself: at INFO when something changes, otherwise every few minutes at most."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from airflow_provider_datalore.run_api.run import DataloreRun

#: Seconds between INFO lines while nothing changes: a run polled every 2 s writes one line in 150 polls.
QUIET_SECONDS = 5 * 60


class WaitProgress:
    """
    Log one wait's polls: at INFO the first, each change of state or status, and a reminder every
    :data:`QUIET_SECONDS` ("still in progress after 42 min"); every other poll at DEBUG.

    1000 runs polled every 2 s would otherwise write 500 identical lines a second into the triggerer's
    log, and fill each task's log with them.

    :param log: The task's or trigger's logger.
    :param every: Seconds between reminders while nothing changes.
    :param clock: ``time.monotonic``, replaceable in tests.
    """

    __slots__ = ("_last_info", "_last_seen", "clock", "every", "log", "started")

    def __init__(self, log: Any, every: float = QUIET_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.log = log
        self.every = every
        self.clock = clock
        self.started = clock()
        self._last_info: float | None = None
        self._last_seen: tuple[str, str | None] | None = None

    def poll(self, run: DataloreRun, next_check: float) -> None:
        """Report a poll that found the run in progress; the next one comes in ``next_check`` seconds."""
        now = self.clock()
        seen = (run.state, run.status)
        if seen != self._last_seen:
            self.log.info("%s; next check in %.0f s.", run.describe(), next_check)
        elif self._last_info is None or now - self._last_info >= self.every:
            self.log.info(
                "%s, still, after %s; next check in %.0f s.",
                run.describe(),
                _duration(now - self.started),
                next_check,
            )
        else:
            # The run itself, not its description: formatted only if DEBUG is on (str() describes it).
            self.log.debug("%s; next check in %.0f s.", run, next_check)
            return
        self._last_seen, self._last_info = seen, now


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return f"{seconds:.0f} s"
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
