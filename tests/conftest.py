"""Test set-up: a private AIRFLOW_HOME, and connections given as environment variables."""

from __future__ import annotations

import json
import os
import tempfile

# Before anything imports Airflow: a throw-away home (one per test session), no example DAGs.
if "DATALORE_TESTS_AIRFLOW_HOME" not in os.environ:
    os.environ["DATALORE_TESTS_AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-home-")
os.environ["AIRFLOW_HOME"] = os.environ["DATALORE_TESTS_AIRFLOW_HOME"]
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "example_dags"
)

import subprocess
import sys
from pathlib import Path

import pytest

from tests.constants import TOKEN
from tests.helpers import AIRFLOW_2

#: S3 on a local moto server for any test: the ``s3_server`` and ``s3_bucket`` fixtures (the module says how).
pytest_plugins = ["tests.s3_server"]

if not AIRFLOW_2:
    # Every dag.test() task builds the in-process Execution API app (Cadwyn's versioned routers: about
    # 2 s of CPU) anew below Airflow 3.3, which caches it (functools.lru_cache). Cache it here as 3.3
    # does, or the suite takes minutes longer on 3.0 to 3.2.
    import functools

    from airflow.sdk.execution_time import supervisor as _supervisor

    if not hasattr(_supervisor.in_process_api_server, "cache_info"):
        _supervisor.in_process_api_server = functools.lru_cache(maxsize=1)(_supervisor.in_process_api_server)

# Airflow 3.0's dag.test() prints the secret of each MaskSecret request of a task (Airflow masking the
# connection's password): the token scans tell that line apart (tests.helpers.token_leaks), none hides it.

if os.environ.get("DATALORE_TESTS_INSTALLED"):
    # scripts/matrix.py tests the installed wheel: a source tree on sys.path would test something else.
    import airflow_provider_datalore

    if "site-packages" not in Path(airflow_provider_datalore.__file__).parts:
        raise RuntimeError(f"expected the installed package, imported {airflow_provider_datalore.__file__}")


@pytest.fixture
def datalore_connection(monkeypatch):
    """Return a function that defines a ``datalore`` connection through an environment variable."""

    def define(
        conn_id: str = "datalore_default", host: str | None = "https://datalore.example.com", **fields
    ):
        conn = {"conn_type": "datalore", "password": TOKEN, **fields}
        if host is not None:
            conn["host"] = host
        conn = {key: value for key, value in conn.items() if value is not None}
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
        return conn

    return define


@pytest.fixture
def retry_waits(monkeypatch):
    """No wait between retries; record each retry's (attempt, Retry-After) instead."""
    waits: list[tuple[int, float | None]] = []

    def delay(self, attempt, retry_after=None):
        waits.append((attempt, retry_after))
        return 0.0

    monkeypatch.setattr("airflow_provider_datalore.transport.retry.RetryPolicy.delay", delay)
    return waits


@pytest.fixture
def emulator(datalore_connection):
    """A running Datalore emulator, and ``datalore_default`` pointing at it with the test token."""
    from airflow_provider_datalore.emulator import Artifact, DataloreEmulator, EmulatorConfig, Notebook
    from airflow_provider_datalore.emulator.sales_report import sales_report_cells

    config = EmulatorConfig(
        tokens={
            TOKEN: {
                "demo/sales-report": "editor",
                "demo/failing": "editor",
                "demo/slow": "editor",
                "demo/read-only": "viewer",
                "demo/strange-status": "editor",
                "demo/optimistic-failure": "editor",
            }
        },
        notebooks=[
            Notebook(
                id="demo/sales-report",
                polls=2,
                cells=sales_report_cells(),
                artifacts=(Artifact(name="sales-report.ipynb"),),
                # What the example DAG of files in and out downloads after the run.
                run_writes={"data/notebook_files/summary.csv": "region,amount\nEMEA,162.50\nAMER,99.00\n"},
            ),
            Notebook(id="demo/failing", polls=1, outcome="failure"),
            Notebook(id="demo/slow", duration=3600),
            Notebook(id="demo/read-only"),
            # In progress with a status string nobody documented; then succeeds.
            Notebook(id="demo/strange-status", polls=2, status="QUEUED_ON_GPU_POOL_7"),
            # Says success=true while still running, then fails.
            Notebook(id="demo/optimistic-failure", polls=2, outcome="failure", success_while_running=True),
        ],
    )
    with DataloreEmulator(config) as emu:
        datalore_connection(host=emu.url)
        yield emu


# -- real Airflow: a migrated metadata DB, the example DAGs, and dag.test() ----------------------------

EXAMPLE_DAGS = Path(__file__).resolve().parents[1] / "example_dags"


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


def record_trigger_runs(monkeypatch, trigger_class, attribute: str) -> list[str]:
    """Record ``attribute`` of every ``trigger_class`` trigger that runs (proof that a task really deferred)."""
    seen: list[str] = []
    original = trigger_class.run

    async def run(self):
        seen.append(getattr(self, attribute))
        async for event in original(self):
            yield event

    monkeypatch.setattr(trigger_class, "run", run)
    return seen


@pytest.fixture
def trigger_runs(monkeypatch):
    """The run id of every DataloreRunStatusTrigger that runs."""
    from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger

    return record_trigger_runs(monkeypatch, DataloreRunStatusTrigger, "run_id")


@pytest.fixture
def interactive_triggers(monkeypatch):
    """The notebook of every DataloreInteractiveRunTrigger that runs."""
    from airflow_provider_datalore.triggers.interactive import DataloreInteractiveRunTrigger

    return record_trigger_runs(monkeypatch, DataloreInteractiveRunTrigger, "notebook_id")
