"""
Start a notebook run without waiting, wait for it with a deferrable sensor, then use its artifacts.

The start task returns as soon as Datalore accepts the run and pushes ``run_id`` to XCom; the sensor
waits in the triggerer (no worker slot held) and pushes the run's ``artifacts``; the last task reads them.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator
from airflow_provider_datalore.sensors.datalore import DataloreRunStatusSensor

with DAG(
    dag_id="datalore_start_then_sense",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    tags=["datalore", "example"],
    doc_md=__doc__,
) as dag:
    start_run = DataloreRunNotebookOperator(
        task_id="start_run",
        notebook_id="demo/sales-report",
        parameters={"region": "{{ params.region }}"},
        wait_for_termination=False,
        params={"region": "AMER"},
    )

    wait_for_run = DataloreRunStatusSensor(
        task_id="wait_for_run",
        run_id="{{ ti.xcom_pull(task_ids='start_run', key='run_id') }}",
        deferrable=True,
        poke_interval=30,
        timeout=3 * 60 * 60,
    )

    @task
    def publish_artifacts(artifacts: list[dict[str, str]]) -> list[str]:
        """Hand the run's files to whatever comes next; here, just list their URLs."""
        urls = [artifact["url"] for artifact in artifacts]
        for url in urls:
            print(f"Datalore artifact: {url}")
        return urls

    start_run >> wait_for_run
    publish_artifacts(wait_for_run.output["artifacts"])
