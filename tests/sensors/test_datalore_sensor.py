"""DataloreRunStatusSensor: pokes, deferral, soft_fail, and the messages a user reads."""

from __future__ import annotations

import json
import time

import pytest

from airflow_provider_datalore.exceptions import DataloreRunFailedError
from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.sensors.datalore import DataloreRunStatusSensor
from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger
from tests.constants import TOKEN
from tests.helpers import task_context

compat = pytest.importorskip("airflow.providers.common.compat.sdk")


def sensor(run_id, **kwargs):
    return DataloreRunStatusSensor(
        task_id="wait", run_id=run_id, **{"poke_interval": 0.01, "timeout": 30, **kwargs}
    )


def test_template_fields():
    assert DataloreRunStatusSensor.template_fields == ("run_id",)
    assert sensor("{{ ti.xcom_pull(task_ids='start', key='run_id') }}").run_id.startswith("{{")


def test_poke_is_false_while_running_then_returns_the_run(emulator):
    run_id = DataloreHook().run_notebook("demo/sales-report")
    ctx = task_context()
    task = sensor(run_id)
    assert task.poke(ctx) is False
    assert task.poke(ctx) is False
    done = task.poke(ctx)
    assert done.is_done is True
    assert done.xcom_value["run_id"] == run_id
    assert ctx["ti"].xcom["artifacts"] == done.xcom_value["artifacts"]
    assert ctx["ti"].xcom["notebook_url"] == f"{emulator.url}/notebook/demo/sales-report"


def test_deferrable_pokes_once_then_defers(emulator):
    run_id = DataloreHook().run_notebook("demo/slow")
    before = time.time()
    with pytest.raises(compat.TaskDeferred) as deferred:
        sensor(run_id, deferrable=True, poke_interval=4, timeout=600).execute(task_context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, DataloreRunStatusTrigger)
    _, kwargs = trigger.serialize()
    assert kwargs["run_id"] == run_id
    assert kwargs["poll_interval"] == 4
    assert before + 600 <= kwargs["end_time"] <= time.time() + 600
    assert TOKEN not in json.dumps(kwargs)
    assert [e.method for e in emulator.journal] == ["POST", "GET"]


def test_deferrable_on_a_finished_run_returns_at_once(emulator):
    run_id = DataloreHook().run_notebook("demo/sales-report")
    for _ in range(3):
        DataloreHook().get_run(run_id)
    result = sensor(run_id, deferrable=True).execute(task_context())
    assert result["success"] is True


def test_failed_run_fails_the_sensor(emulator):
    run_id = DataloreHook().run_notebook("demo/failing")
    task = sensor(run_id)
    task.poke(task_context())
    with pytest.raises(
        DataloreRunFailedError, match=f"Datalore run {run_id} of notebook demo/failing .* failed"
    ):
        task.poke(task_context())


def test_failed_run_with_soft_fail_skips(emulator):
    run_id = DataloreHook().run_notebook("demo/failing")
    task = sensor(run_id, soft_fail=True)
    task.poke(task_context())
    with pytest.raises(compat.AirflowSkipException, match="failed"):
        task.poke(task_context())


@pytest.mark.parametrize(
    ("soft_fail", "error"), [(False, "AirflowSensorTimeout"), (True, "AirflowSkipException")]
)
def test_trigger_timeout_event(soft_fail, error):
    event = {
        "status": "timeout",
        "run_id": "r",
        "run": None,
        "message": "Stopped waiting; the run goes on in Datalore",
    }
    with pytest.raises(getattr(compat, error), match="the run goes on in Datalore"):
        sensor("r", soft_fail=soft_fail).execute_complete(task_context(), event)


@pytest.mark.parametrize(("name", "value"), [("poke_interval", 0), ("timeout", -1)])
def test_bad_intervals_fail_before_any_request(emulator, name, value):
    task = sensor("r1", deferrable=True)
    setattr(task, name, value)
    with pytest.raises(ValueError, match=f"{name} {value!r} is not valid"):
        task.execute(task_context())
    assert emulator.journal == []


def test_bad_run_id_fails_before_any_request(emulator):
    with pytest.raises(ValueError, match="run_id '' is not valid"):
        sensor("", deferrable=True).execute(task_context())
    assert emulator.journal == []
