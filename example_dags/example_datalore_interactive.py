"""
Recompute a dashboard notebook's outputs in place every hour, in interactive mode.

Interactive mode updates the notebook itself (no run, no artifacts), so there is nothing to wait for: the
task succeeds once Datalore answers. Datalore may answer only when the notebook has finished computing,
so ``request_timeout`` allows for that; a timeout there fails the task without retrying it (the notebook
may be running).
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_datalore.operators.datalore import DataloreRunInteractiveOperator

with DAG(
    dag_id="datalore_interactive_refresh",
    schedule="@hourly",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    tags=["datalore", "example"],
    doc_md=__doc__,
) as dag:
    DataloreRunInteractiveOperator(
        task_id="recompute_dashboard",
        notebook_id="demo/sales-report",
        request_timeout=datetime.timedelta(minutes=10),
        retries=2,
        retry_delay=datetime.timedelta(minutes=1),
    )
