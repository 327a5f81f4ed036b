"""
The production-topology suite: Postgres, Redis, CeleryExecutor, two workers, two triggerers (see
``deployment.py``), one deployment shared by every test of the folder.

Nothing here runs unless ``DATALORE_TOPOLOGY_TESTS=1``: a plain ``pytest`` skips the whole folder. With
it set, a missing piece (the Celery provider, the Postgres drivers) fails the run instead of skipping it,
so CI cannot pass without having run the suite. The whole suite is bounded in time: after
``SUITE_TIMEOUT`` seconds pytest is interrupted as by Ctrl-C, and every process is stopped.
"""

from __future__ import annotations

import os
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.system.deployment import DeploymentError
from tests.system.session import DeploymentSession

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.topology.deployment import TopologyDeployment

HERE = Path(__file__).resolve().parent
#: Seconds the whole suite may take, start-up and teardown of the deployment included.
SUITE_TIMEOUT = 20 * 60
#: The distributions the suite needs besides the test extra: Celery with Redis, Postgres drivers.
NEEDED = ("apache-airflow-providers-celery", "redis", "psycopg2-binary", "asyncpg")


def _skip_reason() -> str | None:
    if os.environ.get("DATALORE_TOPOLOGY_TESTS") != "1":
        return (
            "the production-topology suite starts Postgres, Redis and Airflow: set DATALORE_TOPOLOGY_TESTS=1"
        )
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "topology: runs against Airflow with Postgres, Celery and two triggerers (DATALORE_TOPOLOGY_TESTS=1)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _skip_reason()
    if reason is None:
        return
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.skip(reason=reason))


#: The deployment the suite's tests share (its start, its stop, its logs in a failure's report).
_SESSION = DeploymentSession(HERE, "topology suite")


#: On a failure, the tail of every process's log goes into the report.
pytest_runtest_makereport = _SESSION.report_hook()


def _check_environment() -> None:
    """Fail with what to install when the environment lacks what the suite needs."""
    missing = []
    for name in NEEDED:
        try:
            version(name)
        except PackageNotFoundError:
            missing.append(name)
    if missing:
        raise DeploymentError(
            f"the production-topology suite needs {', '.join(missing)}: install the project's "
            "'topology' extra (make sets it up)"
        )
    if tuple(int(part) for part in version("apache-airflow").split(".")[:2]) < (3, 3):
        raise DeploymentError("the production-topology suite runs on Airflow 3.3+ (the task state store)")


@pytest.fixture(scope="session")
def topology() -> Iterator[TopologyDeployment]:
    """Postgres, Redis, the emulator and Airflow with CeleryExecutor, with the suite's DAGs parsed."""
    _check_environment()
    from tests.topology.deployment import TopologyDeployment
    from tests.topology.suite_config import DAG_FILES, DAG_IDS, EMULATOR_CONFIG, TOKEN

    workdir = Path(tempfile.mkdtemp(prefix="datalore-topology-"))
    deployment = TopologyDeployment(workdir, DAG_FILES, EMULATOR_CONFIG, TOKEN)
    with _SESSION.running(deployment, DAG_IDS, timeout=SUITE_TIMEOUT) as running:
        yield running
