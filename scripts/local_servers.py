"""
PostgreSQL and Redis for the production-topology suite and the real-triggerer benchmark: Debian's servers, each in a throwaway directory.

``ensure_server_binaries()`` finds ``postgres``/``initdb`` (``/usr/lib/postgresql/<version>/bin``, where
Debian keeps them off PATH) and ``redis-server``; when one is missing it runs ``apt-get install -y
postgresql redis-server`` if this process is root (a CI machine), and otherwise fails saying what to
install. Debian's postinst scripts start no system-wide server where ``policy-rc.d`` forbids it (as in a
container); either way the suite uses only the servers it starts itself.

``PostgresServer``: ``initdb`` into the deployment's directory (trust authentication on loopback, no
fsync: a throwaway), then ``postgres`` on a free loopback port with its Unix socket in the same
directory. Postgres refuses to run as root, so as root both run as the ``postgres`` user that Debian's
package creates. ``RedisServer``: ``redis-server`` on a free loopback port, no persistence.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scripts.processes import DeploymentError, ManagedProcess, free_port, run_as, wait_for

#: What the suite installs when a server is missing (Debian package names).
APT_PACKAGES = ("postgresql", "redis-server")
#: How long ``apt-get update`` plus the install may take.
APT_TIMEOUT = 900.0
#: How long a server may take to accept connections.
SERVER_STARTUP_TIMEOUT = 60.0
#: The user Postgres runs as when this process is root (created by Debian's ``postgresql-common``).
POSTGRES_USER = "postgres"
#: The database and role Airflow uses.
DATABASE = "airflow"


@dataclass(frozen=True)
class ServerBinaries:
    """Where the PostgreSQL server programs and ``redis-server`` are."""

    postgres_bin: Path
    redis_server: Path


def find_server_binaries() -> tuple[Path | None, Path | None]:
    """Return the PostgreSQL ``bin`` folder (newest version) and ``redis-server``, None where missing."""
    postgres_bin = None
    debian = sorted(
        (path.parent for path in Path("/usr/lib/postgresql").glob("*/bin/postgres")),
        key=lambda folder: _version_key(folder.parent.name),
    )
    if debian:
        postgres_bin = debian[-1]
    else:
        found = shutil.which("postgres")
        if found and (Path(found).parent / "initdb").exists():
            postgres_bin = Path(found).parent
    redis = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")
    return postgres_bin, Path(redis) if redis else None


def ensure_server_binaries(log_path: Path) -> ServerBinaries:
    """
    Return the server binaries, installing Debian's packages first when one is missing and we are root.

    :param log_path: Where apt-get's output goes.
    :raises DeploymentError: A server is missing and cannot be installed here.
    """
    postgres_bin, redis = find_server_binaries()
    if postgres_bin is not None and redis is not None:
        return ServerBinaries(postgres_bin, redis)
    missing = [name for name, path in (("postgresql", postgres_bin), ("redis-server", redis)) if not path]
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise DeploymentError(
            f"the production-topology suite needs PostgreSQL and Redis servers; missing: {', '.join(missing)}. "
            f"Install them (Debian/Ubuntu: sudo apt-get install -y {' '.join(APT_PACKAGES)}), "
            "or run the suite as root on a Debian machine, where it installs them itself."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with open(log_path, "ab") as log:
        for argv in (
            ["apt-get", "update"],
            ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES],
        ):
            log.write(f"\n===== {' '.join(argv)}\n".encode())
            log.flush()
            try:
                result = subprocess.run(
                    argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    timeout=APT_TIMEOUT, check=False,
                )  # fmt: skip
            except subprocess.TimeoutExpired:
                raise DeploymentError(
                    f"{' '.join(argv)} took over {APT_TIMEOUT:.0f} s; see {log_path}"
                ) from None
            if result.returncode != 0:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise DeploymentError(f"{' '.join(argv)} failed ({result.returncode}):\n{tail}")
    postgres_bin, redis = find_server_binaries()
    if postgres_bin is None or redis is None:
        raise DeploymentError(
            f"apt-get installed {' '.join(APT_PACKAGES)}, but the servers are still not found"
        )
    return ServerBinaries(postgres_bin, redis)


class PostgresServer:
    """
    A throwaway PostgreSQL cluster on loopback, owned by the ``postgres`` user when we are root.

    :param root: An empty folder for the cluster's data and socket.
    :param bin_dir: The folder with ``initdb`` and ``postgres``.
    :param log_dir: Where ``initdb.log`` and ``postgres.log`` go.
    """

    def __init__(self, root: Path, bin_dir: Path, log_dir: Path) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.log_dir = log_dir
        self.port = free_port()
        self.user = POSTGRES_USER if os.geteuid() == 0 else None
        self.process: ManagedProcess | None = None
        if self.user is not None:
            try:
                pwd.getpwnam(self.user)
            except KeyError:
                raise DeploymentError(
                    f"Postgres refuses to run as root, and there is no {self.user!r} user to run it as "
                    "(Debian's postgresql package creates it)"
                ) from None

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of Airflow's database (psycopg2; Airflow derives asyncpg's from it)."""
        return f"postgresql+psycopg2://{DATABASE}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def celery_result_backend(self) -> str:
        """The same database as Celery's result backend URL."""
        return f"db+postgresql://{DATABASE}@127.0.0.1:{self.port}/{DATABASE}"

    def start(self, env: dict[str, str]) -> ManagedProcess:
        """Create the cluster, start the server, wait until it accepts connections, create the database."""
        data, sockets = self.root / "data", self.root / "sockets"
        for folder in (self.root, data, sockets):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if self.user is not None:
                shutil.chown(folder, self.user, self.user)
        self._run(
            "initdb",
            [str(self.bin_dir / "initdb"), "-D", str(data), "-U", DATABASE, "--auth=trust",
             "-E", "UTF8", "--locale=C", "--no-sync"],
            env,
        )  # fmt: skip
        self.process = ManagedProcess(
            name="postgres",
            argv=[
                str(self.bin_dir / "postgres"),
                "-D", str(data),
                "-p", str(self.port),
                "-k", str(sockets),
                "-c", "listen_addresses=127.0.0.1",
                "-c", "max_connections=300",
                # A throwaway: durability only costs time here.
                "-c", "fsync=off",
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
            ],
            env=env,
            log_path=self.log_dir / "postgres.log",
            cwd=self.root,
            user=self.user,
        )  # fmt: skip
        self.process.start()
        wait_for("Postgres to accept connections", self._ready, SERVER_STARTUP_TIMEOUT)
        self._run(
            "createdb",
            [
                str(self.bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                DATABASE,
                DATABASE,
            ],
            env,
        )
        return self.process

    def _ready(self) -> bool:
        if self.process is not None and not self.process.running():
            raise DeploymentError(f"postgres exited:\n{self.process.tail()}")
        result = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=10, check=False,
        )  # fmt: skip
        return result.returncode == 0

    def _run(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            result = subprocess.run(
                argv, env=env, cwd=self.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                timeout=SERVER_STARTUP_TIMEOUT, check=False, **run_as(self.user),
            )  # fmt: skip
        if result.returncode != 0:
            raise DeploymentError(f"{name} failed ({result.returncode}):\n{log_path.read_text()[-3000:]}")


class RedisServer:
    """
    A Redis on loopback for Celery's broker: no persistence, its working folder in the deployment.

    :param root: An empty folder for its working directory.
    :param redis_server: The ``redis-server`` program.
    :param log_dir: Where ``redis.log`` goes.
    """

    def __init__(self, root: Path, redis_server: Path, log_dir: Path) -> None:
        self.root = root
        self.redis_server = redis_server
        self.log_dir = log_dir
        self.port = free_port()
        self.process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        """The broker URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, env: dict[str, str]) -> ManagedProcess:
        """Start the server and wait until it answers PING."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = ManagedProcess(
            name="redis",
            argv=[
                str(self.redis_server),
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--dir", str(self.root),
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "no",
            ],
            env=env,
            log_path=self.log_dir / "redis.log",
            cwd=self.root,
        )  # fmt: skip
        self.process.start()
        wait_for("Redis to answer PING", self._ready, SERVER_STARTUP_TIMEOUT)
        return self.process

    def _ready(self) -> bool:
        if self.process is not None and not self.process.running():
            raise DeploymentError(f"redis-server exited:\n{self.process.tail()}")
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))
