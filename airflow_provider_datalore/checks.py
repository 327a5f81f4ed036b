"""Argument checks that the hook, the operators and the sensor share; each error names the value."""

from __future__ import annotations

import datetime
import re
from typing import Any

from airflow_provider_datalore.clipping import show

#: No interval or timeout is longer than this: a bigger number is a mistake (and overflows timers).
MAX_SECONDS = 366 * 24 * 3600
#: A Datalore run id is about 22 characters; anything much longer is not one.
MAX_RUN_ID_LENGTH = 256
#: One path segment of printable characters: no "/", no white space, no control characters.
_RUN_ID = re.compile(rf"[^/\s\x00-\x1f\x7f-\x9f]{{1,{MAX_RUN_ID_LENGTH}}}")


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
    """
    Return a run id as the status endpoint takes it; ``ValueError`` for anything that is not one.

    A run id is one path segment of printable characters: not ``.`` or ``..`` (a URL would collapse them
    into another path), no white space or control characters (which could forge a log line), and at most
    :data:`MAX_RUN_ID_LENGTH` characters.
    """
    text = run_id.strip() if isinstance(run_id, str) else ""
    if not _RUN_ID.fullmatch(text) or text in (".", "..") or not text.isprintable():
        raise ValueError(
            f"run_id {show(run_id)} is not valid; expected the run id that starting a run returned (one "
            f"path segment of at most {MAX_RUN_ID_LENGTH} printable characters, no spaces)"
        )
    return text


#: The hook settings a task may set through ``hook_params``: how reads and starts are retried.
HOOK_PARAMS = ("retry_limit", "retry_delay", "retry_max_delay")


def check_hook_params(value: object) -> dict[str, Any]:
    """
    Return ``hook_params`` as the hook's keyword arguments; ``ValueError`` for an unknown key or bad value.

    :param value: None, or a dict with any of :data:`HOOK_PARAMS`.
    """
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise ValueError(
            f"hook_params {show(value)} is not valid; expected a dict with keys among {HOOK_PARAMS}"
        )
    unknown = sorted(set(value) - set(HOOK_PARAMS))
    if unknown:
        raise ValueError(
            f"hook_params has {show(unknown)}, which the Datalore hook does not take; expected keys among "
            f"{HOOK_PARAMS}"
        )
    from airflow_provider_datalore.transport.retry import RetryPolicy

    RetryPolicy(  # raises ValueError naming a bad value
        max_attempts=value.get("retry_limit", 5),
        base_delay=value.get("retry_delay", 1.0),
        max_delay=value.get("retry_max_delay", 60.0),
    )
    return dict(value)
