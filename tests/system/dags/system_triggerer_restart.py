"""
System test only: a deferrable refresh of a long-running notebook, polled every 2 seconds.

The triggerer-restart test kills the triggerer while this task waits for its run, then starts a new
triggerer; the task must still succeed, from the one run it started.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator

with DAG(
    dag_id="system_triggerer_restart",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    tags=["datalore", "system-test"],
    doc_md=__doc__,
) as dag:
    DataloreRunNotebookOperator(
        task_id="refresh_long_report",
        notebook_id="system/long-refresh",
        parameters={"run": "{{ run_id }}"},
        poll_interval=2,
        deferrable=True,
    )
