"""WaitProgress: a long wait's INFO lines come on changes and every few minutes, not on every poll."""

from __future__ import annotations

import logging

from airflow_provider_datalore.progress import WaitProgress
from airflow_provider_datalore.run_api.run import DataloreRun


def running(status: str = "running") -> DataloreRun:
    return DataloreRun(
        run_id="r1", notebook_id="a/b", notebook_url="https://x/notebook/a/b", status=status, success=None
    )


def test_info_on_changes_and_every_five_minutes(caplog):
    now = [0.0]
    log = logging.getLogger("test.progress")
    progress = WaitProgress(log, clock=lambda: now[0])
    with caplog.at_level(logging.DEBUG, logger="test.progress"):
        for poll in range(1, 301):  # 300 polls, 2 s apart: 10 minutes
            now[0] = poll * 2.0
            progress.poll(running("queued" if poll < 100 else "running"), 2)
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    debugs = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert infos == [
        "Datalore run r1 of notebook a/b (https://x/notebook/a/b) is in progress (status 'queued'); next check in 2 s.",
        "Datalore run r1 of notebook a/b (https://x/notebook/a/b) is in progress (status 'running'); next check in 2 s.",
        "Datalore run r1 of notebook a/b (https://x/notebook/a/b) is in progress (status 'running'), still, after "
        "8 min; next check in 2 s.",
    ]
    assert len(debugs) == 297
