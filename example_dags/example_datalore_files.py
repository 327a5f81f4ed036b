"""
Move data through a notebook: extract, upload it to the notebook, run it, download what it wrote, use it.

1. ``extract`` writes today's orders to the lake (here a local folder; ``s3://``, ``gs://`` work alike,
   with a ``conn_id``).
2. ``upload_orders`` streams the file into the notebook's ``data/notebook_files`` (Notebook API,
   Datalore 2026.2+), where the notebook's code opens it as ``orders.csv``.
3. ``run_report`` runs the notebook with the day and the file name as parameters, waits in the
   triggerer, and once the run has succeeded downloads the summary the notebook wrote back to the lake
   (XCom ``downloads``, and the ``extra`` of the ``reports`` asset's event).
4. ``read_summary`` reads the downloaded file, as any downstream task would.

The lake's URI is the DAG's ``lake`` param (default: ``$DATALORE_EXAMPLE_LAKE`` or a folder in /tmp), and
the connection of its store ``$DATALORE_EXAMPLE_LAKE_CONN_ID`` (e.g. ``aws_default`` for an ``s3://`` lake;
none for a folder).
"""

from __future__ import annotations

import datetime
import os

from airflow.providers.common.compat.sdk import DAG, Asset, task

from airflow_provider_datalore.operators.datalore import DataloreRunNotebookOperator
from airflow_provider_datalore.operators.files import DataloreUploadFilesOperator

LAKE = os.environ.get("DATALORE_EXAMPLE_LAKE", "file:///tmp/datalore-example-lake")
LAKE_CONN_ID = os.environ.get("DATALORE_EXAMPLE_LAKE_CONN_ID") or None
#: Updated by each successful run: its events' ``extra`` lists the files downloaded (``datalore_downloads``).
REPORTS = Asset(f"{LAKE}/reports")

with DAG(
    dag_id="datalore_files_in_and_out",
    schedule="@daily",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    tags=["datalore", "example"],
    params={"lake": LAKE},
    doc_md=__doc__,
) as dag:

    @task
    def extract(ds: str | None = None, params: dict | None = None) -> str:
        """Write the day's orders to the lake; return the file's URI."""
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        assert params is not None
        path = ObjectStoragePath(f"{params['lake']}/extracts/{ds}/orders.csv", conn_id=LAKE_CONN_ID)
        if path.protocol in ("", "file", "local"):
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("order_id,region,amount\n1,EMEA,120.50\n2,AMER,99.00\n3,EMEA,42.00\n")
        return str(path)

    orders = extract()

    upload_orders = DataloreUploadFilesOperator(
        task_id="upload_orders",
        notebook_id="demo/sales-report",
        source=orders,
        source_conn_id=LAKE_CONN_ID,
        directory="data/notebook_files",
    )

    run_report = DataloreRunNotebookOperator(
        task_id="run_report",
        notebook_id="demo/sales-report",
        parameters={"day": "{{ ds }}", "orders_file": "orders.csv"},
        update_report="on success",
        deferrable=True,
        poll_interval=30,
        download_paths=["data/notebook_files/summary.csv"],
        download_to="{{ params.lake }}/reports/{{ ds }}/",
        download_conn_id=LAKE_CONN_ID,
        outlets=[REPORTS],
    )

    @task
    def read_summary(downloads: list[dict]) -> int:
        """Read what the notebook produced; return its number of data rows."""
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        (summary,) = downloads
        lines = ObjectStoragePath(summary["destination"], conn_id=LAKE_CONN_ID).read_text().splitlines()
        print(
            f"{summary['source']} -> {summary['destination']}: {len(lines) - 1} rows, sha256 {summary['sha256']}"
        )
        return len(lines) - 1

    upload_orders >> run_report
    read_summary(run_report.output["downloads"])
