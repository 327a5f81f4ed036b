"""
The DAGs whose task instances the real-triggerer benchmark defers (``real_triggerer_feed.py``).

Never scheduled and never run by a worker: the benchmark writes their task instances as deferred, with
the triggers their operators would have deferred to. ``wait`` gets one task instance per run waited on
(map indexes 0..N-1), ``probe`` one for the loop-lag probe (``lag_probe.py``).
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG
from airflow.providers.dbt.cloud.sensors.dbt import DbtCloudJobRunSensor
from airflow.providers.standard.operators.empty import EmptyOperator

from airflow_provider_datalore.sensors.datalore import DataloreRunStatusSensor

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

with DAG(dag_id="bench_real_datalore", schedule=None, start_date=START, catchup=False):
    DataloreRunStatusSensor(task_id="wait", run_id="fed-by-the-benchmark", deferrable=True)
    EmptyOperator(task_id="probe")

with DAG(dag_id="bench_real_dbt", schedule=None, start_date=START, catchup=False):
    DbtCloudJobRunSensor(task_id="wait", run_id=0, deferrable=True)
    EmptyOperator(task_id="probe")
