"""
The README's screenshots, taken from the real Airflow UI with headless Chromium: ``make screenshots``.

Skipped unless ``DATALORE_SCREENSHOTS=1`` (see ``conftest.py``): it needs Debian's chromium (installed
with apt when missing) and rewrites the committed ``docs/images/datalore-connection-form.png`` and
``docs/images/datalore-task-link.png``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from tests.system.screenshots import (
    browser,
    ensure_chromium,
    ensure_selenium,
    shoot_connection_form,
    shoot_task_link,
)
from tests.system.suite_config import ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from tests.system.deployment import AirflowDeployment

pytestmark = [pytest.mark.system, pytest.mark.screenshots]

IMAGES = ROOT / "docs" / "images"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_written_png(path: Path, since_ns: int) -> None:
    assert path.stat().st_mtime_ns >= since_ns, f"{path} was not rewritten"
    assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_readme_screenshots(deployment: AirflowDeployment) -> None:
    chromium, chromedriver = ensure_chromium()
    ensure_selenium()
    dag_id, task_id = "datalore_scheduled_refresh", "refresh_sales_report"
    # A logical date of its own: test_example_dags_deferred.py runs this DAG too, in the same deployment.
    run_id = deployment.trigger_dag(dag_id, logical_date="2026-11-09T06:00:00Z")["dag_run_id"]
    assert deployment.wait_for_dag_run(dag_id, run_id)["state"] == "success"

    form, task = IMAGES / "datalore-connection-form.png", IMAGES / "datalore-task-link.png"
    started_ns = time.time_ns()
    with browser(chromium, chromedriver) as driver:
        shoot_connection_form(driver, deployment.api_url, form)
        href = shoot_task_link(driver, deployment.api_url, dag_id, run_id, task_id, task)

    assert href == f"{deployment.emulator_url}/notebook/demo/sales-report"
    assert_written_png(form, started_ns)
    assert_written_png(task, started_ns)
