"""
Feed a real ``airflow triggerer`` its work through the metadata database, as deferring tasks would.

No scheduler, no workers: a task that defers leaves two rows behind, its task instance (state
``deferred``, ``trigger_id``, ``next_method``, ``trigger_timeout``) and the trigger (class path and
encrypted kwargs, what ``BaseOperator.defer`` writes through ``Trigger.from_object``). This script writes
exactly those, through Airflow's own models, so the triggerer under test finds what it would find in
production. Run with the triggerer's environment (``AIRFLOW_HOME``, the database URL, the Fernet key).

- ``setup DAGS_FOLDER``: write the benchmark's DAGs (``real_triggerer_dags.py``) to the database, as
  the DAG processor does (bundles, DAG versions, serialized DAGs).
- ``feed --kind datalore|dbt --run-ids FILE --poll-interval S --probe-seconds S --probe-result PATH``:
  one DAG run of the kind's DAG; per run id a task instance of its ``wait`` task (map index 0, 1, ...,
  as a mapped task's) deferred to the kind's trigger, plus one ``probe`` task deferred to
  ``LagProbeTrigger``. Prints ``{"dag_id": ..., "run_id": ...}``.
- ``warm-up --kind ...``: one deferred task whose trigger ends at once (a run id the server does not
  know): the triggerer then has the trigger's modules loaded before it is measured.

What ``feed`` and ``warm-up`` create comes back as a JSON line on stdout.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
import uuid
from typing import Any

DAG_IDS = {"datalore": "bench_real_datalore", "dbt": "bench_real_dbt"}
WAIT_TASK = "wait"
PROBE_TASK = "probe"
#: The connection ids the benchmark's environment defines (AIRFLOW_CONN_*), as in trigger_load.py.
CONN_IDS = {"datalore": "datalore_bench", "dbt": "dbt_bench"}


def setup(dags_folder: str) -> dict[str, Any]:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    (bundle,) = [bundle for bundle in manager.get_all_dag_bundles() if str(bundle.path) == dags_folder]
    bundle.initialize()
    bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
    if bag.import_errors or set(DAG_IDS.values()) - set(bag.dag_ids):
        raise SystemExit(f"the benchmark's DAGs did not load: {bag.import_errors or bag.dag_ids}")
    sync_bag_to_db(bag, bundle.name, bundle.version)
    return {"dag_ids": sorted(bag.dag_ids)}


def make_trigger(kind: str, run_id: str, poll_interval: float, end_time: float) -> Any:
    """The trigger the kind's operator defers to, with the arguments trigger_load.py gives it too."""
    if kind == "datalore":
        from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger

        return DataloreRunStatusTrigger(
            run_id=run_id, datalore_conn_id=CONN_IDS[kind], poll_interval=poll_interval, end_time=end_time
        )
    from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger

    return DbtCloudRunJobTrigger(
        conn_id=CONN_IDS[kind],
        run_id=int(run_id),
        end_time=end_time,
        poll_interval=poll_interval,
        account_id=1,
        hook_params={},
    )


def defer_all(kind: str, waits: list[Any], probe: Any | None) -> dict[str, Any]:
    """One DAG run of the kind's DAG; one deferred task instance per trigger (and the probe's)."""
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState, TaskInstanceState
    from airflow.utils.types import DagRunTriggeredByType, DagRunType
    from sqlalchemy import delete

    dag_id = DAG_IDS[kind]
    now = datetime.datetime.now(datetime.UTC)
    run_id = f"bench__{now:%Y%m%dT%H%M%S}_{uuid.uuid4().hex[:6]}"
    timeout_at = now + datetime.timedelta(hours=1)
    with create_session() as session:
        dag = SerializedDagModel.get_dag(dag_id, session=session)
        assert dag is not None, f"{dag_id} is not in the database: run `setup` first"
        dag_run = dag.create_dagrun(
            run_id=run_id,
            logical_date=None,
            run_after=now,
            run_type=DagRunType.MANUAL,
            triggered_by=DagRunTriggeredByType.TEST,
            state=DagRunState.RUNNING,
            start_date=now,
            session=session,
        )
        session.flush()
        created = {ti.task_id: ti for ti in dag_run.get_task_instances(session=session)}
        version_id = created[WAIT_TASK].dag_version_id
        # The unmapped placeholder goes; the waits come in as map indexes 0..N-1.
        session.execute(
            delete(TaskInstance).where(
                TaskInstance.dag_id == dag_id,
                TaskInstance.run_id == run_id,
                TaskInstance.task_id == WAIT_TASK,
            )
        )
        tis = []
        for index, trigger in enumerate(waits):
            ti = TaskInstance(
                dag.get_task(WAIT_TASK), dag_version_id=version_id, run_id=run_id, map_index=index
            )
            tis.append((ti, trigger))
        if probe is not None:
            tis.append((created[PROBE_TASK], probe))
        for ti, trigger in tis:
            row = Trigger.from_object(trigger)
            session.add(row)
            session.flush()
            ti.trigger_id = row.id
            ti.state = TaskInstanceState.DEFERRED
            ti.try_number = 1
            ti.next_method = "execute_complete"
            ti.trigger_timeout = timeout_at
            ti.start_date = now
            session.merge(ti)
        session.commit()
    return {"dag_id": dag_id, "run_id": run_id, "deferred": len(tis)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup").add_argument("dags_folder")
    feed = sub.add_parser("feed")
    warm = sub.add_parser("warm-up")
    for command in (feed, warm):
        command.add_argument("--kind", choices=sorted(DAG_IDS), required=True)
        command.add_argument("--poll-interval", type=float, default=2.0)
    feed.add_argument("--run-ids", required=True, help="a JSON file: the run ids to wait on")
    feed.add_argument("--trigger-timeout", type=float, default=600.0, help="the waits' own deadline")
    feed.add_argument("--probe-seconds", type=float, required=True)
    feed.add_argument("--probe-result", required=True)
    args = parser.parse_args()
    if args.command == "setup":
        result = setup(args.dags_folder)
    elif args.command == "warm-up":
        unknown = "1" if args.kind == "datalore" else "999999999"  # neither server knows it: ends at once
        trigger = make_trigger(args.kind, unknown, args.poll_interval, time.time() + 60)
        result = defer_all(args.kind, [trigger], None)
    else:
        from lag_probe import LagProbeTrigger

        with open(args.run_ids) as handle:
            run_ids = [str(run_id) for run_id in json.load(handle)]
        end_time = time.time() + args.trigger_timeout
        waits = [make_trigger(args.kind, run_id, args.poll_interval, end_time) for run_id in run_ids]
        result = defer_all(args.kind, waits, LagProbeTrigger(args.probe_seconds, args.probe_result))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
