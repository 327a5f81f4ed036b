"""
The Run API as its reference documents it: the endpoints' paths and a status reply's fields.

Plain data with no Airflow import: the hook and the emulator both read it, so they cannot drift apart.
"""

from __future__ import annotations

RUN_PATH = "/api/run/v1/notebook"
STATUS_PATH = "/api/run/v1/{run_id}"
INTERACTIVE_PATH = "/api/computation/v1/notebook"

#: The fields of ``GET /api/run/v1/{runId}``'s reply, in the reference's order.
STATUS_FIELDS = (
    "runId",
    "userId",
    "notebookId",
    "startTime",
    "endTime",
    "success",
    "status",
    "updateReport",
    "directFileStorageWrite",
    "artifacts",
    "readOnly",
)
