"""What a scripted fault may say: the actions, which options go with which, their defaults and checks."""

from __future__ import annotations

import codecs
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.checks import check_choice, is_int, is_json, is_number, show
from airflow_provider_datalore.emulator.endpoints import ENDPOINT_NAMES, FILE_BODY_ACTIONS, endpoint_named
from airflow_provider_datalore.emulator.replies import BODILESS_STATUSES

if TYPE_CHECKING:
    from airflow_provider_datalore.emulator.config import Fault

#: The names a fault's ``endpoint`` may take: those of the endpoint table.
ENDPOINTS = ENDPOINT_NAMES
#: Actions that deliver an answer in a hostile way: the real answer, or the fault's own ``status``/``body``.
SHAPING_ACTIONS = ("drip", "drip_headers", "interim_1xx", "close_idle")
#: Actions that send a generated body of ``size`` bytes.
SIZED_ACTIONS = ("huge_body", "gzip_bomb")
#: Actions on a file's streamed body (``/file`` only): ``cut`` sends ``size`` bytes then closes the
#: connection, ``overlong`` sends ``size`` bytes past the Content-Length, ``gzip_body`` gzips the body.
FILE_ACTIONS = FILE_BODY_ACTIONS
FAULT_ACTIONS = ("drop", "reset", "malformed_json", "delay", *SHAPING_ACTIONS, *SIZED_ACTIONS, *FILE_ACTIONS)
#: Default ``seconds`` of the actions that wait; None means the fault must give it.
DEFAULT_SECONDS: dict[str, float | None] = {
    "delay": None,
    "drip": 1.0,
    "drip_headers": 1.0,
    "close_idle": 0.05,
}
DEFAULT_SIZES = {"huge_body": 200_000_000, "gzip_bomb": 1_000_000_000}
MIN_SIZE = 100
MAX_SIZE = 10_000_000_000
#: ``size`` of ``cut`` (None: half the file) and ``overlong`` (the bytes sent past the Content-Length).
FILE_DEFAULT_SIZES: dict[str, int | None] = {"cut": None, "overlong": 1024}
#: The most bytes an ``overlong`` fault sends past the Content-Length.
MAX_OVERLONG = 10_000_000

_PLAIN = None  # the "action" of a plain status fault
# Each option (when set) and the actions it goes with.
_GOES_WITH: dict[str, tuple[str | None, ...]] = {
    "status": (_PLAIN, *SHAPING_ACTIONS, *SIZED_ACTIONS),
    "body": (_PLAIN, *SHAPING_ACTIONS),
    "content_type": (_PLAIN, *SHAPING_ACTIONS),
    "retry_after": (_PLAIN,),
    "location": (_PLAIN,),
    "seconds": tuple(DEFAULT_SECONDS),
    "size": (*SIZED_ACTIONS, "cut", "overlong"),
    "content_length": ("huge_body",),
}
# What an option is when not set, besides None: what ``to_dict`` writes for a fault that does not use it.
_UNSET: dict[str, tuple[Any, ...]] = {"seconds": (None, 0.0), "content_length": (False,)}


def check_fault(fault: Fault) -> dict[str, Any]:
    """Raise ValueError on a bad value or combination; return the values to store, defaults filled in."""
    check_choice(fault.endpoint, ENDPOINTS, "fault 'endpoint'")
    if not is_int(fault.times) or fault.times < 1:
        raise ValueError(f"fault 'times' must be an integer >= 1, got {show(fault.times)}")
    if fault.action is None and fault.status is None:
        raise ValueError("a fault needs 'status' (an HTTP code) or 'action' (one of the wire faults)")
    if fault.action is not None:
        check_choice(fault.action, FAULT_ACTIONS, "fault 'action'")
        _check_applies(fault.endpoint, fault.action)
    for option, actions in _GOES_WITH.items():
        value = getattr(fault, option)
        if value not in _UNSET.get(option, (None,)) and fault.action not in actions:
            raise ValueError(
                f"fault {option!r} does not go with {_describe(fault.action)} "
                f"(only with: {', '.join(_describe(a) for a in actions)})"
            )
    _check_status(fault)
    _check_flags(fault)
    if fault.location is not None and not isinstance(fault.location, str):
        raise ValueError(f"fault 'location' must be a string, got {show(fault.location)}")
    return {
        "retry_after": _retry_after(fault.retry_after),
        "seconds": _seconds(fault),
        "size": _size(fault),
        "encoding": _check_body(fault),
    }


def _check_applies(name: str, action: str) -> None:
    endpoint = endpoint_named(name)
    if not endpoint.takes(action):
        taken = [a for a in FAULT_ACTIONS if endpoint.takes(a)]
        raise ValueError(
            f"fault action {action!r} does not apply to endpoint {name!r} (only: {', '.join(taken)})"
        )


def _describe(action: str | None) -> str:
    return "a plain 'status' fault" if action is None else f"action {action!r}"


def _check_status(fault: Fault) -> None:
    status = fault.status
    if status is None:
        return
    if not is_int(status) or not 200 <= status <= 599:
        raise ValueError(f"fault 'status' must be an HTTP status code from 200 to 599, got {show(status)}")
    if status in BODILESS_STATUSES and fault.action is not None:
        raise ValueError(f"fault 'status' {status} has no body: it only goes with a plain 'status' fault")


def _check_flags(fault: Fault) -> None:
    for option in ("process", "content_length"):
        if not isinstance(getattr(fault, option), bool):
            raise ValueError(f"fault {option!r} must be a boolean, got {show(getattr(fault, option))}")


def _retry_after(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if is_int(value):
        return str(value)
    raise ValueError(f"fault 'retry_after' must be a string (or whole seconds), got {show(value)}")


def _seconds(fault: Fault) -> float:
    seconds = fault.seconds
    if seconds is None:
        seconds = DEFAULT_SECONDS.get(fault.action or "", 0.0)
    if seconds is None or (fault.action == "delay" and is_number(seconds) and seconds <= 0):
        raise ValueError("a 'delay' fault needs 'seconds' > 0")
    if not is_number(seconds) or seconds < 0:
        raise ValueError(f"fault 'seconds' must be a number >= 0, got {show(seconds)}")
    return float(seconds)


def _size(fault: Fault) -> int | None:
    if fault.action in FILE_DEFAULT_SIZES:
        return _file_size(fault)
    if fault.action not in DEFAULT_SIZES:
        return None
    size = DEFAULT_SIZES[fault.action] if fault.size is None else fault.size
    if not is_int(size) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(
            f"fault 'size' must be an integer from {MIN_SIZE} to {MAX_SIZE} bytes, got {show(size)}"
        )
    return size


def _file_size(fault: Fault) -> int | None:
    size = FILE_DEFAULT_SIZES[fault.action or ""] if fault.size is None else fault.size
    if size is None:
        return None
    if fault.action == "cut" and (not is_int(size) or not 0 <= size <= MAX_SIZE):
        raise ValueError(
            f"fault 'size' of 'cut' must be an integer from 0 to {MAX_SIZE} bytes, got {show(size)}"
        )
    if fault.action == "overlong" and (not is_int(size) or not 1 <= size <= MAX_OVERLONG):
        raise ValueError(
            f"fault 'size' of 'overlong' must be an integer from 1 to {MAX_OVERLONG} bytes, got {show(size)}"
        )
    return int(size)


def _check_body(fault: Fault) -> str | None:
    """Check ``body``, ``content_type`` and ``encoding`` together; return the encoding to store."""
    if fault.content_type is None:
        if fault.encoding is not None:
            raise ValueError("fault 'encoding' only goes with 'content_type' (a raw string body)")
        if not is_json(fault.body):
            raise ValueError(
                f"fault 'body' must be JSON (or a string sent raw with 'content_type'): {show(fault.body)}"
            )
        return None
    content_type = fault.content_type
    if not isinstance(content_type, str) or "/" not in content_type or not _is_header_value(content_type):
        raise ValueError(
            f"fault 'content_type' must be a media type like 'text/html', got {show(content_type)}"
        )
    if not isinstance(fault.body, str):
        raise ValueError(f"fault 'content_type' needs 'body' as a string, got {show(fault.body)}")
    encoding = "utf-8" if fault.encoding is None else fault.encoding
    try:
        codecs.lookup(encoding)
        fault.body.encode(encoding)
    except (LookupError, TypeError) as exc:
        raise ValueError(
            f"fault 'encoding' must be a Python codec like 'latin-1', got {show(encoding)}"
        ) from exc
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"fault 'body' cannot be encoded in {encoding!r}: {exc.reason} at {exc.start}"
        ) from exc
    return encoding


def _is_header_value(text: str) -> bool:
    return text.isascii() and text.isprintable()
