"""
`make demo`: run the example DAGs (scheduled refresh, files in and out, interactive run with parameters)
through real Airflow against the Datalore emulator.

Sets up a throw-away Airflow home, starts the emulator on loopback, points the ``datalore_default``
connection at it, runs ``datalore_scheduled_refresh`` with ``dag.test()`` (the task defers, the trigger
polls, the task resumes) and prints the run's result and artifacts; then runs ``datalore_files_in_and_out``
(a file goes into the notebook, the notebook's output comes back) and prints the files that moved.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_TOKEN = "demo-token-not-a-secret"


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="datalore-demo-airflow-"))
    os.environ.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
        }
    )
    try:
        return run_demo(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_demo(home: Path) -> int:
    say(f"1/6 Creating a throw-away Airflow metadata DB in {home}")
    airflow_cli = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow_cli), "db", "migrate"], check=True, capture_output=True)

    from airflow_provider_datalore.emulator import Artifact, DataloreEmulator, EmulatorConfig, Notebook
    from airflow_provider_datalore.emulator.sales_report import sales_report_cells

    config = EmulatorConfig(
        tokens={DEMO_TOKEN: {"demo/sales-report": "editor"}},
        notebooks=[
            Notebook(
                id="demo/sales-report",
                polls=3,
                artifacts=(Artifact(name="sales-report.ipynb"), Artifact(name="regional-summary.csv")),
                # What the notebook writes when a run succeeds: the files example downloads it.
                run_writes={"data/notebook_files/summary.csv": "region,amount\nEMEA,162.50\nAMER,99.00\n"},
                # Its cells, with a control of every kind: the interactive example sets and runs them.
                cells=sales_report_cells(),
            )
        ],
    )
    with DataloreEmulator(config) as emulator:
        say(f"2/6 Datalore emulator listening on {emulator.url}")
        os.environ["AIRFLOW_CONN_DATALORE_DEFAULT"] = json.dumps(
            {"conn_type": "datalore", "host": emulator.url, "password": DEMO_TOKEN}
        )
        dag = load_dag("datalore_scheduled_refresh")
        task = dag.get_task("refresh_sales_report")
        task.poll_interval = 1  # the example polls every 30 s; the emulated run is short
        logical_date = datetime.datetime.now(datetime.UTC).replace(hour=6, minute=0, second=0, microsecond=0)
        say(
            f"3/6 Running DAG {dag.dag_id} for {logical_date:%Y-%m-%d %H:%M} UTC (deferrable={task.deferrable})"
        )
        import airflow

        key = "execution_date" if airflow.__version__.startswith("2.") else "logical_date"
        dag_run = dag.test(**{key: logical_date})
        (ti,) = [ti for ti in dag_run.get_task_instances() if ti.task_id == task.task_id]
        result = ti.xcom_pull(task_ids=task.task_id, key="return_value")
        starts = emulator.run_starts()
        say("4/6 Result")
        print(f"  task {ti.task_id}: {getattr(ti.state, 'value', ti.state)}")
        for start in starts:
            print(f"  request sent: POST {start.path} {json.dumps(start.body)}")
        if not result:
            print("  the run did not succeed: see the task log above")
            return 1
        width = max(len(key) for key in result)
        for key, value in result.items():
            if key != "artifacts":
                print(f"  {key:<{width}}  {value}")
        print("  artifacts:")
        for artifact in result["artifacts"]:
            print(f"    - {artifact['name']:<24} {artifact['url']}")
        if getattr(ti.state, "value", ti.state) != "success" or len(starts) != 1:
            return 1
        if run_files_demo(home, logical_date):
            return 1
        return run_interactive_demo(emulator, logical_date)


def run_files_demo(home: Path, logical_date: datetime.datetime) -> int:
    """Run the files example: extract, upload to the notebook, run it, download its summary, read it."""
    lake = home / "lake"
    os.environ["DATALORE_EXAMPLE_LAKE"] = f"file://{lake}"
    dag = load_dag("datalore_files_in_and_out")
    dag.get_task("run_report").poll_interval = 1
    say(f"5/6 Files in and out: DAG {dag.dag_id}, the lake in {lake}")
    import airflow

    key = "execution_date" if airflow.__version__.startswith("2.") else "logical_date"
    dag_run = dag.test(**{key: logical_date})
    states = {ti.task_id: getattr(ti.state, "value", ti.state) for ti in dag_run.get_task_instances()}
    pull = {ti.task_id: ti.xcom_pull for ti in dag_run.get_task_instances()}
    for task_id, state in states.items():
        print(f"  task {task_id}: {state}")
    for entry in pull["upload_orders"](task_ids="upload_orders") or []:
        print(f"  uploaded   {entry['path']}  {entry['size']} bytes  sha256 {entry['sha256'][:16]}...")
    for entry in pull["run_report"](task_ids="run_report", key="downloads") or []:
        print(f"  downloaded {entry['source']} -> {entry['destination']}  {entry['size']} bytes")
    print(f"  read_summary found {pull['read_summary'](task_ids='read_summary')} rows")
    return 0 if set(states.values()) == {"success"} else 1


def run_interactive_demo(emulator, logical_date: datetime.datetime) -> int:
    """Run the interactive example: set the controls, run every cell, wait, read a cell's value, branch."""
    dag = load_dag("datalore_interactive_refresh")
    dag.get_task("refresh_dashboard").poll_interval = 0.2
    say(f"6/6 Interactive run with parameters: DAG {dag.dag_id}")
    import airflow

    key = "execution_date" if airflow.__version__.startswith("2.") else "logical_date"
    dag_run = dag.test(**{key: logical_date})
    states = {ti.task_id: getattr(ti.state, "value", ti.state) for ti in dag_run.get_task_instances()}
    for task_id, state in states.items():
        print(f"  task {task_id}: {state}")
    for entry in emulator.requests(path_contains="/cell/controls/update"):
        control = entry.body["control"]
        value = {k: v for k, v in control.items() if k in ("value", "selectedValue", "startDate", "endDate")}
        print(f"  control set: {control['variable']} = {json.dumps(value)}")
    (ti,) = [ti for ti in dag_run.get_task_instances() if ti.task_id == "refresh_dashboard"]
    outputs = ti.xcom_pull(task_ids="refresh_dashboard", key="cell_outputs") or {}
    for reference, entry in outputs.items():
        print(
            f"  cell output {reference!r} (cell {entry['cell_id']}, {entry['status']}): value {entry['value']}"
        )
    report = ti.xcom_pull(task_ids="refresh_dashboard", key="report") or {}
    if report:
        print(f"  report published ({report['mode']}): {report['url']}")
    return 0 if states.get("refresh_dashboard") == "success" and states.get("check_sales") == "success" else 1


def load_dag(dag_id: str):
    try:
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(str(ROOT / "example_dags"))
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag

        bag = DagBag(str(ROOT / "example_dags"), include_examples=False)
    if bag.import_errors:
        raise SystemExit(f"example DAGs failed to import: {bag.import_errors}")
    return bag.get_dag(dag_id)


def say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
