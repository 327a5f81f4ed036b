"""
A real Airflow 3 deployment on loopback, for the system tests and the README screenshots.

``AirflowDeployment`` starts, each in its own process group and with an explicit environment: the
Datalore emulator (``python -m airflow_provider_datalore.emulator``), then ``airflow db migrate`` and the
four Airflow services: ``api-server``, ``scheduler`` (LocalExecutor: the tasks run in its worker
processes), ``dag-processor`` and ``triggerer``. Everything lives in one temporary directory: the
``AIRFLOW_HOME`` with its SQLite database and task logs, the DAGs folder, and one log file per process.

Only the processes started here are ever signalled: each PID is recorded when it is started, and
``stop()`` sends SIGTERM to it, then SIGKILL to its process group (which ``start_new_session`` made,
so it holds only that process and its children) when it does not exit in time.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import requests

from scripts.processes import DeploymentError, ManagedProcess, free_port, wait_for

if TYPE_CHECKING:
    from collections.abc import Iterable

T = TypeVar("T")

#: How long one service may take to come up on a busy 2-core machine.
STARTUP_TIMEOUT = 180.0
#: The Airflow services, in start order; stopped in reverse.
SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")


class AirflowDeployment:
    """
    The emulator and a real Airflow 3 (LocalExecutor, SQLite) on loopback, in one temporary directory.

    :param workdir: An empty directory that holds everything (AIRFLOW_HOME, DAGs, process logs).
    :param dag_files: DAG files copied into the deployment's own DAGs folder.
    :param emulator_config: The emulator's config (tokens, notebooks, faults) as JSON-ready data.
    :param token: The API token of the ``datalore_default`` connection.
    :param extra_env: More environment for the Airflow processes, e.g. a connection (``AIRFLOW_CONN_*``:
        the processes get none of this process's Airflow settings), such as ``s3_server.airflow_env()``.
    """

    #: The Airflow services, in start order (a subclass may run others, or several of one kind).
    services: tuple[str, ...] = SERVICES

    def __init__(
        self,
        workdir: Path,
        dag_files: Iterable[Path],
        emulator_config: dict[str, Any],
        token: str,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.extra_env = dict(extra_env or {})
        self.home = workdir / "airflow-home"
        self.dags_folder = workdir / "dags"
        self.process_logs = workdir / "process-logs"
        self.dag_files = list(dag_files)
        self.emulator_config = emulator_config
        self.token = token
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.emulator_url = ""
        self.env: dict[str, str] = {}
        self.processes: dict[str, ManagedProcess] = {}
        self.session = requests.Session()
        self._bin = Path(sys.executable).parent

    # -- life cycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the emulator and Airflow, and wait until the API reports every service healthy."""
        for folder in (self.home, self.dags_folder, self.process_logs):
            folder.mkdir(parents=True, exist_ok=True)
        for dag_file in self.dag_files:
            shutil.copy2(dag_file, self.dags_folder / dag_file.name)
        self._start_emulator()
        self.env = self._airflow_env()
        migrate_log = self.process_logs / "db-migrate.log"
        with open(migrate_log, "wb") as log:
            result = subprocess.run(
                [str(self._bin / "airflow"), "db", "migrate"],
                env=self.env,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=STARTUP_TIMEOUT,
                check=False,
            )
        if result.returncode != 0:
            raise DeploymentError(f"airflow db migrate failed:\n{migrate_log.read_text()[-3000:]}")
        for service in self.services:
            self.start_service(service)
        self.wait_healthy()
        self.login()

    def stop(self) -> None:
        """Stop every process this deployment started, in reverse start order (the emulator last)."""
        for process in reversed(list(self.processes.values())):
            process.stop()
        self.session.close()

    def service_argv(self, service: str) -> list[str]:
        """Return the command line of one Airflow service."""
        argv = [str(self._bin / "airflow"), service]
        if service == "api-server":
            argv += ["--host", "127.0.0.1", "--port", str(self.api_port), "--workers", "1"]
        elif service in ("scheduler", "triggerer"):
            argv += ["--skip-serve-logs"]
        return argv

    def start_service(self, service: str) -> ManagedProcess:
        """Start (or start again) one Airflow service and return its process."""
        process = self.processes.get(service)
        if process is None:
            process = ManagedProcess(
                name=service,
                argv=self.service_argv(service),
                env=self.env,
                log_path=self.process_logs / f"{service}.log",
                cwd=self.workdir,
            )
            self.processes[service] = process
        process.start()
        return process

    def _start_emulator(self) -> None:
        config_file = self.workdir / "emulator.json"
        config_file.write_text(json.dumps(self.emulator_config, indent=2))
        env = _clean_env()
        process = ManagedProcess(
            name="emulator",
            argv=self.emulator_argv(config_file),
            env=env,
            log_path=self.process_logs / "emulator.log",
            cwd=self.workdir,
        )
        self.processes["emulator"] = process
        process.start()
        prefix = "Datalore emulator listening on "

        def url() -> str | None:
            if not process.running():
                raise DeploymentError(f"the emulator exited:\n{process.tail()}")
            for line in process.log_path.read_text(errors="replace").splitlines():
                if line.startswith(prefix):
                    return line[len(prefix) :].strip()
            return None

        self.emulator_url = wait_for("the emulator to listen", url, timeout=60)

    def emulator_argv(self, config_file: Path) -> list[str]:
        """Return the emulator's command line; it prints ``Datalore emulator listening on <url>``."""
        return [
            sys.executable,
            "-m",
            "airflow_provider_datalore.emulator",
            "--port",
            "0",
            "--config",
            str(config_file),
        ]

    def _airflow_env(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        env = _clean_env()
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__API__BASE_URL": self.api_url,
                "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
                # Only the runs the tests trigger: no run created by the timetable on unpause.
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
                # A killed triggerer's triggers go to a new one after 10 s without a heartbeat.
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
                "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "10",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW_CONN_DATALORE_DEFAULT": json.dumps(
                    {"conn_type": "datalore", "host": self.emulator_url, "password": self.token}
                ),
            }
        )
        env.update(self.extra_env)
        return env

    # -- readiness ----------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Return the API server's ``/api/v2/monitor/health`` answer."""
        response = self.session.get(f"{self.api_url}/api/v2/monitor/health", timeout=10)
        response.raise_for_status()
        return response.json()

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> dict[str, Any]:
        """Wait until the metadata DB, scheduler, triggerer and DAG processor all report healthy."""

        def healthy() -> dict[str, Any] | None:
            self.check_alive()
            health = self.health()
            parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
            return health if all(health.get(p, {}).get("status") == "healthy" for p in parts) else None

        return wait_for("every Airflow service to report healthy", healthy, timeout, interval=1)

    def check_alive(self) -> None:
        """Raise ``DeploymentError`` with the process's log tail if a service has exited."""
        for process in self.processes.values():
            if not process.running():
                raise DeploymentError(f"{process.name} exited:\n{process.tail()}")

    def login(self) -> None:
        """Get a JWT from ``POST /auth/token`` and send it with every API request."""
        response = self.session.post(
            f"{self.api_url}/auth/token", json={"username": "admin", "password": "admin"}, timeout=30
        )
        response.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def wait_for_dags(self, dag_ids: Iterable[str], timeout: float = STARTUP_TIMEOUT) -> None:
        """Wait until the DAG processor has parsed every DAG; fail at once on an import error."""
        dag_ids = list(dag_ids)

        def parsed() -> bool:
            self.check_alive()
            errors = self.api("GET", "/importErrors")
            if errors["total_entries"]:
                raise DeploymentError(f"DAG import errors: {errors['import_errors']}")
            return all(self.api("GET", f"/dags/{dag_id}", expect=(200, 404)) for dag_id in dag_ids)

        wait_for(f"the DAGs {dag_ids} to be parsed", parsed, timeout, interval=1)

    # -- the REST API -------------------------------------------------------------------------------

    def api(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> Any:
        """
        Call the public REST API (``/api/v2`` + path, or a path starting with ``/ui``) and return its JSON.

        A status in ``expect`` other than 2xx returns None (e.g. 404 for "not there yet").
        """
        url = self.api_url + (path if path.startswith(("/ui/", "/auth/")) else f"/api/v2{path}")
        response = self.session.request(method, url, json=json_body, params=params, timeout=60)
        if response.status_code not in expect:
            raise DeploymentError(f"{method} {path}: HTTP {response.status_code}: {response.text[:2000]}")
        if not 200 <= response.status_code < 300:
            return None
        return response.json() if response.content else None

    def emulator(self, path: str) -> Any:
        """GET the emulator's control plane (``/_emulator/journal``, ``/_emulator/runs``)."""
        response = requests.get(f"{self.emulator_url}/_emulator/{path}", timeout=10)
        response.raise_for_status()
        return response.json()

    def trigger_dag(self, dag_id: str, logical_date: str | None = None) -> dict[str, Any]:
        """Unpause the DAG and trigger a run of it, as the UI's Trigger button does; return the DAG run."""
        self.api("PATCH", f"/dags/{dag_id}", json_body={"is_paused": False})
        return self.api("POST", f"/dags/{dag_id}/dagRuns", json_body={"logical_date": logical_date})

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        """Return the task instance as the REST API shows it (state, trigger, triggerer job, ...)."""
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")

    def wait_for_dag_run(
        self, dag_id: str, run_id: str, timeout: float = 180.0, *, failure_expected: bool = False
    ) -> dict[str, Any]:
        """
        Wait until the DAG run has finished and return it; stop early when a task fails.

        :param failure_expected: A test of a failing task: wait for the DAG run to end, failed or not.
        """

        def finished() -> dict[str, Any] | None:
            self.check_alive()
            tis = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]
            broken = {ti["task_id"]: ti["state"] for ti in tis if ti["state"] in _BROKEN_TI_STATES}
            if broken and not failure_expected:
                raise DeploymentError(f"DAG run {dag_id}/{run_id}: tasks did not succeed: {broken}")
            dag_run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            return dag_run if dag_run["state"] in ("success", "failed") else None

        return wait_for(f"DAG run {dag_id}/{run_id} to finish", finished, timeout, interval=1)

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        """Return the value of one XCom of a task instance."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        return self.api("GET", path)["value"]

    def extra_links(self, dag_id: str, run_id: str, task_id: str) -> dict[str, str]:
        """Return ``{link name: URL}`` of a task instance's extra links, as the UI gets them."""
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/links")[
            "extra_links"
        ]

    def state_history(self, dag_id: str, run_id: str, task_id: str) -> list[str]:
        """
        Return the states a task instance reported, oldest first, from Airflow's audit log.

        The API server writes an audit-log row (``/api/v2/eventLogs``) for every state a worker reports
        through the Execution API: ``running``, ``deferred``, ``success``, ... A deferred task that resumed
        shows ``running, deferred, running, success``.
        """
        events = self.api(
            "GET",
            "/eventLogs",
            params={"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "order_by": "event_log_id"},
        )["event_logs"]
        return [event["event"] for event in events if event["event"] in _TI_STATES]

    def task_log(
        self, dag_id: str, run_id: str, task_id: str, try_number: int = 1, map_index: int = -1
    ) -> TaskLog:
        """Return a task try's log as the UI reads it: its source files and its structured records."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/{try_number}"
        params = {"full_content": "true", "map_index": map_index}
        content = self.api("GET", path, params=params)["content"]
        sources: list[str] = []
        records: list[dict[str, Any]] = []
        in_sources = False
        for record in content:
            event = str(record.get("event", ""))
            if event == "::group::Log message source details":
                in_sources = True
            elif in_sources and event == "::endgroup::":
                in_sources = False
            elif in_sources:
                sources.append(event)
            else:
                records.append(record)
        return TaskLog(sources=sources, records=records)

    def triggerer_jobs(self) -> dict[int, dict[str, Any]]:
        """Return every triggerer job Airflow knows, by job id (one per triggerer process started)."""
        jobs = self.api("GET", "/jobs", params={"job_type": "TriggererJob", "limit": 100})["jobs"]
        return {job["id"]: job for job in jobs}

    # -- diagnostics --------------------------------------------------------------------------------

    def report(self, lines: int = 60) -> str:
        """Return the last lines of every process's log, for a failing test's output."""
        parts = [f"deployment in {self.workdir}"]
        for process in self.processes.values():
            parts.append(f"----- {process.name} (pids {process.pids}) -----\n{process.tail(lines)}")
        return "\n".join(parts)


_TI_STATES = frozenset(
    {"running", "deferred", "success", "failed", "up_for_retry", "up_for_reschedule", "skipped"}
)
_BROKEN_TI_STATES = frozenset({"failed", "up_for_retry", "upstream_failed"})


@dataclass
class TaskLog:
    """A task try's log as the API serves it: the files it was read from and the log records."""

    sources: list[str]
    records: list[dict[str, Any]]

    def events(self, text: str) -> list[dict[str, Any]]:
        """Return the records whose message is exactly ``text``."""
        return [record for record in self.records if record.get("event") == text]

    def trigger_files(self) -> dict[int, str]:
        """Return ``{triggerer job id: file}`` of the log files a triggerer wrote for this try."""
        found = {}
        for source in self.sources:
            head, marker, tail = source.rpartition(".trigger.")
            if marker and tail.endswith(".log") and tail[: -len(".log")].isdigit():
                found[int(tail[: -len(".log")])] = source
        return found


def _clean_env() -> dict[str, str]:
    """Return this process's environment without any Airflow setting (the tests' own home and DAGs)."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AIRFLOW") and not key.startswith("DATALORE_TESTS_")
    }
