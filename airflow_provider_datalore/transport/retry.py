"""When a failed request is tried again, and how long to wait first: one predicate, one backoff."""

from __future__ import annotations

import datetime
import enum
import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_datalore.transport.calls import Endpoint

RETRYABLE_STATUS_CODES = frozenset({429, 500, 502, 503, 504})


class Failure(enum.Enum):
    """How a request failed before an HTTP status was read."""

    #: The connection was never established (refused, DNS failure, connect timeout): nothing was sent.
    CONNECT = "connect"
    #: The request was sent but no answer came in time.
    READ_TIMEOUT = "read timeout"
    #: The connection broke after the request was sent (reset, closed mid-response).
    CONNECTION_LOST = "connection lost"
    #: The server answered 2xx with a body that is not the JSON the API documents.
    BAD_BODY = "malformed response"
    #: TLS verification failed: retrying cannot help.
    TLS = "TLS error"
    #: Anything else (an invalid URL, say): retrying cannot help.
    OTHER = "error"


def is_retryable(endpoint: Endpoint, *, status: int | None = None, failure: Failure | None = None) -> bool:
    """
    Decide whether a failed request may be sent again, from what its endpoint says of itself.

    An endpoint that is safe to retry (a read, or an action documented as idempotent) is retried on
    network failures, timeouts, malformed bodies, 429 and the transient 5xx codes. Any other (one that
    may start a run or a cell, an upload, a delete) is retried only when the request cannot have reached
    Datalore: the connection was never established, or the server refused with 429. 400, 401, 403, 404
    and 409 are never retried.

    :param endpoint: The endpoint called: its ``safe_to_retry`` decides.
    :param status: The HTTP status received, if any.
    :param failure: How the request failed when no status was received.
    """
    if endpoint.safe_to_retry:
        if status is not None:
            return status in RETRYABLE_STATUS_CODES
        return failure in (Failure.CONNECT, Failure.READ_TIMEOUT, Failure.CONNECTION_LOST, Failure.BAD_BODY)
    if status is not None:
        return status == 429
    return failure is Failure.CONNECT


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """
    How many times to try a request and how long to wait in between.

    Waits grow exponentially with full jitter (a random wait between 0 and
    ``min(max_delay, base_delay * 2 ** (attempt - 1))``); a ``Retry-After`` from the server is honoured,
    up to ``max_delay``.

    :param max_attempts: Tries in all, the first included (1 disables retries).
    :param base_delay: Seconds; the upper bound of the first wait.
    :param max_delay: Seconds; no wait is longer.
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0

    def __post_init__(self) -> None:
        if (
            not isinstance(self.max_attempts, int)
            or isinstance(self.max_attempts, bool)
            or self.max_attempts < 1
        ):
            raise ValueError(f"retry_limit {self.max_attempts!r} is not valid; expected an integer >= 1")
        for name, value in (("retry_delay", self.base_delay), ("retry_max_delay", self.max_delay)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name} {value!r} is not valid; expected a number of seconds >= 0")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Return the seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)


def parse_retry_after(value: str | None, now: datetime.datetime | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    now = now or datetime.datetime.now(datetime.UTC)
    return max((when - now).total_seconds(), 0.0)
