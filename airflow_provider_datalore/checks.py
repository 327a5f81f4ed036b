"""Argument checks that the hook, the operators and the sensor share; each error names the value."""

from __future__ import annotations

import datetime

from airflow_provider_datalore.clipping import show

#: No interval or timeout is longer than this: a bigger number is a mistake (and overflows timers).
MAX_SECONDS = 366 * 24 * 3600


def check_seconds(name: str, value: object) -> float:
    """Return a positive number of seconds from a number or ``timedelta``; ``ValueError`` otherwise."""
    seconds = value.total_seconds() if isinstance(value, datetime.timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds <= MAX_SECONDS:
        raise ValueError(
            f"{name} {show(value)} is not valid; expected a number of seconds (or a timedelta) > 0 and at "
            "most 366 days"
        )
    return float(seconds)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a bool; ``ValueError`` otherwise."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} {show(value)} is not valid; expected True or False")
    return value


def check_run_id(run_id: object) -> str:
    """Return a run id as the status endpoint takes it; ``ValueError`` for anything that is not one."""
    if not isinstance(run_id, str) or not run_id.strip() or "/" in run_id:
        raise ValueError(
            f"run_id {show(run_id)} is not valid; expected the run id that starting a run returned"
        )
    return run_id.strip()
