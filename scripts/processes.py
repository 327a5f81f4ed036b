"""
Processes for the suites and benchmarks that start real servers: free ports, waiting, process groups.

Shared by ``tests/system`` (a real Airflow), ``tests/topology`` (Postgres, Redis, Celery) and
``benchmarks/real_triggerer.py``; it lives here, not under ``tests/``, so that no benchmark imports a test
module. Only the processes started here are ever signalled: each PID is recorded when it is started, and
``stop()`` sends SIGTERM to it, then SIGKILL to its process group when it does not exit in time.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import requests

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

T = TypeVar("T")

#: How long a process may take to exit after SIGTERM before its group gets SIGKILL.
STOP_TIMEOUT = 20.0


class DeploymentError(RuntimeError):
    """The deployment did not come up, or a wait ran out; the message says what was awaited."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, check: Callable[[], T | None], timeout: float, interval: float = 0.5) -> T:
    """
    Call ``check`` until it returns something other than None (or False), and return that.

    :param what: What is awaited, for the error message.
    :param check: Returns the awaited value, or None/False while it is not there yet; exceptions
        count as "not yet" (the last one is reported on timeout).
    :param timeout: Seconds before giving up with ``DeploymentError``.
    :param interval: Seconds between calls.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = check()
        except (requests.RequestException, OSError, ValueError, KeyError) as exc:
            last_error, result = exc, None
        if result is not None and result is not False:
            return result
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise DeploymentError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


@dataclass
class ManagedProcess:
    """One process this harness started: its command, environment, log file and PID."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    cwd: Path
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    #: Every PID this process has had (a restarted service gets a new one).
    pids: list[int] = field(default_factory=list)
    #: Run as this user (with its group and no other), e.g. a database server that refuses root.
    user: str | None = None

    @property
    def pid(self) -> int | None:
        """The PID of the current incarnation, if started."""
        return self.popen.pid if self.popen is not None else None

    def start(self) -> None:
        """Start the process in a new session (its own process group), output appended to its log."""
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== {time.strftime('%H:%M:%S')} starting: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **run_as(self.user),
            )
        self.pids.append(self.popen.pid)

    def running(self) -> bool:
        """Return whether the current incarnation is alive."""
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and everything in its process group at once (a crash, not a shutdown)."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGKILL)
        self.popen.wait(timeout=STOP_TIMEOUT)
        self._reap_group()

    def stop(self) -> None:
        """SIGTERM the process; SIGKILL its process group if it has not exited after ``STOP_TIMEOUT``."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            try:
                self.popen.send_signal(signal.SIGTERM)
                self.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait(timeout=STOP_TIMEOUT)
        self._reap_group()

    def _reap_group(self) -> None:
        """SIGKILL whatever is left in the group (children that outlived their parent)."""
        assert self.popen is not None
        deadline = time.monotonic() + STOP_TIMEOUT
        while self._group_exists() and time.monotonic() < deadline:
            self._signal_group(signal.SIGKILL)
            time.sleep(0.2)

    def _group_exists(self) -> bool:
        assert self.popen is not None
        try:
            os.killpg(self.popen.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def _signal_group(self, sig: int) -> None:
        # The group id is the PID recorded at start: start_new_session made this process its leader, so
        # the group holds only it and its descendants; Linux does not reuse a PID while a process group
        # of that id exists, so the signal cannot reach anyone else's process.
        assert self.popen is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def tail(self, lines: int = 60) -> str:
        """Return the last lines of the process's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def run_as(user: str | None) -> dict[str, Any]:
    """Return the ``subprocess`` arguments that run a process as ``user`` and its group, or none."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
