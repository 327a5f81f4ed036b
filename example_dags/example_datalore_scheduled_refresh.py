"""
Refresh a Datalore notebook every morning with the day's data interval as its parameters.

The notebook has interactive controls whose variables are ``start_date``, ``end_date`` and ``region``;
each run gets the DAG run's data interval and updates the published report when it succeeds.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator

try:  # Airflow 3
    from airflow.sdk import CronDataIntervalTimetable
except ImportError:  # Airflow 2
    from airflow.timetables.interval import CronDataIntervalTimetable

with DAG(
    dag_id="datalore_scheduled_refresh",
    # Every day at 06:00 UTC, for the day that just ended: data_interval_start..data_interval_end.
    schedule=CronDataIntervalTimetable("0 6 * * *", timezone="UTC"),
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    tags=["datalore", "example"],
    doc_md=__doc__,
) as dag:
    refresh_sales_report = DataloreRunNotebookOperator(
        task_id="refresh_sales_report",
        notebook_id="demo/sales-report",
        parameters={
            "start_date": "{{ data_interval_start | ds }}",
            "end_date": "{{ data_interval_end | ds }}",
            "region": "EMEA",
        },
        update_report="on success",
        poll_interval=30,
        timeout=datetime.timedelta(hours=2),
        deferrable=True,
        retries=2,
        retry_delay=datetime.timedelta(minutes=5),
    )
