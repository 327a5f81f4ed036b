"""
A triggerer that dies while a Datalore task waits in it: a new triggerer takes the trigger over, the task
succeeds, and Datalore saw exactly one run start.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.system.deployment import DeploymentError, wait_for
from tests.system.suite_config import LONG_RUN_SECONDS

if TYPE_CHECKING:
    from tests.system.deployment import AirflowDeployment

pytestmark = pytest.mark.system

DAG_ID = "system_triggerer_restart"
TASK_ID = "refresh_long_report"
NOTEBOOK = "system/long-refresh"


def deferred_in_triggerer(deployment: AirflowDeployment, run_id: str, exclude: int | None) -> dict | None:
    """Return the task instance once it is deferred and its trigger runs in a triggerer other than ``exclude``."""
    ti = deployment.task_instance(DAG_ID, run_id, TASK_ID)
    if ti["state"] in ("failed", "up_for_retry", "success"):
        raise DeploymentError(f"task left the deferred state early: {ti['state']}")
    trigger = ti.get("trigger") or {}
    if ti["state"] == "deferred" and trigger.get("triggerer_id") not in (None, exclude):
        return ti
    return None


def status_reads(deployment: AirflowDeployment, datalore_run_id: str) -> list[dict[str, Any]]:
    """Return the emulator's journal entries of status GETs of the run."""
    path = f"/api/run/v1/{datalore_run_id}"
    return [e for e in deployment.emulator("journal") if e["method"] == "GET" and e["path"] == path]


def read_log_records(path: str) -> list[dict[str, Any]]:
    """Return the JSON records of a log file a triggerer wrote (a SIGKILL may have cut its last line)."""
    records = []
    for line in Path(path).read_text(errors="replace").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def test_task_survives_a_killed_triggerer(deployment: AirflowDeployment) -> None:
    run_id = deployment.trigger_dag(DAG_ID)["dag_run_id"]

    # 1. The task defers; the first triggerer runs the trigger and polls the run at least once.
    ti = wait_for(
        "the task to wait in a triggerer", lambda: deferred_in_triggerer(deployment, run_id, None), 120
    )
    first_job = ti["trigger"]["triggerer_id"]
    datalore_run_id = deployment.xcom(DAG_ID, run_id, TASK_ID, "run_id")
    wait_for(
        "the first triggerer to poll the run",
        lambda: len(status_reads(deployment, datalore_run_id)) >= 2,  # the worker's read, then the trigger's
        30,
    )
    assert deployment.emulator("runs")[datalore_run_id]["finished"] is False
    print(f"Datalore run {datalore_run_id} is waited on by triggerer job {first_job}")

    # 2. The triggerer dies (SIGKILL to its process group: supervisor and trigger runner) and a new one starts.
    triggerer = deployment.processes["triggerer"]
    killed_pid = triggerer.pid
    triggerer.kill()
    assert not triggerer.running()
    killed_at = time.time()
    print(f"killed the triggerer (pid {killed_pid}) and its process group")
    deployment.start_service("triggerer")
    assert triggerer.pid != killed_pid

    # 3. The new triggerer takes the trigger over while the run is still in progress.
    ti = wait_for(
        "the new triggerer to take the trigger over",
        lambda: deferred_in_triggerer(deployment, run_id, first_job),
        90,
    )
    second_job = ti["trigger"]["triggerer_id"]
    print(f"triggerer job {second_job} took the trigger over {time.time() - killed_at:.1f} s after the kill")
    assert set(deployment.triggerer_jobs()) >= {first_job, second_job}
    assert deployment.emulator("runs")[datalore_run_id]["finished"] is False

    # 4. The task finishes from the same try, resumed once, with the result of the one run it started.
    dag_run = deployment.wait_for_dag_run(DAG_ID, run_id, timeout=LONG_RUN_SECONDS + 120)
    assert dag_run["state"] == "success"
    ti = deployment.task_instance(DAG_ID, run_id, TASK_ID)
    assert (ti["state"], ti["try_number"]) == ("success", 1)
    assert deployment.state_history(DAG_ID, run_id, TASK_ID) == ["running", "deferred", "running", "success"]
    result = deployment.xcom(DAG_ID, run_id, TASK_ID)
    assert (result["run_id"], result["state"]) == (datalore_run_id, "success")

    journal = deployment.emulator("journal")
    starts = [e for e in journal if e["method"] == "POST" and (e["body"] or {}).get("notebookId") == NOTEBOOK]
    assert [start["run_id"] for start in starts] == [datalore_run_id]
    assert any(read["time"] > killed_at for read in status_reads(deployment, datalore_run_id))

    # The new triggerer polled the run in progress and fired the one event; the killed one fired none.
    log = deployment.task_log(DAG_ID, run_id, TASK_ID)
    files = log.trigger_files()
    assert second_job in files, f"no log of triggerer job {second_job} among {log.sources}"
    second = read_log_records(files[second_job])
    assert any("next check in" in str(record.get("event")) for record in second)
    assert [r for r in second if r.get("event") == "Trigger fired event"], "the new triggerer fired nothing"
    if first_job in files:
        assert not [r for r in read_log_records(files[first_job]) if r.get("event") == "Trigger fired event"]
    assert len(log.events("Trigger fired event")) == 1
    assert deployment.wait_healthy()["triggerer"]["status"] == "healthy"
