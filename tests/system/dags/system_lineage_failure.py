"""
System test only: a deferrable run of a notebook whose run fails, for the OpenLineage FAIL event.

No retries: the one try fails once the triggerer reports the failed run.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator

with DAG(
    dag_id="system_lineage_failure",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    tags=["datalore", "system-test"],
    doc_md=__doc__,
) as dag:
    DataloreRunNotebookOperator(
        task_id="refresh_failing_report",
        notebook_id="system/failing",
        poll_interval=1,
        deferrable=True,
        retries=0,
    )
