"""
The trigger process of the triggerer benchmark: run N triggers in one event loop, as Airflow's triggerer does.

Started by ``benchmarks/run.py``, one process per measurement. It reproduces what
``airflow.jobs.triggerer_job_runner.TriggerRunner`` does with a trigger, minus the metadata database:

- logging as in the triggerer's subprocess (structlog, JSON lines, here to a file instead of the pipe);
- each trigger re-created from its ``serialize()`` output (class path + JSON kwargs, imported by path);
- each trigger's ``run()`` consumed with ``async for`` in its own asyncio task, after
  ``greenback.ensure_portal()`` and binding the trigger id to the log context;
- a main loop that wakes every second to reap finished triggers, and a watchdog-like ticker
  (here every 50 ms) that measures how late the event loop wakes it up (loop lag).

Connections come from ``AIRFLOW_CONN_<ID>`` environment variables. The process prints ``READY`` once it
has imported everything (so the baseline memory is taken with the modules loaded), then reads one JSON
line from stdin: the run ids to wait on. It writes its measurements as JSON to ``--result``.
Everything is bounded: the triggers are cancelled after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import json
import os
import resource
import sys
import time
from collections import Counter
from typing import Any

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICK = 0.05
SAMPLE_RSS_EVERY = 0.5


def raise_fd_limit() -> tuple[int, int]:
    """Raise the soft limit of open files to the hard limit (3000 triggers may hold 3000 sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE_SIZE


def cpu_seconds() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def configure_triggerer_logging(path: str) -> Any:
    """Log as the triggerer's subprocess does (JSON to its supervisor), into a file."""
    from airflow.sdk.log import configure_logging, reset_logging

    log_io = open(path, "wb", buffering=0)  # noqa: SIM115 - open for the whole process
    reset_logging()
    configure_logging(json_output=True, output=log_io, sending_to_supervisor=True)
    return log_io


def build_serialized(
    kind: str, run_id: str, poll_interval: float, end_time: float, snapshot: dict[str, Any] | None = None
) -> tuple[str, str]:
    """
    Return ``(classpath, kwargs as JSON)`` as the operator's ``defer()`` would store them.

    For ``interactive``, ``run_id`` is the notebook and ``snapshot`` its cells' marks before the start
    (``ExecutionSnapshot.to_json()``), as ``DataloreRunInteractiveOperator`` defers with them.
    """
    if kind == "interactive":
        from airflow_provider_datalore.triggers.interactive import DataloreInteractiveRunTrigger

        trigger: Any = DataloreInteractiveRunTrigger(
            notebook_id=run_id,
            snapshot=snapshot or {"cells": []},
            datalore_conn_id="datalore_bench",
            poll_interval=poll_interval,
            end_time=end_time,
        )
    elif kind == "datalore":
        from airflow_provider_datalore.triggers.datalore import DataloreRunStatusTrigger

        trigger = DataloreRunStatusTrigger(
            run_id=run_id, datalore_conn_id="datalore_bench", poll_interval=poll_interval, end_time=end_time
        )
    else:
        from airflow.providers.dbt.cloud.triggers.dbt import DbtCloudRunJobTrigger

        trigger = DbtCloudRunJobTrigger(
            conn_id="dbt_bench",
            run_id=int(run_id),
            end_time=end_time,
            poll_interval=poll_interval,
            account_id=1,
            hook_params={},
        )
    classpath, kwargs = trigger.serialize()
    return classpath, json.dumps(kwargs)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def floor_poller(
    trigger_id: int, session: Any, url: str, token: str, interval: float, end_time: float, events: dict
) -> None:
    """
    The physical floor: what polling costs with nothing but aiohttp, a keep-alive session and json.

    No Airflow, no provider, no logging: GET the status, read and parse the body, sleep, until the reply
    has no ``status`` or the deadline passes. Same N, same rate, same server, same TLS as the triggers.
    """
    received = events.setdefault(trigger_id, [])
    headers = {"Authorization": f"Bearer {token}"}
    while time.time() < end_time:
        async with session.get(url, headers=headers) as response:
            payload = json.loads(await response.read())
        if "status" not in payload:
            received.append({"status": "success" if payload.get("success") else "failed"})
            return
        await asyncio.sleep(interval)
    received.append({"status": "timeout"})


async def run_trigger(trigger_id: int, trigger: Any, events: dict[int, list[dict[str, Any]]]) -> None:
    """What ``TriggerRunner.run_trigger`` does with a trigger, without the span and DB bookkeeping."""
    import greenback
    from structlog.contextvars import bind_contextvars

    if os.environ.get("AIRFLOW_DISABLE_GREENBACK_PORTAL", "").lower() != "true":
        await greenback.ensure_portal()
    bind_contextvars(trigger_id=trigger_id)
    received = events.setdefault(trigger_id, [])
    try:
        async for event in trigger.run():
            received.append(event.payload)
    finally:
        with contextlib.suppress(Exception):
            await trigger.cleanup()


async def main_async(
    args: argparse.Namespace, run_ids: list[str], snapshot: dict[str, Any] | None = None
) -> dict[str, Any]:
    from airflow._shared.module_loading import import_string

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    lags: list[float] = []
    rss_samples: list[int] = []

    lag_times: list[float] = []
    collections: list[
        tuple[int, float, float]
    ] = []  # (generation, seconds, when): the garbage collector's pauses
    gc_started: list[float] = [0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif info["generation"] == 2:
            collections.append((2, time.perf_counter() - gc_started[0], time.monotonic() - wall0))

    gc.callbacks.append(on_gc)

    async def ticker() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append(time.perf_counter() - start - TICK)
            lag_times.append(time.monotonic() - wall0)

    async def sample_rss() -> None:
        while not stop.is_set():
            rss_samples.append(rss_bytes())
            await asyncio.sleep(SAMPLE_RSS_EVERY)

    census: dict[str, Any] = {}

    async def take_census() -> None:
        # BENCH_GC_CENSUS=<seconds>: what the garbage collector tracks then, by type (diagnostics only:
        # walking every object stops the loop, so the run's lag figures include it).
        await asyncio.sleep(float(os.environ["BENCH_GC_CENSUS"]))
        tracked = gc.get_objects()
        census["tracked"] = len(tracked)
        census["by_generation"] = [len(gc.get_objects(g)) for g in range(3)]
        census["top"] = Counter(type(o).__qualname__ for o in tracked).most_common(40)
        del tracked
        # Then what the polls leave to the collector (reference cycles) over two seconds.
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        await asyncio.sleep(2)
        gc.collect()
        gc.set_debug(0)
        census["cyclic_garbage"] = len(gc.garbage)
        census["garbage_top"] = Counter(type(o).__qualname__ for o in gc.garbage).most_common(40)
        gc.garbage.clear()

    rss_baseline = rss_bytes()
    baseline_tracked = len(gc.get_objects())
    cpu0 = cpu_seconds()
    wall0 = time.monotonic()
    helpers = [loop.create_task(ticker()), loop.create_task(sample_rss())]
    if os.environ.get("BENCH_GC_CENSUS"):
        helpers.append(loop.create_task(take_census()))

    # The DB hands the triggerer (classpath, kwargs); it imports the class by path and inflates it.
    end_time = time.time() + args.trigger_timeout
    events: dict[int, list[dict[str, Any]]] = {}
    tasks: dict[int, asyncio.Task[None]] = {}
    floor_session = None
    if args.kind == "floor":
        import ssl

        import aiohttp

        floor = json.loads(os.environ["BENCH_FLOOR"])
        context = ssl.create_default_context(cafile=floor["ca_file"]) if floor.get("ca_file") else None
        floor_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context, limit=256))
        for trigger_id, rid in enumerate(run_ids):
            url = f"{floor['url']}/api/run/v1/{rid}"
            tasks[trigger_id] = loop.create_task(
                floor_poller(
                    trigger_id, floor_session, url, floor["token"], args.poll_interval, end_time, events
                )
            )
    serialized = (
        []
        if args.kind == "floor"
        else [build_serialized(args.kind, rid, args.poll_interval, end_time, snapshot) for rid in run_ids]
    )
    class_cache: dict[str, Any] = {}
    for trigger_id, (classpath, kwargs_json) in enumerate(serialized):
        await asyncio.sleep(0)  # create_triggers() yields between triggers
        if classpath not in class_cache:
            class_cache[classpath] = import_string(classpath)
        trigger = class_cache[classpath](**json.loads(kwargs_json))
        trigger.trigger_id = trigger_id
        tasks[trigger_id] = loop.create_task(
            run_trigger(trigger_id, trigger, events), name=f"ID {trigger_id}"
        )
    created_after = time.monotonic() - wall0

    # The main loop: wake every second, reap finished triggers, stop when all are done or time is up.
    deadline = wall0 + args.max_seconds
    finished_at: dict[int, float] = {}
    crashed: dict[int, str] = {}
    while len(finished_at) < len(tasks) and time.monotonic() < deadline:
        await asyncio.sleep(1)
        now = time.monotonic() - wall0
        for trigger_id, task in tasks.items():
            if trigger_id not in finished_at and task.done():
                finished_at[trigger_id] = now
                if not task.cancelled() and task.exception() is not None:
                    crashed[trigger_id] = repr(task.exception())
    wall = time.monotonic() - wall0
    cpu1 = cpu_seconds()
    rss_end = rss_bytes()
    stop.set()
    unfinished = [trigger_id for trigger_id in tasks if trigger_id not in finished_at]
    for trigger_id in unfinished:
        tasks[trigger_id].cancel()
    await asyncio.gather(*tasks.values(), *helpers, return_exceptions=True)
    if floor_session is not None:
        await floor_session.close()

    statuses: Counter[str] = Counter()
    exactly_one_success = 0
    messages: Counter[str] = Counter()
    for trigger_id in tasks:
        received = events.get(trigger_id, [])
        for payload in received:
            statuses[str(payload.get("status"))] += 1
            if payload.get("status") != "success":
                messages[str(payload.get("message"))[:300]] += 1
        if len(received) == 1 and received[0].get("status") == "success":
            exactly_one_success += 1
    return {
        "kind": args.kind,
        "n": len(run_ids),
        "poll_interval": args.poll_interval,
        "wall_seconds": wall,
        "create_seconds": created_after,
        "cpu_user": cpu1[0] - cpu0[0],
        "cpu_sys": cpu1[1] - cpu0[1],
        "rss_baseline": rss_baseline,
        "rss_peak": max([*rss_samples, rss_end]),
        "rss_end": rss_end,
        "lag_samples": len(lags),
        "lag_p50": percentile(lags, 50),
        "lag_p99": percentile(lags, 99),
        "gc_tracked_before": baseline_tracked,
        "gc_census": census,
        "gc_full_collections": len(collections),
        "gc_full_max_ms": max((c[1] for c in collections), default=0.0) * 1000,
        "gc_full_total_ms": sum(c[1] for c in collections) * 1000,
        "gc_full_worst": sorted(((round(c[1] * 1000, 1), round(c[2], 1)) for c in collections), reverse=True)[
            :10
        ],
        "lag_worst": sorted(((lag, at) for lag, at in zip(lags, lag_times, strict=True)), reverse=True)[:20],
        "lag_max": max(lags, default=0.0),
        "statuses": dict(statuses),
        "exactly_one_success": exactly_one_success,
        "unfinished": len(unfinished),
        "crashed": len(crashed),
        "crash_samples": list(crashed.values())[:5],
        "event_messages": dict(messages.most_common(5)),
        "last_finish_seconds": max(finished_at.values(), default=0.0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description="Run N triggers as the triggerer does; report costs.")
    parser.add_argument("--kind", choices=["datalore", "dbt", "floor", "interactive"], required=True)
    parser.add_argument("--poll-interval", type=float, default=2.0)
    parser.add_argument("--trigger-timeout", type=float, default=600.0, help="the triggers' own deadline")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="cancel what is left after this")
    parser.add_argument("--log", required=True, help="where the triggers' JSON log lines go")
    parser.add_argument("--result", required=True, help="where to write the measurements (JSON)")
    parser.add_argument(
        "--profile", help="write a pyinstrument profile of the run to this HTML file (and a .txt beside it)"
    )
    args = parser.parse_args()

    fd_limit = raise_fd_limit()
    log_io = configure_triggerer_logging(args.log)
    # Load what a triggerer running these triggers has loaded anyway, so the baseline memory has it.
    import aiohttp  # noqa: F401
    import greenback  # noqa: F401

    if args.kind != "floor":
        build_serialized(args.kind, "1", args.poll_interval, time.time())
    if args.kind in ("datalore", "interactive"):
        import airflow_provider_datalore.hooks.datalore  # noqa: F401
    if args.kind == "interactive":
        importlib.import_module("airflow_provider_datalore.notebook_api.execution")
    print("READY", flush=True)
    line = sys.stdin.readline()
    if not line:
        return 2
    request = json.loads(line)
    snapshot = None
    if isinstance(request, dict):  # interactive: {"notebook", "snapshot", "n"}: N waits on that notebook
        run_ids, snapshot = [str(request["notebook"])] * int(request["n"]), request["snapshot"]
    else:
        run_ids = [str(rid) for rid in request]

    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled")
        profiler.start()
    result = asyncio.run(main_async(args, run_ids, snapshot))
    if profiler is not None:
        profiler.stop()
        with open(args.profile, "w") as handle:
            handle.write(profiler.output_html())
        with open(os.path.splitext(args.profile)[0] + ".txt", "w") as handle:
            handle.write(profiler.output_text(unicode=False, color=False, show_all=False))
    result["fd_limit"] = list(fd_limit)
    log_io.close()
    with open(args.result, "w") as handle:
        json.dump(result, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
