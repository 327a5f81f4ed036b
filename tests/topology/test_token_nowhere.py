"""
The Datalore token lives only in the services' environment (``AIRFLOW_CONN_DATALORE_DEFAULT``): after
51 runs, a dead triggerer and an outage, it is nowhere in Airflow's database, task logs or process logs.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.topology.suite_config import TOKEN

if TYPE_CHECKING:
    from tests.topology.deployment import TopologyDeployment

pytestmark = pytest.mark.topology


def test_token_is_only_in_the_environment(topology: TopologyDeployment) -> None:
    assert topology.api("GET", "/connections")["total_entries"] == 0
    assert topology.env["AIRFLOW_CONN_DATALORE_DEFAULT"].count(TOKEN) == 1

    # The whole metadata database, as text: trigger rows, XComs, task state, audit log, ...
    assert topology.postgres is not None
    dump = subprocess.run(
        [str(topology.postgres.bin_dir / "pg_dump"), "-h", "127.0.0.1", "-p", str(topology.postgres.port),
         "-U", "airflow", "--data-only", "airflow"],
        capture_output=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert b"topology/regional-refresh" in dump  # the dump holds what the tasks stored
    assert TOKEN.encode() not in dump

    logs = [path for path in (topology.home / "logs").rglob("*") if path.is_file()]
    logs += [path for path in topology.process_logs.iterdir() if path.is_file()]
    assert any("trigger" in path.name for path in logs)  # the triggerers' logs of the tasks are there
    assert [path for path in logs if TOKEN.encode() in path.read_bytes()] == []
