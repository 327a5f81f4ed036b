"""What the tests share: a fake task context, Airflow 2/3 shims, status bodies, and DAG runs with dag.test()."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import airflow

#: Airflow 2.x: ``execution_date`` instead of ``logical_date``, FAB's models, no task state store.
AIRFLOW_2 = airflow.__version__.startswith("2.")
#: Airflow 3.0.x: dag.test() neither writes the DAG to the database nor masks quietly (conftest.py).
AIRFLOW_3_0 = airflow.__version__.startswith("3.0.")

try:  # Airflow 3.3+: the task state store makes retried tries re-attach.
    from airflow.sdk import ResumableJobMixin as _SdkResumable  # noqa: F401

    RESUMABLE = True
except ImportError:
    RESUMABLE = False


class FakeTI:
    """Collects what a task pushes to XCom."""

    stats_tags: dict[str, str] = {}

    def __init__(self) -> None:
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        json.dumps(value)  # XCom values must be JSON-serialisable
        self.xcom[key] = value


class FakeStateStore(dict):
    """The task state store of Airflow 3.3: survives across tries of one task instance."""

    def set(self, key: str, value: object, **kwargs: Any) -> None:
        self[key] = value

    def delete(self, key: str) -> None:
        self.pop(key, None)


def task_context(store: FakeStateStore | None = None) -> dict[str, Any]:
    """Return the part of an Airflow context the provider's tasks read: ``ti`` and ``task_state_store``."""
    return {"ti": FakeTI(), "task_state_store": store}


def status_body(**overrides: Any) -> dict[str, Any]:
    """Return the status reply of a finished, successful run of ``alice/sales``; ``...`` drops a key."""
    body = {
        "runId": "run-1",
        "userId": "alice",
        "notebookId": "sales",
        "startTime": "2026-11-26T10:00:00Z",
        "endTime": "2026-11-26T10:05:30Z",
        "success": True,
        "updateReport": "on success",
        "directFileStorageWrite": False,
        "artifacts": [{"name": "sales.ipynb", "path": "/notebook/alice/sales/artifacts/run-1/sales.ipynb"}],
        "readOnly": False,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


# -- DAG runs with dag.test() ------------------------------------------------------------------------


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
    if AIRFLOW_3_0:
        write_dag_to_db(dag)
    return dag.test(**{key: logical_date})


def unwrapped(text: str) -> str:
    """
    Return ``text`` without colours and with each run of white space made one space, to find a message
    in a task's output.

    Airflow 3.0's dag.test() prints a failed task's exception through rich, at 100 columns and with its
    numbers coloured, so a long message arrives wrapped at its spaces; later versions print it plain.
    """
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", text).split())


def write_dag_to_db(dag: Any) -> None:
    """
    Write the DAG as the test changed it to the database, as dag.test() does itself from Airflow 3.1.

    Airflow 3.0's dag.test() does not: the assets of a task's outlets stay inactive (the task fails,
    "inactive assets in its inlets or outlets"), and a failing task finds no serialized DAG to decide
    its retries with.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.models.dag import DAG as SchedulerDAG
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.serialization.serialized_objects import LazyDeserializedDAG, SerializedDAG

    serialized = LazyDeserializedDAG(data=SerializedDAG.to_dict(dag))  # what the DAG processor writes
    DagBundlesManager().sync_bundles_to_db()
    SchedulerDAG.bulk_write_to_db("dags-folder", None, [serialized])
    SerializedDagModel.write_dag(serialized, bundle_name="dags-folder")


def write_parsed_dag_to_db(dag: Any) -> None:
    """
    Write a DAG to the database as the DAG processor does, its assets included (Airflow 3.1+).

    dag.test() of 3.1+ writes only the DAGs it finds in the DAGs folder's bundle, and then finds no
    version of a DAG from elsewhere ("the dag is not serialized"). Nor does it register the assets of a
    DAG it re-parsed with other outlets: a task's event for such an asset is never recorded.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    DagBundlesManager().sync_bundles_to_db()
    with create_session() as session:
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session=session
        )


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


# -- the token in captured output --------------------------------------------------------------------


def airflow_own_secret_lines(text: str, token: str) -> list[str]:
    """
    Return the lines of ``text`` that are Airflow 3.0's own echo of ``token``: none on other versions.

    Airflow 3.0's dag.test() supervisor (``InProcessSupervisorComms.send``) logs each request of the task
    through structlog's console logger, at every logging level, ``MaskSecret`` with its body: the secret
    that Airflow is masking, in clear, each time it reads a connection's password. Only that whole line
    counts, with exactly ``token`` as its value (3.1 and later print it only at DEBUG, which the tests do
    not ask for; a deployment's supervisor logs the request without its body)::

        2026-12-07 12:25:24 [debug    ] Sending request                msg=MaskSecret(value='<token>', name=None, type='MaskSecret')

    :param text: Captured output (``capfd``, ``caplog.text``), as written: line breaks kept.
    :param token: The secret.
    """
    if not AIRFLOW_3_0:
        return []
    own = _airflow_3_0_mask_request(token)
    return [line for line in _plain_lines(text) if own.fullmatch(line)]


def token_leaks(text: str, token: str) -> list[str]:
    """
    Return every line of ``text`` that holds ``token``, but for Airflow's own (``airflow_own_secret_lines``).

    Each line comes back clipped around the token, which reads ``<TOKEN>``, so that a failing assertion
    says where the token was without printing it.

    :param text: Captured output (``capfd``, ``caplog.text``), as written: line breaks kept.
    :param token: The secret.
    """
    own = set(airflow_own_secret_lines(text, token))
    leaks = []
    for line in _plain_lines(text):
        if token in line and line not in own:
            start = max(line.index(token) - 200, 0)
            leaks.append(line[start : start + 400 + len(token)].replace(token, "<TOKEN>"))
    return leaks


def _plain_lines(text: str) -> list[str]:
    return [line.rstrip() for line in re.sub(r"\x1b\[[0-9;]*m", "", text).splitlines()]


def _airflow_3_0_mask_request(token: str) -> re.Pattern[str]:
    return re.compile(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[debug\s*\] Sending request +"
        + re.escape(f"msg=MaskSecret(value='{token}', name=None, type='MaskSecret')")
    )
