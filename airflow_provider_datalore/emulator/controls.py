"""
Control cells' widgets (``data.control`` of a CONTROL cell): their fields, checks and the kernel's value.

The fields are JetBrains' reference's: every control has ``controlType``, ``label`` and ``variable``; then
CHECKBOX ``value`` (bool); SLIDER ``value``, ``min``, ``max``, ``step`` (string-encoded numbers); TEXT_INPUT
``value``, ``multiline``; DATEPICKER ``startDate``, ``endDate`` (ISO dates or null), ``withRange``; DROPDOWN
``items``, ``selectedValue``, ``multiselect``, ``selectedValues``, ``selectedVariable``. A field left out
takes its default below, so every reply carries all of its type's fields.

What a control cell assigns when it runs (its variable's value, as ``{variable}`` in a code cell's texts
shows it): CHECKBOX ``True``/``False``; SLIDER and TEXT_INPUT the ``value``; DATEPICKER the ``startDate``,
or ``start/end`` (an ISO 8601 interval) with ``withRange``; DROPDOWN the ``selectedValue``, or the
``selectedValues`` joined with ``, `` when ``multiselect``; ``None`` for a null.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping
from typing import Any

from airflow_provider_datalore.emulator.checks import show

CONTROL_TYPES = ("CHECKBOX", "SLIDER", "TEXT_INPUT", "DATEPICKER", "DROPDOWN")
#: Each type's own fields and their defaults.
CONTROL_DEFAULTS: dict[str, dict[str, Any]] = {
    "CHECKBOX": {"value": False},
    "SLIDER": {"value": "0", "min": "0", "max": "100", "step": "1"},
    "TEXT_INPUT": {"value": "", "multiline": False},
    "DATEPICKER": {"startDate": None, "endDate": None, "withRange": False},
    "DROPDOWN": {
        "items": [],
        "selectedValue": None,
        "multiselect": False,
        "selectedValues": [],
        "selectedVariable": None,
    },
}
_COMMON = ("controlType", "label", "variable")


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_number_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _is_date(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _is_optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _is_texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_optional_texts(value: Any) -> bool:
    return value is None or _is_texts(value)


#: Each field's check and what it must be, in words.
_FIELD_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "label": (lambda v: isinstance(v, str), "a string"),
    "variable": (lambda v: isinstance(v, str) and v.isidentifier(), "a Python identifier"),
    "value:CHECKBOX": (_is_bool, "a boolean"),
    "value:SLIDER": (_is_number_text, "a number as a string, e.g. '5'"),
    "value:TEXT_INPUT": (lambda v: isinstance(v, str), "a string"),
    "min": (_is_number_text, "a number as a string, e.g. '0'"),
    "max": (_is_number_text, "a number as a string, e.g. '100'"),
    "step": (_is_number_text, "a number as a string, e.g. '1'"),
    "multiline": (_is_bool, "a boolean"),
    "startDate": (_is_date, "an ISO date 'YYYY-MM-DD' or null"),
    "endDate": (_is_date, "an ISO date 'YYYY-MM-DD' or null"),
    "withRange": (_is_bool, "a boolean"),
    "items": (_is_texts, "a list of strings"),
    "selectedValue": (_is_optional_text, "a string or null"),
    "multiselect": (_is_bool, "a boolean"),
    "selectedValues": (_is_optional_texts, "a list of strings or null"),
    "selectedVariable": (_is_optional_text, "a string or null"),
}


def control_problem(control: Any, base: Mapping[str, Any] | None = None) -> str | None:
    """
    Return what is wrong with a control object (None if nothing), the fields of ``base`` filling gaps.

    :param control: the control's JSON object.
    :param base: the control it updates (an update's ``controlType`` must be the same), or None.
    """
    if not isinstance(control, Mapping):
        return f"'control' must be an object, got {show(control)}"
    kind = control.get("controlType")
    if base is not None and kind != base["controlType"]:
        return f"control type mismatch: the cell's control is {base['controlType']}, got {show(kind)}"
    if kind not in CONTROL_TYPES:
        return f"'controlType' must be one of {', '.join(CONTROL_TYPES)}, got {show(kind)}"
    allowed = (*_COMMON, *CONTROL_DEFAULTS[kind])
    for key in control:
        if key not in allowed:
            return f"unknown field {show(key)} of a {kind} control (allowed: {', '.join(allowed)})"
    merged = {**(base or {}), **control}
    for key in ("label", "variable"):
        if key not in merged:
            return f"a control needs {key!r}"
    for key in allowed[1:]:
        if key not in merged:
            continue
        check, words = _FIELD_CHECKS.get(f"{key}:{kind}") or _FIELD_CHECKS[key]
        if not check(merged[key]):
            return f"{kind} control field {key!r} must be {words}, got {show(merged[key])}"
    return None


def complete_control(control: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """
    Return a checked control with every field of its type: ``base``'s (or the defaults) where it has none.

    :param control: a control ``control_problem`` found nothing wrong with.
    :param base: the control it updates, or None.
    """
    kind = control["controlType"]
    defaults = base if base is not None else CONTROL_DEFAULTS[kind]
    merged = {**defaults, **control}
    ordered = {key: merged[key] for key in _COMMON} | merged
    return {key: _copy(value) for key, value in ordered.items()}


def kernel_value(control: Mapping[str, Any]) -> str:
    """Return the text of what a control cell assigns to its variable when it runs (see the module)."""
    kind = control["controlType"]
    if kind == "CHECKBOX":
        return str(bool(control["value"]))
    if kind == "DATEPICKER":
        start, end = _text(control["startDate"]), _text(control["endDate"])
        return f"{start}/{end}" if control["withRange"] else start
    if kind == "DROPDOWN":
        if control["multiselect"]:
            return ", ".join(control["selectedValues"] or [])
        return _text(control["selectedValue"])
    return str(control["value"])


def _text(value: Any) -> str:
    return "None" if value is None else str(value)


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value
