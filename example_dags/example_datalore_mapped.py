"""
Run one notebook once per parameter set, in parallel, with dynamic task mapping.

Each mapped task instance starts its own run with its own ``region``; all wait in the triggerer.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator

REGIONS = ["EMEA", "AMER", "APAC"]

with DAG(
    dag_id="datalore_per_region",
    schedule="@weekly",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    tags=["datalore", "example"],
    doc_md=__doc__,
) as dag:
    DataloreRunNotebookOperator.partial(
        task_id="regional_report",
        notebook_id="demo/sales-report",
        poll_interval=30,
        deferrable=True,
    ).expand(parameters=[{"region": region, "week": "{{ ds }}"} for region in REGIONS])
