"""DataloreInteractiveRunTrigger against the emulator's notebook model: one event, and it never interrupts."""

from __future__ import annotations

import asyncio
import json
import time

from airflow_provider_datalore.emulator import Notebook
from airflow_provider_datalore.hooks.datalore import DataloreHook
from airflow_provider_datalore.notebook_api.execution import ExecutionSnapshot
from airflow_provider_datalore.triggers.interactive import DataloreInteractiveRunTrigger
from tests.constants import TOKEN

NB = "demo/sales-report"
SLOW = "demo/slow-cells"


def collect(trigger: DataloreInteractiveRunTrigger) -> list[dict]:
    """Run the trigger as the triggerer does and return the payloads of every event it yields."""

    async def consume():
        return [event.payload async for event in trigger.run()]

    return asyncio.run(consume())


def started(notebook_id: str = NB, **kwargs) -> DataloreInteractiveRunTrigger:
    """Take the snapshot and start the run as the operator does; return the trigger that waits for it."""
    hook = DataloreHook()
    snapshot = ExecutionSnapshot.from_cells(hook.list_cells(notebook_id, outputs=True).cells)
    hook.run_notebook_interactive(notebook_id)
    kwargs.setdefault("poll_interval", 0.01)
    return DataloreInteractiveRunTrigger(notebook_id=notebook_id, snapshot=snapshot.to_json(), **kwargs)


def slow_notebook(emulator, **cell):
    emulator.add_token(TOKEN, {NB: "editor", SLOW: "editor"})
    emulator.add_notebook(
        Notebook.from_dict({"id": SLOW, "cells": [{"id": "loop", "type": "CODE", "source": "x", **cell}]})
    )


def test_serialize_round_trips_exactly(emulator):
    trigger = started(end_time=123.5, hook_params={"retry_limit": 2}, references={"kpi": "kpi"})
    path, kwargs = trigger.serialize()
    assert path == "airflow_provider_datalore.triggers.interactive.DataloreInteractiveRunTrigger"
    assert DataloreInteractiveRunTrigger(**json.loads(json.dumps(kwargs))).serialize() == (path, kwargs)
    assert TOKEN not in json.dumps(kwargs)


def test_success_event_carries_the_progress_and_the_references(emulator):
    (event,) = collect(started(references={"total": "kpi"}))
    assert event["status"] == "success"
    assert event["notebook_id"] == NB
    assert event["progress"]["state"] == "success"
    assert event["references"] == {"total": "kpi"}
    assert "all 10 runnable cells ran" in event["message"]


def test_timeout_event_says_what_runs_and_never_interrupts(emulator):
    slow_notebook(emulator, polls=10**6)
    (event,) = collect(started(SLOW, end_time=time.time() + 0.3))
    assert event["status"] == "timeout"
    assert "the kernel is BUSY running cell loop" in event["message"]
    assert emulator.requests(path_contains="/kernel/interrupt") == []


def test_a_last_look_that_outlives_the_deadline_is_a_timeout_not_an_error(emulator, retry_waits):
    slow_notebook(emulator, polls=10**6)
    trigger = started(SLOW, end_time=time.time() + 1.5, poll_interval=0.5)
    # Every kernel read after the first takes longer than what is left of the wait.
    emulator.add_faults(
        {"endpoint": "kernel_status", "action": "delay", "seconds": 0.01},
        {"endpoint": "kernel_status", "action": "delay", "seconds": 5, "times": 10},
    )
    (event,) = collect(trigger)
    assert event["status"] == "timeout", event["message"]
    assert "BUSY running cell loop" in event["message"]


def test_error_event_when_the_reads_fail(emulator, retry_waits):
    emulator.add_faults({"endpoint": "kernel_status", "status": 503, "times": 100})
    (event,) = collect(started(hook_params={"retry_limit": 2}))
    assert event["status"] == "error"
    assert event["message"].startswith(
        "Stopped waiting for the interactive run of Datalore notebook demo/sales-report"
    )
    assert event["progress"] is None
