"""
A Celery worker SIGKILLed while its task is between sending the start and deferring.

The emulator holds one reply (a ``delay`` fault) so that the task is certainly inside that window when
the test kills the worker: the worker, its task supervisors and the task process, all at once, as when
its machine or container dies. Airflow fails the try once its heartbeat stops and retries it on a worker.
Two windows, two outcomes on Airflow 3.3, each with exactly one run started in Datalore:

- killed while the start's reply is on its way (the run started, its id never arrived): nothing can
  find that run again, so the retry starts nothing and fails, saying that a run may have started and
  where to look (the "start sent" record in the task state store);
- killed after the reply arrived, before deferring (the run id is in the task state store): the retry
  re-attaches to that run, waits for it in the triggerer and succeeds.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.system.deployment import wait_for
from tests.topology.deployment import TASK_HEARTBEAT_TIMEOUT
from tests.topology.suite_config import CRASH_DAG_ID, CRASH_NOTEBOOK, CRASH_TASK_ID

if TYPE_CHECKING:
    from tests.topology.deployment import TopologyDeployment

pytestmark = pytest.mark.topology

#: How long the emulator holds the reply: the kill comes long before; the retry well after.
HOLD_SECONDS = 45
#: The operator's task state store keys (airflow_provider_datalore: start_record.py, the operator).
SENT_KEY = "datalore_start_sent"
RUN_ID_KEY = "datalore_run_id"
#: From the trigger to the DAG run's end: the heartbeat timeout, the retry and the wait.
DAG_RUN_TIMEOUT = TASK_HEARTBEAT_TIMEOUT + 150


def wait_until_idle(topology: TopologyDeployment) -> None:
    """Wait until no task anywhere is queued, running or waiting: nothing else may take the fault."""
    states = ["scheduled", "queued", "running", "deferred", "up_for_retry", "restarting"]

    def idle() -> bool:
        found = topology.api("GET", "/dags/~/dagRuns/~/taskInstances", params={"state": states, "limit": 1})
        return found["total_entries"] == 0

    wait_for("every other task to finish", idle, 300, interval=2)


def starts_of(topology: TopologyDeployment, dag_run_id: str) -> list[dict[str, Any]]:
    """Return the journal's POSTs that started a run for this DAG run (its ``run`` parameter)."""
    return [
        entry
        for entry in topology.emulator("journal")
        if entry["method"] == "POST"
        and (entry["body"] or {}).get("notebookId") == CRASH_NOTEBOOK
        and entry["body"].get("parameters") == [{"name": "run", "value": dag_run_id}]
    ]


def held(topology: TopologyDeployment, method: str, path: str | None = None) -> dict[str, Any] | None:
    """Return the journal entry of the request the ``delay`` fault holds right now, if any."""
    for entry in topology.emulator("journal"):
        holding = entry["fault"] == "delay" and entry["status"] is None and entry["method"] == method
        if holding and (path is None or entry["path"] == path):
            return entry
    return None


def state_store(topology: TopologyDeployment, dag_run_id: str) -> dict[str, Any]:
    """Return the task's task state store as ``{key: value}`` (the public REST API)."""
    path = f"/dags/{CRASH_DAG_ID}/dagRuns/{dag_run_id}/taskInstances/{CRASH_TASK_ID}/state-store"
    return {entry["key"]: entry["value"] for entry in topology.api("GET", path)["task_state_store"]}


def crash_the_worker_of(topology: TopologyDeployment, dag_run_id: str) -> str:
    """Kill the worker running the task (everything it started too), start it again; return its name."""
    ti = topology.task_instance(CRASH_DAG_ID, dag_run_id, CRASH_TASK_ID)
    assert (ti["state"], ti["try_number"]) == ("running", 1), ti
    worker = ti["hostname"]
    pids = topology.crash(worker)
    assert ti["pid"] in pids, f"the task process {ti['pid']} was not among {worker}'s processes {pids}"
    print(f"SIGKILLed {worker} with the task's process {ti['pid']}: pids {pids}")
    # As a supervisor (systemd, Kubernetes) would: the worker comes back at once.
    topology.start_service(worker)
    topology.wait_for_worker(worker)
    return worker


def test_worker_killed_while_its_start_is_in_flight(topology: TopologyDeployment) -> None:
    wait_until_idle(topology)
    hold_start = {"endpoint": "run", "action": "delay", "seconds": HOLD_SECONDS, "process": True}
    topology.emulator_post("faults", hold_start)
    dag_run_id = topology.trigger_dag(CRASH_DAG_ID)["dag_run_id"]

    # The run has started in Datalore; its id has not reached the task, which waits for the reply.
    start = wait_for("the start to be held", lambda: held(topology, "POST"), 120, interval=0.5)
    assert start["run_id"] in topology.emulator("runs")
    store = state_store(topology, dag_run_id)
    assert RUN_ID_KEY not in store
    assert (store[SENT_KEY]["notebook_id"], store[SENT_KEY]["try_number"], store[SENT_KEY]["reported"]) == (
        CRASH_NOTEBOOK,
        1,
        False,
    )
    crash_the_worker_of(topology, dag_run_id)

    dag_run = topology.wait_for_dag_run_end(CRASH_DAG_ID, dag_run_id, DAG_RUN_TIMEOUT)

    # The retry started nothing: it failed, without the two retries left, saying a run may have started.
    assert dag_run["state"] == "failed"
    ti = topology.task_instance(CRASH_DAG_ID, dag_run_id, CRASH_TASK_ID)
    assert (ti["state"], ti["try_number"], ti["max_tries"]) == ("failed", 2, 3)
    assert [entry["run_id"] for entry in starts_of(topology, dag_run_id)] == [start["run_id"]]
    second = topology.task_log(CRASH_DAG_ID, dag_run_id, CRASH_TASK_ID, try_number=2)
    refusals = [
        record
        for record in second.records
        if "An earlier try (try 1) asked Datalore to start a run of notebook" in str(record)
    ]
    assert refusals, f"try 2 did not say why it started nothing: {second.records[-5:]}"
    assert "Clearing the task starts a new run" in str(refusals[0])
    # The record stays, marked reported: clearing the task (a user's decision) lets the next try start.
    record = state_store(topology, dag_run_id)[SENT_KEY]
    assert (record["try_number"], record["reported"]) == (1, True)
    assert RUN_ID_KEY not in state_store(topology, dag_run_id)
    assert (
        topology.api(
            "GET",
            f"/dags/{CRASH_DAG_ID}/dagRuns/{dag_run_id}/taskInstances/{CRASH_TASK_ID}/xcomEntries/run_id",
            expect=(200, 404),
        )
        is None
    )


def test_worker_killed_after_the_start_before_deferring(topology: TopologyDeployment) -> None:
    wait_until_idle(topology)
    topology.emulator_post("faults", {"endpoint": "status", "action": "delay", "seconds": HOLD_SECONDS})
    dag_run_id = topology.trigger_dag(CRASH_DAG_ID)["dag_run_id"]

    # The start went through and its run id is stored; the task reads the run's status before deferring.
    (start,) = wait_for("the start", lambda: starts_of(topology, dag_run_id) or None, 120, interval=0.5)
    datalore_run_id = start["run_id"]
    wait_for(
        "the status read to be held",
        lambda: held(topology, "GET", f"/api/run/v1/{datalore_run_id}"),
        60,
        interval=0.5,
    )
    assert state_store(topology, dag_run_id) == {RUN_ID_KEY: datalore_run_id}
    crash_the_worker_of(topology, dag_run_id)
    killed_at = time.time()

    dag_run = topology.wait_for_dag_run_end(CRASH_DAG_ID, dag_run_id, DAG_RUN_TIMEOUT)

    # The retry re-attached to the run, waited for it in a triggerer, and returned its result.
    assert dag_run["state"] == "success"
    ti = topology.task_instance(CRASH_DAG_ID, dag_run_id, CRASH_TASK_ID)
    assert (ti["state"], ti["try_number"]) == ("success", 2)
    assert [entry["run_id"] for entry in starts_of(topology, dag_run_id)] == [datalore_run_id]
    result = topology.xcom_of(CRASH_DAG_ID, dag_run_id, CRASH_TASK_ID)
    assert (result["run_id"], result["state"], result["success"]) == (datalore_run_id, "success", True)
    assert topology.xcom_of(CRASH_DAG_ID, dag_run_id, CRASH_TASK_ID, "run_id") == datalore_run_id
    second = topology.task_log(CRASH_DAG_ID, dag_run_id, CRASH_TASK_ID, try_number=2)
    assert [r for r in second.records if f"A previous try started Datalore run {datalore_run_id}" in str(r)]
    assert second.trigger_files(), "the retry did not wait in a triggerer"
    reads = [
        entry
        for entry in topology.emulator("journal")
        if entry["method"] == "GET" and entry["path"] == f"/api/run/v1/{datalore_run_id}"
    ]
    assert any(entry["time"] > killed_at and entry["status"] == 200 for entry in reads)
