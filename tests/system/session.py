"""
``DeploymentSession``: one deployment shared by a folder's tests, as the system and topology suites run theirs.

It starts the deployment and waits for its DAGs, stops it at the end of the session (also when pytest is
sent SIGTERM, as by a CI time-out, or when ``timeout`` runs out), appends every process's log tail to a
failing test's report, and keeps the deployment's folder when anything failed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.system.deployment import DeploymentError

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Iterator

    import pytest

    from tests.system.deployment import AirflowDeployment


class DeploymentSession:
    """
    :param folder: The suite's folder: only its tests' failures get the logs and keep the files.
    :param what: What the deployment is, for the report's section and the "kept in" line.
    """

    def __init__(self, folder: Path, what: str) -> None:
        self.folder = folder
        self.what = what
        self.current: AirflowDeployment | None = None
        self.failed = False

    def report_hook(self) -> Callable[..., Generator[None, pytest.TestReport, pytest.TestReport]]:
        """
        Return the suite's ``pytest_runtest_makereport``: on a failure of one of the folder's tests, it
        appends the tail of every process's log to the report (``pytest_runtest_makereport = ...``).
        """
        import pytest

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_makereport(
            item: pytest.Item, call: pytest.CallInfo[None]
        ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
            report = yield
            if report.failed and self.folder in Path(str(item.path)).resolve().parents:
                if self.current is not None:
                    report.sections.append((f"{self.what} logs", self.current.report()))
                self.failed = True
            return report

        return pytest_runtest_makereport

    @contextlib.contextmanager
    def running(
        self, deployment: AirflowDeployment, dag_ids: Iterable[str], timeout: float | None = None
    ) -> Iterator[Any]:
        """Start ``deployment`` and wait for ``dag_ids``; yield it; stop it, within ``timeout`` seconds in all."""
        self.current = deployment
        # The services run in their own sessions, out of reach of the terminal's signals: a SIGTERM to
        # pytest (a CI time-out, or the watchdog) must still stop them, so it interrupts like Ctrl-C.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        watchdog = None
        if timeout is not None:
            watchdog = threading.Timer(timeout, os.kill, (os.getpid(), signal.SIGTERM))
            watchdog.daemon = True
            watchdog.start()
        try:
            try:
                deployment.start()
                deployment.wait_for_dags(dag_ids)
            except DeploymentError as exc:
                self.failed = True
                raise DeploymentError(f"{exc}\n{deployment.report()}") from None
            yield deployment
        finally:
            if watchdog is not None:
                watchdog.cancel()
            deployment.stop()
            signal.signal(signal.SIGTERM, previous)
            self.current = None
            if self.failed:
                print(
                    f"\nThe {self.what}'s Airflow home, data and process logs are kept in {deployment.workdir}"
                )
            else:
                shutil.rmtree(deployment.workdir, ignore_errors=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}: the suite ran out of time or was stopped")
