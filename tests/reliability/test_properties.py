"""Property-based tests: on any input, the parsers return a value or raise the documented error."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_datalore.exceptions import DataloreResponseError
from airflow_provider_datalore.run_api.parameters import normalize_parameters, normalize_update_report
from airflow_provider_datalore.run_api.run import KNOWN_FIELDS, DataloreRun
from airflow_provider_datalore.urls import normalize_base_url, normalize_notebook_id

BASE = "https://datalore.example.com"
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
#: Objects shaped like a status response: documented keys with any JSON values, plus strangers.
STATUS_LIKE = st.dictionaries(st.sampled_from(sorted(KNOWN_FIELDS)) | st.text(max_size=8), JSON, max_size=12)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(payload=JSON | STATUS_LIKE, run_id=st.none() | st.text(min_size=1, max_size=10))
def test_status_parser_returns_a_run_or_the_documented_error(payload, run_id):
    try:
        run = DataloreRun.from_response(payload, base_url=BASE, run_id=run_id)
    except DataloreResponseError:
        return
    assert isinstance(run, DataloreRun)
    # The one rule: finished iff no status or an end time; success only when finished with success == true.
    assert run.is_finished is (payload.get("status") is None or payload.get("endTime") not in (None, ""))
    if run.is_successful:
        assert (
            payload.get("success") in (True, "true", "True", "TRUE")
            or str(payload.get("success")).lower() == "true"
        )
    # Whatever was parsed survives XCom and trigger events.
    data = json.loads(json.dumps(run.to_dict()))
    again = DataloreRun.from_dict(data)
    assert again == run
    assert (again.is_finished, again.state) == (run.is_finished, run.state)


@SETTINGS
@given(value=st.text(max_size=80) | JSON)
def test_notebook_id_normalizer(value):
    try:
        result = normalize_notebook_id(value, base_url=BASE)
    except ValueError as err:
        assert "notebook_id" in str(err)
        return
    owner, _, notebook = result.partition("/")
    assert owner and notebook and "/" not in notebook


@SETTINGS
@given(
    owner=st.from_regex(r"[A-Za-z0-9_-]{1,22}", fullmatch=True),
    nb=st.from_regex(r"[A-Za-z0-9_-]{1,22}", fullmatch=True),
)
def test_every_notebook_url_form_gives_the_same_id(owner, nb):
    expected = f"{owner}/{nb}"
    for form in (
        expected,
        f"{BASE}/notebook/{expected}",
        f"{BASE}/notebook/{expected}/",
        f"{BASE}/notebook/{expected}?a=1#x",
    ):
        assert normalize_notebook_id(form, base_url=BASE) == expected


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.decimals()
    | st.dates()
    | st.datetimes()
    | st.binary(max_size=4)
)
VALUES = st.recursive(
    SCALARS,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=6,
)


@SETTINGS
@given(
    parameters=st.dictionaries(st.text(max_size=8), VALUES, max_size=5)
    | st.lists(VALUES, max_size=4)
    | VALUES
)
def test_parameter_normalizer(parameters):
    try:
        result = normalize_parameters(parameters)
    except ValueError:
        return
    if result is None:
        assert parameters is None
        return
    assert all(set(item) == {"name", "value"} and isinstance(item["value"], str) for item in result)
    names = [item["name"] for item in result]
    assert len(names) == len(set(names))


@SETTINGS
@given(value=VALUES)
def test_update_report_normalizer(value):
    try:
        assert normalize_update_report(value) in (None, "on success", "never")
    except ValueError as err:
        assert "update_report" in str(err)


@SETTINGS
@given(host=st.none() | st.text(max_size=60), port=st.none() | st.integers(1, 65535))
def test_base_url_normalizer(host, port):
    try:
        url = normalize_base_url(host, port)
    except ValueError as err:
        assert "Datalore host" in str(err)
        return
    assert url.startswith(("http://", "https://"))
    assert not url.endswith("/")


def test_strategies_cover_dates_and_decimals():
    assert normalize_parameters({"d": datetime.date(2026, 1, 1), "x": Decimal("1.5")}) == [
        {"name": "d", "value": "2026-01-01"},
        {"name": "x", "value": "1.5"},
    ]
