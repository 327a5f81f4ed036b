"""Every example DAG, run with dag.test() against the emulator, deferrable and not."""

from __future__ import annotations

import datetime
import hashlib
import io

import pytest

from airflow_provider_datalore.hooks.datalore import DataloreHook
from tests.helpers import AIRFLOW_2, AIRFLOW_3_0, fast, run_dag, task_states, write_parsed_dag_to_db, xcom

pytestmark = pytest.mark.integration


@pytest.fixture(params=[True, False], ids=["deferrable", "polling"])
def deferrable(request):
    return request.param


def expected_artifacts(emulator, run_id):
    return [
        {
            "name": "sales-report.ipynb",
            "path": f"/notebook/demo/sales-report/artifacts/{run_id}/sales-report.ipynb",
            "url": f"{emulator.url}/notebook/demo/sales-report/artifacts/{run_id}/sales-report.ipynb",
        }
    ]


def test_scheduled_refresh(example_dags, emulator, trigger_runs, deferrable):
    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=deferrable)
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"refresh_sales_report": "success"}

    (start,) = emulator.run_starts()
    run_id = xcom(dag_run, "refresh_sales_report", "run_id")
    assert start.body == {
        "notebookId": "demo/sales-report",
        "parameters": [
            {"name": "start_date", "value": dag_run.data_interval_start.strftime("%Y-%m-%d")},
            {"name": "end_date", "value": dag_run.data_interval_end.strftime("%Y-%m-%d")},
            {"name": "region", "value": "EMEA"},
        ],
        "updateReport": "on success",
    }
    assert emulator.runs[run_id].parameters == start.body["parameters"]
    result = xcom(dag_run, "refresh_sales_report")
    assert result["run_id"] == run_id
    assert result["notebook_id"] == "demo/sales-report"
    assert result["success"] is True
    assert result["update_report"] == "on success"
    assert result["start_time"] and result["end_time"]
    assert result["artifacts"] == expected_artifacts(emulator, run_id)
    assert xcom(dag_run, "refresh_sales_report", "artifacts") == expected_artifacts(emulator, run_id)
    assert (
        xcom(dag_run, "refresh_sales_report", "notebook_url") == f"{emulator.url}/notebook/demo/sales-report"
    )
    assert trigger_runs == ([run_id] if deferrable else [])


def test_report_after_data_load(example_dags, emulator, trigger_runs, deferrable):
    producer = example_dags.get_dag("datalore_load_sales")
    assert task_states(run_dag(producer)) == {"load_sales": "success"}

    consumer = fast(example_dags.get_dag("datalore_report_after_load"), deferrable=deferrable)
    dag_run = run_dag(consumer)
    assert task_states(dag_run) == {"update_sales_report": "success"}
    (start,) = emulator.run_starts()
    assert start.body == {
        "notebookId": "demo/sales-report",
        "parameters": [
            {"name": "source", "value": "warehouse://sales/daily"},
            {"name": "triggered_by", "value": dag_run.run_id},
        ],
        "updateReport": "on success",
    }
    assert xcom(dag_run, "update_sales_report")["success"] is True
    assert len(trigger_runs) == (1 if deferrable else 0)


def test_start_then_sense_then_use_artifacts(example_dags, emulator, trigger_runs, deferrable):
    dag = fast(example_dags.get_dag("datalore_start_then_sense"), deferrable=deferrable)
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {
        "start_run": "success",
        "wait_for_run": "success",
        "publish_artifacts": "success",
    }
    (start,) = emulator.run_starts()
    assert start.body == {
        "notebookId": "demo/sales-report",
        "parameters": [{"name": "region", "value": "AMER"}],
    }
    run_id = xcom(dag_run, "start_run")
    assert xcom(dag_run, "start_run", "run_id") == run_id
    assert xcom(dag_run, "wait_for_run")["run_id"] == run_id
    assert xcom(dag_run, "wait_for_run", "artifacts") == expected_artifacts(emulator, run_id)
    assert xcom(dag_run, "publish_artifacts") == [a["url"] for a in expected_artifacts(emulator, run_id)]
    assert xcom(dag_run, "wait_for_run", "notebook_url") == f"{emulator.url}/notebook/demo/sales-report"
    assert trigger_runs == ([run_id] if deferrable else [])


def test_one_run_per_parameter_set(example_dags, emulator, trigger_runs, deferrable):
    dag = fast(example_dags.get_dag("datalore_per_region"), deferrable=deferrable)
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {f"regional_report[{i}]": "success" for i in range(3)}
    starts = emulator.run_starts()
    ds = dag_run.logical_date.strftime("%Y-%m-%d")
    assert sorted((s.body["parameters"][0]["value"], s.body["parameters"][1]["value"]) for s in starts) == [
        ("AMER", ds),
        ("APAC", ds),
        ("EMEA", ds),
    ]
    run_ids = {xcom(dag_run, "regional_report", "run_id", i) for i in range(3)}
    assert run_ids == set(emulator.runs)
    assert len(trigger_runs) == (3 if deferrable else 0)


def test_failed_run_fails_the_task(example_dags, emulator, deferrable):
    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=deferrable)
    dag.get_task("refresh_sales_report").notebook_id = "demo/failing"
    dag.get_task("refresh_sales_report").retries = 0
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {"refresh_sales_report": "failed"}
    assert len(emulator.run_starts()) == 1
    assert xcom(dag_run, "refresh_sales_report", "run_id") in emulator.runs


def test_the_notebook_link_points_at_the_notebook(example_dags, emulator):
    from airflow_provider_datalore.links.datalore import DataloreNotebookLink

    dag = fast(example_dags.get_dag("datalore_start_then_sense"), deferrable=True)
    dag_run = run_dag(dag)
    expected = f"{emulator.url}/notebook/demo/sales-report"
    for task_id in ("start_run", "wait_for_run"):
        (ti,) = [ti for ti in dag_run.get_task_instances() if ti.task_id == task_id]
        assert DataloreNotebookLink.name == "Datalore notebook"
        if AIRFLOW_2:  # the webserver asks the link when the page is shown
            assert DataloreNotebookLink().get_link(dag.get_task(task_id), ti_key=ti.key) == expected
        else:  # Airflow 3 asks it on the worker when the task ends, and stores it for the UI
            assert xcom(dag_run, task_id, "_link_DataloreNotebookLink") == expected


def test_interactive_refresh(example_dags, emulator, interactive_triggers, deferrable):
    dag_run = run_dag(fast(example_dags.get_dag("datalore_interactive_refresh"), deferrable=deferrable))

    assert task_states(dag_run) == {
        "refresh_dashboard": "success",
        "check_sales": "success",
        "alert": "skipped",
        "all_good": "success",
    }
    day = dag_run.logical_date.date()
    week = [(day - datetime.timedelta(days=6)).isoformat(), day.isoformat()]
    notebook = emulator.notebook_state("demo/sales-report")
    period = next(cell for cell in notebook["kernel"]["cells"] if cell["cellId"] == "period")["control"]
    assert [period["startDate"], period["endDate"]] == week
    (start,) = emulator.requests(path_contains="/api/computation/v1/notebook")
    assert start.body == {"notebookId": "demo/sales-report"}
    outputs = xcom(dag_run, "refresh_dashboard", "cell_outputs")
    assert outputs["total_sales"]["value"] == "1234"
    assert outputs["total_sales"]["cell_id"] == "kpi"
    report = xcom(dag_run, "refresh_dashboard", "report")
    assert (report["type"], report["mode"]) == ("STATIC", "CREATE")  # no publication yet: created
    assert report["url"] == f"{emulator.url}/report/static/demo/{report['report_id']}"
    if not AIRFLOW_2:  # Airflow 3 asks the links on the worker when the task ends, and stores them
        assert xcom(dag_run, "refresh_dashboard", "_link_DataloreReportLink") == report["url"]
    assert emulator.requests(path_contains="/kernel/interrupt") == []
    assert xcom(dag_run, "refresh_dashboard", "notebook_url") == f"{emulator.url}/notebook/demo/sales-report"
    assert interactive_triggers == (["demo/sales-report"] if deferrable else [])


@pytest.fixture
def lake(tmp_path, monkeypatch):
    """The example's lake: a folder of this test's, set before the DAG is parsed."""
    monkeypatch.setenv("DATALORE_EXAMPLE_LAKE", f"file://{tmp_path}")
    return tmp_path


def test_files_in_and_out(lake, example_dags, emulator, trigger_runs, deferrable):
    tmp_path = lake
    dag = fast(example_dags.get_dag("datalore_files_in_and_out"), deferrable=deferrable)
    if not AIRFLOW_2 and not AIRFLOW_3_0:
        # This test's lake is a new outlet asset: registered as the DAG processor would (dag.test() of
        # 3.1 and 3.2 records no event for an asset of a re-parsed DAG that it did not register).
        write_parsed_dag_to_db(dag)
    dag_run = run_dag(dag)

    assert task_states(dag_run) == {
        "extract": "success",
        "upload_orders": "success",
        "run_report": "success",
        "read_summary": "success",
    }
    day = dag_run.logical_date.strftime("%Y-%m-%d") if dag_run.logical_date else None
    extract = (tmp_path / "extracts" / day / "orders.csv").read_bytes()
    (upload,) = xcom(dag_run, "upload_orders")
    assert upload == {
        "path": "data/notebook_files/orders.csv",
        "size": len(extract),
        "sha256": hashlib.sha256(extract).hexdigest(),
    }
    # The bytes that reached Datalore are those of the extract.
    uploaded = io.BytesIO()
    DataloreHook().download_file("demo/sales-report", "data/notebook_files/orders.csv", uploaded)
    assert uploaded.getvalue() == extract
    (start,) = emulator.run_starts()
    assert start.body["parameters"] == [
        {"name": "day", "value": day},
        {"name": "orders_file", "value": "orders.csv"},
    ]
    summary = tmp_path / "reports" / day / "summary.csv"
    assert summary.read_text() == "region,amount\nEMEA,162.50\nAMER,99.00\n"
    assert xcom(dag_run, "run_report", "downloads") == [
        {
            "source": "data/notebook_files/summary.csv",
            "destination": f"file://{summary}",
            "size": summary.stat().st_size,
            "sha256": hashlib.sha256(summary.read_bytes()).hexdigest(),
        }
    ]
    assert xcom(dag_run, "read_summary") == 2
    events = asset_event_extras(f"file://{tmp_path}/reports")
    if AIRFLOW_2:  # 2.11's dag.test() records no event for a dataset that no parsed DAG registered
        assert events == []
    else:
        assert events == [{"datalore_downloads": xcom(dag_run, "run_report", "downloads")}]
    assert [p.name for p in summary.parent.iterdir()] == ["summary.csv"]  # no temporary file left
    assert len(trigger_runs) == (1 if deferrable else 0)


def asset_event_extras(uri: str) -> list[dict]:
    """Return the ``extra`` of every event of the asset (dataset, on Airflow 2) with this URI."""
    from airflow.utils.session import create_session

    if AIRFLOW_2:
        from airflow.models.dataset import DatasetEvent as Event
        from airflow.models.dataset import DatasetModel as Model

        join = Event.dataset_id == Model.id
    else:
        from airflow.models.asset import AssetEvent as Event
        from airflow.models.asset import AssetModel as Model

        join = Event.asset_id == Model.id
    with create_session() as session:
        rows = session.query(Event).join(Model, join).filter(Model.uri == uri).all()
        return [dict(row.extra or {}) for row in rows]
