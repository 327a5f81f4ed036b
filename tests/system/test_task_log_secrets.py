"""
Nothing a real deployment wrote holds the token: not a task's log (the worker's or the triggerer's), not a
process's output, not an OpenLineage event, not the metadata database (XCom, rendered templates, trigger
rows). The suite runs this module after every other one (``conftest.LAST_MODULE``), so the scan covers
what each test left, the triggerer's restart included.

Airflow 3.0.6's dag.test() prints the token each time Airflow masks the connection's password
(``Sending request msg=MaskSecret(value=...)``, ``tests.helpers.airflow_own_secret_lines``); a
deployment's supervisor logs that request without its body, at any logging level, on 3.0 as on 3.3
(docs/support-matrix.md). The scan tells that line, were it to appear, apart from a token our code wrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.helpers import airflow_own_secret_lines, token_leaks
from tests.system.suite_config import OPENLINEAGE_EVENTS, TOKEN

if TYPE_CHECKING:
    from tests.system.deployment import AirflowDeployment

pytestmark = pytest.mark.system

DAG_ID = "datalore_start_then_sense"
#: The tasks of the example: each reads the connection in a worker; ``wait_for_run`` also in the triggerer.
TASKS = ("start_run", "wait_for_run", "publish_artifacts")


def finished_run(deployment: AirflowDeployment) -> str:
    """
    Return the id of a successful run of the example: the one ``test_example_dags_deferred`` made before,
    or, without it (this test alone), a new one. Each run waits up to a poll interval (30 s) to be
    resumed: reading logs need not wait for another.
    """
    runs = deployment.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"state": "success", "limit": 1})
    if runs["dag_runs"]:
        return runs["dag_runs"][0]["dag_run_id"]
    run_id = deployment.trigger_dag(DAG_ID)["dag_run_id"]
    assert deployment.wait_for_dag_run(DAG_ID, run_id)["state"] == "success"
    return run_id


def test_no_log_holds_the_token(deployment: AirflowDeployment) -> None:
    run_id = finished_run(deployment)
    datalore_run_id = deployment.xcom(DAG_ID, run_id, "start_run")

    # The run's task logs: one file per task from its worker, one from the triggerer that did the wait.
    run_folder = deployment.home / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}"
    run_logs = {
        path.relative_to(run_folder).as_posix(): path.read_text()
        for path in run_folder.rglob("*")
        if path.is_file()
    }
    worker_logs = {f"task_id={task}/attempt=1.log" for task in TASKS}
    (trigger_log,) = set(run_logs) - worker_logs
    assert set(run_logs) - {trigger_log} == worker_logs
    assert trigger_log.startswith("task_id=wait_for_run/attempt=1.log.trigger.")
    # They are this run's: the worker started the Datalore run, the triggerer saw it end.
    started = f"Datalore run {datalore_run_id} of notebook demo/sales-report started."
    assert started in run_logs["task_id=start_run/attempt=1.log"]
    assert f"'run_id': '{datalore_run_id}'" in run_logs[trigger_log]

    # Every log the deployment wrote so far (this run's and any other test's), and every process's output.
    files = [path for path in (deployment.home / "logs").rglob("*") if path.is_file()]
    files += [path for path in deployment.process_logs.iterdir() if path.is_file()]
    texts = {str(path.relative_to(deployment.workdir)): path.read_text(errors="replace") for path in files}
    assert len(texts) > len(run_logs)
    airflows = {name: len(airflow_own_secret_lines(text, TOKEN)) for name, text in texts.items()}
    assert {name: count for name, count in airflows.items() if count} == {}, "Airflow's own MaskSecret line"
    assert {name: leaks for name, text in texts.items() if (leaks := token_leaks(text, TOKEN))} == {}


def test_no_lineage_event_or_database_row_holds_the_token(deployment: AirflowDeployment) -> None:
    run_id = finished_run(deployment)
    events = deployment.workdir / OPENLINEAGE_EVENTS
    assert events.stat().st_size > 0, "no OpenLineage event was written"
    assert TOKEN not in events.read_text(errors="replace")
    # The SQLite file and its write-ahead log as bytes: XCom, rendered fields and every other row, in
    # whatever page they sit (freed pages too). The connection is in the environment, not in the DB.
    databases = sorted(deployment.home.glob("airflow.db*"))
    assert databases[0].name == "airflow.db"
    assert [path.name for path in databases if TOKEN.encode() in path.read_bytes()] == []
    # The scan can see a value: the run's XCom (the Datalore run id) is in the same bytes.
    datalore_run_id = deployment.xcom(DAG_ID, run_id, "start_run")
    assert any(str(datalore_run_id).encode() in path.read_bytes() for path in databases)
