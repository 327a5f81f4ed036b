"""
The servers the benchmarks poll, each in its own process, and how to start runs on them.

The Datalore emulator of this package (over HTTPS with its throwaway certificate, and over plain HTTP)
and ``dbt_cloud_emulator.py`` (HTTPS, the same certificate); ``start_servers`` starts all three for a
benchmark run and stops them after. Used by ``run.py`` (the imitation harness) and ``real_triggerer.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import queue
import signal
import ssl
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

BENCH = Path(__file__).resolve().parent
TOKEN = "bench-token-not-a-secret"
NOTEBOOK = "bench/nb"
#: The interactive waits' notebooks: the sales-report notebook's 11 cells (5 of them controls, 5 code cells
#: with outputs) and, in the first, a last cell that runs for the run's duration (the kernel BUSY all
#: along); the second boots for as many ``/kernel/status`` reads as N waits make in the run's duration
#: (``kernel_boot_polls``: READY, the previous run's statuses), then runs its cells.
INTERACTIVE_BUSY, INTERACTIVE_BOOTING = "bench/interactive-busy", "bench/interactive-booting"
DBT_ACCOUNT, DBT_JOB = 1, 1


_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: a preexec_fn should do as little as it can
PR_SET_PDEATHSIG = 1


def pin(pid: int, role: str) -> None:
    """
    Keep a measured process and the servers it polls on CPUs of their own: the trigger process (``role``
    ``"client"``) on the first CPU, servers on the others. On two cores, unpinned, they trade places and
    caches, and one scenario's CPU per poll varied by a fifth between repeats. One CPU: nothing is pinned.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > 1:
        os.sched_setaffinity(pid, {cpus[0]} if role == "client" else set(cpus[1:]))


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this child when the benchmark process dies, so nothing outlives it."""
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class LineReader:
    """Read a child's stdout lines in a thread (a blocking pipe), so the benchmark can wait with a timeout."""

    def __init__(self, proc: subprocess.Popen[str], what: str, copy_to: Path | None = None):
        self.proc, self.what, self.copy_to = proc, what, copy_to
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        with open(self.copy_to or os.devnull, "a") as copy:
            for line in self.proc.stdout:
                copy.write(line)
                copy.flush()
                self.lines.put(line.strip())
        self.lines.put(None)

    def next(self, timeout: float) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"{self.what}: no output within {timeout:.0f} s") from None
        if line is None:
            raise RuntimeError(f"{self.what} exited (code {self.proc.wait()}) before it was ready")
        return line


class Server:
    """A server process (the Datalore emulator or the dbt Cloud emulator) and how to read its counters."""

    def __init__(self, kind: str, scheme: str, argv: list[str], env: dict[str, str], workdir: Path):
        self.kind, self.scheme = kind, scheme
        self.stderr = workdir / f"server-{kind}-{scheme}.log"
        with open(self.stderr, "w") as err:
            self.proc = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=err, text=True, env=env, preexec_fn=die_with_parent
            )
        pin(self.proc.pid, "server")
        reader = LineReader(self.proc, f"{kind} server", copy_to=workdir / f"server-{kind}-{scheme}.out")
        first = reader.next(60)
        self.url = first.rsplit(" ", 1)[-1].replace("://localhost:", "://127.0.0.1:")
        self.ca_file: str | None = None
        if kind == "datalore" and scheme == "https":
            self.ca_file = reader.next(30).split("CA file: ", 1)[1]
        self.ssl_context: ssl.SSLContext | None = None

    def cpu_seconds(self) -> float:
        import psutil

        times = psutil.Process(self.proc.pid).cpu_times()
        return times.user + times.system

    def _call(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            self.url + path, method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(request, timeout=120, context=self.ssl_context) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        self._call("POST", "/_emulator/reset" if self.kind == "datalore" else "/_bench/reset")

    def poll_stats(self, kind: str = "datalore") -> dict[str, int]:
        """
        Return status polls answered, those not answered 2xx, and TCP connections they came over.

        ``kind`` ``interactive``: a poll is one ``/kernel/status`` read; ``cells_reads`` counts the
        ``/cells`` reads besides (those a poll makes when the kernel is not BUSY).
        """
        if self.kind == "dbt":
            stats = self._call("GET", "/_bench/stats")
            return {
                "polls": stats["status_requests"],
                "server_non_2xx": stats["status_errors"],
                "connections": stats["connections"],
            }
        entries = self._call("GET", "/_emulator/journal")
        if kind == "interactive":
            journal = [e for e in entries if e["method"] == "POST" and e["path"].endswith("/kernel/status")]
            cells = [e for e in entries if e["method"] == "POST" and e["path"].endswith("/cells")]
            return {
                "polls": len(journal),
                "cells_reads": len(cells),
                "server_non_2xx": sum(
                    1 for e in journal + cells if not (e["status"] and 200 <= e["status"] < 300)
                ),
                "connections": len({e["client_port"] for e in journal + cells}),
            }
        journal = [
            entry
            for entry in entries
            if entry["method"] == "GET" and entry["path"].startswith("/api/run/v1/")
        ]
        return {
            "polls": len(journal),
            "server_non_2xx": sum(1 for e in journal if not (e["status"] and 200 <= e["status"] < 300)),
            # A client port is one connection (ports are not reused within a run while it is open).
            "connections": len({e["client_port"] for e in journal}),
        }

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


async def start_runs(server: Server, n: int) -> list[str]:
    """Start ``n`` runs on the server (as the operators do before deferring); return their ids."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=32, ssl=server.ssl_context if server.ssl_context else False)
    async with aiohttp.ClientSession(connector=connector) as session:
        semaphore = asyncio.Semaphore(32)

        async def one() -> str:
            async with semaphore:
                if server.kind == "datalore":
                    async with session.post(
                        f"{server.url}/api/run/v1/notebook",
                        json={"notebookId": NOTEBOOK},
                        headers={"Authorization": f"Bearer {TOKEN}"},
                    ) as response:
                        response.raise_for_status()
                        return str((await response.json())["runId"])
                async with session.post(
                    f"{server.url}/api/v2/accounts/{DBT_ACCOUNT}/jobs/{DBT_JOB}/run/",
                    json={"cause": "benchmark"},
                    headers={"Authorization": f"Token {TOKEN}"},
                ) as response:
                    response.raise_for_status()
                    return str((await response.json())["data"]["id"])

        return list(await asyncio.gather(*(one() for _ in range(n))))


def connection_env(kind: str, server: Server, ca_file: str) -> dict[str, str]:
    """The ``AIRFLOW_CONN_*`` variable (and CA setting) a trigger of ``kind`` needs to poll ``server``."""
    if kind == "datalore":
        extra = {"ca_bundle": server.ca_file} if server.ca_file else {}
        conn = {"conn_type": "datalore", "host": server.url, "password": TOKEN, "extra": extra}
        return {"AIRFLOW_CONN_DATALORE_BENCH": json.dumps(conn)}
    host = server.url.split("://", 1)[1]  # the hook always speaks https://{host}/
    conn = {"conn_type": "dbt_cloud", "host": host, "login": str(DBT_ACCOUNT), "password": TOKEN}
    # aiohttp's default SSL context (dbt Cloud's hook) honours SSL_CERT_FILE.
    return {"AIRFLOW_CONN_DBT_BENCH": json.dumps(conn), "SSL_CERT_FILE": ca_file}


@contextlib.contextmanager
def start_servers(
    args: argparse.Namespace, env: dict[str, str], workdir: Path
) -> Iterator[dict[tuple[str, str], Server]]:
    """
    Start the servers, keyed ``(kind, scheme)``; stop them after. Sets ``args.ca_file``.

    ``("floor", "https")`` is the Datalore emulator over HTTPS too: the floor polls the same server.
    """
    from airflow_provider_datalore.emulator.sales_report import SALES_REPORT_CELLS_JSON

    cells = [dict(cell) for cell in SALES_REPORT_CELLS_JSON]  # JSON-safe dicts
    long_cell = {"id": "wait", "type": "CODE", "source": "time.sleep(60)", "seconds": args.duration}
    # One interactive start, N waits polling it: the boot lasts about the run's duration.
    waits = getattr(args, "interactive_n", None) or getattr(args, "goal_n", 1)
    boot_polls = max(1, round(waits * args.duration / args.poll_interval))
    config = {
        "tokens": {TOKEN: {NOTEBOOK: "editor", INTERACTIVE_BUSY: "editor", INTERACTIVE_BOOTING: "editor"}},
        "notebooks": [
            {"id": NOTEBOOK, "duration": args.duration},
            {"id": INTERACTIVE_BUSY, "cells": [*cells, long_cell]},
            {"id": INTERACTIVE_BOOTING, "cells": cells, "kernel_boot_polls": boot_polls},
        ],
    }
    config_path = workdir / "emulator.json"
    config_path.write_text(json.dumps(config))
    emulator = [sys.executable, "-m", "airflow_provider_datalore.emulator", "--port", "0", "--config"]
    servers: dict[tuple[str, str], Server] = {}
    try:
        https = servers["datalore", "https"] = Server(
            "datalore", "https", [*emulator, str(config_path), "--tls"], env, workdir
        )
        servers["datalore", "http"] = Server("datalore", "http", [*emulator, str(config_path)], env, workdir)
        assert https.ca_file is not None
        args.ca_file = https.ca_file
        key_file = str(Path(https.ca_file).with_name("key.pem"))  # the emulator's key, beside its cert
        servers["dbt", "https"] = Server(
            "dbt",
            "https",
            [
                sys.executable,
                str(BENCH / "dbt_cloud_emulator.py"),
                "--cert",
                https.ca_file,
                "--key",
                key_file,
                "--token",
                TOKEN,
                "--duration",
                str(args.duration),
                "--max-seconds",
                str(4 * 3600),
            ],
            env,
            workdir,
        )
        context = ssl.create_default_context(cafile=https.ca_file)
        servers["datalore", "https"].ssl_context = servers["dbt", "https"].ssl_context = context
        servers["floor", "https"] = servers["datalore", "https"]  # the floor polls the same emulator
        yield servers
    finally:
        for server in servers.values():
            server.stop()
