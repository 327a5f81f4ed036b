"""DataloreRunStatusTrigger against the emulator over real HTTP: one event, and nothing else."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger
from tests.constants import TOKEN


def collect(trigger: DataloreRunStatusTrigger) -> list[dict]:
    """Run the trigger as the triggerer does and return the payloads of every event it yields."""

    async def consume():
        return [event.payload async for event in trigger.run()]

    return asyncio.run(consume())


def start(notebook_id: str) -> str:
    """Start a run on the emulator (``datalore_default`` points at it)."""
    return DataloreHook().run_notebook(notebook_id)


def test_serialize_round_trips_exactly():
    trigger = DataloreRunStatusTrigger(
        run_id="r1",
        datalore_conn_id="dl",
        poll_interval=2.5,
        end_time=1795687200.5,
        notebook_id="alice/sales",
        hook_params={"retry_limit": 2, "retry_delay": 0.5},
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_datalore.triggers.datalore.DataloreRunStatusTrigger"
    assert kwargs == {
        "run_id": "r1",
        "datalore_conn_id": "dl",
        "poll_interval": 2.5,
        "end_time": 1795687200.5,
        "notebook_id": "alice/sales",
        "hook_params": {"retry_limit": 2, "retry_delay": 0.5},
    }
    assert json.loads(json.dumps(kwargs)) == kwargs
    again = DataloreRunStatusTrigger(**kwargs)
    assert again.serialize() == (classpath, kwargs)


def test_a_server_that_echoes_the_token_does_not_leak_it(emulator, retry_waits, caplog):
    """A server (or proxy) that quotes the Authorization header back: the event and the logs hide it."""
    run_id = start("demo/sales-report")
    echo = {"error": f"Bearer {TOKEN} is not valid here"}
    emulator.add_faults(
        {"endpoint": "status", "status": 503, "body": echo},
        {"endpoint": "status", "status": 401, "body": echo},
    )
    with caplog.at_level("DEBUG"):
        (event,) = collect(DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.05))
    assert event["status"] == "error"
    assert "(HTTP 401) when asked to read the status of run" in event["message"]
    assert "Bearer *** is not valid here" in event["message"]
    assert TOKEN not in json.dumps(event)
    assert "HTTP 503: Bearer *** is not valid here" in caplog.text  # the retry's warning
    assert TOKEN not in caplog.text


def test_success_event_carries_the_run(emulator):
    run_id = start("demo/sales-report")
    events = collect(DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.05, end_time=time.time() + 30))
    assert len(events) == 1
    (event,) = events
    assert event["status"] == "success"
    assert event["run_id"] == run_id
    assert event["message"] == (
        f"Datalore run {run_id} of notebook demo/sales-report ({emulator.url}/notebook/demo/sales-report) succeeded"
    )
    assert event["run"]["success"] is True
    assert event["run"]["artifacts"] == [
        {
            "name": "sales-report.ipynb",
            "path": f"/notebook/demo/sales-report/artifacts/{run_id}/sales-report.ipynb",
            "url": f"{emulator.url}/notebook/demo/sales-report/artifacts/{run_id}/sales-report.ipynb",
        }
    ]
    assert json.loads(json.dumps(event)) == event
    # Two polls in progress, then finished: three reads, and the one start.
    assert [(e.method, e.status) for e in emulator.journal] == [("POST", 200)] + [("GET", 200)] * 3


def test_failed_event(emulator):
    run_id = start("demo/failing")
    (event,) = collect(DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.05))
    assert event["status"] == "failed"
    assert event["message"].endswith("failed")
    assert event["run"]["success"] is False


def test_timeout_event_says_the_run_goes_on(emulator):
    run_id = start("demo/slow")
    (event,) = collect(
        DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.05, end_time=time.time() + 0.3)
    )
    assert event["status"] == "timeout"
    assert event["message"] == (
        f"Stopped waiting for Datalore run {run_id} of notebook demo/slow: it is still in progress (status "
        f"'running'). The run goes on in Datalore (the Run API cannot stop a run); follow it at "
        f"{emulator.url}/notebook/demo/slow."
    )
    assert event["run"]["state"] == "running"


def test_a_last_look_that_outlives_the_deadline_is_a_timeout_not_an_error(emulator, retry_waits):
    run_id = start("demo/slow")
    trigger = DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.5, end_time=time.time() + 1.5)
    # Every status read after the first takes longer than what is left of the wait.
    emulator.add_faults(
        {"endpoint": "status", "action": "delay", "seconds": 0.01},
        {"endpoint": "status", "action": "delay", "seconds": 5, "times": 10},
    )
    (event,) = collect(trigger)
    assert event["status"] == "timeout", event["message"]
    assert "it is still in progress (status 'running')" in event["message"]
    assert event["run"]["state"] == "running"


def test_transient_errors_are_retried_inside_the_trigger(emulator, retry_waits):
    run_id = start("demo/sales-report")
    emulator.add_faults(
        {"endpoint": "status", "status": 503, "retry_after": "0"},
        {"endpoint": "status", "action": "drop"},
        {"endpoint": "status", "action": "malformed_json"},
        {"endpoint": "status", "status": 429},
    )
    (event,) = collect(DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.05))
    assert event["status"] == "success"
    assert len(emulator.run_starts()) == 1


def test_error_event_when_retries_are_used_up(emulator, retry_waits):
    run_id = start("demo/sales-report")
    emulator.add_faults({"endpoint": "status", "status": 502, "times": 5})
    (event,) = collect(DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.05))
    assert event["status"] == "error"
    assert event["run"] is None
    assert event["message"] == (
        f"Stopped waiting for Datalore run {run_id}: Could not read the status of run {run_id} "
        f"(GET /api/run/v1/{run_id}) after 5 attempts: HTTP 502: Injected 502"
    )
    assert TOKEN not in event["message"]


def test_a_refused_connection_is_retried_then_an_error_event(datalore_connection, retry_waits):
    """Every aiohttp from the declared minimum up: a refused connect is a Datalore error, not a crash."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    datalore_connection(host=f"http://127.0.0.1:{port}")
    (event,) = collect(DataloreRunStatusTrigger(run_id="r1", poll_interval=0.05))
    assert event["status"] == "error"
    assert event["message"].startswith(
        "Stopped waiting for Datalore run r1: Could not read the status of run r1 (GET /api/run/v1/r1) "
        "after 5 attempts: connect"
    )
    assert [attempt for attempt, _ in retry_waits] == [1, 2, 3, 4]


def test_error_event_for_a_revoked_token(emulator):
    run_id = start("demo/slow")
    emulator.revoke_token(TOKEN)
    (event,) = collect(DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.05))
    assert event["status"] == "error"
    assert "HTTP 401" in event["message"]
    assert "check the password of Airflow connection 'datalore_default'" in event["message"]


def test_run_gone_is_an_error_event(emulator):
    run_id = start("demo/slow")
    emulator.delete_run(run_id)
    (event,) = collect(DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.05))
    assert event["status"] == "error"
    assert f"run {run_id} was not found" in event["message"]


def test_a_re_created_trigger_finishes_the_job_without_a_second_run(emulator):
    """A triggerer restart re-creates the trigger from serialize() and runs it from the start."""
    run_id = start("demo/sales-report")
    first = DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.05)

    async def run_one_poll_then_die():
        generator = first.run()
        task = asyncio.ensure_future(generator.__anext__())
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises((asyncio.CancelledError, StopAsyncIteration)):
            await task
        await generator.aclose()

    asyncio.run(run_one_poll_then_die())
    classpath, kwargs = first.serialize()
    (event,) = collect(DataloreRunStatusTrigger(**kwargs))
    assert event["status"] == "success"
    assert len(emulator.run_starts()) == 1
    assert [e.method for e in emulator.journal].count("POST") == 1


def test_polls_reuse_one_connection(emulator):
    """Keep-alive: the trigger's polls share a connection instead of a new handshake each."""
    from airflow_provider_datalore.emulator import Notebook

    emulator.add_notebook(Notebook(id="demo/ten-polls", polls=10))
    emulator.add_token(TOKEN, {"demo/ten-polls": "editor"})
    run_id = start("demo/ten-polls")
    (event,) = collect(DataloreRunStatusTrigger(run_id=run_id, poll_interval=0.01))
    assert event["status"] == "success"
    gets = [e for e in emulator.journal if e.method == "GET"]
    assert len(gets) == 11
    assert len({e.client_port for e in gets}) == 1


def test_many_triggers_share_one_session(emulator):
    run_ids = [start("demo/sales-report") for _ in range(20)]

    async def run_all():
        triggers = [DataloreRunStatusTrigger(run_id=r, poll_interval=0.02) for r in run_ids]
        results = await asyncio.gather(*[_first(t) for t in triggers])
        return results

    async def _first(trigger):
        return [e.payload async for e in trigger.run()]

    results = asyncio.run(run_all())
    assert all(len(events) == 1 and events[0]["status"] == "success" for events in results)
    assert sorted(events[0]["run_id"] for events in results) == sorted(run_ids)
    # 20 triggers x 3 polls over one shared session: connections are reused, far fewer than polls.
    gets = [e for e in emulator.journal if e.method == "GET"]
    assert len(gets) == 60
    assert len({e.client_port for e in gets}) <= 20


def test_triggers_created_together_do_not_poll_together(emulator):
    """A random first offset and a jittered sleep spread the polls of triggers made at the same moment."""
    run_ids = [start("demo/sales-report") for _ in range(30)]
    emulator.clear_journal()

    async def run_all():
        triggers = [DataloreRunStatusTrigger(run_id=r, poll_interval=0.5) for r in run_ids]
        return await asyncio.gather(*[_first(t) for t in triggers])

    async def _first(trigger):
        return [e.payload async for e in trigger.run()]

    results = asyncio.run(run_all())
    assert all(events[0]["status"] == "success" for events in results)
    first_polls = {}
    for entry in emulator.journal:
        first_polls.setdefault(entry.path, entry.time)
    times = sorted(first_polls.values())
    assert len(times) == 30
    # In lockstep they came within a few milliseconds; spread over one interval they span most of it.
    assert times[-1] - times[0] > 0.2
