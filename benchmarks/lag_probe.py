"""
``LagProbeTrigger``: how late a real triggerer's event loop wakes a task, measured from inside it.

The imitation harness (``trigger_load.py``) runs a ticker task beside its triggers. A real ``airflow
triggerer`` runs only triggers, so the ticker is one: it sleeps 50 ms in a loop for ``seconds``, records
how late each wake-up came, writes the figures to ``result_path`` (JSON) and yields one event. It runs
in the triggerer's event loop like every other trigger (``benchmarks/real_triggerer.py`` feeds it in with
the waits); its module is on the triggerer's ``PYTHONPATH``.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

TICK = 0.05


class LagProbeTrigger(BaseTrigger):
    """Sleep ``TICK`` seconds in a loop for ``seconds``; write the lateness of each wake-up to a file."""

    def __init__(self, seconds: float, result_path: str) -> None:
        super().__init__()
        self.seconds = seconds
        self.result_path = result_path

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return "lag_probe.LagProbeTrigger", {"seconds": self.seconds, "result_path": self.result_path}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        lags: list[float] = []
        end = time.monotonic() + self.seconds
        while time.monotonic() < end:
            start = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append(time.perf_counter() - start - TICK)
        ordered = sorted(lags)
        figures = {
            "samples": len(lags),
            "p50": ordered[len(ordered) // 2] if ordered else 0.0,
            "p99": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] if ordered else 0.0,
            "max": ordered[-1] if ordered else 0.0,
        }
        with open(self.result_path, "w") as handle:
            json.dump(figures, handle)
        yield TriggerEvent({"status": "success", **figures})
