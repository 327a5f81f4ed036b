"""Try, decide, wait, or raise the final error: the part of the retry loop both clients share."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from airflow_provider_datalore.transport.failures import final_error

if TYPE_CHECKING:
    from airflow_provider_datalore.retry import RetryPolicy
    from airflow_provider_datalore.transport.calls import AttemptFailed

log = logging.getLogger(__name__)


class Attempts:
    """
    The attempts at one call: after each failure, say how long to wait before the next, or raise.

    A client's loop is then a few lines::

        attempts = Attempts(policy, conn_id)
        while True:
            try:
                return attempt()
            except AttemptFailed as failed:
                sleep(attempts.wait_after(failed))

    :param policy: How many attempts, and the backoff between them.
    :param conn_id: The Airflow connection, for the final error's message.
    """

    def __init__(self, policy: RetryPolicy, conn_id: str) -> None:
        self.policy = policy
        self.conn_id = conn_id
        #: Attempts made so far.
        self.made = 0

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
        log.warning(
            "Datalore %s failed (%s), attempt %d of %d; retrying in %.1f s.",
            failed.call.where,
            failed.reason,
            self.made,
            self.policy.max_attempts,
            delay,
        )
        return delay
