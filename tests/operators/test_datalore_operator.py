"""DataloreRunNotebookOperator without a scheduler: requests at the wire, deferral, XCom, errors."""

from __future__ import annotations

import datetime
import json
import time

import pytest

from airflow_provider_datalore.exceptions import (
    DataloreError,
    DataloreRunFailedError,
    DataloreRunTimeoutError,
)
from airflow_provider_datalore.operators.datalore import (
    DataloreRunInteractiveOperator,
    DataloreRunNotebookOperator,
)
from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger
from tests.constants import TOKEN
from tests.helpers import RESUMABLE, FakeStateStore, task_context

TaskDeferred = pytest.importorskip("airflow.providers.common.compat.sdk").TaskDeferred


def operator(**kwargs):
    defaults = {
        "task_id": "run",
        "notebook_id": "demo/sales-report",
        "poll_interval": 0.01,
        "deferrable": False,
    }
    return DataloreRunNotebookOperator(**{**defaults, **kwargs})


def test_constructor_only_assigns():
    op = DataloreRunNotebookOperator(
        task_id="t",
        notebook_id="{{ var.value.nb }}",
        parameters={"d": "{{ ds }}"},
        update_report="{{ x }}",
        timeout=-1,
    )
    assert op.notebook_id == "{{ var.value.nb }}"
    assert op.parameters == {"d": "{{ ds }}"}
    assert op.update_report == "{{ x }}"
    assert op.timeout == -1
    assert op.template_fields == (
        "notebook_id",
        "parameters",
        "update_report",
        "download_paths",
        "download_to",
    )
    assert op.template_fields_renderers == {"parameters": "json"}


def test_runs_and_waits_without_deferring(emulator):
    ctx = task_context()
    result = operator(parameters={"region": "EU"}, update_report=True).execute(ctx)
    (start,) = emulator.run_starts()
    run_id = result["run_id"]
    assert start.body == {
        "notebookId": "demo/sales-report",
        "parameters": [{"name": "region", "value": "EU"}],
        "updateReport": "on success",
    }
    assert result["success"] is True
    assert result["notebook_id"] == "demo/sales-report"
    assert result["start_time"] and result["end_time"]
    assert ctx["ti"].xcom["run_id"] == run_id
    assert ctx["ti"].xcom["notebook_url"] == f"{emulator.url}/notebook/demo/sales-report"
    assert (
        ctx["ti"].xcom["artifacts"]
        == result["artifacts"]
        == [
            {
                "name": "sales-report.ipynb",
                "path": f"/notebook/demo/sales-report/artifacts/{run_id}/sales-report.ipynb",
                "url": f"{emulator.url}/notebook/demo/sales-report/artifacts/{run_id}/sales-report.ipynb",
            }
        ]
    )


def test_without_waiting_returns_the_run_id_at_once(emulator):
    ctx = task_context()
    run_id = operator(wait_for_termination=False).execute(ctx)
    assert ctx["ti"].xcom == {"run_id": run_id, "notebook_url": f"{emulator.url}/notebook/demo/sales-report"}
    assert [e.method for e in emulator.journal] == ["POST"]


def test_deferrable_defers_with_the_right_trigger(emulator):
    ctx = task_context()
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        operator(deferrable=True, poll_interval=7, timeout=datetime.timedelta(minutes=30)).execute(ctx)
    trigger = deferred.value.trigger
    assert isinstance(trigger, DataloreRunStatusTrigger)
    classpath, kwargs = trigger.serialize()
    run_id = ctx["ti"].xcom["run_id"]
    assert kwargs["run_id"] == run_id
    assert kwargs["datalore_conn_id"] == "datalore_default"
    assert kwargs["poll_interval"] == 7
    assert before + 1800 <= kwargs["end_time"] <= time.time() + 1800
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout == datetime.timedelta(minutes=35)
    assert TOKEN not in json.dumps(kwargs)
    # Checked once before deferring: one start, one read.
    assert [e.method for e in emulator.journal] == ["POST", "GET"]


def test_an_already_finished_run_never_defers(emulator):
    from airflow_provider_datalore.emulator import Notebook

    emulator.add_notebook(Notebook(id="demo/instant", polls=0))
    emulator.add_token(TOKEN, {"demo/instant": "editor"})
    result = operator(notebook_id="demo/instant", deferrable=True).execute(task_context())
    assert result["success"] is True


def test_execute_complete_success_returns_the_run(datalore_connection):
    # Resumed on the worker: the connection names the server for lineage.
    datalore_connection(host="https://x")
    ctx = task_context()
    run = {
        "run_id": "r1",
        "notebook_id": "a/b",
        "notebook_url": "https://x/notebook/a/b",
        "status": None,
        "success": True,
        "artifacts": [{"name": "a.ipynb", "path": "/p/a.ipynb", "url": "https://x/p/a.ipynb"}],
    }
    result = operator().execute_complete(
        ctx, {"status": "success", "run_id": "r1", "run": run, "message": "ok"}
    )
    assert result["run_id"] == "r1" and result["success"] is True
    assert ctx["ti"].xcom["artifacts"] == run["artifacts"]


@pytest.mark.parametrize(
    ("status", "error"),
    [("failed", DataloreRunFailedError), ("timeout", DataloreRunTimeoutError), ("error", DataloreError)],
)
def test_execute_complete_failures_raise_with_the_message(status, error, datalore_connection):
    datalore_connection(host="https://x")
    with pytest.raises(error, match="the message from the trigger") as raised:
        operator().execute_complete(
            task_context(),
            {"status": status, "run_id": "r1", "run": None, "message": "the message from the trigger"},
        )
    assert type(raised.value) is error


def test_failed_run_fails_the_task_naming_run_and_url(emulator):
    ctx = task_context()
    with pytest.raises(DataloreRunFailedError) as err:
        operator(notebook_id="demo/failing").execute(ctx)
    run_id = ctx["ti"].xcom["run_id"]
    assert str(err.value) == (
        f"Datalore run {run_id} of notebook demo/failing ({emulator.url}/notebook/demo/failing) failed"
    )


def test_timeout_says_the_run_goes_on(emulator):
    ctx = task_context()
    with pytest.raises(DataloreRunTimeoutError, match="The run goes on in Datalore"):
        operator(notebook_id="demo/slow", timeout=0.2, poll_interval=0.05).execute(ctx)
    assert ctx["ti"].xcom["run_id"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"notebook_id": "not-an-id"}, "notebook_id 'not-an-id' is not a Datalore notebook id"),
        ({"notebook_id": "https://other.example/notebook/a/b"}, "points at host 'other.example'"),
        ({"parameters": {"p": {"nested": 1}}}, "parameter 'p' has value {'nested': 1}"),
        (
            {"parameters": [{"name": "a", "value": 1}, {"name": "a", "value": 2}]},
            "parameter 'a' is given more than once",
        ),
        ({"update_report": "sometimes"}, "update_report 'sometimes' is not valid"),
        ({"direct_file_storage_write": "no"}, "direct_file_storage_write 'no' is not valid"),
        ({"poll_interval": 0}, "poll_interval 0 is not valid"),
        ({"poll_interval": -3}, "poll_interval -3 is not valid"),
        ({"timeout": -1}, "timeout -1 is not valid"),
        ({"timeout": datetime.timedelta(0)}, "timeout datetime.timedelta(0) is not valid"),
        ({"wait_for_termination": "yes"}, "wait_for_termination 'yes' is not valid"),
    ],
)
def test_bad_arguments_fail_in_execute_before_any_request(emulator, kwargs, message):
    op = operator(**kwargs)
    with pytest.raises(ValueError, match="expected") as err:
        op.execute(task_context())
    assert message in str(err.value)
    assert emulator.journal == []


def test_missing_connection_starts_nothing(emulator):
    from airflow.exceptions import AirflowNotFoundException

    with pytest.raises(AirflowNotFoundException, match="no_such_conn"):
        operator(datalore_conn_id="no_such_conn").execute(task_context())
    assert emulator.journal == []


@pytest.mark.skipif(not RESUMABLE, reason="the task state store arrived in Airflow 3.3")
class TestRetriedTries:
    """On Airflow >= 3.3 a new try re-attaches instead of starting a duplicate run."""

    def test_first_try_records_the_run_id(self, emulator):
        store = FakeStateStore()
        result = operator().execute(task_context(store))
        assert store == {"datalore_run_id": result["run_id"]}

    def test_new_try_re_attaches_to_a_run_in_progress(self, emulator):
        store = FakeStateStore()
        with pytest.raises(TaskDeferred):
            operator(deferrable=True).execute(
                task_context(store)
            )  # the first try defers, then its worker dies
        first_run = store["datalore_run_id"]
        result = operator(deferrable=False).execute(task_context(store))
        assert result["run_id"] == first_run
        assert len(emulator.run_starts()) == 1

    def test_new_try_returns_a_run_that_already_succeeded(self, emulator):
        store = FakeStateStore()
        first = operator().execute(task_context(store))
        ctx = task_context(store)
        again = operator().execute(ctx)
        assert again["run_id"] == first["run_id"]
        assert ctx["ti"].xcom["artifacts"] == first["artifacts"]
        assert len(emulator.run_starts()) == 1

    def test_new_try_after_a_failed_run_starts_a_new_one(self, emulator):
        store = FakeStateStore()
        with pytest.raises(DataloreRunFailedError):
            operator(notebook_id="demo/failing").execute(task_context(store))
        first_run = store["datalore_run_id"]
        with pytest.raises(DataloreRunFailedError):
            operator(notebook_id="demo/failing").execute(task_context(store))
        assert store["datalore_run_id"] != first_run
        assert len(emulator.run_starts()) == 2


@pytest.mark.skipif(RESUMABLE, reason="below Airflow 3.3 every try starts a new run")
def test_below_3_3_every_try_starts_a_new_run(emulator):
    store = FakeStateStore()
    operator().execute(task_context(store))
    operator().execute(task_context(store))
    assert len(emulator.run_starts()) == 2


def test_interactive_operator_without_waiting_only_starts(emulator):
    ctx = task_context()
    task = DataloreRunInteractiveOperator(
        task_id="i", notebook_id="demo/sales-report", wait_for_termination=False
    )
    assert task.execute(ctx) is None
    (entry,) = emulator.journal
    assert (entry.method, entry.path, entry.body) == (
        "POST",
        "/api/computation/v1/notebook",
        {"notebookId": "demo/sales-report"},
    )
    assert ctx["ti"].xcom == {"notebook_url": f"{emulator.url}/notebook/demo/sales-report"}


def test_interactive_operator_viewer_gets_a_clear_error(emulator):
    from airflow_provider_datalore.exceptions import DataloreForbiddenError

    with pytest.raises(DataloreForbiddenError, match="view-only access to notebook demo/read-only"):
        DataloreRunInteractiveOperator(task_id="i", notebook_id="demo/read-only").execute(task_context())


def test_on_kill_says_the_run_goes_on(emulator):
    from unittest import mock

    op = operator(wait_for_termination=False)
    run_id = op.execute(task_context())
    log = mock.Mock()
    with mock.patch.object(type(op), "log", new_callable=mock.PropertyMock, return_value=log):
        op.on_kill()
    (call,) = log.warning.call_args_list
    assert "The run goes on in Datalore" in call.args[0]
    assert call.args[1] == run_id


def test_trigger_on_kill_says_the_run_goes_on():
    import asyncio
    from unittest import mock

    trigger = DataloreRunStatusTrigger(run_id="r1")
    log = mock.Mock()
    with mock.patch.object(type(trigger), "log", new_callable=mock.PropertyMock, return_value=log):
        asyncio.run(trigger.on_kill())
    (call,) = log.warning.call_args_list
    assert "The run goes on in Datalore" in call.args[0]
    assert call.args[1] == "r1"
