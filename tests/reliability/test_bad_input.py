"""
The bad-input table: every argument of the hook, the operators and the sensor, given wrong values.

Each row must fail with an error that names the value and says what was expected, before any request:
the emulator's journal stays empty.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest

from airflow_provider_datalore.exceptions import DataloreConfigError
from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.operators.datalore import (
    DataloreRunInteractiveOperator,
    DataloreRunNotebookOperator,
)
from airflow_provider_datalore.sensors.datalore import DataloreRunStatusSensor
from tests.helpers import FakeTI

NB = "demo/sales-report"


def run_operator(**kwargs: Any) -> None:
    DataloreRunNotebookOperator(task_id="t", **{"notebook_id": NB, "deferrable": False, **kwargs}).execute(
        {"ti": FakeTI(), "task_state_store": None}
    )


def run_sensor(**kwargs: Any) -> None:
    DataloreRunStatusSensor(task_id="s", **{"run_id": "r1", "deferrable": True, **kwargs}).execute(
        {"ti": FakeTI()}
    )


def run_interactive(**kwargs: Any) -> None:
    DataloreRunInteractiveOperator(task_id="i", **kwargs).execute({"ti": FakeTI()})


# (where, call, the value as the message shows it, what the message says was expected)
ROWS: list[tuple[str, Any, str, str]] = [
    # notebook ids and URLs
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook("sales"),
        "'sales'",
        "expected 'owner/notebook'",
    ),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook("a/b/c"),
        "'a/b/c'",
        "expected 'owner/notebook'",
    ),
    ("hook.run_notebook", lambda: DataloreHook().run_notebook(""), "''", "expected 'owner/notebook'"),
    ("hook.run_notebook", lambda: DataloreHook().run_notebook(None), "None", "expected a string"),
    ("hook.run_notebook", lambda: DataloreHook().run_notebook(42), "42", "expected a string"),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(
            "https://view.datalore.jetbrains.com/notebook/Q7pL2mN8kR4tV6wY1zC3dE"
        ),
        "'https://view.datalore.jetbrains.com/notebook/Q7pL2mN8kR4tV6wY1zC3dE'",
        "expected 'owner/notebook'",
    ),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook("https://elsewhere.example/notebook/a/b"),
        "'https://elsewhere.example/notebook/a/b'",
        "expected a notebook on",
    ),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook("ftp://127.0.0.1/notebook/a/b"),
        "'ftp://127.0.0.1/notebook/a/b'",
        "expected 'owner/notebook'",
    ),
    # parameters
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(NB, {"p": [1, 2]}),
        "[1, 2]",
        "expected str, int",
    ),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(NB, {"p": {"a": 1}}),
        "{'a': 1}",
        "expected str, int",
    ),
    ("hook.run_notebook", lambda: DataloreHook().run_notebook(NB, {"p": b"x"}), "b'x'", "expected str, int"),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(NB, {"p": float("nan")}),
        "nan",
        "expected a finite number",
    ),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(NB, {"p": Decimal("Infinity")}),
        "Decimal('Infinity')",
        "expected a finite number",
    ),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(NB, {"": 1}),
        "''",
        "expected the Variable name",
    ),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(NB, [{"name": "a", "value": 1}, {"name": "a", "value": 2}]),
        "'a'",
        "expected each name once",
    ),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(NB, [("a", 1)]),
        "('a', 1)",
        "expected a dict with exactly",
    ),
    ("hook.run_notebook", lambda: DataloreHook().run_notebook(NB, "a=1"), "'a=1'", "expected a dict"),
    # run options
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(NB, update_report="always"),
        "'always'",
        "expected True or 'on success'",
    ),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(NB, update_report=1),
        "1",
        "expected True or 'on success'",
    ),
    (
        "hook.run_notebook",
        lambda: DataloreHook().run_notebook(NB, direct_file_storage_write="yes"),
        "'yes'",
        "expected True (save run data",
    ),
    # runs and waiting
    ("hook.get_run", lambda: DataloreHook().get_run(""), "''", "expected the run id"),
    ("hook.get_run", lambda: DataloreHook().get_run("../admin"), "'../admin'", "expected the run id"),
    ("hook.get_run", lambda: DataloreHook().get_run(None), "None", "expected the run id"),
    (
        "hook.wait_for_run",
        lambda: DataloreHook().wait_for_run("r1", poll_interval=0),
        "0",
        "expected a number of seconds",
    ),
    (
        "hook.wait_for_run",
        lambda: DataloreHook().wait_for_run("r1", poll_interval=-2),
        "-2",
        "expected a number of seconds",
    ),
    (
        "hook.wait_for_run",
        lambda: DataloreHook().wait_for_run("r1", poll_interval="5"),
        "'5'",
        "expected a number of seconds",
    ),
    (
        "hook.wait_for_run",
        lambda: DataloreHook().wait_for_run("r1", timeout=-1),
        "-1",
        "expected a number of seconds",
    ),
    ("DataloreHook", lambda: DataloreHook(retry_limit=0), "0", "expected an integer >= 1"),
    ("DataloreHook", lambda: DataloreHook(retry_delay=-1), "-1", "expected a number of seconds >= 0"),
    ("DataloreHook", lambda: DataloreHook(retry_max_delay="60"), "'60'", "expected a number of seconds >= 0"),
    # the operator (checked in execute, after templates are rendered)
    (
        "DataloreRunNotebookOperator",
        lambda: run_operator(notebook_id="nope"),
        "'nope'",
        "expected 'owner/notebook'",
    ),
    ("DataloreRunNotebookOperator", lambda: run_operator(parameters={"p": [1]}), "[1]", "expected str, int"),
    (
        "DataloreRunNotebookOperator",
        lambda: run_operator(update_report="yes"),
        "'yes'",
        "expected True or 'on success'",
    ),
    (
        "DataloreRunNotebookOperator",
        lambda: run_operator(direct_file_storage_write=1),
        "1",
        "expected True (save",
    ),
    (
        "DataloreRunNotebookOperator",
        lambda: run_operator(poll_interval=0),
        "0",
        "expected a number of seconds",
    ),
    (
        "DataloreRunNotebookOperator",
        lambda: run_operator(poll_interval=-5),
        "-5",
        "expected a number of seconds",
    ),
    ("DataloreRunNotebookOperator", lambda: run_operator(timeout=-60), "-60", "expected a number of seconds"),
    (
        "DataloreRunNotebookOperator",
        lambda: run_operator(timeout=datetime.timedelta(seconds=-1)),
        "datetime.timedelta(days=-1, seconds=86399)",
        "expected a number of seconds",
    ),
    (
        "DataloreRunNotebookOperator",
        lambda: run_operator(timeout="1h"),
        "'1h'",
        "expected a number of seconds",
    ),
    (
        "DataloreRunNotebookOperator",
        lambda: run_operator(wait_for_termination="no"),
        "'no'",
        "expected True or False",
    ),
    (
        "DataloreRunInteractiveOperator",
        lambda: run_interactive(notebook_id="x"),
        "'x'",
        "expected 'owner/notebook'",
    ),
    # the sensor
    ("DataloreRunStatusSensor", lambda: run_sensor(run_id=""), "''", "expected the run id"),
    ("DataloreRunStatusSensor", lambda: run_sensor(run_id="a/b"), "'a/b'", "expected the run id"),
    ("DataloreRunStatusSensor", lambda: run_sensor(poke_interval=0), "0", "expected a number of seconds"),
    # (A negative sensor timeout is refused by Airflow's BaseSensorOperator itself, in its constructor.)
]


@pytest.mark.parametrize(
    ("where", "call", "shown", "expected"), ROWS, ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)]
)
def test_bad_input_is_named_and_sends_nothing(emulator, where, call, shown, expected):
    with pytest.raises(ValueError) as err:
        call()
    message = str(err.value)
    assert shown in message, message
    assert expected in message, message
    assert emulator.journal == []


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        ({"password": ""}, "has no Datalore API token: put the token"),
        ({"password": None}, "has no Datalore API token"),
        ({"host": "ftp://datalore.example.com"}, "has scheme 'ftp'; expected an http:// or https:// URL"),
        ({"host": "gopher://x"}, "has scheme 'gopher'"),
        (
            {"host": "https://user:secret@datalore.example.com"},
            "put the API token in the connection's password",
        ),
        ({"extra": {"timeout": -3}}, "has timeout -3 in its extras; expected a number of seconds > 0"),
        ({"extra": {"verify_ssl": "maybe"}}, "has verify_ssl 'maybe' in its extras; expected true or false"),
        ({"extra": {"verify": "/no/ca.pem"}}, "has ca_bundle '/no/ca.pem' in its extras; expected the path"),
        ({"extra": {"ca_bundle": "/no/such/ca.pem"}}, "has ca_bundle '/no/such/ca.pem' in its extras"),
    ],
)
def test_bad_connection_is_named_and_sends_nothing(emulator, datalore_connection, connection, message):
    datalore_connection(**{"host": emulator.url, **connection})
    with pytest.raises(DataloreConfigError, match="Airflow connection 'datalore_default'") as err:
        DataloreHook().run_notebook(NB)
    assert message in str(err.value)
    assert emulator.journal == []


def test_missing_connection_is_named_and_sends_nothing(emulator):
    from airflow.providers.common.compat.sdk import AirflowNotFoundException

    with pytest.raises(AirflowNotFoundException, match=re.escape("datalore_nowhere")):
        DataloreHook("datalore_nowhere").run_notebook(NB)
    assert emulator.journal == []


def test_host_without_scheme_means_https(datalore_connection):
    datalore_connection(host="datalore.example.com/prefix")
    assert DataloreHook().base_url == "https://datalore.example.com/prefix"
