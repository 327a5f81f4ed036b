"""Running a DAG with dag.test() on Airflow 2.11 and 3.x alike, and reading what a user would see."""

from __future__ import annotations

import datetime
from typing import Any

import airflow

AIRFLOW_2 = airflow.__version__.startswith("2.")


def fast(dag: Any, *, deferrable: bool, interval: float = 0.05) -> Any:
    """Make the DAG's Datalore tasks poll quickly, deferrable or not (the examples poll every 30 s)."""
    for task in dag.tasks:
        kwargs = getattr(task, "partial_kwargs", None)
        target: dict[str, Any] = kwargs if kwargs is not None else task.__dict__
        for name in ("poll_interval", "poke_interval"):
            if name in target:
                target[name] = interval
        if "deferrable" in target:
            target["deferrable"] = deferrable
    return dag


def run_dag(dag: Any, logical_date: datetime.datetime | None = None) -> Any:
    """Run the DAG with dag.test() and return the DagRun."""
    logical_date = logical_date or datetime.datetime(2026, 11, 2, 6, 0, tzinfo=datetime.UTC)
    key = "execution_date" if AIRFLOW_2 else "logical_date"
    return dag.test(**{key: logical_date})


def task_states(dag_run: Any) -> dict[str, str]:
    """Return ``{task_id[map_index]: state}`` for every task instance of the run."""
    states = {}
    for ti in dag_run.get_task_instances():
        name = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
        states[name] = str(getattr(ti.state, "value", ti.state))
    return states


def xcom(dag_run: Any, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
    """Return one XCom value of one task instance of the run."""
    for ti in dag_run.get_task_instances():
        if ti.task_id == task_id and ti.map_index == map_index:
            return ti.xcom_pull(task_ids=task_id, key=key, map_indexes=map_index)
    raise KeyError(f"no task instance {task_id}[{map_index}]")
