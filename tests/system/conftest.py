"""
The system suite: a real Airflow 3 deployment (see ``deployment.py``), shared by every system test.

Nothing here runs unless ``DATALORE_SYSTEM_TESTS=1`` (``make test-system`` sets it): a plain
``pytest`` skips the whole folder, so it never starts servers by accident. The tests marked
``screenshots`` (``test_screenshots.py``) also need ``DATALORE_SCREENSHOTS=1`` (``make screenshots``
sets both): they install chromium and rewrite the README's images, which no test run should do.
"""

from __future__ import annotations

import json
import os
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.system.deployment import AirflowDeployment
from tests.system.session import DeploymentSession
from tests.system.suite_config import DAG_FILES, DAG_IDS, EMULATOR_CONFIG, OPENLINEAGE_EVENTS, TOKEN

if TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).resolve().parent
#: The module whose tests run after every other system test.
LAST_MODULE = "test_task_log_secrets.py"


def _skip_reason() -> str | None:
    if os.environ.get("DATALORE_SYSTEM_TESTS") != "1":
        return "system tests start Airflow servers: set DATALORE_SYSTEM_TESTS=1"
    if int(version("apache-airflow").split(".")[0]) < 3:
        return "the system suite runs on Airflow 3 only"
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "system: runs against a real Airflow deployment (DATALORE_SYSTEM_TESTS=1)"
    )
    config.addinivalue_line(
        "markers", "screenshots: rewrites docs/images from the real UI with chromium (DATALORE_SCREENSHOTS=1)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    system_reason = _skip_reason()
    screenshots_reason = (
        None
        if os.environ.get("DATALORE_SCREENSHOTS") == "1"
        else "screenshots need chromium and rewrite docs/images: set DATALORE_SCREENSHOTS=1"
    )
    # The secrets scan reads what every other test left behind (logs, lineage events, the DB): it goes last.
    items.sort(key=lambda item: Path(str(item.path)).name == LAST_MODULE)
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        if system_reason is not None:
            item.add_marker(pytest.mark.skip(reason=system_reason))
        elif screenshots_reason is not None and item.get_closest_marker("screenshots") is not None:
            item.add_marker(pytest.mark.skip(reason=screenshots_reason))


#: The deployment the system tests share (its start, its stop, its logs in a failure's report).
_SESSION = DeploymentSession(HERE, "system tests' deployment")


#: On a failure, the tail of every process's log goes into the report.
pytest_runtest_makereport = _SESSION.report_hook()


@pytest.fixture(scope="session")
def deployment() -> Iterator[AirflowDeployment]:
    """The emulator and Airflow (api-server, scheduler, dag-processor, triggerer) with the DAGs parsed."""
    workdir = Path(tempfile.mkdtemp(prefix="datalore-system-"))
    # OpenLineage as a new user turns it on: the file transport, every other setting at its default.
    transport = {"type": "file", "log_file_path": str(workdir / OPENLINEAGE_EVENTS), "append": True}
    extra_env = {"AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport)}
    deployment = AirflowDeployment(workdir, DAG_FILES, EMULATOR_CONFIG, TOKEN, extra_env=extra_env)
    with _SESSION.running(deployment, DAG_IDS) as airflow:
        yield airflow
