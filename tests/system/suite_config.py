"""What the system suite deploys: the DAG files, the emulator's notebooks and the connection's token."""

from __future__ import annotations

from pathlib import Path

from airflow_provider_datalore.emulator.sales_report import SALES_REPORT_CELLS_JSON

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: The API token of ``datalore_default``; the emulator knows no other.
TOKEN = "dl-system-token-8c41d2"
#: A long run for the triggerer-restart test: long enough to outlive a triggerer and its replacement's
#: take-over (10 s health-check threshold + start-up), short enough for the suite's time budget.
LONG_RUN_SECONDS = 40
#: Where the deployment's OpenLineage events go: the file transport, and nothing else of OpenLineage set
#: (task events made in a forked child, the provider's default).
OPENLINEAGE_EVENTS = "openlineage-events.jsonl"
#: The example DAGs the suite runs, copied unchanged into the deployment's DAGs folder.
DAG_FILES = (
    ROOT / "example_dags" / "example_datalore_scheduled_refresh.py",
    ROOT / "example_dags" / "example_datalore_sensor.py",
    ROOT / "example_dags" / "example_datalore_interactive.py",
    HERE / "dags" / "system_triggerer_restart.py",
    HERE / "dags" / "system_lineage_failure.py",
)
DAG_IDS = (
    "datalore_scheduled_refresh",
    "datalore_start_then_sense",
    "datalore_interactive_refresh",
    "system_triggerer_restart",
    "system_lineage_failure",
)
#: The sales report's cells, each done on the read that starts it: the interactive example's run has
#: finished by the trigger's first poll, so no 30 s poll is waited out.
QUICK_CELLS = [
    cell if cell["type"] == "MARKDOWN" else {**cell, "polls": 0} for cell in SALES_REPORT_CELLS_JSON
]

EMULATOR_CONFIG = {
    "tokens": {
        TOKEN: {"demo/sales-report": "editor", "system/long-refresh": "editor", "system/failing": "editor"}
    },
    "notebooks": [
        # In progress at the first status read (the worker's, just before it defers), finished at the
        # second (the trigger's first poll): every deferral is certain, and no 30 s poll is waited out.
        {
            "id": "demo/sales-report",
            "polls": 1,
            "artifacts": [{"name": "sales-report.ipynb"}, {"name": "regional-summary.csv"}],
            "cells": QUICK_CELLS,
        },
        {"id": "system/long-refresh", "duration": LONG_RUN_SECONDS},
        # Running at the worker's read, failed at the trigger's first poll: a deferred run that fails.
        {"id": "system/failing", "polls": 1, "outcome": "failure"},
    ],
}
