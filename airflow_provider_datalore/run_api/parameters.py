"""Run options as the Run API takes them: parameters for interactive controls, report update, storage."""

from __future__ import annotations

import datetime
import logging
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from airflow_provider_datalore.clipping import show

log = logging.getLogger(__name__)

#: Digits of a number parameter at most (Python turns no longer integer into text by default).
MAX_NUMBER_DIGITS = 4300
PARAMETER_VALUE_TYPES = "str, int, float, bool, date, datetime or Decimal"
UPDATE_REPORT_CHOICES = {True: "on success", False: "never", "on success": "on success", "never": "never"}


def normalize_parameters(parameters: object) -> list[dict[str, str]] | None:
    """
    Return parameters as the Run API's ``[{"name": ..., "value": ...}]`` with every value a string.

    Booleans become ``"true"``/``"false"``, dates and datetimes ISO-8601; a ``None`` value leaves the
    parameter out (logged).

    :param parameters: ``{name: value}``, a list of ``{"name": ..., "value": ...}``, or None.
    :raises ValueError: Wrong shape, a nested or unsupported value, an empty or duplicate name.
    """
    if parameters is None:
        return None
    result: list[dict[str, str]] = []
    for name, value in parameter_pairs(parameters):
        if value is None:
            log_parameter_left_out(name)
            continue
        result.append({"name": name, "value": format_parameter_value(name, value)})
    return result


def parameter_pairs(parameters: object) -> list[tuple[str, object]]:
    """
    Return ``(name, value)`` pairs of parameters in either form, in order, ``None`` values kept.

    The shape checks both the run operator's parameters and the interactive run's control values share.

    :param parameters: ``{name: value}`` or a list of ``{"name": ..., "value": ...}``.
    :raises ValueError: Another shape, a name that is not a non-empty string, a name given twice.
    """
    if isinstance(parameters, Mapping):
        pairs = list(parameters.items())
    elif isinstance(parameters, Sequence) and not isinstance(parameters, (str, bytes)):
        pairs = [_pair_from_item(index, item) for index, item in enumerate(parameters)]
    else:
        raise ValueError(
            f"parameters {show(parameters)} is a {type(parameters).__name__}; expected a dict "
            "{name: value} or a list of {'name': ..., 'value': ...}"
        )
    checked: list[tuple[str, object]] = []
    seen: set[str] = set()
    for name, value in pairs:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(
                f"parameter name {show(name)} is not a non-empty string; expected the Variable "
                "name of an interactive control in the notebook"
            )
        if name in seen:
            raise ValueError(f"parameter {show(name)} is given more than once; expected each name once")
        seen.add(name)
        checked.append((name, value))
    return checked


def log_parameter_left_out(name: str) -> None:
    """Log that a parameter whose value is None is left out."""
    log.info("Parameter %r is None: it is left out, so the notebook keeps its own value.", name)


def format_parameter_value(name: str, value: object) -> str:
    """Return one parameter value as the string the Run API takes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python turns into text (sys.get_int_max_str_digits)
            raise ValueError(
                f"parameter {show(name)} has an integer value of about {value.bit_length() * 0.30103:.0f} "
                f"digits; expected at most {MAX_NUMBER_DIGITS} digits"
            ) from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"parameter {show(name)} has value {show(value)}; expected a finite number")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > MAX_NUMBER_DIGITS:
            raise ValueError(
                f"parameter {show(name)} has value {show(value)}; expected a finite number of at most "
                f"{MAX_NUMBER_DIGITS} digits"
            )
        return format(value, "f")
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise ValueError(
        f"parameter {show(name)} has value {show(value)} of type {type(value).__name__}; expected "
        f"{PARAMETER_VALUE_TYPES} (nested lists and dicts are not supported by Datalore's controls)"
    )


def normalize_update_report(value: object) -> str | None:
    """
    Return the Run API's ``updateReport`` value, or None when not set.

    :param value: True / ``"on success"`` (update the published report when the run succeeds),
        False / ``"never"``, or None (the server's default, ``never``).
    :raises ValueError: Any other value.
    """
    if value is None:
        return None
    if isinstance(value, (bool, str)) and value in UPDATE_REPORT_CHOICES:
        return UPDATE_REPORT_CHOICES[value]
    raise ValueError(
        f"update_report {show(value)} is not valid; expected True or 'on success' (update the published "
        "report when the run succeeds), False or 'never', or None (the server's default)"
    )


def normalize_direct_file_storage_write(value: object) -> bool | None:
    """Return ``directFileStorageWrite`` as a bool, or None when not set."""
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(
        f"direct_file_storage_write {show(value)} is not valid; expected True (save run data to the "
        "notebook's files), False (isolated run artifacts), or None (the server's default)"
    )


def _pair_from_item(index: int, item: object) -> tuple[object, object]:
    if not isinstance(item, Mapping) or set(item) != {"name", "value"}:
        raise ValueError(
            f"parameters[{index}] is {show(item)}; expected a dict with exactly the keys 'name' and 'value'"
        )
    return item["name"], item["value"]
