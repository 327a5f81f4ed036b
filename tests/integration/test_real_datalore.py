"""
Servers that answer within what the Run API docs allow, but not the way the emulator does by default.

Each case runs a DAG through real Airflow (``dag.test()``), deferrable and polling, against the emulator
set up as such a server, and asserts what a user sees: task states, XCom, the log. The table in
docs/reliability.md ("Real servers: where the docs are silent") is this table.
"""

from __future__ import annotations

import datetime
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from airflow_provider_datalore.emulator.sales_report import SALES_REPORT_CELLS_JSON
from tests.constants import TOKEN
from tests.helpers import fast, run_dag, task_states, token_leaks, unwrapped, xcom

pytestmark = pytest.mark.integration

#: The example DAGs the cases run, and the task that talks to Datalore.
DAGS = {
    "refresh": ("datalore_scheduled_refresh", "refresh_sales_report"),
    "interactive": ("datalore_interactive_refresh", "refresh_dashboard"),
}
NB = "demo/sales-report"
#: The scheduled-refresh example sends these parameters.
SENT_PARAMETERS = "parameters start_date, end_date, region"


@dataclass
class Case:
    id: str
    #: Settings of the emulator's demo/sales-report notebook.
    notebook: dict[str, Any] = field(default_factory=dict)
    #: Settings of the emulator itself (server_version, interactive_reply, ...).
    server: dict[str, Any] = field(default_factory=dict)
    #: The token's settings (scope, single_notebook, notebooks); ``expire_after_start``: seconds after
    #: the run starts at which the token expires (``DataloreEmulator.expire_token``).
    token: dict[str, Any] = field(default_factory=dict)
    #: "refresh" (the scheduled-refresh example) or "interactive" (the interactive-refresh example).
    dag: str = "refresh"
    task: dict[str, Any] = field(default_factory=dict)
    state: str = "success"
    texts: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    posts: int = 1
    #: XCom of the task: key -> expected value (a callable gets the emulator and returns it).
    xcoms: dict[str, Any] = field(default_factory=dict)


def _url(emulator, notebook: str = NB) -> str:
    return f"{emulator.url}/notebook/{notebook}"


CASES = [
    # 1. Completion
    Case(
        "final-reply-with-status",
        notebook={"final_status": "example"},
        task={"timeout": 20},
        texts=("has status 'example' and endTime", "the run has ended, so success decides"),
    ),
    Case(
        "final-reply-with-status-and-unreadable-end-time",
        notebook={"final_status": "done", "time_format": "invalid"},
        task={"timeout": 20},
        texts=("has status 'done' and endTime 'soon'", "Ignoring endTime='soon'"),
    ),
    # 2. Notebook identity
    Case(
        "user-id-is-who-started-the-run",
        notebook={"reply_user_id": "u-runner"},
        xcoms={
            "notebook_url": lambda emulator: _url(emulator),
            "return_value.notebook_id": NB,
            "return_value.notebook_url": lambda emulator: _url(emulator),
        },
        absent=("u-runner/sales-report",),
    ),
    Case(
        "notebook-id-in-full",
        notebook={"reply_notebook_id": "full", "reply_user_id": "u-runner"},
        xcoms={"return_value.notebook_id": NB},
    ),
    # 3. Interactive run
    Case("interactive-text-reply", dag="interactive", server={"interactive_reply": "text"}),
    Case("interactive-empty-reply", dag="interactive", server={"interactive_reply": "empty"}),
    Case("interactive-204", dag="interactive", server={"interactive_reply": "no_content"}),
    Case(
        "interactive-answers-when-done",
        dag="interactive",
        server={"interactive_seconds": 1.0},
        task={"request_timeout": 10},
    ),
    Case(
        "interactive-slower-than-request-timeout",
        dag="interactive",
        server={"interactive_seconds": 3.0},
        task={"request_timeout": 0.5},
        state="failed",
        texts=("read timeout", "may be running now", "Airflow does not retry the task either"),
    ),
    # 4. Artifacts
    Case(
        "artifact-with-null-path",
        notebook={
            "artifacts_reply": [
                {"name": "broken.ipynb", "path": None},
                {"name": "sales.csv", "path": "/notebook/demo/sales-report/artifacts/r/sales.csv"},
            ]
        },
        texts=("Ignoring artifact {'name': 'broken.ipynb', 'path': None}",),
        xcoms={
            "artifacts": lambda emulator: [
                {
                    "name": "sales.csv",
                    "path": "/notebook/demo/sales-report/artifacts/r/sales.csv",
                    "url": f"{emulator.url}/notebook/demo/sales-report/artifacts/r/sales.csv",
                }
            ]
        },
    ),
    Case("artifacts-null", notebook={"artifacts_reply": None}, xcoms={"artifacts": []}),
    Case(
        "direct-file-storage-without-artifacts",
        notebook={"artifacts_reply": []},
        task={"direct_file_storage_write": True},
        xcoms={"artifacts": [], "return_value.direct_file_storage_write": True},
    ),
    # 5. Times
    Case(
        "times-in-epoch-seconds",
        notebook={"time_format": "epoch_s"},
        xcoms={"return_value.start_time": lambda emulator: _Started(emulator, within=1.0)},
    ),
    Case(
        "times-with-nanoseconds",
        notebook={"time_format": "iso_fraction"},
        xcoms={"return_value.start_time": lambda emulator: _Started(emulator, within=0.001)},
    ),
    Case(
        "times-with-offset",
        notebook={"time_format": "iso_offset"},
        xcoms={"return_value.start_time": lambda emulator: _Started(emulator, within=0.001)},
    ),
    Case(
        "times-not-times",
        notebook={"time_format": "invalid"},
        texts=("Ignoring startTime='soon'",),
        xcoms={"return_value.start_time": None},
    ),
    # 6. Older servers
    Case(
        "server-2025-refuses-parameters",
        server={"server_version": "2025-strict"},
        task={"retries": 0},
        state="failed",
        texts=("HTTP 400", "the server may predate Run API parameters"),
    ),
    Case(
        "server-2025-ignores-parameters",
        server={"server_version": "2025-lenient"},
        texts=(f"may have ignored the {SENT_PARAMETERS} this task sent",),
    ),
    # 7. Tokens
    Case(
        "token-scope-does-not-cover-the-run-api",
        token={"scope": "other"},
        task={"retries": 0},
        state="failed",
        texts=("HTTP 403", "or its scope or the notebook it was made for does not cover this one"),
    ),
    Case(
        "token-made-for-another-notebook",
        token={"single_notebook": True, "notebooks": {"demo/other": "editor"}},
        task={"retries": 0},
        state="failed",
        texts=(
            "HTTP 403",
            "limited to notebook demo/other",
            "or its scope or the notebook it was made for does not cover this one",
        ),
    ),
    Case(
        "token-expires-while-waiting",
        notebook={"duration": 30},
        token={"expire_after_start": 0.3},
        task={"retries": 0},
        state="failed",
        texts=("HTTP 401", "If it expired while the task waited", "goes on in Datalore"),
    ),
]


class _Started:
    """Equal to an ISO-8601 UTC time within ``within`` seconds of the emulator's start of the run."""

    def __init__(self, emulator, within: float) -> None:
        (run,) = emulator.runs.values()
        self.start, self.within = run.start_time, within

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str) or not other.endswith("+00:00"):
            return False
        return abs(datetime.datetime.fromisoformat(other).timestamp() - self.start) <= self.within

    def __repr__(self) -> str:
        return f"<UTC time within {self.within} s of {self.start}>"


def _emulator(case: Case):
    from airflow_provider_datalore.emulator import DataloreEmulator, EmulatorConfig

    token = {"notebooks": {NB: "editor"}, **case.token}
    token.pop("expire_after_start", None)
    notebooks = [{"id": NB, "polls": 1, **case.notebook}]
    if case.dag == "interactive":  # the example sets its controls and reads a cell's output
        notebooks[0].setdefault("cells", SALES_REPORT_CELLS_JSON)
    notebooks += [{"id": other} for other in token["notebooks"] if other != NB]
    config = {"tokens": {TOKEN: token}, "notebooks": notebooks, **case.server}
    return DataloreEmulator(EmulatorConfig.from_dict(config))


def _expire_after_start(emulator, seconds: float) -> threading.Thread:
    """Expire the token ``seconds`` after the first run starts, as a token that runs out mid-wait."""

    def expire() -> None:
        deadline = time.monotonic() + 60
        while not emulator.runs and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(seconds)
        emulator.expire_token(TOKEN)

    thread = threading.Thread(target=expire, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("deferrable", [True, False], ids=["deferrable", "polling"])
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_server(case, deferrable, example_dags, datalore_connection, retry_waits, capfd, caplog):
    with _emulator(case) as emulator:
        datalore_connection(host=emulator.url)
        if "expire_after_start" in case.token:
            _expire_after_start(emulator, case.token["expire_after_start"])
        dag_id, task_id = DAGS[case.dag]
        dag = fast(example_dags.get_dag(dag_id), deferrable=deferrable)
        task = dag.get_task(task_id)
        task.retry_delay = datetime.timedelta(0)
        for name, value in case.task.items():
            setattr(task, name, value)
        with caplog.at_level("INFO"):
            dag_run = run_dag(dag)
        # The task's output; on Airflow 3 the provider's module loggers reach pytest through logging only.
        output = "\n".join([*capfd.readouterr(), caplog.text])
        log = unwrapped(output)

        states = task_states(dag_run)
        assert states[task_id] == case.state, log[-3000:]
        if case.dag == "refresh":
            assert states == {task_id: case.state}
        for text in case.texts:
            assert text in log
        for text in case.absent:
            assert text not in log
        assert token_leaks(output, TOKEN) == []
        # The requests that start or wait for runs (the interactive run's reads of its cells and kernel
        # through the Notebook API are not counted).
        starts_and_waits = [e for e in emulator.requests(method="POST") if "/api/notebook/v1/" not in e.path]
        assert len(starts_and_waits) == case.posts
        for key, expected in case.xcoms.items():
            name, _, item = key.partition(".")
            value = xcom(dag_run, task_id, name)
            if item:
                value = value[item]
            if callable(expected):
                expected = expected(emulator)
            assert value == expected, (key, value, expected)
