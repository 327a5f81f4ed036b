"""
Parameters of an interactive run as new values of the notebook's controls (``/cell/controls/update``).

A parameter names a control by its ``variable`` (as the Run API's ``parameters[].name`` does) and comes
in the run operator's forms, ``{name: value}`` or ``[{"name": ..., "value": ...}]`` (the same shape
checks: ``run_api.parameters.parameter_pairs``). Every value is checked against the control it targets
before any update is planned; one error lists every parameter that does not fit, so nothing is changed
when one is wrong. What each control takes, from the reference's "Control cell payloads":

- ``CHECKBOX`` (``value: boolean``): a bool, and only a bool (not ``1`` or ``"true"``: a templated
  ``"False"`` is a non-empty string, which would read as true).
- ``SLIDER`` (``value``, ``min``, ``max``, ``step``: "string-encoded numbers"): an int, float or Decimal
  (not a bool), from ``min`` to ``max``, on the step grid ``min + k * step`` (a value between two steps is
  refused, naming the two nearest: the reference does not say what a slider does with it; ``min``
  and ``max`` themselves are always taken; a value within a billionth of a step of a grid value, float
  arithmetic's noise as in ``0.1 + 0.2``, is taken as that value). Sent as a string, as the control's
  own fields are: an integer slider (integer ``min``, ``max`` and ``step``) gets an integer (``55.0`` ->
  ``"55"``), any other the number's digits (``0.35``, ``12.50``).
- ``TEXT_INPUT`` (``value: string``): a str, or an int, float or Decimal turned into text as the run
  operator turns it (``7`` -> ``"7"``), so one ``parameters`` dict means the same to both operators.
  Booleans and dates are refused (say ``"true"`` or ``"2026-01-31"`` if that is the text meant).
- ``DROPDOWN``: static (``selectedVariable`` null or absent) takes a member of ``items`` (a str, or a
  number turned into text as above), sent as ``selectedValue``; with ``multiselect``, a list of members,
  sent as ``selectedValues``. Dynamic (``selectedVariable`` set: the kernel reads the items from that
  variable at run time) takes any text, or a list of texts when ``multiselect``: its items are unknown
  before the run, and what the kernel does with a value not among them is not documented.
- ``DATEPICKER`` (``startDate``, ``endDate``: ISO dates, ``withRange``): an ISO date ``YYYY-MM-DD``, a
  ``datetime.date``, or a ``datetime.datetime`` (its own date, no time zone conversion), sent as
  ``startDate``; with ``withRange``, a pair ``[start, end]`` of those with start <= end, sent as
  ``startDate`` and ``endDate``.

A ``None`` value leaves its control alone (logged), as the run operator leaves such a parameter out; its
variable is not looked for. A variable that two control cells hold: both are set, each checked against
its own control, so the kernel gets the value whichever cell runs last. Each update carries the cell's
whole control with only the value fields replaced (``controlType``, ``label``, ``min``... as they were):
the reference requires the control type to match the existing one.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation, localcontext
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.clipping import clip, show
from airflow_provider_datalore.exceptions import DataloreNotebookMismatchError
from airflow_provider_datalore.run_api.parameters import (
    format_parameter_value,
    log_parameter_left_out,
    parameter_pairs,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from airflow_provider_datalore.notebook_api.cells import Cell

CONTROL_TYPES = ("CHECKBOX", "SLIDER", "TEXT_INPUT", "DATEPICKER", "DROPDOWN")
#: Variables an "unknown variable" error lists.
LISTED_VARIABLES = 20
#: How near a grid value (in steps) a slider value is taken as that value: float arithmetic's noise.
GRID_SLACK = Decimal("1e-9")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class ControlUpdate:
    """
    One ``/cell/controls/update``: a control cell and the whole control to send for it.

    :param cell_id: The CONTROL cell.
    :param variable: The control's variable (the parameter's name).
    :param control: The cell's control with its value fields replaced.
    :param changed: Whether that differs from the control as the notebook has it now.
    """

    cell_id: str
    variable: str
    control: dict[str, Any]
    changed: bool = True


class _Refused(Exception):
    """What a control accepts, when a value is not it (the message's tail)."""


def plan_control_updates(parameters: object, cells: Sequence[Cell]) -> list[ControlUpdate]:
    """
    Return the control updates that set the notebook's controls to ``parameters``, in parameter order.

    :param parameters: ``{variable: value}`` or ``[{"name": variable, "value": value}]``; None for none.
    :param cells: The notebook's cells (a ``/cells`` listing of either shape).
    :raises ValueError: ``parameters`` has the wrong shape (an empty or duplicate name...).
    :raises DataloreNotebookMismatchError: A parameter names no control, or its value does not fit its
        control; one error names every such parameter and what its control takes.
    """
    if parameters is None:
        return []
    pairs = parameter_pairs(parameters)
    controls: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for cell in cells:
        variable = cell.control.get("variable") if cell.control is not None else None
        if cell.control is not None and isinstance(variable, str) and variable:
            controls.setdefault(variable, []).append((cell.cell_id, cell.control))
    updates: list[ControlUpdate] = []
    problems: list[str] = []
    for name, value in pairs:
        if value is None:
            log_parameter_left_out(name)
            continue
        said = f"parameter {show(name, 60)} = {show(value, 60)}"
        if name not in controls:
            problems.append(f"{said}: the notebook has no control of that variable; {_variables(controls)}")
            continue
        for cell_id, control in controls[name]:
            try:
                fields = _new_fields(name, value, control)
            except _Refused as refused:
                problems.append(f"{said}: the {_control_name(control)} {refused}")
                continue
            new = {**control, **fields}
            updates.append(ControlUpdate(cell_id, name, new, changed=new != control))
    if problems:
        fit = "1 parameter does not fit" if len(problems) == 1 else f"{len(problems)} parameters do not fit"
        raise DataloreNotebookMismatchError(
            f"{fit} the notebook's controls, so no control was changed: " + "; ".join(problems)
        )
    return updates


def _new_fields(name: str, value: object, control: dict[str, Any]) -> dict[str, Any]:
    kind = control.get("controlType")
    if kind == "CHECKBOX":
        if not isinstance(value, bool):
            raise _Refused("takes True or False (a bool only)")
        return {"value": value}
    if kind == "SLIDER":
        return {"value": _slider_value(value, control)}
    if kind == "TEXT_INPUT":
        return {"value": _text(name, value, "takes text (a str, or a number, which is sent as its digits)")}
    if kind == "DATEPICKER":
        return _dates(value, control.get("withRange") is True)
    if kind == "DROPDOWN":
        return _dropdown(name, value, control)
    raise _Refused(f"is of a type this provider cannot set (it sets {', '.join(CONTROL_TYPES)})")


def _slider_value(value: object, control: dict[str, Any]) -> str:
    low, high, step = (_number(control.get(field)) for field in ("min", "max", "step"))
    if low is None or high is None:
        raise _Refused(
            f"has no readable range (min {show(control.get('min'), 30)}, max {show(control.get('max'), 30)}), "
            "so no value can be checked against it"
        )
    takes = f"takes a number from {low} to {high}"
    number = (
        _number(value) if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) else None
    )
    if number is None or not low <= number <= high:
        raise _Refused(takes)
    if step is not None and step > 0 and number not in (low, high):
        with localcontext(prec=200):
            try:
                below = low + ((number - low) / step).to_integral_value(rounding=ROUND_FLOOR) * step
            except InvalidOperation:  # too many steps to count: not checked
                below = number
            above = below + step
            if below != number and number - below <= step * GRID_SLACK:  # float noise, as in 0.1 + 0.2
                number = below.normalize()  # the grid value is sent
            elif below != number and above - number <= step * GRID_SLACK:
                number = above.normalize()
            elif below != number:
                nearest = f"{below} and {above}" if above <= high else f"{below}"
                raise _Refused(f"{takes} in steps of {step} from {low}; the nearest on them: {nearest}")
    if all(x == x.to_integral_value() for x in (number, low, high, step or low)):
        return format(number.to_integral_value(), "f")  # an integer slider gets an integer: "55", not "55.0"
    return format(number, "f")


def _number(value: object) -> Decimal | None:
    try:
        if isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, (int, Decimal, str)) and not isinstance(value, bool):
            number = Decimal(value.strip() if isinstance(value, str) else value)
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _text(name: str, value: object, takes: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        try:
            return format_parameter_value(name, value)
        except ValueError:  # not finite, or too many digits
            pass
    raise _Refused(takes)


def _dropdown(name: str, value: object, control: dict[str, Any]) -> dict[str, Any]:
    source, items = control.get("selectedVariable"), control.get("items")
    members: list[str] | None
    if isinstance(source, str) and source:
        members, what = None, f"any text (its items come from the variable {show(source, 40)} at run time)"
    elif isinstance(items, list) and all(isinstance(item, str) for item in items):
        members, what = items, f"one of {show(items, 120)}"
    else:
        raise _Refused(f"has no list of items ({show(items, 60)}), so no value can be checked against it")
    if control.get("multiselect") is not True:
        takes = f"takes {what}"
        chosen = _text(name, value, takes)
        if members is not None and chosen not in members:
            raise _Refused(takes)
        return {"selectedValue": chosen}
    takes = f"is a multi-select: it takes a list, each item {what}"
    if not isinstance(value, (list, tuple)):
        raise _Refused(takes)
    chosen_items = [_text(name, item, takes) for item in value]
    if members is not None and any(item not in members for item in chosen_items):
        raise _Refused(takes)
    return {"selectedValues": chosen_items}


def _dates(value: object, with_range: bool) -> dict[str, Any]:
    if not with_range:
        day = _date(value)
        if day is None:
            raise _Refused("takes a date ('YYYY-MM-DD', a date or a datetime)")
        return {"startDate": day}
    takes = (
        "is a range: it takes a pair [start, end] of dates ('YYYY-MM-DD', dates or datetimes), start <= end"
    )
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise _Refused(takes)
    start, end = _date(value[0]), _date(value[1])
    if start is None or end is None or start > end:  # ISO dates compare as their text
        raise _Refused(takes)
    return {"startDate": start, "endDate": end}


def _date(value: object) -> str | None:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def _control_name(control: dict[str, Any]) -> str:
    kind = control.get("controlType")
    label = control.get("label") or control.get("variable")
    return f"{clip(kind, 30) if isinstance(kind, str) else show(kind, 30)} {show(label, 60)}"


def _variables(controls: dict[str, list[tuple[str, dict[str, Any]]]]) -> str:
    if not controls:
        return "the notebook has no control cells"
    names = list(controls)
    listed = ", ".join(show(name, 60) for name in names[:LISTED_VARIABLES])
    more = f" and {len(names) - LISTED_VARIABLES} more" if len(names) > LISTED_VARIABLES else ""
    return f"its controls' variables: {listed}{more}"
