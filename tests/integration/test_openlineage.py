"""
OpenLineage events of the Datalore tasks: the example DAGs run with dag.test() against the emulator, with the
OpenLineage provider writing its events to a file (its ``file`` transport), deferrable and polling.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import fast, run_dag, task_states, xcom

PRODUCER = "https://pypi.org/project/airflow-provider-datalore/0.1.0/"
RUN_FACET_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet"


@pytest.fixture(params=[True, False], ids=["deferrable", "polling"])
def deferrable(request):
    return request.param


@pytest.fixture(params=[False], ids=["fork"])
def execute_in_thread(request):
    """How the listener makes task events: False is the OpenLineage provider's default (a forked child)."""
    return request.param


@pytest.fixture
def lineage_events(airflow_db, monkeypatch, tmp_path, execute_in_thread):
    """
    OpenLineage on for one test, writing to a file; return a function that reads a task's events back.

    The provider's plugin decides once per process, when Airflow loads plugins, whether to register its
    listener, and its listener keeps the client (and so the transport) it made first. So the plugins are
    loaded before OpenLineage is configured (its plugin registers nothing, and the rest of the session
    runs without OpenLineage), and a fresh listener, which reads the configuration below, is registered
    for this test only.
    """
    from airflow.listeners.listener import get_listener_manager
    from airflow.providers.openlineage.plugins.listener import get_openlineage_listener

    managers = [get_listener_manager()]
    try:  # Airflow 3.2+: the task runner has a listener manager of its own
        from airflow.sdk.listener import get_listener_manager as get_task_listener_manager
    except ImportError:  # Airflow 2, and 3.0 and 3.1: one for both
        pass
    else:
        managers.append(get_task_listener_manager())
    path = tmp_path / "events.jsonl"
    transport = {"type": "file", "log_file_path": str(path), "append": True}
    monkeypatch.setenv("AIRFLOW__OPENLINEAGE__TRANSPORT", json.dumps(transport))
    # Nothing else is set: by default task events are made in a forked child, which cannot reach
    # dag.test()'s in-process supervisor (nor, on a deployment, safely the real one). Our facets come from
    # what the task kept on itself, so they need neither. One test sets execute_in_thread to compare.
    if execute_in_thread:
        monkeypatch.setenv("AIRFLOW__OPENLINEAGE__EXECUTE_IN_THREAD", "True")
    else:
        monkeypatch.delenv("AIRFLOW__OPENLINEAGE__EXECUTE_IN_THREAD", raising=False)
    get_openlineage_listener.cache_clear()
    listener = get_openlineage_listener()
    for manager in managers:
        manager.add_listener(listener)

    def read(task_id: str, event_type: str) -> list[dict]:
        """Return the task's events of one type (START, COMPLETE, FAIL), in the order they were written."""
        lines = path.read_text().splitlines() if path.exists() else []
        events = [json.loads(line) for line in lines]
        return [
            event
            for event in events
            if event["job"]["name"].endswith(f".{task_id}") and event["eventType"] == event_type
        ]

    yield read
    for manager in managers:
        manager.pm.unregister(listener)
    listener.before_stopping(None)  # stops the process pool it starts for DAG-run events
    get_openlineage_listener.cache_clear()


def artifact_path(run_id: str) -> str:
    return f"/notebook/demo/sales-report/artifacts/{run_id}/sales-report.ipynb"


def notebook_location(emulator, notebook: str = "demo/sales-report") -> dict:
    return {
        "_producer": "https://github.com/apache/airflow/tree/providers-openlineage/2.20.3",
        "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SourceCodeLocationJobFacet.json"
        "#/$defs/SourceCodeLocationJobFacet",
        "type": "datalore",
        "url": f"{emulator.url}/notebook/{notebook}",
    }


def finished_run_facet(result: dict) -> dict:
    """The ``dataloreRun`` facet of a run that succeeded: the task's result, in camelCase."""
    return {
        "_producer": PRODUCER,
        "_schemaURL": RUN_FACET_SCHEMA,
        "runId": result["run_id"],
        "notebookId": result["notebook_id"],
        "success": True,
        "updateReport": result["update_report"],
        "startTime": result["start_time"],
        "endTime": result["end_time"],
    }


def failed_run_facet(facet: dict, run_id: str, notebook: str) -> None:
    """Assert the ``dataloreRun`` facet of a run that failed: what the failed try read of it, times included."""
    times = {key: facet.pop(key) for key in ("startTime", "endTime")}
    facet.pop("updateReport", None)  # as the DAG asked; the finished-run facet test checks it
    assert facet == {
        "_producer": PRODUCER,
        "_schemaURL": RUN_FACET_SCHEMA,
        "runId": run_id,
        "notebookId": notebook,
        "success": False,
    }
    assert all(isinstance(moment, str) and moment for moment in times.values()), times


def unfinished_run_facet(run_id: str, notebook: str) -> dict:
    """The ``dataloreRun`` facet of a run whose end the task did not report: id and notebook (no nulls)."""
    return {"_producer": PRODUCER, "_schemaURL": RUN_FACET_SCHEMA, "runId": run_id, "notebookId": notebook}


@pytest.mark.integration
def test_the_run_operator_reports_notebook_run_and_artifacts(
    example_dags, emulator, trigger_runs, lineage_events, deferrable
):
    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=deferrable)
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"refresh_sales_report": "success"}
    run_id = xcom(dag_run, "refresh_sales_report", "run_id")
    assert trigger_runs == ([run_id] if deferrable else [])  # after a deferral: another operator instance
    result = xcom(dag_run, "refresh_sales_report")
    assert result["update_report"] == "on success"
    assert result["start_time"] and result["end_time"]

    (complete,) = lineage_events("refresh_sales_report", "COMPLETE")
    assert complete["job"]["facets"]["sourceCodeLocation"] == notebook_location(emulator)
    assert complete["run"]["facets"]["dataloreRun"] == finished_run_facet(result)
    assert complete["run"]["facets"]["dataloreRun"]["runId"] == run_id
    assert complete["outputs"] == [{"namespace": emulator.url, "name": artifact_path(run_id), "facets": {}}]
    assert complete["inputs"] == []
    # START comes before any run: nothing of ours (deferrable, the task starts twice).
    starts = lineage_events("refresh_sales_report", "START")
    assert len(starts) == (2 if deferrable else 1)
    assert all("dataloreRun" not in start["run"]["facets"] for start in starts)


@pytest.mark.integration
def test_start_and_sensor_report_the_same_run(
    example_dags, emulator, trigger_runs, lineage_events, deferrable
):
    dag_run = run_dag(fast(example_dags.get_dag("datalore_start_then_sense"), deferrable=deferrable))
    tasks = ("start_run", "wait_for_run", "publish_artifacts")
    assert task_states(dag_run) == dict.fromkeys(tasks, "success")
    run_id = xcom(dag_run, "start_run", "run_id")
    assert trigger_runs == ([run_id] if deferrable else [])

    # wait_for_termination=False: the task returns the run id, and knows nothing of the run's end.
    (started,) = lineage_events("start_run", "COMPLETE")
    assert started["job"]["facets"]["sourceCodeLocation"] == notebook_location(emulator)
    assert started["run"]["facets"]["dataloreRun"] == unfinished_run_facet(run_id, "demo/sales-report")
    assert started["outputs"] == []

    (sensed,) = lineage_events("wait_for_run", "COMPLETE")
    assert sensed["job"]["facets"]["sourceCodeLocation"] == notebook_location(emulator)
    assert sensed["run"]["facets"]["dataloreRun"] == finished_run_facet(xcom(dag_run, "wait_for_run"))
    assert sensed["run"]["facets"]["dataloreRun"]["runId"] == run_id
    assert sensed["outputs"] == [{"namespace": emulator.url, "name": artifact_path(run_id), "facets": {}}]


@pytest.mark.integration
def test_each_mapped_task_instance_reports_its_own_run(example_dags, emulator, lineage_events):
    dag = fast(example_dags.get_dag("datalore_per_region"), deferrable=True)
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {f"regional_report[{i}]": "success" for i in range(3)}

    completes = lineage_events("regional_report", "COMPLETE")
    reported = {
        event["run"]["facets"]["airflow"]["taskInstance"]["map_index"]: event["run"]["facets"]["dataloreRun"][
            "runId"
        ]
        for event in completes
    }
    assert reported == {i: xcom(dag_run, "regional_report", "run_id", i) for i in range(3)}
    for event in completes:
        run_id = event["run"]["facets"]["dataloreRun"]["runId"]
        assert event["outputs"] == [{"namespace": emulator.url, "name": artifact_path(run_id), "facets": {}}]


@pytest.mark.integration
def test_a_failed_run_fails_the_task_and_reports_what_is_known(
    example_dags, emulator, lineage_events, deferrable
):
    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=deferrable)
    dag.get_task("refresh_sales_report").notebook_id = "demo/failing"
    dag.get_task("refresh_sales_report").retries = 0
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"refresh_sales_report": "failed"}
    run_id = xcom(dag_run, "refresh_sales_report", "run_id")
    assert run_id in emulator.runs

    assert lineage_events("refresh_sales_report", "COMPLETE") == []
    (fail,) = lineage_events("refresh_sales_report", "FAIL")
    assert fail["job"]["facets"]["sourceCodeLocation"] == notebook_location(emulator, "demo/failing")
    failed_run_facet(fail["run"]["facets"]["dataloreRun"], run_id, "demo/failing")
    assert fail["outputs"] == []
    assert (
        f"Datalore run {run_id} of notebook demo/failing" in fail["run"]["facets"]["errorMessage"]["message"]
    )


@pytest.mark.integration
def test_a_start_that_was_refused_reports_only_the_notebook(example_dags, emulator, lineage_events):
    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=False)
    dag.get_task("refresh_sales_report").notebook_id = "demo/not-shared"
    dag.get_task("refresh_sales_report").retries = 0
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"refresh_sales_report": "failed"}
    assert emulator.run_starts() == []

    (fail,) = lineage_events("refresh_sales_report", "FAIL")
    assert fail["job"]["facets"]["sourceCodeLocation"] == notebook_location(emulator, "demo/not-shared")
    assert "dataloreRun" not in fail["run"]["facets"]  # no run id: no run
    assert fail["outputs"] == []


@pytest.mark.integration
def test_the_sensor_reports_the_run_it_waited_for_when_it_failed(example_dags, emulator, lineage_events):
    dag = fast(example_dags.get_dag("datalore_start_then_sense"), deferrable=True)
    dag.get_task("start_run").notebook_id = "demo/failing"
    dag.get_task("wait_for_run").retries = 0
    dag_run = run_dag(dag)
    assert task_states(dag_run)["wait_for_run"] == "failed"
    run_id = xcom(dag_run, "start_run", "run_id")

    (fail,) = lineage_events("wait_for_run", "FAIL")
    assert fail["job"]["facets"]["sourceCodeLocation"] == notebook_location(emulator, "demo/failing")
    failed_run_facet(fail["run"]["facets"]["dataloreRun"], run_id, "demo/failing")
    assert fail["outputs"] == []


@pytest.fixture
def lake(tmp_path, monkeypatch):
    """The files example's lake: a folder of this test's, set before the DAG is parsed."""
    monkeypatch.setenv("DATALORE_EXAMPLE_LAKE", f"file://{tmp_path}")
    return tmp_path


@pytest.mark.integration
def test_files_moved_are_inputs_and_outputs(lake, example_dags, emulator, lineage_events, deferrable):
    dag_run = run_dag(fast(example_dags.get_dag("datalore_files_in_and_out"), deferrable=deferrable))
    assert task_states(dag_run)["run_report"] == "success"
    day = dag_run.logical_date.strftime("%Y-%m-%d")
    notebook_files = "/notebook/demo/sales-report/data/notebook_files"

    # The upload's source (a local file: namespace "file") in, the notebook's file out.
    (upload,) = lineage_events("upload_orders", "COMPLETE")
    assert upload["inputs"] == [
        {"namespace": "file", "name": f"{lake}/extracts/{day}/orders.csv", "facets": {}}
    ]
    assert upload["outputs"] == [
        {"namespace": emulator.url, "name": f"{notebook_files}/orders.csv", "facets": {}}
    ]
    assert "sourceCodeLocation" not in upload["job"]["facets"]  # it moves files, it runs no notebook

    # The run: its artifacts, then the files its downloads wrote.
    (run,) = lineage_events("run_report", "COMPLETE")
    run_id = xcom(dag_run, "run_report", "run_id")
    assert run["run"]["facets"]["dataloreRun"]["runId"] == run_id
    assert run["outputs"] == [
        *[
            {"namespace": emulator.url, "name": artifact["path"], "facets": {}}
            for artifact in xcom(dag_run, "run_report")["artifacts"]
        ],
        {"namespace": "file", "name": f"{lake}/reports/{day}/summary.csv", "facets": {}},
    ]


@pytest.mark.integration
def test_the_interactive_operator_reports_the_notebook_and_its_run(
    example_dags, emulator, lineage_events, deferrable
):
    dag_run = run_dag(fast(example_dags.get_dag("datalore_interactive_refresh"), deferrable=deferrable))
    assert task_states(dag_run)["refresh_dashboard"] == "success"

    (complete,) = lineage_events("refresh_dashboard", "COMPLETE")
    assert complete["job"]["facets"]["sourceCodeLocation"] == notebook_location(emulator)
    assert complete["run"]["facets"]["dataloreInteractiveRun"] == {
        "_producer": PRODUCER,
        "_schemaURL": RUN_FACET_SCHEMA,
        "notebookId": "demo/sales-report",
        "success": True,
    }
    assert "dataloreRun" not in complete["run"]["facets"]  # no Run API run
    assert (complete["inputs"], complete["outputs"]) == ([], [])  # no artifacts


def ours(event: dict) -> dict:
    """The parts of an event that this package makes: the job's notebook, our run facet, the datasets."""
    return {
        "job": event["job"]["facets"].get("sourceCodeLocation"),
        "run": event["run"]["facets"].get("dataloreRun"),
        "inputs": event["inputs"],
        "outputs": event["outputs"],
    }


@pytest.mark.integration
@pytest.mark.parametrize("execute_in_thread", [True], ids=["thread"], indirect=True)
def test_execute_in_thread_reports_what_the_fork_reports(example_dags, emulator, lineage_events):
    """The one test with ``[openlineage] execute_in_thread``: the events carry what the default's do."""
    dag_run = run_dag(fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=True))
    assert task_states(dag_run) == {"refresh_sales_report": "success"}
    result = xcom(dag_run, "refresh_sales_report")
    run_id = result["run_id"]

    (complete,) = lineage_events("refresh_sales_report", "COMPLETE")
    # The same as test_the_run_operator_reports_notebook_run_and_artifacts asserts of the forked child's.
    assert ours(complete) == {
        "job": notebook_location(emulator),
        "run": finished_run_facet(result),
        "inputs": [],
        "outputs": [{"namespace": emulator.url, "name": artifact_path(run_id), "facets": {}}],
    }


def test_importing_the_operators_and_sensor_imports_no_openlineage():
    """The OpenLineage provider is optional: a DAG file that imports the tasks does not import it."""
    code = (
        "import json, sys\n"
        # Airflow 3 reads every installed provider's get_provider_info when it is imported.
        "import airflow.providers.common.compat.sdk\n"
        "before = set(sys.modules)\n"
        "import airflow_provider_datalore.operators.datalore\n"
        "import airflow_provider_datalore.sensors.datalore\n"
        "print(json.dumps({\n"
        "    'added': sorted(name for name in set(sys.modules) - before if 'openlineage' in name),\n"
        "    'client': 'openlineage' in sys.modules,\n"
        "}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout.splitlines()[-1]) == {"added": [], "client": False}
