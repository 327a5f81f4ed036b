"""Real Airflow for end-to-end tests: a migrated metadata DB, the example DAGs, and dag.test()."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import AIRFLOW_2

EXAMPLE_DAGS = Path(__file__).resolve().parents[2] / "example_dags"


@pytest.fixture(scope="session")
def airflow_db():
    """Migrate the metadata DB of the tests' private AIRFLOW_HOME (once per session)."""
    airflow_cli = Path(sys.executable).with_name("airflow")
    result = subprocess.run(
        [str(airflow_cli), "db", "migrate"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    if AIRFLOW_2:
        # dag_run_note.user_id references FAB's ab_user: register that table with SQLAlchemy.
        import airflow.providers.fab.auth_manager.models  # noqa: F401


@pytest.fixture
def example_dags(airflow_db):
    """The example DAGs, freshly parsed as Airflow parses them (a test may change its copy)."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag

    bag = DagBag(str(EXAMPLE_DAGS), include_examples=False) if AIRFLOW_2 else DagBag(str(EXAMPLE_DAGS))
    assert bag.import_errors == {}
    return bag


@pytest.fixture
def trigger_runs(monkeypatch):
    """Record the run id of every DataloreRunStatusTrigger that runs (proof that a task really deferred)."""
    from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger

    seen: list[str] = []
    original = DataloreRunStatusTrigger.run

    async def run(self):
        seen.append(self.run_id)
        async for event in original(self):
            yield event

    monkeypatch.setattr(DataloreRunStatusTrigger, "run", run)
    return seen
