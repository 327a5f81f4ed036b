from __future__ import annotations

import datetime
import logging
from decimal import Decimal

import pytest

from airflow_provider_datalore.exceptions import DataloreNotebookMismatchError
from airflow_provider_datalore.notebook_api.cells import read_cells
from airflow_provider_datalore.notebook_api.controls import ControlUpdate, plan_control_updates
from tests.notebook_api.payloads import (
    checkbox,
    code,
    control,
    datepicker,
    dropdown,
    listing,
    slider,
    text_input,
)


def notebook(*widgets):
    return read_cells(
        listing(code("c0", 0, "import pandas"), *(control(f"w{i}", i + 1, w) for i, w in enumerate(widgets)))
    ).cells


def planned(widget, value):
    """The fields of the one control update ``value`` makes to ``widget``."""
    [update] = plan_control_updates({widget["variable"]: value}, notebook(widget))
    assert update.control["controlType"] == widget["controlType"]
    return {key: v for key, v in update.control.items() if widget.get(key, object()) != v}


@pytest.mark.parametrize(
    ("widget", "value", "changed"),
    [
        (checkbox(), True, {"value": True}),
        (checkbox(), False, {}),
        (slider(), 70, {"value": "70"}),
        (slider(), 0, {"value": "0"}),
        (slider(), 100, {"value": "100"}),
        (slider(), 50, {}),
        (slider(), 55.0, {"value": "55"}),  # an integer slider gets an integer
        (slider(), Decimal("60.00"), {"value": "60"}),
        (slider(min="0", max="1", step="0.25"), 1.0, {"value": "1.0"}),
        (slider(), Decimal("65"), {"value": "65"}),
        (slider(min="0", max="1", step="0.05"), 0.35, {"value": "0.35"}),
        (slider(min="0", max="10", step="3"), 10, {"value": "10"}),  # max is taken even off the grid
        (slider(min="0", max="1", step="0.05"), 0.1 + 0.2, {"value": "0.3"}),  # float noise: the grid value
        (slider(min="0", max="1", step="0.05"), 0.35 - 1e-12, {"value": "0.35"}),
        (slider(step="0"), 33, {"value": "33"}),  # no step: no grid
        (slider(min="-1.5", max="1.5", step="0.5"), Decimal("-1.0"), {"value": "-1.0"}),
        (text_input(), "Q3 report", {"value": "Q3 report"}),
        (text_input(), 7, {"value": "7"}),
        (text_input(), 0.5, {"value": "0.5"}),
        (text_input(), Decimal("12.50"), {"value": "12.50"}),
        (text_input(), "", {}),
        (dropdown(), "US", {"selectedValue": "US"}),
        (dropdown(items=["2025", "2026"], selectedValue="2025"), 2026, {"selectedValue": "2026"}),
        (dropdown(multiselect=True), ["EU", "APAC"], {"selectedValues": ["EU", "APAC"]}),
        (dropdown(multiselect=True), (), {}),
        (dropdown(items=[], selectedVariable="my_items"), "banana", {"selectedValue": "banana"}),
        (
            dropdown(items=[], selectedVariable="my_items", multiselect=True),
            ["a", "b"],
            {"selectedValues": ["a", "b"]},
        ),
        (dropdown(selectedVariable=None), "US", {"selectedValue": "US"}),
        (datepicker(), "2026-12-07", {"startDate": "2026-12-07"}),
        (datepicker(), datetime.date(2026, 12, 7), {"startDate": "2026-12-07"}),
        (
            datepicker(),
            datetime.datetime(2026, 12, 7, 23, 30, tzinfo=datetime.UTC),
            {"startDate": "2026-12-07"},
        ),
        (
            datepicker(withRange=True),
            ["2026-12-01", datetime.date(2026, 12, 31)],
            {"startDate": "2026-12-01", "endDate": "2026-12-31"},
        ),
        (
            datepicker(withRange=True),
            ("2026-12-07", "2026-12-07"),
            {"startDate": "2026-12-07", "endDate": "2026-12-07"},
        ),
    ],
)
def test_a_value_that_fits_replaces_only_the_value_fields(widget, value, changed):
    assert planned(widget, value) == changed


@pytest.mark.parametrize(
    ("widget", "value", "why"),
    [
        (checkbox(), 1, "the CHECKBOX 'Fresh only' takes True or False (a bool only)"),
        (checkbox(), "False", "the CHECKBOX 'Fresh only' takes True or False (a bool only)"),
        (slider(), 150, "the SLIDER 'Threshold' takes a number from 0 to 100"),
        (slider(), -5, "the SLIDER 'Threshold' takes a number from 0 to 100"),
        (slider(), "70", "the SLIDER 'Threshold' takes a number from 0 to 100"),
        (slider(), True, "the SLIDER 'Threshold' takes a number from 0 to 100"),
        (slider(), float("nan"), "the SLIDER 'Threshold' takes a number from 0 to 100"),
        pytest.param(
            slider(), 10**5000, "the SLIDER 'Threshold' takes a number from 0 to 100", id="5000 digits"
        ),
        (
            slider(),
            7,
            "the SLIDER 'Threshold' takes a number from 0 to 100 in steps of 5 from 0; the nearest on them: 5 and 10",
        ),
        (
            slider(max="98"),
            97,
            "the SLIDER 'Threshold' takes a number from 0 to 98 in steps of 5 from 0; the nearest on them: 95",
        ),
        (
            slider(min="lots"),
            5,
            "the SLIDER 'Threshold' has no readable range (min 'lots', max '100'), so no value can be checked against it",
        ),
        (
            text_input(),
            True,
            "the TEXT_INPUT 'Title' takes text (a str, or a number, which is sent as its digits)",
        ),
        (text_input(), datetime.date(2026, 1, 1), "the TEXT_INPUT 'Title' takes text (a str, or a number"),
        (text_input(), ["a"], "the TEXT_INPUT 'Title' takes text"),
        (dropdown(), "Mars", "the DROPDOWN 'Region' takes one of ['EU', 'US', 'APAC']"),
        (dropdown(), ["EU"], "the DROPDOWN 'Region' takes one of ['EU', 'US', 'APAC']"),
        (
            dropdown(multiselect=True),
            "EU",
            "the DROPDOWN 'Region' is a multi-select: it takes a list, each item one of ['EU', 'US', 'APAC']",
        ),
        (
            dropdown(multiselect=True),
            ["EU", "Mars"],
            "the DROPDOWN 'Region' is a multi-select: it takes a list, each item one of",
        ),
        (
            dropdown(items=None),
            "EU",
            "the DROPDOWN 'Region' has no list of items (None), so no value can be checked against it",
        ),
        (
            dropdown(items=[], selectedVariable="fruits"),
            ["a"],
            "the DROPDOWN 'Region' takes any text (its items come from the variable 'fruits' at run time)",
        ),
        (
            datepicker(),
            "07/12/2026",
            "the DATEPICKER 'Day' takes a date ('YYYY-MM-DD', a date or a datetime)",
        ),
        (datepicker(), "2026-02-30", "the DATEPICKER 'Day' takes a date"),
        (datepicker(), "2026-12-07T10:00:00", "the DATEPICKER 'Day' takes a date"),
        (datepicker(), ["2026-12-01", "2026-12-31"], "the DATEPICKER 'Day' takes a date"),
        (
            datepicker(withRange=True),
            "2026-12-01",
            "the DATEPICKER 'Day' is a range: it takes a pair [start, end] of dates ('YYYY-MM-DD', dates or datetimes), start <= end",
        ),
        (
            datepicker(withRange=True),
            ["2026-12-31", "2026-12-01"],
            "the DATEPICKER 'Day' is a range: it takes a pair",
        ),
        (datepicker(withRange=True), ["2026-12-01"], "the DATEPICKER 'Day' is a range: it takes a pair"),
        (
            {"controlType": "COLOR_PICKER", "label": "Tint", "variable": "tint"},
            "#fff",
            "the COLOR_PICKER 'Tint' is of a type this provider cannot set (it sets CHECKBOX, SLIDER, TEXT_INPUT, DATEPICKER, DROPDOWN)",
        ),
    ],
)
def test_a_value_that_does_not_fit_names_the_parameter_and_what_its_control_takes(widget, value, why):
    with pytest.raises(DataloreNotebookMismatchError) as err:
        plan_control_updates({widget["variable"]: value}, notebook(widget))
    message = str(err.value)
    prefix = "1 parameter does not fit the notebook's controls, so no control was changed: parameter "
    assert message.startswith(prefix + repr(widget["variable"]) + " = ")
    assert why in message


def test_the_issue_example_message():
    with pytest.raises(DataloreNotebookMismatchError) as err:
        plan_control_updates({"threshold": 150}, notebook(slider()))
    assert str(err.value) == (
        "1 parameter does not fit the notebook's controls, so no control was changed: "
        "parameter 'threshold' = 150: the SLIDER 'Threshold' takes a number from 0 to 100"
    )


def test_every_bad_parameter_is_named_at_once_and_nothing_is_planned():
    widgets = (slider(), checkbox(), dropdown())
    with pytest.raises(DataloreNotebookMismatchError) as err:
        plan_control_updates(
            [
                {"name": "threshold", "value": 150},
                {"name": "fresh", "value": True},  # fits
                {"name": "regoin", "value": "EU"},
                {"name": "region", "value": "Mars"},
            ],
            notebook(*widgets),
        )
    assert str(err.value) == (
        "3 parameters do not fit the notebook's controls, so no control was changed: "
        "parameter 'threshold' = 150: the SLIDER 'Threshold' takes a number from 0 to 100; "
        "parameter 'regoin' = 'EU': the notebook has no control of that variable; its controls' variables: "
        "'threshold', 'fresh', 'region'; "
        "parameter 'region' = 'Mars': the DROPDOWN 'Region' takes one of ['EU', 'US', 'APAC']"
    )


def test_a_notebook_without_controls():
    with pytest.raises(DataloreNotebookMismatchError) as err:
        plan_control_updates({"x": 1}, notebook())
    assert str(err.value).endswith(
        "parameter 'x' = 1: the notebook has no control of that variable; the notebook has no control cells"
    )


def test_long_values_and_labels_are_clipped():
    widget = slider(label="L" * 500)
    with pytest.raises(DataloreNotebookMismatchError) as err:
        plan_control_updates({"threshold": "9" * 10_000}, notebook(widget))
    assert len(str(err.value)) < 400


def test_updates_carry_the_whole_control_in_parameter_order():
    widgets = (checkbox(), slider())
    updates = plan_control_updates({"threshold": 20, "fresh": False}, notebook(*widgets))
    assert updates == [
        ControlUpdate("w1", "threshold", slider() | {"value": "20"}, changed=True),
        ControlUpdate("w0", "fresh", checkbox(), changed=False),
    ]


def test_a_variable_two_controls_hold_sets_both_each_checked():
    both = notebook(slider(), text_input(variable="threshold"))
    assert [(u.cell_id, u.control["value"]) for u in plan_control_updates({"threshold": 60}, both)] == [
        ("w0", "60"),
        ("w1", "60"),
    ]
    with pytest.raises(
        DataloreNotebookMismatchError, match="the SLIDER 'Threshold' takes a number from 0 to 100"
    ):
        plan_control_updates({"threshold": "high"}, both)


def test_none_leaves_the_control_alone_and_says_so(caplog):
    with caplog.at_level(logging.INFO, logger="airflow_provider_datalore.run_api.parameters"):
        assert plan_control_updates({"threshold": None, "absent": None}, notebook(slider())) == []
    assert "Parameter 'threshold' is None: it is left out" in caplog.text
    assert plan_control_updates(None, notebook(slider())) == []


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ("threshold=5", "parameters 'threshold=5' is a str; expected a dict"),
        ([{"name": "a", "value": 1}, {"name": "a", "value": 2}], "parameter 'a' is given more than once"),
        ({"": 1}, "parameter name '' is not a non-empty string"),
    ],
)
def test_the_run_operators_shape_checks(parameters, message):
    with pytest.raises(ValueError) as err:
        plan_control_updates(parameters, notebook(slider()))
    assert str(err.value).startswith(message)
    assert not isinstance(err.value, DataloreNotebookMismatchError)
