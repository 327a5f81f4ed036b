"""
Hostile servers and input: what a broken proxy, a misbehaving server or an odd value must not do.

Each test is one row of the table "Hostile servers and input" in docs/reliability.md (the test
``test_<case id with underscores>``; ``test_reliability_doc.py`` keeps the two equal). The servers are
the emulator's faults, so a user can reproduce each case.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from airflow_provider_datalore.exceptions import (
    DataloreConfigError,
    DataloreRequestError,
    DataloreRunMayHaveStartedError,
)
from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator
from airflow_provider_datalore.sensors.datalore import DataloreRunStatusSensor
from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger
from tests.constants import TOKEN
from tests.helpers import FakeStateStore, fast, run_dag, task_context, task_states, token_leaks, unwrapped

ROOT = Path(__file__).resolve().parents[2]
NB = "demo/sales-report"
TASK = "refresh_sales_report"
#: Peak memory a call may add, in MiB: replies are read up to 4 MiB, JSON-parsed and copied a few times.
MEMORY_BOUND_MIB = 64


def trigger_events(run_id: str, **kwargs) -> list[dict]:
    """Run a trigger as the triggerer does; return every event's payload."""

    async def consume():
        trigger = DataloreRunStatusTrigger(run_id=run_id, **{"poll_interval": 0.05, **kwargs})
        return [event.payload async for event in trigger.run()]

    return asyncio.run(consume())


def a_get_run(run_id: str, conn_id: str = "datalore_default", **kwargs):
    return asyncio.run(DataloreHook(conn_id, **kwargs).a_get_run(run_id))


def memory_rise(emulator, call: str, argument: str) -> dict:
    """Run one hook call in a new process against the emulator; return its peak memory rise and error."""
    env = {
        **os.environ,
        "AIRFLOW_CONN_DATALORE_DEFAULT": json.dumps(
            {"conn_type": "datalore", "host": emulator.url, "password": TOKEN}
        ),
    }
    result = subprocess.run(
        [sys.executable, "-m", "tests.reliability.memory_probe", call, argument],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# -- no duplicate run through Airflow's own retries ---------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("deferrable", [True, False], ids=["deferrable", "polling"])
@pytest.mark.parametrize(
    "fault",
    [
        {"endpoint": "run", "status": 500, "process": True},
        {"endpoint": "run", "action": "reset", "process": True},
    ],
    ids=["500", "reset"],
)
def test_uncertain_start_with_airflow_retries(fault, deferrable, example_dags, emulator, retry_waits, capfd):
    """The example DAG keeps retries=2: the uncertain start fails the task once, and no try POSTs again."""
    emulator.add_faults({**fault, "times": 3})
    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=deferrable)
    task = dag.get_task(TASK)
    assert task.retries == 2
    task.retry_delay = datetime.timedelta(0)
    dag_run = run_dag(dag)
    output = "\n".join(capfd.readouterr())
    log = unwrapped(output)
    assert task_states(dag_run) == {TASK: "failed"}
    assert len(emulator.requests(method="POST")) == 1
    assert len(emulator.run_starts()) == 1
    assert "Airflow does not retry the task either" in log
    assert token_leaks(output, TOKEN) == []


@pytest.mark.integration
def test_uncertain_start_retried_when_asked(example_dags, emulator, retry_waits, capfd):
    """retry_uncertain_start=True gives the choice back: each of the 3 tries starts a run."""
    emulator.add_faults({"endpoint": "run", "status": 500, "process": True, "times": 3})
    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=False)
    task = dag.get_task(TASK)
    task.retry_delay = datetime.timedelta(0)
    task.retry_uncertain_start = True
    dag_run = run_dag(dag)
    log = unwrapped("".join(capfd.readouterr()))
    assert task_states(dag_run) == {TASK: "failed"}
    assert len(emulator.requests(method="POST")) == 3
    assert "retry_uncertain_start=True lets Airflow retry the task" in log


def test_earlier_try_died_mid_start(emulator):
    """Airflow >= 3.3: a try after a worker killed between the POST and storing the run id starts nothing."""
    from airflow.providers.common.compat.sdk import AirflowFailException

    store = FakeStateStore()
    store["datalore_start_sent"] = {
        "notebook_id": NB,
        "try_number": 1,
        "sent_at": "2026-11-28T05:00:00+00:00",
    }
    operator = DataloreRunNotebookOperator(task_id="t", notebook_id=NB, deferrable=False, poll_interval=0.01)
    with pytest.raises(
        DataloreRunMayHaveStartedError, match=r"An earlier try \(try 1\) asked Datalore"
    ) as err:
        operator.execute(task_context(store))
    assert isinstance(err.value, AirflowFailException)
    assert emulator.requests(method="POST") == []
    # The task failed saying so; a user who clears it gets a new run.
    assert operator.execute(task_context(store))["success"] is True
    assert len(emulator.run_starts()) == 1
    assert "datalore_start_sent" not in store


def test_start_reply_without_usable_run_id(emulator):
    """A 2xx whose runId cannot be used ('..'): the run may exist, so nothing retries."""
    emulator.add_faults({"endpoint": "run", "status": 200, "body": {"runId": ".."}})
    store = FakeStateStore()
    operator = DataloreRunNotebookOperator(task_id="t", notebook_id=NB, deferrable=False)
    with pytest.raises(DataloreRunMayHaveStartedError, match="has runId '..'; expected a run id"):
        operator.execute(task_context(store))
    assert store["datalore_start_sent"]["reported"] is True
    assert len(emulator.requests(method="POST")) == 1


# -- the token ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("pasted", [f"{TOKEN}\n", f"{TOKEN}\r\n", f"  {TOKEN}\t"])
def test_token_pasted_with_white_space(emulator, datalore_connection, pasted):
    datalore_connection(host=emulator.url, password=pasted)
    run_id = DataloreHook().run_notebook(NB)
    assert a_get_run(run_id).run_id == run_id
    assert DataloreHook().test_connection()[0] is True
    assert all(entry.token_valid for entry in emulator.journal)


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        (f"{TOKEN[:5]}\n{TOKEN[5:]}", "a control character at position 6"),
        (f"{TOKEN[:5]}\x00{TOKEN[5:]}", "a control character at position 6"),
        (f"{TOKEN[:5]}é{TOKEN[5:]}", "a non-ASCII character at position 6"),
        (f"{TOKEN[:5]} {TOKEN[5:]}", "a space at position 6"),
    ],
)
def test_token_with_control_or_non_ascii_character(emulator, datalore_connection, token, kind, caplog):
    datalore_connection(host=emulator.url, password=token)
    with pytest.raises(DataloreConfigError, match=kind) as err:
        DataloreHook().run_notebook(NB)
    ok, message = DataloreHook().test_connection()
    assert ok is False
    assert kind in message
    events = trigger_events("r1")
    assert kind in events[0]["message"]
    for text in (str(err.value), message, json.dumps(events), caplog.text):
        assert TOKEN[5:] not in text and TOKEN[:5] not in text
    assert emulator.journal == []


def test_server_echoes_the_token(emulator, retry_waits):
    echo = {"error": f"Bearer {TOKEN} is not valid here"}
    emulator.add_faults({"endpoint": "run", "status": 400, "body": echo})
    with pytest.raises(Exception) as err:
        DataloreHook().run_notebook(NB)
    assert "Bearer *** is not valid here" in str(err.value)
    assert TOKEN not in str(err.value)


# -- time ---------------------------------------------------------------------------------------------


def test_drip_body_sync(emulator, datalore_connection, retry_waits):
    """A reply whose body comes a byte every 50 ms (about 10 s in all) is cut at the 1 s timeout."""
    datalore_connection(host=emulator.url, extra={"timeout": 1})
    run_id = DataloreHook().run_notebook(NB)
    emulator.add_faults({"endpoint": "status", "action": "drip", "seconds": 0.05, "times": 2})
    started = time.monotonic()
    with pytest.raises(DataloreRequestError, match="read timeout: no complete reply within 1 s"):
        DataloreHook(retry_limit=2).get_run(run_id)
    assert time.monotonic() - started < 3.0


def test_drip_body_wait_deadline(emulator, retry_waits):
    """wait_for_run(timeout=3) against a dripping server is over in about 3 s, not when the drip ends."""
    run_id = DataloreHook().run_notebook("demo/slow")
    emulator.add_faults({"endpoint": "status", "action": "drip", "seconds": 0.05, "times": 10})
    started = time.monotonic()
    with pytest.raises(DataloreRequestError, match="read timeout"):
        DataloreHook().wait_for_run(run_id, poll_interval=0.05, timeout=3)
    assert time.monotonic() - started < 3.8


def test_drip_body_trigger(emulator, retry_waits):
    """The trigger's polls end at its deadline, however slowly the server answers."""
    run_id = DataloreHook().run_notebook("demo/slow")
    emulator.add_faults({"endpoint": "status", "action": "drip", "seconds": 0.05, "times": 10})
    started = time.monotonic()
    (event,) = trigger_events(run_id, end_time=time.time() + 2)
    assert time.monotonic() - started < 2.8
    assert event["status"] == "error"
    assert "read timeout" in event["message"]


def test_drip_headers(emulator, datalore_connection, retry_waits):
    datalore_connection(host=emulator.url, extra={"timeout": 1})
    run_id = DataloreHook().run_notebook(NB)
    emulator.add_faults({"endpoint": "status", "action": "drip_headers", "seconds": 0.05, "times": 2})
    started = time.monotonic()
    with pytest.raises(DataloreRequestError, match="read timeout"):
        DataloreHook(retry_limit=1).get_run(run_id)
    with pytest.raises(DataloreRequestError, match="read timeout"):
        a_get_run(run_id, retry_limit=1)
    assert time.monotonic() - started < 4.0


def test_slow_host_does_not_starve_another(monkeypatch, retry_waits):
    """260 polls held by one slow server; a poll to another server answers at once."""
    from airflow_provider_datalore.emulator import DataloreEmulator

    with DataloreEmulator() as slow, DataloreEmulator() as fast_server:
        for conn_id, server in (("datalore_slow", slow), ("datalore_fast", fast_server)):
            monkeypatch.setenv(
                f"AIRFLOW_CONN_{conn_id.upper()}",
                json.dumps({"conn_type": "datalore", "host": server.url, "password": "emulator-token"}),
            )
        slow_run = DataloreHook("datalore_slow").run_notebook(NB)
        fast_run = DataloreHook("datalore_fast").run_notebook(NB)
        slow.add_faults({"endpoint": "status", "action": "delay", "seconds": 2.5, "times": 260})

        async def scenario() -> float:
            held = [
                asyncio.ensure_future(DataloreHook("datalore_slow").a_get_run(slow_run)) for _ in range(260)
            ]
            while len(slow.journal) < 1 + 256:  # its start, and a full pool's worth of held polls
                await asyncio.sleep(0.02)
            started = time.monotonic()
            await DataloreHook("datalore_fast").a_get_run(fast_run)
            took = time.monotonic() - started
            await asyncio.gather(*held)
            return took

        assert asyncio.run(scenario()) < 1.0


# -- memory -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["get_run", "a_get_run"])
def test_huge_body(emulator, call):
    """A 200 MB status reply (chunked, no Content-Length) is read up to 4 MiB, then refused."""
    run_id = DataloreHook().run_notebook(NB)
    emulator.add_faults({"endpoint": "status", "action": "huge_body", "size": 200_000_000})
    result = memory_rise(emulator, call, run_id)
    assert "malformed response: a reply of more than 4194304 bytes" in result["error"]
    assert result["rise_mib"] < MEMORY_BOUND_MIB, result


@pytest.mark.parametrize("call", ["get_run", "a_get_run"])
def test_gzip_bomb(emulator, call):
    """A gzip'd 503 page that inflates to 1 GB is inflated to 4 MiB at most."""
    run_id = DataloreHook().run_notebook(NB)
    emulator.add_faults({"endpoint": "status", "action": "gzip_bomb", "status": 503, "size": 1_000_000_000})
    result = memory_rise(emulator, call, run_id)
    assert "inflates to more than 4194304 bytes" in result["error"]
    assert result["rise_mib"] < MEMORY_BOUND_MIB, result


def test_huge_body_start(emulator):
    """A POST answered with 200 MB: the run may exist, so it is an uncertain start."""
    emulator.add_faults({"endpoint": "run", "action": "huge_body", "size": 200_000_000, "process": True})
    result = memory_rise(emulator, "run_notebook", NB)
    assert result["error"].startswith("DataloreRunMayHaveStartedError")
    assert result["rise_mib"] < MEMORY_BOUND_MIB, result
    assert len(emulator.run_starts()) == 1


# -- strings the server controls ----------------------------------------------------------------------


def test_huge_status(emulator, retry_waits, caplog):
    """A 1 MB status string reaches no message, log line, event or XCom whole."""
    run_id = DataloreHook().run_notebook("demo/slow")
    body = {"runId": run_id, "status": "RUNNING " + "x" * 1_000_000}
    emulator.add_faults({"endpoint": "status", "status": 200, "body": body, "times": 3})
    with caplog.at_level("DEBUG"):
        run = DataloreHook().get_run(run_id)
        (event,) = trigger_events(run_id, end_time=time.time() + 0.2)
    assert len(run.describe()) < 500
    assert event["status"] == "timeout"
    assert len(json.dumps(event)) < 3000
    assert max(len(line) for line in caplog.text.splitlines()) < 2000


def test_huge_error_text(emulator, retry_waits):
    emulator.add_faults(
        {"endpoint": "status", "status": 503, "body": {"error": "down " * 200_000}, "times": 5}
    )
    with pytest.raises(DataloreRequestError) as err:
        DataloreHook().get_run("r1")
    assert len(str(err.value)) < 1000


def test_huge_run_id_in_start_reply(emulator):
    emulator.add_faults({"endpoint": "run", "status": 200, "body": {"runId": "x" * 1_000_000}})
    with pytest.raises(DataloreRunMayHaveStartedError) as err:
        DataloreHook().run_notebook(NB)
    assert len(str(err.value)) < 1500


# -- replies that used to escape as raw errors --------------------------------------------------------


def test_deep_json(emulator, retry_waits):
    """JSON nested 100000 deep: a malformed reply (GET retried, trigger event, POST uncertain)."""
    deep = {"status": 200, "body": "[" * 100_000 + "]" * 100_000, "content_type": "application/json"}
    run_id = DataloreHook().run_notebook(NB)
    emulator.add_faults({**deep, "endpoint": "status", "times": 2})
    assert DataloreHook().get_run(run_id).run_id == run_id  # retried after the first
    emulator.add_faults({**deep, "endpoint": "status", "times": 5})
    (event,) = trigger_events(run_id)
    assert event["status"] == "error"
    assert "malformed response: not JSON" in event["message"]
    emulator.add_faults({**deep, "endpoint": "run", "process": True})
    with pytest.raises(DataloreRunMayHaveStartedError, match="malformed response"):
        DataloreHook().run_notebook(NB)


def test_latin1_error_page(emulator, retry_waits):
    """A 503 page in Latin-1 without a charset: retried by the trigger as by the sync path."""
    page = {
        "status": 503,
        "body": "<html>Serveur indisponible, réessayez</html>",
        "content_type": "text/html",
    }
    run_id = DataloreHook().run_notebook(NB)
    emulator.add_faults({**page, "endpoint": "status", "encoding": "latin-1"})
    assert DataloreHook().get_run(run_id).run_id == run_id
    emulator.add_faults({**page, "endpoint": "status", "encoding": "latin-1"})
    (event,) = trigger_events(run_id)
    assert event["status"] == "success"


def test_interim_1xx(emulator):
    """102 and 103 before the final answer: the final answer is read, on both clients and for a POST."""
    emulator.add_faults({"endpoint": "run", "action": "interim_1xx", "process": True})
    run_id = DataloreHook().run_notebook(NB)
    assert list(emulator.runs) == [run_id]
    emulator.add_faults({"endpoint": "status", "action": "interim_1xx", "process": True, "times": 2})
    assert DataloreHook(retry_limit=1).get_run(run_id).run_id == run_id
    assert a_get_run(run_id, retry_limit=1).run_id == run_id


def test_bom_before_json(emulator):
    run_id = DataloreHook().run_notebook(NB)
    body = "\ufeff" + json.dumps({"runId": run_id, "status": "running"})
    fault = {"endpoint": "status", "status": 200, "body": body, "content_type": "application/json"}
    emulator.add_faults(fault, fault)
    assert DataloreHook(retry_limit=1).get_run(run_id).status == "running"
    assert a_get_run(run_id, retry_limit=1).status == "running"


# -- stale keep-alive ---------------------------------------------------------------------------------


def test_close_idle_then_start(emulator):
    """
    The server closes a connection 50 ms after a reply, whatever comes next on it; a start takes it
    200 ms. A start sent at once on the kept-alive connection would be cut off mid-way.
    """
    hook = DataloreHook()
    run_id = hook.run_notebook(NB)
    for _ in range(5):
        emulator.add_faults(
            {"endpoint": "status", "action": "close_idle", "seconds": 0.05, "process": True},
            {"endpoint": "run", "action": "delay", "seconds": 0.2, "process": True},
        )
        hook.get_run(run_id)
        hook.run_notebook(NB)
    posts = emulator.requests(method="POST")
    assert len(posts) == len(emulator.run_starts()) == 6
    assert all(entry.status == 200 for entry in posts)


# -- ids and configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize("run_id", [".", "..", " .. "])
def test_run_id_dot_segments(emulator, run_id):
    with pytest.raises(ValueError, match="run_id .* is not valid"):
        DataloreRunStatusSensor(task_id="s", run_id=run_id, deferrable=True).execute(task_context())
    with pytest.raises(ValueError, match="run_id .* is not valid"):
        DataloreHook().get_run(run_id)
    assert emulator.journal == []


def test_run_id_newline(emulator, caplog):
    forged = "r1\n[2026-11-28 05:00:00] INFO - Task succeeded"
    with pytest.raises(ValueError, match=r"run_id 'r1\\n\[2026") as err:
        DataloreRunStatusSensor(task_id="s", run_id=forged, deferrable=False).execute(task_context())
    assert "\n" not in str(err.value)
    emulator.add_faults({"endpoint": "run", "status": 200, "body": {"runId": forged}})
    with pytest.raises(DataloreRunMayHaveStartedError) as err:
        DataloreHook().run_notebook(NB)
    assert "\n" not in str(err.value)
    assert not any("\n[2026-11-28 05:00:00] INFO" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "notebook_id", ["../..", "./x", "a/..", "https://datalore.example.com/notebook/../.."]
)
def test_notebook_id_dots(emulator, notebook_id):
    with pytest.raises(ValueError, match="notebook_id .* expected"):
        DataloreHook().run_notebook(notebook_id)
    assert emulator.journal == []


@pytest.mark.parametrize("timeout", ["inf", 1e308, "nan", "-inf", 10**400])
def test_timeout_extra_overflow(emulator, datalore_connection, timeout):
    datalore_connection(host=emulator.url, extra={"timeout": timeout})
    with pytest.raises(DataloreConfigError, match="expected a number of seconds > 0 and at most 86400"):
        DataloreHook().get_run("r1")
    (event,) = trigger_events("r1")
    assert event["status"] == "error"
    assert "at most 86400" in event["message"]
    assert emulator.journal == []


def test_huge_integer_parameter(emulator):
    with pytest.raises(ValueError, match="parameter 'rows' has an integer value of about 5000 digits"):
        DataloreHook().run_notebook(NB, parameters={"rows": 10**5000})
    assert emulator.journal == []
