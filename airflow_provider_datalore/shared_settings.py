"""
Connection settings shared for a short while by the hooks of one event loop: a burst of triggers reads
its connection once.

A triggerer starts many waits at once: a mapped task that defers, a backfill, or a triggerer taking over
the triggers of one that died. Each trigger's hook would read the same connection, and on Airflow 3 a
read is a few requests from the trigger runner to the triggerer's supervisor (the connection, then
masking its secrets), which the supervisor serves one per loop iteration, between its database work. On
a real ``airflow triggerer`` with 1000 Datalore waits that queue held the first polls back by 35 to 95 s
(docs/benchmarks.md, "The real triggerer"). Shared, the burst costs one read.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from airflow_provider_datalore.loop_local import LoopLocal

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from airflow_provider_datalore.connection import DataloreConnectionSettings

#: Seconds one read of a connection serves the other hooks of the event loop. A changed connection (a
#: rotated token) reaches the triggers started this long after the change; running ones keep the
#: settings they started with, shared or not.
SHARE_SECONDS = 30.0


class SharedSettings:
    """The connection settings read on one event loop, by connection id, each for ``SHARE_SECONDS``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._read: dict[str, tuple[float, DataloreConnectionSettings]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(
        self, conn_id: str, read: Callable[[], Awaitable[DataloreConnectionSettings]]
    ) -> DataloreConnectionSettings:
        """Return the settings of ``conn_id`` read less than ``SHARE_SECONDS`` ago, else ``await read()``."""
        # One reader at a time per connection: the others wait for its result instead of reading too.
        async with self._locks.setdefault(conn_id, asyncio.Lock()):
            entry = self._read.get(conn_id)
            if entry is not None and self._clock() - entry[0] < SHARE_SECONDS:
                return entry[1]
            settings = await read()
            self._read[conn_id] = (self._clock(), settings)
            return settings


_SHARED = LoopLocal(SharedSettings)


def shared_settings() -> SharedSettings:
    """Return the shared connection settings of the running event loop."""
    return _SHARED.get()
