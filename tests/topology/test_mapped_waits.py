"""
51 Datalore runs waited on by two triggerers: spread over both, one triggerer killed, a Datalore outage.

The scenarios are phases of one DAG run, in this order (the runs take minutes, so each phase would
otherwise pay for 51 task starts of its own on a 2-core machine):

1. 50 mapped deferrable tasks (and one more) start their runs and wait, spread over both triggerers;
2. one triggerer is SIGKILLed: the other takes its triggers over, nothing is started twice;
3. Datalore is out for a minute (every request answered 503 or dropped) while all 51 wait: the mapped
   tasks ride it out in their triggers; the other task's trigger gives up, and Airflow's retry
   re-attaches to its run; when Datalore is back every task succeeds, each from the one run it started.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from tests.system.deployment import DeploymentError, wait_for
from tests.topology.deployment import TRIGGERERS
from tests.topology.suite_config import (
    MAPPED_COUNT,
    MAPPED_DAG_ID,
    MAPPED_NOTEBOOK,
    MAPPED_RUN_SECONDS,
    MAPPED_TASK_ID,
    OUTAGE_SECONDS,
    RETRIED_TASK_ID,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.topology.deployment import TopologyDeployment

pytestmark = pytest.mark.topology

REGIONS = [f"region-{index:02d}" for index in range(MAPPED_COUNT)]
#: The other task's parameter (suite_config's DAG): tells its start from the mapped ones'.
RETRIED_REGION = "retried"
TASKS = MAPPED_COUNT + 1


@dataclass
class MappedRun:
    """The DAG run the phases share, and what the tests saw of it."""

    run_id: str
    #: ``(task id, map index)`` -> the triggerer hosts seen holding its trigger.
    holders: dict[tuple[str, int], set[str]] = field(default_factory=dict)


def ti_key(ti: dict[str, Any]) -> tuple[str, int]:
    return ti["task_id"], ti["map_index"]


def region_of(start: dict[str, Any]) -> str:
    """Return the ``region`` parameter a journal's POST sent."""
    (parameter,) = start["body"]["parameters"]
    return parameter["value"]


def run_starts(topology: TopologyDeployment) -> list[dict[str, Any]]:
    """Return the journal's POSTs that started a run of the notebook."""
    return [
        entry
        for entry in topology.emulator("journal")
        if entry["method"] == "POST" and (entry["body"] or {}).get("notebookId") == MAPPED_NOTEBOOK
    ]


def holders(topology: TopologyDeployment, tis: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """
    Return which triggerer (its service name) holds each deferred task's trigger.

    The trigger row names its triggerer's job (``triggerer_id``), and the job its host: the service's name
    (``datalore_topology_hostname.py``). Not the task instance's ``triggerer_job`` in the REST API: on
    Airflow 3.3 that is the job that queued the task (``queued_by_job``), a scheduler.
    """
    jobs = topology.triggerer_jobs()
    found = {}
    for ti in tis:
        job_id = (ti.get("trigger") or {}).get("triggerer_id")
        if ti["state"] == "deferred" and job_id in jobs:
            found[ti_key(ti)] = jobs[job_id]["hostname"]
    return found


def record_holders(
    topology: TopologyDeployment, run: MappedRun, tis: list[dict[str, Any]]
) -> dict[tuple[str, int], str]:
    """Remember which triggerer held which trigger; return who holds them now."""
    now = holders(topology, tis)
    for key, host in now.items():
        run.holders.setdefault(key, set()).add(host)
    return now


def deferred_tis(topology: TopologyDeployment, run: MappedRun) -> list[dict[str, Any]] | None:
    """Return the task instances once all are deferred with a triggerer holding their trigger."""
    topology.check_alive()
    tis = topology.task_instances(MAPPED_DAG_ID, run.run_id)
    record_holders(topology, run, tis)
    broken = {
        ti_key(ti): ti["state"] for ti in tis if ti["state"] in ("failed", "upstream_failed", "success")
    }
    if broken:
        raise DeploymentError(f"tasks left the wait early: {broken}")
    ready = [ti for ti in tis if ti["state"] == "deferred" and (ti.get("trigger") or {}).get("triggerer_id")]
    return tis if len(tis) == TASKS and len(ready) == TASKS else None


@pytest.fixture(scope="module")
def mapped_run(topology: TopologyDeployment) -> Iterator[MappedRun]:
    """The DAG run, once every one of its 51 tasks waits in a triggerer."""
    run = MappedRun(topology.trigger_dag(MAPPED_DAG_ID)["dag_run_id"])
    started = time.monotonic()
    wait_for("51 tasks to wait in the triggerers", lambda: deferred_tis(topology, run), 300, interval=1)
    print(f"51 tasks deferred {time.monotonic() - started:.0f} s after the DAG run was triggered")
    yield run
    dag_run = topology.api("GET", f"/dags/{MAPPED_DAG_ID}/dagRuns/{run.run_id}")
    if dag_run["state"] not in ("success", "failed"):
        # A phase failed: stop the waits, so that no trigger polls while the next module's faults wait.
        topology.api("PATCH", f"/dags/{MAPPED_DAG_ID}/dagRuns/{run.run_id}", json_body={"state": "failed"})


def test_fifty_runs_wait_spread_over_both_triggerers(
    topology: TopologyDeployment, mapped_run: MappedRun
) -> None:
    tis = topology.task_instances(MAPPED_DAG_ID, mapped_run.run_id)
    now = record_holders(topology, mapped_run, tis)
    assert sorted(ti_key(ti) for ti in tis) == sorted(
        [(MAPPED_TASK_ID, index) for index in range(MAPPED_COUNT)] + [(RETRIED_TASK_ID, -1)]
    )
    assert {ti["state"] for ti in tis} == {"deferred"}
    assert {ti["try_number"] for ti in tis} == {1}

    # Both triggerers held some of the 51 triggers (each trigger row names its triggerer's job).
    jobs = topology.running_triggerer_jobs()
    assert sorted(jobs.values()) == sorted(TRIGGERERS)
    assert {ti["trigger"]["triggerer_id"] for ti in tis} <= set(jobs)
    assert len(now) == TASKS
    # Who held what while the tasks deferred one after another: both triggerers took a share.
    ever = Counter(host for hosts in mapped_run.holders.values() for host in hosts)
    assert set(ever) == set(TRIGGERERS), f"the triggers were not spread over both triggerers: {ever}"
    assert set(Counter(now.values())) == set(TRIGGERERS), (
        f"one triggerer holds every trigger: {Counter(now.values())}"
    )
    print(f"triggers per triggerer: {dict(Counter(now.values()))}")

    # One run started per task, each with its own parameters; each task knows its run.
    starts = run_starts(topology)
    assert sorted(region_of(start) for start in starts) == sorted([*REGIONS, RETRIED_REGION])
    runs = topology.emulator("runs")
    assert not [run_id for run_id, run in runs.items() if run["finished"]]
    by_region = {region_of(start): start["run_id"] for start in starts}
    for index, region in enumerate(REGIONS):
        xcom = topology.xcom_of(MAPPED_DAG_ID, mapped_run.run_id, MAPPED_TASK_ID, "run_id", map_index=index)
        assert xcom == by_region[region]
    assert (
        topology.xcom_of(MAPPED_DAG_ID, mapped_run.run_id, RETRIED_TASK_ID, "run_id")
        == (by_region[RETRIED_REGION])
    )


def test_killed_triggerer_hands_its_waits_to_the_other(
    topology: TopologyDeployment, mapped_run: MappedRun
) -> None:
    tis = topology.task_instances(MAPPED_DAG_ID, mapped_run.run_id)
    now = record_holders(topology, mapped_run, tis)
    held = Counter(now.values())
    victim = max(TRIGGERERS, key=lambda name: held[name])
    (survivor,) = set(TRIGGERERS) - {victim}
    jobs = {host: job_id for job_id, host in topology.running_triggerer_jobs().items()}
    moving = sorted(key for key, host in now.items() if host == victim)
    starts_before = len(run_starts(topology))
    assert moving

    pids = topology.crash(victim)
    killed_at = time.time()
    print(f"SIGKILLed {victim} (pids {pids}), which held {len(moving)} of the 51 triggers")

    def all_on_survivor() -> list[dict[str, Any]] | None:
        topology.check_alive(skip=(victim,))
        tis = topology.task_instances(MAPPED_DAG_ID, mapped_run.run_id)
        record_holders(topology, mapped_run, tis)
        if any(ti["state"] != "deferred" for ti in tis):
            raise DeploymentError(f"a task left the wait: {[(ti_key(ti), ti['state']) for ti in tis]}")
        on_survivor = [ti for ti in tis if (ti.get("trigger") or {}).get("triggerer_id") == jobs[survivor]]
        return tis if len(on_survivor) == TASKS else None

    tis = wait_for(f"{survivor} to take every trigger over", all_on_survivor, 90, interval=1)
    print(f"{survivor} held all 51 triggers {time.time() - killed_at:.1f} s after the kill")

    # Same tries, still waiting, nothing started again; the moved runs are polled by the survivor.
    assert {(ti["state"], ti["try_number"]) for ti in tis} == {("deferred", 1)}
    assert len(run_starts(topology)) == starts_before == TASKS
    assert all(mapped_run.holders[key] == {victim, survivor} for key in moving)
    moved_runs = {
        topology.xcom_of(MAPPED_DAG_ID, mapped_run.run_id, task_id, "run_id", map_index=map_index)
        for task_id, map_index in moving
    }

    def polled_since_kill() -> set[str]:
        return {
            entry["path"].rsplit("/", 1)[1]
            for entry in topology.emulator("journal")
            if entry["method"] == "GET" and entry["time"] > killed_at and entry["status"] == 200
        }

    wait_for("the survivor to poll every moved run", lambda: moved_runs <= polled_since_kill(), 30)
    # Airflow's own record agrees: each moved task's log has a part from each triggerer's job.
    for task_id, map_index in moving:
        log = topology.task_log(MAPPED_DAG_ID, mapped_run.run_id, task_id, map_index=map_index)
        assert set(log.trigger_files()) == {jobs[victim], jobs[survivor]}, log.sources

    # The killed triggerer comes back (as a supervisor would restart it) as a new job.
    topology.start_service(victim)
    wait_for(
        f"{victim} to run again",
        lambda: victim in topology.running_triggerer_jobs().values(),
        120,
        interval=1,
    )
    assert jobs[victim] not in topology.running_triggerer_jobs()


def test_datalore_outage_of_a_minute_while_51_runs_wait(
    topology: TopologyDeployment, mapped_run: MappedRun
) -> None:
    runs = topology.emulator("runs")
    assert not [run_id for run_id, run in runs.items() if run["finished"]], "runs finished before the outage"
    assert {ti["state"] for ti in topology.task_instances(MAPPED_DAG_ID, mapped_run.run_id)} == {"deferred"}

    topology.outage(on=True)
    outage_start = time.time()
    deadline = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < deadline:
        topology.check_alive()
        time.sleep(2)
    topology.outage(on=False)
    outage_end = time.time()
    print(f"Datalore was out for {outage_end - outage_start:.1f} s")
    runs = topology.emulator("runs")
    assert not [run_id for run_id, run in runs.items() if run["finished"]], "runs finished during the outage"

    # Every task succeeds once Datalore is back, long before its 9-minute timeout.
    dag_run = topology.wait_for_dag_run_end(MAPPED_DAG_ID, mapped_run.run_id, MAPPED_RUN_SECONDS + 180)
    assert dag_run["state"] == "success"
    tis = topology.task_instances(MAPPED_DAG_ID, mapped_run.run_id)
    assert {ti["state"] for ti in tis} == {"success"}

    # The outage hit every run's polls: answered 503 or dropped (journalled without a status).
    journal = topology.emulator("journal")
    starts = run_starts(topology)
    by_region = {region_of(start): start["run_id"] for start in starts}
    failed_polls = Counter(
        entry["path"].rsplit("/", 1)[1]
        for entry in journal
        if entry["method"] == "GET" and outage_start <= entry["time"] <= outage_end and entry["fault"]
    )
    assert set(failed_polls) == set(by_region.values()), "some run was not polled during the outage"
    assert all(entry["fault"] in (503, "drop") for entry in journal if entry["fault"])

    # Exactly one run per task, none started during or after the outage.
    assert sorted(by_region) == sorted([*REGIONS, RETRIED_REGION])
    assert all(start["time"] < outage_start for start in starts)

    # The mapped tasks rode the outage out in their triggers: one try each, the run they started.
    for index, region in enumerate(REGIONS):
        ti = next(ti for ti in tis if ti_key(ti) == (MAPPED_TASK_ID, index))
        assert ti["try_number"] == 1
        result = topology.xcom_of(MAPPED_DAG_ID, mapped_run.run_id, MAPPED_TASK_ID, map_index=index)
        assert (result["run_id"], result["state"], result["success"]) == (by_region[region], "success", True)
        assert result["notebook_id"] == MAPPED_NOTEBOOK
        assert [artifact["name"] for artifact in result["artifacts"]] == ["summary.csv"]

    # The task with the hook's default retries: its trigger gave up during the outage, Airflow retried
    # the task, and the retry re-attached to the run its first try started (the task state store).
    retried = next(ti for ti in tis if ti_key(ti) == (RETRIED_TASK_ID, -1))
    assert retried["try_number"] >= 2
    result = topology.xcom_of(MAPPED_DAG_ID, mapped_run.run_id, RETRIED_TASK_ID)
    assert (result["run_id"], result["state"]) == (by_region[RETRIED_REGION], "success")
    first_try = topology.task_log(MAPPED_DAG_ID, mapped_run.run_id, RETRIED_TASK_ID, try_number=1)
    assert any("Stopped waiting for Datalore run" in json.dumps(record) for record in first_try.records)
