"""Try, decide, wait, or raise the final error: the part of the retry loop both clients share."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from airflow_provider_datalore.transport.failures import final_error

if TYPE_CHECKING:
    from airflow_provider_datalore.transport.calls import AttemptFailed
    from airflow_provider_datalore.transport.retry import RetryPolicy

log = logging.getLogger(__name__)

#: Seconds the last attempt gets even when the deadline has (nearly) passed: a last look at the run.
LAST_ATTEMPT_SECONDS = 0.5


class Attempts:
    """
    The attempts at one call: after each failure, say how long to wait before the next, or raise.

    A client's loop is then a few lines::

        attempts = Attempts(policy, conn_id, timeout, deadline)
        while True:
            try:
                return attempt(attempts.budget())
            except AttemptFailed as failed:
                sleep(attempts.wait_after(failed))

    :param policy: How many attempts, and the backoff between them.
    :param conn_id: The Airflow connection, for the final error's message.
    :param timeout: Seconds one attempt may take in all (the connection's timeout).
    :param deadline: ``time.monotonic()`` by which the caller must have its answer (the end of a wait);
        no attempt and no backoff goes past it. None: no deadline beyond each attempt's timeout.
    """

    __slots__ = ("conn_id", "deadline", "made", "policy", "timeout")

    def __init__(
        self, policy: RetryPolicy, conn_id: str, timeout: float, deadline: float | None = None
    ) -> None:
        self.policy = policy
        self.conn_id = conn_id
        self.timeout = timeout
        self.deadline = deadline
        self.made = 0  # attempts made so far

    def budget(self) -> float:
        """Return the seconds the next attempt may take: the timeout, cut to what is left of the deadline."""
        if self.deadline is None:
            return self.timeout
        return min(self.timeout, max(self.deadline - time.monotonic(), LAST_ATTEMPT_SECONDS))

    def wait_after(self, failed: AttemptFailed) -> float:
        """
        Count the failed attempt; return the seconds to wait before the next one.

        :raises DataloreError: The failure is not retried, or the attempts are used up: the error the
            user sees.
        """
        self.made += 1
        if not failed.retryable or self.made >= self.policy.max_attempts:
            raise final_error(failed, self.made, self.conn_id) from None
        delay = self.policy.delay(self.made, failed.retry_after)
        if self.deadline is not None and time.monotonic() + delay >= self.deadline:
            raise final_error(failed, self.made, self.conn_id) from None  # no time left to try again
        log.warning(
            "Datalore %s failed (%s), attempt %d of %d; retrying in %.1f s.",
            failed.call.where,
            failed.reason,
            self.made,
            self.policy.max_attempts,
            delay,
        )
        return delay
