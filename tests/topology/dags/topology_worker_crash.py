"""
Topology suite only: one deferrable Datalore run whose Celery worker is killed mid-start.

The test holds Datalore's reply to the start (or to the status read just after it) and kills the worker
running the task; Airflow fails the try when its heartbeat stops and retries it on a worker.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator

with DAG(
    dag_id="topology_worker_crash",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    tags=["datalore", "topology-test"],
    doc_md=__doc__,
) as dag:
    DataloreRunNotebookOperator(
        task_id="refresh_after_crash",
        notebook_id="topology/crash-refresh",
        parameters={"run": "{{ run_id }}"},
        poll_interval=2,
        deferrable=True,
        timeout=datetime.timedelta(minutes=5),
        retries=3,
        retry_delay=datetime.timedelta(seconds=1),
    )
