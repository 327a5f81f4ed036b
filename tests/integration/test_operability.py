"""Operability at scale through real DAG runs: retry settings on every task, and quiet logs."""

from __future__ import annotations

import logging

import pytest

from tests.constants import TOKEN
from tests.helpers import fast, run_dag, task_states, token_leaks, unwrapped

pytestmark = pytest.mark.integration

TASK = "refresh_sales_report"
PASS = {"endpoint": "status", "action": "delay", "seconds": 0.001}


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferrable", "polling"])
def test_hook_params_reach_every_poll(deferrable, example_dags, emulator, retry_waits, capfd, caplog):
    """retry_limit=2 on the task: polls give up after 2 attempts, in the worker and in the triggerer."""
    emulator.add_faults(PASS, {"endpoint": "status", "status": 503, "times": 5})
    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=deferrable)
    task = dag.get_task(TASK)
    task.retries = 0
    task.hook_params = {"retry_limit": 2, "retry_delay": 0.1}
    with caplog.at_level(logging.INFO):
        dag_run = run_dag(dag)
    output = "\n".join([*capfd.readouterr(), caplog.text])
    log = unwrapped(output)
    assert task_states(dag_run) == {TASK: "failed"}
    assert "after 2 attempts: HTTP 503" in log
    assert [attempt for attempt, _ in retry_waits] == [1]
    assert token_leaks(output, TOKEN) == []


def test_bad_hook_params_fail_before_any_request(example_dags, emulator):
    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=False)
    task = dag.get_task(TASK)
    task.retries = 0
    task.hook_params = {"retry_limit": 2, "retries": 3}
    assert task_states(run_dag(dag)) == {TASK: "failed"}
    assert emulator.journal == []


class CountingLog:
    """A logger that records (level, message) of each line, then hands it on."""

    def __init__(self, log, lines):
        self.log, self.lines = log, lines

    def info(self, message, *args):
        self.lines.append(("INFO", message % args))
        self.log.info(message, *args)

    def debug(self, message, *args):
        self.lines.append(("DEBUG", message % args))
        self.log.debug(message, *args)


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferrable", "polling"])
def test_a_100_poll_run_writes_one_info_line(deferrable, example_dags, emulator, monkeypatch):
    """Each poll of the wait (the trigger's, or the worker's) logs at DEBUG but the first."""
    from airflow_provider_datalore.emulator import Notebook
    from airflow_provider_datalore.progress import WaitProgress

    lines: list[tuple[str, str]] = []
    original = WaitProgress.__init__

    def counting(self, log, *args, **kwargs):
        original(self, CountingLog(log, lines), *args, **kwargs)

    monkeypatch.setattr(WaitProgress, "__init__", counting)
    emulator.add_notebook(Notebook(id="demo/sales-report", polls=100))
    dag = fast(example_dags.get_dag("datalore_scheduled_refresh"), deferrable=deferrable, interval=0.001)
    dag_run = run_dag(dag)
    assert task_states(dag_run) == {TASK: "success"}
    # 101 reads: in deferrable mode the task's own read before deferring, then the trigger's 100.
    assert len(emulator.requests(method="GET")) == 101
    assert [level for level, _ in lines].count("INFO") == 1, lines[:3]
    assert [level for level, _ in lines].count("DEBUG") == (98 if deferrable else 99)
