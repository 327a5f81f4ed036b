"""
The fault matrix: every fault the emulator can make, through a real DAG run, deferrable and polling.

Each case asserts what a user sees: the task's final state, the error text in the task log, how many
runs Datalore started (never more than one per try) and how many POSTs reached it. The table in
docs/reliability.md is this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.constants import TOKEN
from tests.helpers import fast, run_dag, task_states, token_leaks, unwrapped, xcom

pytestmark = pytest.mark.integration

TASK = "refresh_sales_report"
#: A fault that lets a status request through (after 1 ms): puts the next fault in the middle of polling.
PASS = {"endpoint": "status", "action": "delay", "seconds": 0.001}


@dataclass
class Case:
    id: str
    faults: list[dict[str, Any]] = field(default_factory=list)
    notebook: str = "demo/sales-report"
    state: str = "success"
    texts: tuple[str, ...] = ()
    starts: int = 1
    posts: int = 1
    extra: dict[str, Any] | None = None
    timeout: float | None = None
    retry_after: float | None = None
    closed_port: bool = False
    #: Whether Datalore's answer with the run id reached the task.
    run_id_known: bool = True


CASES = [
    # Starting a run: retried only when no run can have started.
    Case(
        "start-429-retry-after",
        [{"endpoint": "run", "status": 429, "retry_after": "3"}],
        posts=2,
        retry_after=3,
    ),
    Case("start-429-no-retry-after", [{"endpoint": "run", "status": 429}] * 2, posts=3),
    Case(
        "start-500-after-run-started",
        [{"endpoint": "run", "status": 500, "process": True}],
        state="failed",
        texts=("HTTP 500", "may have reached Datalore", "It is not retried, to avoid a duplicate run"),
        run_id_known=False,
    ),
    Case(
        "start-connection-reset",
        [{"endpoint": "run", "action": "reset", "process": True}],
        state="failed",
        texts=("connection lost", "may have reached Datalore"),
        run_id_known=False,
    ),
    Case(
        "start-dropped-before-run",
        [{"endpoint": "run", "action": "drop"}],
        state="failed",
        texts=("connection lost", "may have reached Datalore"),
        starts=0,
        run_id_known=False,
    ),
    Case(
        "start-read-timeout",
        [{"endpoint": "run", "action": "delay", "seconds": 1.5, "process": True}],
        state="failed",
        texts=("read timeout", "may have reached Datalore"),
        extra={"timeout": 0.5},
        run_id_known=False,
    ),
    Case(
        "start-malformed-json",
        [{"endpoint": "run", "action": "malformed_json", "process": True}],
        state="failed",
        texts=("malformed response", "may have reached Datalore"),
        run_id_known=False,
    ),
    Case(
        "start-connection-refused",
        state="failed",
        texts=("after 5 attempts: connect",),
        starts=0,
        posts=0,
        closed_port=True,
    ),
    Case(
        "start-403-viewer",
        notebook="demo/read-only",
        state="failed",
        texts=("HTTP 403", "view-only access to notebook demo/read-only"),
        starts=0,
    ),
    # Reading the status: transient failures are retried, then reported.
    Case(
        "status-429-retry-after",
        [PASS, {"endpoint": "status", "status": 429, "retry_after": "2"}],
        retry_after=2,
    ),
    Case("status-429-no-retry-after", [PASS, {"endpoint": "status", "status": 429, "times": 2}]),
    Case(
        "status-5xx-burst-recovers",
        [PASS] + [{"endpoint": "status", "status": code} for code in (500, 502, 503, 504)],
    ),
    Case(
        "status-503-past-retry-budget",
        [PASS, {"endpoint": "status", "status": 503, "times": 5}],
        state="failed",
        texts=("after 5 attempts: HTTP 503",),
    ),
    Case("status-connection-reset", [PASS, {"endpoint": "status", "action": "reset"}]),
    Case("status-dropped", [PASS, {"endpoint": "status", "action": "drop"}]),
    Case(
        "status-read-timeout",
        [PASS, {"endpoint": "status", "action": "delay", "seconds": 1.5}],
        extra={"timeout": 0.5},
    ),
    Case("status-malformed-json", [PASS, {"endpoint": "status", "action": "malformed_json"}]),
    Case("status-empty-object", [PASS, {"endpoint": "status", "status": 200, "body": {}}]),
    Case(
        "status-only-run-id",
        [PASS, {"endpoint": "status", "status": 200, "body": {"runId": "x"}}],
        state="failed",
        texts=("failed (Datalore reported it finished without a success flag)",),
    ),
    Case("status-unknown-status-value", notebook="demo/strange-status"),
    Case(
        "status-success-while-running",
        notebook="demo/optimistic-failure",
        state="failed",
        texts=("of notebook demo/optimistic-failure", "failed"),
    ),
    Case(
        "status-404-run-gone",
        [PASS, {"endpoint": "status", "status": 404, "body": {"error": "Run not found"}}],
        state="failed",
        texts=("HTTP 404", "was not found"),
    ),
    Case(
        "status-401-token-revoked",
        [
            PASS,
            {"endpoint": "status", "status": 401, "body": {"error": "The API token is invalid or expired"}},
        ],
        state="failed",
        texts=("HTTP 401", "check the password of Airflow connection 'datalore_default'"),
    ),
    Case(
        "run-never-finishes",
        notebook="demo/slow",
        state="failed",
        texts=("Stopped waiting for Datalore run", "The run goes on in Datalore"),
        timeout=1.0,
    ),
    Case(
        "run-failed",
        notebook="demo/failing",
        state="failed",
        texts=("of notebook demo/failing", ") failed"),
    ),
]


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferrable", "polling"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_fault(case, deferrable, example_dags, emulator, datalore_connection, retry_waits, capfd):
    host = emulator.url
    if case.closed_port:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            host = f"http://127.0.0.1:{sock.getsockname()[1]}"
    datalore_connection(host=host, extra=case.extra)
    emulator.add_faults(*case.faults)

    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=deferrable)
    task = dag.get_task(TASK)
    task.notebook_id = case.notebook
    task.retries = 0
    if case.timeout is not None:
        task.timeout = case.timeout
    dag_run = run_dag(dag)
    output = capfd.readouterr()
    log = unwrapped(output.out + output.err)

    assert task_states(dag_run) == {TASK: case.state}, log[-3000:]
    for text in case.texts:
        assert text in log
    assert token_leaks(f"{output.out}\n{output.err}", TOKEN) == []
    assert len(emulator.run_starts()) == case.starts
    assert len(emulator.requests(method="POST")) == case.posts
    if case.starts and case.run_id_known:
        assert xcom(dag_run, TASK, "run_id") in emulator.runs
    if case.retry_after is not None:
        assert (1, case.retry_after) in retry_waits
