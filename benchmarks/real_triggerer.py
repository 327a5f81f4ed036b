"""
The real triggerer at scale: one ``airflow triggerer`` process, on Postgres, holding N waits over HTTPS.

The imitation harness (``trigger_load.py``) drives triggers the way ``TriggerRunner`` does, in one
process with no database. This runs Airflow's own triggerer instead, as production runs it, and
measures it the same way, for our trigger and for dbt Cloud's:

- Postgres (Debian's server, started by ``scripts/local_servers.py``, the production-topology suite's
  helper) holds Airflow's metadata database; ``airflow db migrate`` makes it.
- ``airflow triggerer --capacity N+1`` runs with the connections in ``AIRFLOW_CONN_*`` variables, as
  in the harness.
- How it is fed (the cheapest way that leaves the triggerer untouched): ``real_triggerer_feed.py``
  writes what deferring tasks leave behind, directly through Airflow's models: one DAG run, N task
  instances of its ``wait`` task (map indexes 0..N-1) in state ``deferred``, each with its trigger row
  (class path and encrypted kwargs, as ``BaseOperator.defer`` stores them), and one more for
  ``lag_probe.py``'s loop-lag probe. No scheduler, no worker: the triggerer finds the rows, assigns them
  to itself and runs them; when a trigger fires, it writes the event and moves the task instance on,
  which is how the benchmark sees a wait end.
- Before the measured waits, one warm-up trigger of the same kind (a run the server does not know: it
  ends at once) loads the trigger's modules, so the baseline memory has them, as in the harness.

Figures, per run: CPU time of the trigger runner (the triggerer's subprocess that runs the triggers: the
harness's process measures the same thing) and of the whole triggerer (the runner and its supervisor,
which talks to the database and writes the triggers' log files), both from feeding the rows until the
last wait ended, per 1000 status requests the server answered; the runner's peak RSS growth per
trigger; the probe's p99 and max loop lag; and the triggerer's own "async thread was blocked" warnings.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servers import BENCH, connection_env, start_runs

if TYPE_CHECKING:
    import argparse

    from servers import Server

ROOT = BENCH.parent
#: Ours, dbt Cloud's, and ours with README's GC setting for the triggerer (``gc_tuned/``).
KINDS = ("datalore", "dbt", "datalore-gc")
GC_TUNED = BENCH / "gc_tuned"
#: What the triggerer logs when its watchdog finds the event loop blocked past the threshold (0.2 s).
BLOCKED_WARNING = "Triggerer's async thread was blocked for"
#: Seconds to wait for the triggerer to start, and for a warm-up trigger to end.
STARTUP_TIMEOUT = 180.0
SAMPLE_EVERY = 0.5


def key(kind: str, n: int) -> str:
    return f"real-{kind}-https-{n}"


class RealTriggererBench:
    """Postgres and an Airflow home shared by every measurement; one triggerer process per measurement."""

    def __init__(self, args: argparse.Namespace, env: dict[str, str], workdir: Path) -> None:
        sys.path.insert(0, str(ROOT))  # scripts/local_servers.py: Postgres, shared with the topology suite
        from scripts.local_servers import PostgresServer, ensure_server_binaries

        self.args = args
        self.workdir = workdir / "real-triggerer"
        self.logs = self.workdir / "logs"
        self.logs.mkdir(parents=True)
        if os.geteuid() == 0:
            workdir.chmod(0o711)  # Postgres runs as its own user and must reach its folder in ours
            self.workdir.chmod(0o711)
        binaries = ensure_server_binaries(self.logs / "apt-get.log")
        self.postgres = PostgresServer(self.workdir / "postgres", binaries.postgres_bin, self.logs)
        self.postgres.start({k: v for k, v in env.items() if not k.startswith("AIRFLOW")})
        self.home = self.workdir / "airflow-home"
        dags = self.home / "dags"
        dags.mkdir(parents=True)
        shutil.copy(BENCH / "real_triggerer_dags.py", dags)
        from cryptography.fernet import Fernet

        self.env = {
            **{k: v for k, v in env.items() if not k.startswith("AIRFLOW")},
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.postgres.url,
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            # lag_probe.LagProbeTrigger, and the feed's imports of it.
            "PYTHONPATH": os.pathsep.join([str(BENCH), *filter(None, [env.get("PYTHONPATH")])]),
        }
        self._airflow("db", "migrate", timeout=600)
        self._feed("setup", str(dags))

    def close(self) -> None:
        if self.postgres.process is not None:
            self.postgres.process.stop()

    # -- one measurement --------------------------------------------------------------------------------

    def measure(self, kind: str, server: Server, n: int, tag: str) -> dict[str, Any]:
        import psutil

        provider = "datalore" if kind == "datalore-gc" else kind
        env = {**self.env, **connection_env(provider, server, self.args.ca_file)}
        if kind == "datalore-gc":
            env["PYTHONPATH"] = os.pathsep.join([str(GC_TUNED), env["PYTHONPATH"]])
        log_path = self.logs / f"{tag}-triggerer.log"
        with open(log_path, "wb") as log:
            triggerer = subprocess.Popen(
                [self._bin("airflow"), "triggerer", "--skip-serve-logs", "--capacity", str(n + 1)],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=self.workdir,
            )  # fmt: skip
        try:
            self._wait_running(triggerer, log_path)
            warm = self._feed("warm-up", "--kind", provider, env=env)
            self._wait_no_deferred(warm["run_id"], triggerer, log_path, STARTUP_TIMEOUT)
            supervisor = psutil.Process(triggerer.pid)
            (runner,) = supervisor.children()
            time.sleep(2)  # the warm-up's event written, the runner idle again

            run_ids = asyncio.run(start_runs(server, n))
            server.reset()
            ids_file = self.workdir / f"{tag}-run-ids.json"
            ids_file.write_text(json.dumps(run_ids))
            probe_file = self.workdir / f"{tag}-probe.json"
            offset = log_path.stat().st_size
            load = os.getloadavg()
            cpu0 = {"runner": _cpu(runner), "supervisor": _cpu(supervisor)}
            rss0 = {"runner": runner.memory_info().rss, "supervisor": supervisor.memory_info().rss}
            server_cpu0 = server.cpu_seconds()
            wall0 = time.monotonic()
            fed = self._feed(
                "feed", "--kind", provider, "--run-ids", str(ids_file), "--poll-interval",
                str(self.args.poll_interval), "--probe-seconds", str(self.args.duration),
                "--probe-result", str(probe_file), env=env,
            )  # fmt: skip
            fed_after = time.monotonic() - wall0
            peaks = dict(rss0)
            deadline = wall0 + self.args.max_seconds
            last_check = 0.0
            while time.monotonic() < deadline:
                time.sleep(SAMPLE_EVERY)
                peaks["runner"] = max(peaks["runner"], runner.memory_info().rss)
                peaks["supervisor"] = max(peaks["supervisor"], supervisor.memory_info().rss)
                if time.monotonic() - last_check >= 2:
                    last_check = time.monotonic()
                    if triggerer.poll() is not None:
                        raise RuntimeError(f"the triggerer exited ({triggerer.returncode}); see {log_path}")
                    if not self._deferred(fed["run_id"]) and probe_file.exists():
                        break
            wall = time.monotonic() - wall0
            cpu1 = {"runner": _cpu(runner), "supervisor": _cpu(supervisor)}
            server_cpu = server.cpu_seconds() - server_cpu0
            outcome = self._outcome(fed["run_id"])
        finally:
            _stop(triggerer)
        with open(log_path, "rb") as handle:
            handle.seek(offset)
            warnings = handle.read().decode(errors="replace").count(BLOCKED_WARNING)
        probe = json.loads(probe_file.read_text()) if probe_file.exists() else {}
        result = {
            "kind": kind,
            "n": n,
            "tag": tag,
            "wall_seconds": wall,
            "feed_seconds": fed_after,
            "cpu_runner": cpu1["runner"] - cpu0["runner"],
            "cpu_supervisor": cpu1["supervisor"] - cpu0["supervisor"],
            "rss_runner_baseline": rss0["runner"],
            "rss_runner_peak": peaks["runner"],
            "rss_supervisor_baseline": rss0["supervisor"],
            "rss_supervisor_peak": peaks["supervisor"],
            "probe": probe,
            "blocked_warnings": warnings,
            "server_cpu_seconds": server_cpu,
            "loadavg_1m_before": load[0],
            **outcome,
            **server.poll_stats(),
        }
        polls = max(result["polls"], 1)
        result["derived"] = {
            "cpu_runner_per_1000_polls": result["cpu_runner"] / polls * 1000,
            "cpu_triggerer_per_1000_polls": (result["cpu_runner"] + result["cpu_supervisor"]) / polls * 1000,
            "rss_kib_per_trigger": (peaks["runner"] - rss0["runner"]) / n / 1024,
            "rss_supervisor_kib_per_trigger": (peaks["supervisor"] - rss0["supervisor"]) / n / 1024,
            "lag_p99_ms": probe.get("p99", float("nan")) * 1000,
            "lag_max_ms": probe.get("max", float("nan")) * 1000,
            "blocked_warnings": warnings,
            "polls": result["polls"],
            "connections": result["connections"],
            "exactly_one_success": result["succeeded"],
            "server_cpu_pct": 100 * server_cpu / max(wall, 1e-9),
            "wall_seconds": wall,
        }
        return result

    # -- the database ---------------------------------------------------------------------------------

    def _query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg2

        with psycopg2.connect(
            host="127.0.0.1", port=self.postgres.port, user="airflow", dbname="airflow"
        ) as conn, conn.cursor() as cursor:  # fmt: skip
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _deferred(self, run_id: str) -> int:
        sql = "SELECT count(*) FROM task_instance WHERE run_id = %s AND state = 'deferred'"
        return int(self._query(sql, run_id)[0][0])

    def _outcome(self, run_id: str) -> dict[str, Any]:
        """How the waits ended: moved on with a success event, otherwise, or still deferred."""
        rows = self._query(
            "SELECT state, next_kwargs::text FROM task_instance WHERE run_id = %s AND task_id = 'wait'",
            run_id,
        )
        succeeded = sum(1 for state, kwargs in rows if state == "scheduled" and '"success"' in (kwargs or ""))
        return {
            "succeeded": succeeded,
            "still_deferred": sum(1 for state, _ in rows if state == "deferred"),
            "other_outcomes": len(rows) - succeeded - sum(1 for state, _ in rows if state == "deferred"),
            "event_samples": [kwargs[:300] for state, kwargs in rows if '"success"' not in (kwargs or "")][
                :3
            ],
        }

    def _wait_running(self, triggerer: subprocess.Popen[bytes], log_path: Path) -> None:
        """Wait until the triggerer's job heartbeats and its runner subprocess is up."""
        import psutil

        deadline = time.monotonic() + STARTUP_TIMEOUT
        sql = "SELECT count(*) FROM job WHERE job_type = 'TriggererJob' AND state = 'running' AND hostname != ''"
        while time.monotonic() < deadline:
            if triggerer.poll() is not None:
                raise RuntimeError(f"the triggerer exited ({triggerer.returncode}); see {log_path}")
            if self._query(sql)[0][0] and psutil.Process(triggerer.pid).children():
                return
            time.sleep(1)
        raise RuntimeError(f"the triggerer did not start within {STARTUP_TIMEOUT:.0f} s; see {log_path}")

    def _wait_no_deferred(
        self, run_id: str, triggerer: subprocess.Popen[bytes], log_path: Path, timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        while self._deferred(run_id):
            if triggerer.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the warm-up trigger did not end; see {log_path}")
            time.sleep(0.5)

    # -- processes ------------------------------------------------------------------------------------

    def _bin(self, name: str) -> str:
        return str(Path(sys.executable).parent / name)

    def _airflow(self, *argv: str, timeout: float) -> None:
        log_path = self.logs / f"airflow-{argv[0]}-{argv[1]}.log"
        with open(log_path, "wb") as log:
            code = subprocess.run(
                [self._bin("airflow"), *argv], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, timeout=timeout, check=False,
            ).returncode  # fmt: skip
        if code:
            raise RuntimeError(f"airflow {' '.join(argv)} failed ({code}); see {log_path}")

    def _feed(self, *argv: str, env: dict[str, str] | None = None) -> dict[str, Any]:
        out = subprocess.run(
            [sys.executable, str(BENCH / "real_triggerer_feed.py"), *argv], env=env or self.env,
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if out.returncode:
            raise RuntimeError(f"real_triggerer_feed.py {argv[0]} failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def _cpu(process: Any) -> float:
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the triggerer's process group, then SIGKILL what is left."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def run_real_triggerer_bench(
    args: argparse.Namespace, env: dict[str, str], workdir: Path, servers: dict[tuple[str, str], Server]
) -> dict[str, list[dict[str, Any]]]:
    """Measure the real triggerer at ``args.real_n`` for each kind, ``args.real_repeats`` times, interleaved."""
    bench = RealTriggererBench(args, env, workdir)
    results: dict[str, list[dict[str, Any]]] = {key(kind, args.real_n): [] for kind in KINDS}
    try:
        for round_ in range(args.real_repeats):
            for kind in KINDS:
                tag = f"{key(kind, args.real_n)}-r{round_ + 1}"
                print(f"  {tag} ...", end=" ", flush=True)
                provider = "datalore" if kind == "datalore-gc" else kind
                result = bench.measure(kind, servers[provider, "https"], args.real_n, tag)
                results[key(kind, args.real_n)].append(result)
                figures = result["derived"]
                print(
                    f"runner {figures['cpu_runner_per_1000_polls']:.2f} / triggerer "
                    f"{figures['cpu_triggerer_per_1000_polls']:.2f} CPU s per 1000 polls, "
                    f"{figures['rss_kib_per_trigger']:.1f} KiB/trigger, p99 lag {figures['lag_p99_ms']:.1f} ms, "
                    f"{figures['blocked_warnings']} blocked warnings, ok {figures['exactly_one_success']}/"
                    f"{args.real_n}, {figures['polls']} polls, wall {figures['wall_seconds']:.0f} s",
                    flush=True,
                )
    finally:
        bench.close()
    return results
