"""
OpenLineage on a real deployment, as a new user turns it on: the OpenLineage provider with its file
transport and every other setting at its default, so task events are made in a forked child of the task
process (no ``execute_in_thread``). A deferred run's COMPLETE event and a failed run's FAIL event carry our
facets, made from what the task kept while it ran.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.system.suite_config import OPENLINEAGE_EVENTS

if TYPE_CHECKING:
    from tests.system.deployment import AirflowDeployment

pytestmark = pytest.mark.system


def task_events(
    deployment: AirflowDeployment, job: str, datalore_run_id: str
) -> dict[str, list[dict[str, Any]]]:
    """Return the task's OpenLineage events about one Datalore run, by event type."""
    path = deployment.workdir / OPENLINEAGE_EVENTS
    events = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    found: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        if event["job"]["name"] != job:
            continue
        facet = event["run"]["facets"].get("dataloreRun") or {}
        if facet.get("runId") == datalore_run_id:
            found.setdefault(event["eventType"], []).append(event)
    return found


def test_a_deferred_run_reports_complete_with_our_facets(deployment: AirflowDeployment) -> None:
    dag_id, task_id = "datalore_scheduled_refresh", "refresh_sales_report"
    run_id = deployment.trigger_dag(dag_id, logical_date="2026-11-09T06:00:00Z")["dag_run_id"]
    assert deployment.wait_for_dag_run(dag_id, run_id)["state"] == "success"
    assert deployment.state_history(dag_id, run_id, task_id) == ["running", "deferred", "running", "success"]
    result = deployment.xcom(dag_id, run_id, task_id)
    datalore_run_id = result["run_id"]

    events = task_events(deployment, f"{dag_id}.{task_id}", datalore_run_id)
    assert sorted(events) == ["COMPLETE"]
    (complete,) = events["COMPLETE"]
    assert complete["job"]["facets"]["sourceCodeLocation"]["url"] == result["notebook_url"]
    facet = complete["run"]["facets"]["dataloreRun"]
    assert (facet["notebookId"], facet["success"]) == ("demo/sales-report", True)
    assert (facet["startTime"], facet["endTime"]) == (result["start_time"], result["end_time"])
    assert complete["outputs"] == [
        {"namespace": deployment.emulator_url, "name": artifact["path"], "facets": {}}
        for artifact in result["artifacts"]
    ]


def test_a_failed_run_reports_fail_with_our_facets(deployment: AirflowDeployment) -> None:
    dag_id, task_id = "system_lineage_failure", "refresh_failing_report"
    run_id = deployment.trigger_dag(dag_id)["dag_run_id"]
    assert deployment.wait_for_dag_run(dag_id, run_id, failure_expected=True)["state"] == "failed"
    assert deployment.state_history(dag_id, run_id, task_id)[:2] == ["running", "deferred"]
    datalore_run_id = deployment.xcom(dag_id, run_id, task_id, "run_id")

    events = task_events(deployment, f"{dag_id}.{task_id}", datalore_run_id)
    assert sorted(events) == ["FAIL"]
    (fail,) = events["FAIL"]
    notebook_url = f"{deployment.emulator_url}/notebook/system/failing"
    assert fail["job"]["facets"]["sourceCodeLocation"]["url"] == notebook_url
    facet = fail["run"]["facets"]["dataloreRun"]
    assert (facet["notebookId"], facet["success"]) == ("system/failing", False)
    assert facet["startTime"] and facet["endTime"]
    assert fail["outputs"] == []
    assert (
        f"Datalore run {datalore_run_id} of notebook system/failing"
        in (fail["run"]["facets"]["errorMessage"]["message"])
    )
