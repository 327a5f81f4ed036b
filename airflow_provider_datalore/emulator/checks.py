"""Checks of the emulator's JSON config values, raising ValueError that names the key and shows the value."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from airflow_provider_datalore.clipping import show as clip_repr


def check_keys(
    data: Mapping[str, Any], allowed: tuple[str, ...], what: str, required: tuple[str, ...] = ()
) -> None:
    """Raise ValueError on a key of ``data`` that is not ``allowed``, or a ``required`` one missing."""
    for key in data:
        if key not in allowed:
            raise ValueError(f"{what}: unknown key {show(key)} (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in data:
            raise ValueError(f"{what}: missing required key {key!r}")


def check_object(
    data: Any, allowed: tuple[str, ...], what: str, required: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    """Return ``data`` checked to be a JSON object (Mapping) of ``allowed`` keys with the ``required`` ones."""
    if not isinstance(data, Mapping):
        raise ValueError(f"a {what} must be a JSON object, got {show(data)}")
    check_keys(data, allowed, what, required)
    return data


def check_choice(value: Any, choices: tuple[str, ...], what: str) -> None:
    """Raise ValueError unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{what} must be one of {', '.join(repr(c) for c in choices)}, got {show(value)}")


def as_list(value: Any, what: str) -> list[Any]:
    """Return ``value`` as a list, raising ValueError unless it is a list or tuple."""
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} must be a list, got {show(value)}")
    return list(value)


def is_int(value: Any) -> bool:
    """Return whether ``value`` is an integer (and not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Return whether ``value`` is a finite int or float (and not a boolean)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_json(value: Any) -> bool:
    """Return whether ``value`` can be sent as JSON (not too deeply nested to encode)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def show(value: Any, limit: int = 60) -> str:
    """Return a repr of ``value`` clipped to about ``limit`` characters, for messages about values users give."""
    return clip_repr(value, limit)
