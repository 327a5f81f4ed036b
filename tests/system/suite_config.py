"""What the system suite deploys: the DAG files, the emulator's notebooks and the connection's token."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: The API token of ``datalore_default``; the emulator knows no other.
TOKEN = "dl-system-token-8c41d2"
#: A long run for the triggerer-restart test: long enough to outlive a triggerer and its replacement's
#: take-over (10 s health-check threshold + start-up), short enough for the suite's time budget.
LONG_RUN_SECONDS = 40
#: The example DAGs the suite runs, copied unchanged into the deployment's DAGs folder.
DAG_FILES = (
    ROOT / "example_dags" / "example_datalore_scheduled_refresh.py",
    ROOT / "example_dags" / "example_datalore_sensor.py",
    HERE / "dags" / "system_triggerer_restart.py",
)
DAG_IDS = ("datalore_scheduled_refresh", "datalore_start_then_sense", "system_triggerer_restart")

EMULATOR_CONFIG = {
    "tokens": {TOKEN: {"demo/sales-report": "editor", "system/long-refresh": "editor"}},
    "notebooks": [
        # In progress at the first status read (the worker's, just before it defers), finished at the
        # second (the trigger's first poll): every deferral is certain, and no 30 s poll is waited out.
        {
            "id": "demo/sales-report",
            "polls": 1,
            "artifacts": [{"name": "sales-report.ipynb"}, {"name": "regional-summary.csv"}],
        },
        {"id": "system/long-refresh", "duration": LONG_RUN_SECONDS},
    ],
}
