"""What the production-topology suite deploys: the DAG files, the emulator's notebooks and the token."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The API token of ``datalore_default``; the emulator knows no other. A test proves it is nowhere in
#: Airflow's database or logs.
TOKEN = "dl-topology-token-71b9e4"

#: The mapped DAG: 50 deferrable runs, and one more task that relies on Airflow's retries.
MAPPED_DAG_ID = "topology_mapped_waits"
MAPPED_TASK_ID = "refresh_region"
RETRIED_TASK_ID = "refresh_with_task_retries"
MAPPED_COUNT = 50
MAPPED_NOTEBOOK = "topology/regional-refresh"
#: How long each of those runs takes in Datalore, from its start: long enough to outlive the start of
#: the 51 tasks, a triggerer's death and its take-over, and the 60 s outage, on a busy 2-core machine.
MAPPED_RUN_SECONDS = 210
#: How long the outage lasts.
OUTAGE_SECONDS = 60

#: The worker-crash DAG: one deferrable task, retried once, whose worker dies mid-start.
CRASH_DAG_ID = "topology_worker_crash"
CRASH_TASK_ID = "refresh_after_crash"
CRASH_NOTEBOOK = "topology/crash-refresh"
#: Status reads that report a run of CRASH_NOTEBOOK in progress: the killed try's (if it got that far),
#: the retried try's two (re-attach, then the read before deferring), and then the trigger's first.
CRASH_RUN_POLLS = 4

DAG_FILES = (HERE / "dags" / "topology_mapped_waits.py", HERE / "dags" / "topology_worker_crash.py")
DAG_IDS = (MAPPED_DAG_ID, CRASH_DAG_ID)

EMULATOR_CONFIG = {
    "tokens": {TOKEN: {MAPPED_NOTEBOOK: "editor", CRASH_NOTEBOOK: "editor"}},
    "notebooks": [
        {"id": MAPPED_NOTEBOOK, "duration": MAPPED_RUN_SECONDS, "artifacts": [{"name": "summary.csv"}]},
        {"id": CRASH_NOTEBOOK, "polls": CRASH_RUN_POLLS},
    ],
}
