"""
The example DAGs on a real deployment: each Datalore task defers, the triggerer fires its event, and the
REST API (what the UI reads) shows the result, the artifacts and the notebook link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.system.deployment import AirflowDeployment

pytestmark = pytest.mark.system

NOTEBOOK = "demo/sales-report"
ARTIFACTS = ["sales-report.ipynb", "regional-summary.csv"]


def assert_deferred_and_fired_by_triggerer(
    deployment: AirflowDeployment, dag_id: str, run_id: str, task_id: str, datalore_run_id: str
) -> None:
    """
    Assert that the task waited in the triggerer and that a triggerer, not a worker, fired its event.

    Three records that Airflow itself writes, read through the REST API:

    - the state history: the API server logs every state a worker reports (``/api/v2/eventLogs``), and
      this try reported ``running, deferred, running, success``: it handed the wait over and was resumed;
    - the author of the event: the try's log, as the UI reads it, is assembled from the worker's file and
      a file only a triggerer writes, ``attempt=1.log.trigger.<job id>.log``, whose job id is a
      ``TriggererJob``; the one "Trigger fired event" record in it carries this Datalore run's success
      event, logged by ``triggerer_job_runner.py``;
    - the worker's own log says that it paused the task as deferred.
    """
    assert deployment.state_history(dag_id, run_id, task_id) == ["running", "deferred", "running", "success"]

    log = deployment.task_log(dag_id, run_id, task_id)
    trigger_files = log.trigger_files()
    assert len(trigger_files) == 1, f"expected one triggerer log file among {log.sources}"
    (job_id,) = trigger_files
    assert deployment.triggerer_jobs()[job_id]["job_type"] == "TriggererJob"

    (fired,) = log.events("Trigger fired event")
    assert fired["filename"] == "triggerer_job_runner.py"
    assert "'status': 'success'" in fired["result"]
    assert f"'run_id': '{datalore_run_id}'" in fired["result"]
    assert log.events("Pausing task as DEFERRED. ")


def journal_for(deployment: AirflowDeployment, datalore_run_id: str) -> dict[str, list[dict[str, Any]]]:
    """Return the emulator's journal entries of one Datalore run: its start (POST) and status reads (GET)."""
    journal = deployment.emulator("journal")
    return {
        "POST": [e for e in journal if e["method"] == "POST" and e["run_id"] == datalore_run_id],
        "GET": [e for e in journal if e["method"] == "GET" and e["path"] == f"/api/run/v1/{datalore_run_id}"],
    }


def assert_run_result(deployment: AirflowDeployment, result: dict[str, Any], datalore_run_id: str) -> None:
    """Assert the run dict a task returned: the run, its notebook, success and the artifacts' URLs."""
    assert result["run_id"] == datalore_run_id
    assert result["notebook_id"] == NOTEBOOK
    assert result["notebook_url"] == f"{deployment.emulator_url}/notebook/{NOTEBOOK}"
    assert (result["state"], result["success"]) == ("success", True)
    assert [artifact["name"] for artifact in result["artifacts"]] == ARTIFACTS
    for artifact in result["artifacts"]:
        assert artifact["url"] == (
            f"{deployment.emulator_url}/notebook/{NOTEBOOK}/artifacts/{datalore_run_id}/{artifact['name']}"
        )


def test_scheduled_refresh_waits_in_the_triggerer(deployment: AirflowDeployment) -> None:
    dag_id, task_id = "datalore_scheduled_refresh", "refresh_sales_report"
    dag_run = deployment.trigger_dag(dag_id, logical_date="2026-11-02T06:00:00Z")
    run_id = dag_run["dag_run_id"]

    assert deployment.wait_for_dag_run(dag_id, run_id)["state"] == "success"

    ti = deployment.task_instance(dag_id, run_id, task_id)
    assert (ti["state"], ti["try_number"]) == ("success", 1)
    result = deployment.xcom(dag_id, run_id, task_id)
    datalore_run_id = result["run_id"]
    assert_deferred_and_fired_by_triggerer(deployment, dag_id, run_id, task_id, datalore_run_id)

    # One run started, with the DAG run's data interval; read twice: by the worker (in progress, so it
    # deferred) and by the trigger (finished).
    requests = journal_for(deployment, datalore_run_id)
    (start,) = requests["POST"]
    assert start["body"] == {
        "notebookId": NOTEBOOK,
        "parameters": [
            {"name": "start_date", "value": dag_run["data_interval_start"][:10]},
            {"name": "end_date", "value": dag_run["data_interval_end"][:10]},
            {"name": "region", "value": "EMEA"},
        ],
        "updateReport": "on success",
    }
    assert start["body"]["parameters"][0]["value"] == "2026-11-01"
    assert len(requests["GET"]) == 2

    # What the UI shows: the result, the artifacts, and the link to the notebook.
    assert_run_result(deployment, result, datalore_run_id)
    assert deployment.xcom(dag_id, run_id, task_id, "artifacts") == result["artifacts"]
    assert deployment.xcom(dag_id, run_id, task_id, "run_id") == datalore_run_id
    assert deployment.extra_links(dag_id, run_id, task_id) == {"Datalore notebook": result["notebook_url"]}


def test_start_then_deferrable_sensor(deployment: AirflowDeployment) -> None:
    dag_id = "datalore_start_then_sense"
    run_id = deployment.trigger_dag(dag_id)["dag_run_id"]

    assert deployment.wait_for_dag_run(dag_id, run_id)["state"] == "success"

    datalore_run_id = deployment.xcom(dag_id, run_id, "start_run", "run_id")
    assert deployment.xcom(dag_id, run_id, "start_run") == datalore_run_id
    assert deployment.state_history(dag_id, run_id, "start_run") == ["running", "success"]
    assert_deferred_and_fired_by_triggerer(deployment, dag_id, run_id, "wait_for_run", datalore_run_id)

    requests = journal_for(deployment, datalore_run_id)
    (start,) = requests["POST"]
    assert start["body"] == {"notebookId": NOTEBOOK, "parameters": [{"name": "region", "value": "AMER"}]}
    assert len(requests["GET"]) == 2  # the sensor's check (in progress), the trigger's poll (finished)

    result = deployment.xcom(dag_id, run_id, "wait_for_run")
    assert_run_result(deployment, result, datalore_run_id)
    artifacts = deployment.xcom(dag_id, run_id, "wait_for_run", "artifacts")
    assert artifacts == result["artifacts"]
    assert deployment.xcom(dag_id, run_id, "publish_artifacts") == [a["url"] for a in artifacts]

    notebook_link = {"Datalore notebook": f"{deployment.emulator_url}/notebook/{NOTEBOOK}"}
    assert deployment.extra_links(dag_id, run_id, "start_run") == notebook_link
    assert deployment.extra_links(dag_id, run_id, "wait_for_run") == notebook_link


def test_interactive_refresh_waits_in_the_triggerer(deployment: AirflowDeployment) -> None:
    dag_id, task_id = "datalore_interactive_refresh", "refresh_dashboard"
    run_id = deployment.trigger_dag(dag_id, logical_date="2026-11-02T06:00:00Z")["dag_run_id"]

    assert deployment.wait_for_dag_run(dag_id, run_id)["state"] == "success"

    assert deployment.state_history(dag_id, run_id, task_id) == ["running", "deferred", "running", "success"]
    log = deployment.task_log(dag_id, run_id, task_id)
    (job_id,) = log.trigger_files()
    assert deployment.triggerer_jobs()[job_id]["job_type"] == "TriggererJob"
    (fired,) = log.events("Trigger fired event")
    assert "'status': 'success'" in fired["result"]
    assert f"'notebook_id': '{NOTEBOOK}'" in fired["result"]
    # The controls were set before the start, the start sent once, and nothing interrupted.
    journal = deployment.emulator("journal")
    controls = [e["body"] for e in journal if e["path"] == "/api/notebook/v1/cell/controls/update"]
    assert [c["cellId"] for c in controls] == ["period", "region"]
    assert (controls[0]["control"]["startDate"], controls[0]["control"]["endDate"]) == (
        "2026-10-27",
        "2026-11-02",
    )
    assert len([e for e in journal if e["path"] == "/api/computation/v1/notebook"]) == 1
    assert not [e for e in journal if e["path"] == "/api/notebook/v1/kernel/interrupt"]
    outputs = deployment.xcom(dag_id, run_id, task_id, "cell_outputs")
    assert outputs["total_sales"]["value"] == "1234"
    report = deployment.xcom(dag_id, run_id, task_id, "report")
    assert deployment.extra_links(dag_id, run_id, task_id) == {
        "Datalore notebook": f"{deployment.emulator_url}/notebook/{NOTEBOOK}",
        "Datalore report": report["url"],
    }
    assert deployment.task_instance(dag_id, run_id, "all_good")["state"] == "success"
    assert deployment.task_instance(dag_id, run_id, "alert")["state"] == "skipped"
