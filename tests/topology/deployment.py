"""
Airflow 3 as teams run it in production, on loopback: Postgres, Redis, CeleryExecutor, HA triggerers.

``TopologyDeployment`` is the system suite's ``AirflowDeployment`` (tests/system/deployment.py) with
another topology: PostgreSQL as the metadata database and Celery's result backend, Redis as Celery's
broker (both Debian's servers, see ``services.py``), and the services ``api-server``, ``scheduler``,
``dag-processor``, two ``triggerer`` and two ``celery worker`` processes; the Datalore emulator with
an outage switch (``outage_emulator.py``). The Datalore connection exists only as
``AIRFLOW_CONN_DATALORE_DEFAULT`` in the services' environment, never in the database.

Each Airflow process is a "machine" of its own: its host name is its service name (see
``pythonpath/datalore_topology_hostname.py``), so ``job.hostname`` names the triggerer that holds a
trigger and ``task_instance.hostname`` the worker that ran a try.

As in the system suite, every process is started here in its own session, its log in the deployment's
folder, and stopped at the end (SIGTERM, then SIGKILL to its process group).
"""

from __future__ import annotations

import datetime
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from scripts.local_servers import PostgresServer, RedisServer, ensure_server_binaries
from tests.system.deployment import (
    AirflowDeployment,
    DeploymentError,
    ManagedProcess,
    _clean_env,
    wait_for,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

HERE = Path(__file__).resolve().parent
TRIGGERERS = ("triggerer-1", "triggerer-2")
WORKERS = ("worker-1", "worker-2")
#: Tasks each Celery worker runs at once (its prefork pool).
WORKER_CONCURRENCY = 8
#: A task whose worker stopped heartbeating is failed (and retried) after this many seconds.
TASK_HEARTBEAT_TIMEOUT = 30
#: The environment variable that names each service's "machine" (datalore_topology_hostname.py).
HOST_VARIABLE = "DATALORE_TOPOLOGY_HOST"


class TopologyDeployment(AirflowDeployment):
    """
    Postgres, Redis, the emulator and Airflow 3 with CeleryExecutor, two workers and two triggerers.

    :param workdir: An empty directory that holds everything (AIRFLOW_HOME, DAGs, data, process logs).
    :param dag_files: DAG files copied into the deployment's own DAGs folder.
    :param emulator_config: The emulator's config (tokens, notebooks) as JSON-ready data.
    :param token: The API token of the ``datalore_default`` connection.
    """

    services = ("api-server", "scheduler", "dag-processor", *TRIGGERERS, *WORKERS)

    def __init__(
        self, workdir: Path, dag_files: Iterable[Path], emulator_config: dict[str, Any], token: str
    ) -> None:
        super().__init__(workdir, dag_files, emulator_config, token)
        self.postgres: PostgresServer | None = None
        self.redis: RedisServer | None = None

    # -- life cycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start Postgres and Redis, then the emulator and Airflow; wait for both workers to be ready."""
        self.process_logs.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # Postgres runs as its own user: it must be able to reach its folder in ours.
            self.workdir.chmod(0o711)
        binaries = ensure_server_binaries(self.process_logs / "apt-get.log")
        self.postgres = PostgresServer(self.workdir / "postgres", binaries.postgres_bin, self.process_logs)
        self.processes["postgres"] = self.postgres.start(_clean_env())
        self.redis = RedisServer(self.workdir / "redis", binaries.redis_server, self.process_logs)
        self.processes["redis"] = self.redis.start(_clean_env())
        super().start()
        for worker in WORKERS:
            self.wait_for_worker(worker)
        self.wait_for_triggerer_loops()

    def emulator_argv(self, config_file: Path) -> list[str]:
        return [sys.executable, str(HERE / "outage_emulator.py"), "--config", str(config_file)]

    def service_argv(self, service: str) -> list[str]:
        airflow = str(self._bin / "airflow")
        if service in TRIGGERERS:
            return [airflow, "triggerer", "--skip-serve-logs"]
        if service in WORKERS:
            return [
                airflow, "celery", "worker",
                "--celery-hostname", f"{service}@%h",
                "--concurrency", str(WORKER_CONCURRENCY),
                "--pid", str(self.workdir / f"{service}.pid"),
                "--skip-serve-logs",
                "--without-mingle",
                "--without-gossip",
            ]  # fmt: skip
        return super().service_argv(service)

    def start_service(self, service: str) -> ManagedProcess:
        if service not in self.processes:
            # Its own "machine": the host name Airflow records for its jobs and task tries.
            self.processes[service] = ManagedProcess(
                name=service,
                argv=self.service_argv(service),
                env={**self.env, HOST_VARIABLE: service},
                log_path=self.process_logs / f"{service}.log",
                cwd=self.workdir,
            )
        return super().start_service(service)

    def _airflow_env(self) -> dict[str, str]:
        assert self.postgres is not None and self.redis is not None
        env = super()._airflow_env()
        pythonpath = [str(HERE / "pythonpath"), *filter(None, [os.environ.get("PYTHONPATH")])]
        env.update(
            {
                "PYTHONPATH": os.pathsep.join(pythonpath),
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "datalore_topology_hostname.hostname",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.postgres.url,
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CELERY__BROKER_URL": self.redis.url,
                "AIRFLOW__CELERY__RESULT_BACKEND": self.postgres.celery_result_backend,
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
                # 50 mapped tasks at once: queued, running and deferred, none held back by a limit.
                "AIRFLOW__CORE__PARALLELISM": "64",
                "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "128",
                # A killed worker's task is failed, and retried, this long after its last heartbeat.
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": str(TASK_HEARTBEAT_TIMEOUT),
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            }
        )
        return env

    # -- what the tests read and do ----------------------------------------------------------------

    def wait_for_log(self, service: str, *fragments: str, timeout: float) -> None:
        """Wait until a line with every one of ``fragments`` appears in the service's log (since it started)."""
        process = self.processes[service]

        def logged() -> bool:
            if not process.running():
                raise DeploymentError(f"{service} exited:\n{process.tail()}")
            log = process.log_path.read_text(errors="replace").rpartition("===== ")[2]
            return any(all(fragment in line for fragment in fragments) for line in log.splitlines())

        wait_for(f"{service} to log {' ... '.join(fragments)!r}", logged, timeout)

    def wait_for_worker(self, worker: str, timeout: float = 120) -> None:
        """Wait until a Celery worker consumes its queue (``<name>@<host> ready.``)."""
        self.wait_for_log(worker, f" {worker}@", " ready.", timeout=timeout)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Return every task instance of a DAG run (mapped ones included) as the REST API shows them."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
        return self.api("GET", path, params={"limit": 1000})["task_instances"]

    def wait_for_triggerer_loops(self, timeout: float = 180) -> None:
        """
        Wait until every triggerer's loop runs: its job has heartbeated since the job was made.

        A triggerer writes its job row when it starts, but claims triggers only once its loop runs,
        after its trigger runner has started (tens of seconds on a busy 2-core machine). A DAG run
        triggered before then leaves every trigger to the triggerer that was ready first.
        """

        def looping() -> set[str] | None:
            jobs = self.api(
                "GET", "/jobs", params={"job_type": "TriggererJob", "is_alive": True, "limit": 100}
            )
            ready = {
                job["hostname"]
                for job in jobs["jobs"]
                if job["latest_heartbeat"]
                and datetime.datetime.fromisoformat(job["latest_heartbeat"])
                > datetime.datetime.fromisoformat(job["start_date"]) + datetime.timedelta(seconds=1)
            }
            return ready if ready >= set(TRIGGERERS) else None

        wait_for("both triggerers to run their loops", looping, timeout, interval=1)

    def running_triggerer_jobs(self) -> dict[int, str]:
        """Return ``{job id: service name}`` of the triggerer jobs Airflow considers alive."""
        jobs = self.api("GET", "/jobs", params={"job_type": "TriggererJob", "is_alive": True, "limit": 100})
        return {job["id"]: job["hostname"] for job in jobs["jobs"]}

    def crash(self, service: str) -> list[int]:
        """
        SIGKILL a service, its process group and every process group its descendants made; return the PIDs.

        A crashed machine or container takes everything it ran with it. Killing only the service's
        process group would leave Airflow 3's task processes alive: the task supervisor puts each task
        process in a process group of its own.
        """
        import psutil

        process = self.processes[service]
        assert process.pid is not None
        try:
            tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        pids = [member.pid for member in tree]
        groups = set()
        for member in tree:
            try:
                groups.add(os.getpgid(member.pid))
            except ProcessLookupError:
                continue
        for group in groups:
            # Every group here was made by a process we started: the service's own (its PID, from
            # start_new_session) or one a task supervisor under it made for its task.
            try:
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                continue
        process.kill()
        for member in tree:
            try:
                member.wait(timeout=10)
            except psutil.NoSuchProcess:
                continue
            except psutil.TimeoutExpired:
                raise DeploymentError(f"process {member.pid} of {service} survived SIGKILL") from None
        return pids

    def outage(self, on: bool) -> None:
        """Start (True) or end (False) a Datalore outage: every request is answered 503 or dropped."""
        emulator = self.processes["emulator"]
        assert emulator.pid is not None
        marker = " outage: " if on else " outage over"

        def switches() -> int:
            return emulator.log_path.read_text(errors="replace").count(marker)

        before = switches()
        os.kill(emulator.pid, signal.SIGUSR1 if on else signal.SIGUSR2)
        wait_for("the emulator to switch the outage", lambda: switches() > before, 10, interval=0.1)

    def check_alive(self, skip: tuple[str, ...] = ()) -> None:
        """Raise ``DeploymentError`` with the log tail of a process that has exited (but those in ``skip``)."""
        for process in self.processes.values():
            if process.name not in skip and not process.running():
                raise DeploymentError(f"{process.name} exited:\n{process.tail()}")

    def xcom_of(
        self, dag_id: str, run_id: str, task_id: str, key: str = "return_value", map_index: int = -1
    ) -> Any:
        """Return the value of one XCom of a task instance, mapped or not."""
        path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        return self.api("GET", path, params={"map_index": map_index})["value"]

    def wait_for_dag_run_end(self, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
        """Wait until the DAG run has finished, whatever its tasks go through (retries included)."""

        def finished() -> dict[str, Any] | None:
            self.check_alive()
            dag_run = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            return dag_run if dag_run["state"] in ("success", "failed") else None

        return wait_for(f"DAG run {dag_id}/{run_id} to finish", finished, timeout, interval=2)

    def emulator_post(self, path: str, body: Any) -> Any:
        """POST to the emulator's control plane (``/_emulator/faults``)."""
        response = requests.post(f"{self.emulator_url}/_emulator/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()
