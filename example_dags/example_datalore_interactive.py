"""
Refresh a dashboard notebook for the past week, read the number it computed, and branch on it.

1. ``refresh_dashboard`` sets the notebook's controls: its ``period`` date range to the week ending on
   the run's day, its ``region`` dropdown to EMEA. Then it runs every cell interactively (the notebook's
   outputs are updated in place), waits in the triggerer until this run's cells have run, reads the
   output of the cell that computes ``total_sales`` (XCom ``cell_outputs``) and publishes the notebook's
   static report (XCom ``report``). A cell that fails fails the task, naming the cell and its error.
2. ``check_sales`` branches on that number: ``alert`` below the target, ``all_good`` otherwise.

The controls keep the values set here in the notebook afterwards, as if set by hand.
"""

from __future__ import annotations

import datetime

from airflow.providers.common.compat.sdk import DAG, task

from airflow_provider_datalore.operators.interactive import DataloreRunInteractiveOperator

#: The weekly sales the team expects; below it, someone is told.
SALES_TARGET = 1000

with DAG(
    dag_id="datalore_interactive_refresh",
    schedule="@daily",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    catchup=False,
    tags=["datalore", "example"],
    doc_md=__doc__,
) as dag:
    refresh_dashboard = DataloreRunInteractiveOperator(
        task_id="refresh_dashboard",
        notebook_id="demo/sales-report",
        parameters={"period": ["{{ macros.ds_add(ds, -6) }}", "{{ ds }}"], "region": "EMEA"},
        output_cells=["total_sales"],
        publish_report="STATIC",
        deferrable=True,
        poll_interval=30,
        timeout=datetime.timedelta(hours=2),
    )

    @task.branch
    def check_sales(cell_outputs: dict) -> str:
        """Follow ``alert`` when the notebook's total is below the target."""
        total = float(cell_outputs["total_sales"]["value"])
        print(f"total_sales = {total} (target {SALES_TARGET})")
        return "alert" if total < SALES_TARGET else "all_good"

    @task
    def alert() -> None:
        """Tell someone: sales are below the target."""
        print("Sales are below the target.")

    @task
    def all_good() -> None:
        """Nothing to do."""
        print("Sales are on target.")

    check_sales(refresh_dashboard.output["cell_outputs"]) >> [alert(), all_good()]
