"""
A minimal emulated dbt Cloud API for the triggerer benchmark: start a job run, read its status.

Serves, on loopback, over HTTPS (``--cert``/``--key``) or plain HTTP:

- ``POST /api/v2/accounts/{account}/jobs/{job}/run/``: starts a run that lasts ``--duration`` seconds;
- ``GET /api/v2/accounts/{account}/runs/{run}/``: the run, ``status`` 3 (running) then 10 (success),
  in the shape of dbt Cloud's v2 API (``{"status": {...}, "data": {...}}``);
- ``GET /_bench/stats`` and ``POST /_bench/reset``: request counts for the benchmark (no auth).

Requests need ``Authorization: Token <token>``. The server stops by itself after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import signal
import ssl
import sys
import time
import weakref
from typing import Any

from aiohttp import web

RUNNING, SUCCESS = 3, 10


class Stats:
    """What the benchmark reads back: status requests, their failures, and TCP connections seen."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.status_requests = 0
        self.status_errors = 0
        self.connections = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "status_requests": self.status_requests,
            "status_errors": self.status_errors,
            "connections": self.connections,
        }


def run_body(run_id: int, account: int, job: int, started: float, status: int) -> dict[str, Any]:
    """Return a v2 ``runs/{id}/`` response, with the fields dbt Cloud sends for a run."""
    created = datetime.datetime.fromtimestamp(started, datetime.UTC).isoformat()
    finished = status == SUCCESS
    return {
        "status": {"code": 200, "is_success": True, "user_message": "Success!", "developer_message": ""},
        "data": {
            "id": run_id,
            "trigger_id": run_id,
            "account_id": account,
            "environment_id": 1,
            "project_id": 1,
            "job_definition_id": job,
            "status": status,
            "dbt_version": "versionless",
            "git_branch": "main",
            "git_sha": "a1b2c3d4e5f6",
            "status_message": None,
            "owner_thread_id": None,
            "executed_by_thread_id": "dbt-run-worker-1",
            "deferring_run_id": None,
            "artifacts_saved": finished,
            "artifact_s3_path": None,
            "has_docs_generated": False,
            "has_sources_generated": False,
            "notify_on_complete": True,
            "scribe_enabled": True,
            "created_at": created,
            "updated_at": created,
            "dequeued_at": created,
            "started_at": created,
            "finished_at": created if finished else None,
            "last_checked_at": None,
            "last_heartbeat_at": None,
            "should_start_at": None,
            "trigger": None,
            "job": None,
            "environment": None,
            "run_steps": [],
            "status_humanized": "Success" if finished else "Running",
            "in_progress": not finished,
            "is_complete": finished,
            "is_success": finished,
            "is_error": False,
            "is_cancelled": False,
            "duration": "00:01:00",
            "queued_duration": "00:00:00",
            "run_duration": "00:01:00",
            "duration_humanized": "1 minute",
            "queued_duration_humanized": "0 minutes",
            "run_duration_humanized": "1 minute",
            "created_at_humanized": "just now",
            "finished_at_humanized": "just now" if finished else "0 minutes from now",
            "job_id": job,
            "is_running": not finished,
            "href": f"https://cloud.getdbt.com/deploy/{account}/projects/1/runs/{run_id}/",
        },
    }


def create_app(token: str, duration: float) -> web.Application:
    """Return the application; runs live in memory."""
    runs: dict[int, tuple[float, int, int]] = {}
    stats = Stats()
    expected = f"Token {token}"

    seen_transports: weakref.WeakSet[Any] = weakref.WeakSet()

    def count_connection(request: web.Request) -> None:
        # One transport object per TCP connection; it is forgotten once the connection is gone.
        transport = request.transport
        if transport is not None and transport not in seen_transports:
            seen_transports.add(transport)
            stats.connections += 1

    async def start_run(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != expected:
            return web.json_response({"status": {"code": 401, "is_success": False}}, status=401)
        account, job = int(request.match_info["account"]), int(request.match_info["job"])
        run_id = len(runs) + 1
        runs[run_id] = (time.time(), account, job)
        return web.json_response(run_body(run_id, account, job, runs[run_id][0], 1))

    async def run_status(request: web.Request) -> web.Response:
        count_connection(request)
        stats.status_requests += 1
        if request.headers.get("Authorization") != expected:
            stats.status_errors += 1
            return web.json_response({"status": {"code": 401, "is_success": False}}, status=401)
        run = runs.get(int(request.match_info["run"]))
        if run is None:
            stats.status_errors += 1
            return web.json_response({"status": {"code": 404, "is_success": False}}, status=404)
        started, account, job = run
        status = SUCCESS if time.time() - started >= duration else RUNNING
        return web.json_response(run_body(int(request.match_info["run"]), account, job, started, status))

    async def get_stats(request: web.Request) -> web.Response:
        return web.json_response(stats.to_dict())

    async def reset(request: web.Request) -> web.Response:
        stats.reset()
        return web.json_response({})

    app = web.Application()
    app.router.add_post(r"/api/v2/accounts/{account:\d+}/jobs/{job:\d+}/run/", start_run)
    app.router.add_get(r"/api/v2/accounts/{account:\d+}/runs/{run:\d+}/", run_status)
    app.router.add_get("/_bench/stats", get_stats)
    app.router.add_post("/_bench/reset", reset)
    return app


async def serve(args: argparse.Namespace) -> None:
    ssl_context = None
    if args.cert:
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(args.cert, args.key)
    runner = web.AppRunner(create_app(args.token, args.duration), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, ssl_context=ssl_context, backlog=2048)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    scheme = "https" if ssl_context else "http"
    print(f"dbt Cloud emulator listening on {scheme}://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), timeout=args.max_seconds)
    except TimeoutError:
        print("dbt Cloud emulator: --max-seconds reached, stopping", file=sys.stderr, flush=True)
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert", help="PEM certificate; serve HTTPS")
    parser.add_argument("--key", help="PEM private key of --cert")
    parser.add_argument("--token", default="tok")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds a run stays running")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="stop by itself after this")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
