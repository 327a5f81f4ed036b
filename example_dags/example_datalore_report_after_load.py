"""
Update a Datalore report as soon as fresh data has landed.

``datalore_load_sales`` loads the day's sales and marks the ``warehouse://sales/daily`` asset (a dataset
on Airflow 2). ``datalore_report_after_load`` is scheduled on that asset: it runs the report notebook and
updates the published report only when the run succeeds.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG, Asset, task

from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator

SALES_DAILY = Asset("warehouse://sales/daily")
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

with DAG(
    dag_id="datalore_load_sales",
    schedule="@daily",
    start_date=START,
    catchup=False,
    tags=["datalore", "example"],
) as producer:

    @task(outlets=[SALES_DAILY])
    def load_sales() -> int:
        """Stand-in for the real load (a COPY INTO, a dbt build, ...); returns the rows loaded."""
        return 1250

    load_sales()


with DAG(
    dag_id="datalore_report_after_load",
    schedule=[SALES_DAILY],
    start_date=START,
    catchup=False,
    tags=["datalore", "example"],
    doc_md=__doc__,
) as consumer:
    DataloreRunNotebookOperator(
        task_id="update_sales_report",
        notebook_id="demo/sales-report",
        parameters={"source": SALES_DAILY.uri, "triggered_by": "{{ dag_run.run_id }}"},
        update_report=True,
        poll_interval=30,
        deferrable=True,
    )
