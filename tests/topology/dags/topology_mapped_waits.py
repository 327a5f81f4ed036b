"""
Topology suite only: 50 deferrable Datalore runs at once (dynamic task mapping), and one more task.

The 50 mapped tasks ride out a Datalore outage of a minute inside their trigger: their polls are retried
for longer than that (``hook_params``). The one other task keeps the hook's default retries, which give
up on an outage that long, and relies on Airflow's task retries instead: on Airflow 3.3 a retried try
re-attaches to the run it started (the run id is in the task state store), so it never starts a second.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG

from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator

NOTEBOOK = "topology/regional-refresh"

with DAG(
    dag_id="topology_mapped_waits",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    max_active_tasks=128,
    tags=["datalore", "topology-test"],
    doc_md=__doc__,
) as dag:
    DataloreRunNotebookOperator.partial(
        task_id="refresh_region",
        notebook_id=NOTEBOOK,
        poll_interval=5,
        deferrable=True,
        timeout=datetime.timedelta(minutes=9),
        # Up to 39 retries of a failed poll, each after a random wait of up to 8 s (mean 4 s): a poll
        # gives up only after minutes of failures.
        hook_params={"retry_limit": 40, "retry_delay": 1.0, "retry_max_delay": 8.0},
    ).expand(parameters=[{"region": f"region-{index:02d}"} for index in range(50)])

    DataloreRunNotebookOperator(
        task_id="refresh_with_task_retries",
        notebook_id=NOTEBOOK,
        parameters={"region": "retried"},
        poll_interval=5,
        deferrable=True,
        timeout=datetime.timedelta(minutes=9),
        retries=6,
        retry_delay=datetime.timedelta(seconds=15),
    )
