"""The JSON of ``GET /api/run/v1/{runId}``: a run as it stands, shaped by its notebook's reply settings."""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.notebooks import ABSENT

if TYPE_CHECKING:
    from airflow_provider_datalore.emulator.notebooks import Artifact
    from airflow_provider_datalore.emulator.state import Run

#: The zone of ``iso_offset`` times: the same instant as UTC, written as a server in CET summer time would.
_PLUS_TWO = timezone(timedelta(hours=2))
#: What a server sends for a time with ``time_format: "invalid"``.
NOT_A_TIME = "soon"


def status_reply(run: Run, *, read_only: bool, direct_file_storage_field: bool = True) -> dict[str, Any]:
    """
    Return the status JSON of ``run`` as it stands now.

    :param run: the run.
    :param read_only: the token has viewer access to the run's notebook (``readOnly``).
    :param direct_file_storage_field: the server sends ``directFileStorageWrite`` (not before 2024.5).
    """
    nb = run.notebook
    payload: dict[str, Any] = {
        "runId": run.run_id,
        "userId": nb.owner if nb.reply_user_id is None else nb.reply_user_id,
        "notebookId": nb.id if nb.reply_notebook_id == "full" else nb.name,
        "startTime": format_time(run.start_time, nb.time_format),
    }
    if run.end_time is None:
        if nb.end_time_while_running:
            payload["endTime"] = None
        if nb.success_while_running is not None:
            payload["success"] = nb.success_while_running
        payload["status"] = nb.status
        artifacts: Any = []
    else:
        payload["endTime"] = format_time(run.end_time, nb.time_format)
        payload["success"] = nb.outcome == "success"
        if nb.final_status is not None:
            payload["status"] = nb.final_status
        artifacts = _finished_artifacts(run)
    payload["updateReport"] = run.update_report
    if direct_file_storage_field:
        payload["directFileStorageWrite"] = run.direct_file_storage_write
    payload["artifacts"] = artifacts
    payload["readOnly"] = read_only
    for name in nb.omit_fields:
        payload.pop(name, None)
    return payload


def format_time(epoch: float, time_format: str) -> str | int | float:
    """
    Return the instant ``epoch`` (unix seconds) as a reply writes it in ``time_format``.

    :param epoch: the instant.
    :param time_format: one of ``notebooks.TIME_FORMATS``.
    """
    if time_format == "epoch_ms":
        return int(epoch * 1000)
    if time_format == "epoch_s":
        return int(epoch)
    if time_format == "epoch_s_float":
        return round(epoch, 3)
    if time_format == "invalid":
        return NOT_A_TIME
    seconds = math.floor(epoch)
    fraction = epoch - seconds  # exact in binary floating point
    if time_format == "iso_offset":
        moment = datetime.fromtimestamp(seconds, _PLUS_TWO) + timedelta(
            milliseconds=math.floor(fraction * 1000)
        )
        return moment.isoformat(timespec="milliseconds")
    text = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    if time_format == "iso_fraction":
        return f"{text}.{min(round(fraction * 1e9), 999_999_999):09d}Z"
    return f"{text}Z"


def _finished_artifacts(run: Run) -> Any:
    nb = run.notebook
    if nb.artifacts_reply is not ABSENT:
        return copy.deepcopy(nb.artifacts_reply)
    return [{"name": a.name, "path": artifact_path(run, a)} for a in nb.effective_artifacts]


def artifact_path(run: Run, artifact: Artifact) -> str:
    """
    Return the path a finished run's reply gives an artifact: its own, else in the run's artifact directory.

    :param run: the run.
    :param artifact: one of its notebook's artifacts.
    """
    return artifact.path or f"/notebook/{run.notebook.id}/artifacts/{run.run_id}/{artifact.name}"
