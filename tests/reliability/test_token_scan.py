"""
The token scan (``tests.helpers.token_leaks``) sees past Airflow 3.0's own line, and past nothing else.

Airflow 3.0's dag.test() prints the token each time Airflow masks the connection's password
(``Sending request msg=MaskSecret(value='<token>', ...)``). The scans that every dag.test() test makes
skip exactly that line: these tests prove that the line is there on 3.0 and recognised, and that a token
our code wrote is still found, beside it or dressed as it.
"""

from __future__ import annotations

import logging

import pytest

from airflow_provider_datalore.hooks.base import DataloreBaseHook
from tests.constants import TOKEN
from tests.helpers import AIRFLOW_3_0, airflow_own_secret_lines, fast, run_dag, task_states, token_leaks

ONLY_3_0 = pytest.mark.skipif(not AIRFLOW_3_0, reason="only Airflow 3.0's dag.test() echoes MaskSecret")

#: Airflow 3.0.6's line, as dag.test() prints it to stdout.
AIRFLOW_LINE = (
    "2026-12-07 12:25:24 [debug    ] Sending request                "
    f"msg=MaskSecret(value='{TOKEN}', name=None, type='MaskSecret')"
)
#: A token our code logged, as caplog and Airflow's console handler show it.
OURS = [
    f"WARNING  airflow_provider_datalore.connection:connection.py:40 token is {TOKEN}",
    f"[2026-12-07T12:25:24.723+0000] {{connection.py:40}} WARNING - token is {TOKEN}",
]


@pytest.mark.parametrize("ours", OURS, ids=["caplog", "console"])
def test_our_line_is_a_leak_beside_airflows(ours):
    text = f"{AIRFLOW_LINE}\n{ours}\n{AIRFLOW_LINE}\n"
    # On other versions no line is an exception: 3.0's is a leak like any other.
    expected = [ours] if AIRFLOW_3_0 else [AIRFLOW_LINE, ours, AIRFLOW_LINE]
    assert token_leaks(text, TOKEN) == [line.replace(TOKEN, "<TOKEN>") for line in expected]


@pytest.mark.parametrize(
    "line",
    [
        # Airflow's words inside a record of ours, or after anything else on the line.
        f"WARNING  airflow_provider_datalore.connection:connection.py:40 {AIRFLOW_LINE}",
        f"{AIRFLOW_LINE} token={TOKEN}",
        # Airflow's line masking something that holds the token, not the token itself.
        AIRFLOW_LINE.replace(f"value='{TOKEN}'", f"value='Bearer {TOKEN}'"),
        AIRFLOW_LINE.replace("name=None", "name='password'"),
        # At another level than Airflow's.
        AIRFLOW_LINE.replace("[debug    ]", "[info     ]"),
    ],
    ids=["in-our-record", "more-after", "other-value", "other-name", "other-level"],
)
def test_airflows_words_elsewhere_are_a_leak(line):
    assert len(token_leaks(line, TOKEN)) == 1


def test_a_leak_is_clipped_and_does_not_show_the_token():
    line = "x" * 1000 + TOKEN + "y" * 1000
    (leak,) = token_leaks(line, TOKEN)
    assert leak == "x" * 200 + "<TOKEN>" + "y" * 200


def test_colours_do_not_hide_a_leak():
    assert token_leaks(f"\x1b[33mWARNING\x1b[0m token is {TOKEN}", TOKEN) == ["WARNING token is <TOKEN>"]


@ONLY_3_0
def test_airflows_line_is_recognised_on_3_0():
    coloured = AIRFLOW_LINE.replace("[debug    ]", "[\x1b[32m\x1b[1mdebug    \x1b[0m]")
    assert airflow_own_secret_lines(f"{AIRFLOW_LINE}\n{coloured}\r\n", TOKEN) == [AIRFLOW_LINE] * 2
    assert token_leaks(f"{AIRFLOW_LINE}\n{coloured}\n", TOKEN) == []


@pytest.mark.skipif(AIRFLOW_3_0, reason="Airflow 3.0 writes this line itself")
def test_airflows_line_is_a_leak_on_other_versions():
    assert airflow_own_secret_lines(AIRFLOW_LINE, TOKEN) == []
    assert len(token_leaks(AIRFLOW_LINE, TOKEN)) == 1


@ONLY_3_0
@pytest.mark.integration
def test_dag_test_run_shows_airflows_line_and_ours(example_dags, emulator, monkeypatch, capfd, caplog):
    """A real dag.test() run on 3.0: Airflow's own line is there, and a token our logger wrote is found."""
    read = DataloreBaseHook._settings_from

    def read_and_leak(conn, extras):
        settings = read(conn, extras)
        logging.getLogger("airflow_provider_datalore.connection").warning("planted leak %s", settings.token)
        return settings

    monkeypatch.setattr(DataloreBaseHook, "_settings_from", staticmethod(read_and_leak))
    with caplog.at_level(logging.INFO):
        dag_run = run_dag(fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=False))
    output = capfd.readouterr()
    text = f"{output.out}\n{output.err}\n{caplog.text}"

    assert task_states(dag_run) == {"refresh_sales_report": "success"}
    assert airflow_own_secret_lines(output.out, TOKEN), "no MaskSecret line: is it silenced again?"
    leaks = token_leaks(text, TOKEN)
    assert leaks
    assert all("planted leak <TOKEN>" in leak for leak in leaks), leaks
