from __future__ import annotations

import datetime
import logging
from decimal import Decimal

import pytest

from airflow_provider_datalore.run_api.parameters import (
    normalize_direct_file_storage_write,
    normalize_parameters,
    normalize_update_report,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Q3", "Q3"),
        ("", ""),
        (7, "7"),
        (-3, "-3"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (True, "true"),
        (False, "false"),
        (Decimal("12.50"), "12.50"),
        (Decimal("1E+3"), "1000"),
        (datetime.date(2026, 11, 26), "2026-11-26"),
        (datetime.datetime(2026, 11, 26, 8, 30), "2026-11-26T08:30:00"),
        (
            datetime.datetime(2026, 11, 26, 8, 30, tzinfo=datetime.UTC),
            "2026-11-26T08:30:00+00:00",
        ),
    ],
)
def test_values_are_sent_as_strings(value, expected):
    assert normalize_parameters({"p": value}) == [{"name": "p", "value": expected}]


def test_dict_and_list_forms_give_the_same_request():
    as_dict = normalize_parameters({"region": "EU", "limit": 10})
    as_list = normalize_parameters([{"name": "region", "value": "EU"}, {"name": "limit", "value": 10}])
    assert as_dict == as_list == [{"name": "region", "value": "EU"}, {"name": "limit", "value": "10"}]


def test_none_leaves_the_parameter_out_and_says_so(caplog):
    with caplog.at_level(logging.INFO, logger="airflow_provider_datalore.run_api.parameters"):
        assert normalize_parameters({"a": None, "b": "x"}) == [{"name": "b", "value": "x"}]
    assert "Parameter 'a' is None: it is left out" in caplog.text


def test_no_parameters():
    assert normalize_parameters(None) is None
    assert normalize_parameters({}) == []


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"p": [1, 2]}, "parameter 'p' has value [1, 2] of type list; expected str, int"),
        ({"p": {"a": 1}}, "parameter 'p' has value {'a': 1} of type dict"),
        ({"p": object}, "parameter 'p' has value <class 'object'> of type type"),
        ({"p": datetime.time(8, 0)}, "of type time"),
        ({"p": float("nan")}, "parameter 'p' has value nan; expected a finite number"),
        ({"p": float("inf")}, "has value inf; expected a finite number"),
        ({"p": Decimal("NaN")}, "expected a finite number"),
        ({"": 1}, "parameter name '' is not a non-empty string"),
        ({3: 1}, "parameter name 3 is not a non-empty string"),
        ([{"name": "a", "value": 1}, {"name": "a", "value": 2}], "parameter 'a' is given more than once"),
        ([{"name": "a"}], "parameters[0] is {'name': 'a'}; expected a dict with exactly the keys"),
        ([{"name": "a", "value": 1, "x": 2}], "parameters[0] is"),
        (["a=1"], "parameters[0] is 'a=1'"),
        ("region=EU", "parameters 'region=EU' is a str; expected a dict"),
        (5, "parameters 5 is a int; expected a dict"),
    ],
)
def test_bad_parameters_name_the_value(parameters, message):
    with pytest.raises(ValueError) as err:
        normalize_parameters(parameters)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), (True, "on success"), (False, "never"), ("on success", "on success"), ("never", "never")],
)
def test_update_report(value, expected):
    assert normalize_update_report(value) == expected


@pytest.mark.parametrize("value", ["always", "On Success", "yes", 1, 0, "true", []])
def test_bad_update_report(value):
    with pytest.raises(
        ValueError, match=r"update_report .* is not valid; expected True or 'on success'"
    ) as err:
        normalize_update_report(value)
    assert repr(value) in str(err.value)


def test_direct_file_storage_write():
    assert normalize_direct_file_storage_write(None) is None
    assert normalize_direct_file_storage_write(True) is True
    with pytest.raises(ValueError, match="direct_file_storage_write 'yes' is not valid; expected True"):
        normalize_direct_file_storage_write("yes")
