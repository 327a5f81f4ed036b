"""Fixtures for the emulator's tests: the plugin's emulator, custom emulators, and tiny API clients."""

from __future__ import annotations

import json
import re
import socket
import time
from typing import TYPE_CHECKING, Any

import pytest
import requests

# Imported rather than listed in ``pytest_plugins``: the package also registers the plugin as a pytest11
# entry point, and pytest refuses ``pytest_plugins`` in a conftest below the rootdir.
from airflow_provider_datalore.emulator import EmulatorConfig
from airflow_provider_datalore.emulator.pytest_plugin import datalore_emulator  # noqa: F401
from airflow_provider_datalore.emulator.server import DataloreEmulator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

TOKEN = "emulator-token"
RUN_PATH = "/api/run/v1/notebook"
INTERACTIVE_PATH = "/api/computation/v1/notebook"
NOTEBOOK_API = "/api/notebook/v1"
NOTEBOOK = "demo/sales-report"


class ApiClient:
    """Speak to an emulator over real HTTP, the way a Run API client would."""

    def __init__(self, emulator: DataloreEmulator, token: str | None = TOKEN) -> None:
        self.emulator = emulator
        self.token = token
        self.session = requests.Session()

    @property
    def base(self) -> str:
        return self.emulator.url

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.token is None else {"Authorization": f"Bearer {self.token}"}

    def start(self, notebook_id: Any = "demo/sales-report", **extra: Any) -> requests.Response:
        body = {"notebookId": notebook_id, **extra}
        return self.session.post(f"{self.base}{RUN_PATH}", json=body, headers=self.headers, timeout=10)

    def start_id(self, notebook_id: str = "demo/sales-report", **extra: Any) -> str:
        response = self.start(notebook_id, **extra)
        assert response.status_code == 200, response.text
        return str(response.json()["runId"])

    def status(self, run_id: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.get(f"{self.base}/api/run/v1/{run_id}", headers=self.headers, **kwargs)

    def interactive(self, notebook_id: Any = "demo/sales-report") -> requests.Response:
        body = {"notebookId": notebook_id}
        return self.session.post(
            f"{self.base}{INTERACTIVE_PATH}", json=body, headers=self.headers, timeout=10
        )

    def close(self) -> None:
        self.session.close()


class FilesClient:
    """Speak to an emulator's Notebook API file endpoints over real HTTP, about one notebook."""

    def __init__(
        self, emulator: DataloreEmulator, token: str | None = TOKEN, notebook: str = NOTEBOOK
    ) -> None:
        self.api = ApiClient(emulator, token)
        self.owner, self.notebook = notebook.split("/")

    @property
    def ref(self) -> dict[str, str]:
        return {"ownerId": self.owner, "id": self.notebook}

    def post(self, endpoint: str, body: Any, **kwargs: Any) -> requests.Response:
        """POST ``body`` as JSON to ``/api/notebook/v1/<endpoint>``."""
        kwargs.setdefault("timeout", 30)
        url = f"{self.api.base}{NOTEBOOK_API}/{endpoint}"
        return self.api.session.post(url, json=body, headers=self.api.headers, **kwargs)

    def list(self, directory: str = "data/notebook_files") -> requests.Response:
        return self.post("files", {"notebookId": self.ref, "directory": directory})

    def names(self, directory: str = "data/notebook_files") -> list[str]:
        response = self.list(directory)
        assert response.status_code == 200, response.text
        return [entry["name"] for entry in response.json()["files"]]

    def download(self, path: str, **kwargs: Any) -> requests.Response:
        return self.post("file", {"notebookId": self.ref, "filePath": path}, **kwargs)

    def exists(self, path: str) -> requests.Response:
        return self.post("file/exists", {"notebookId": self.ref, "filePath": path})

    def delete(self, path: str) -> requests.Response:
        return self.post("file/delete", {"notebookId": self.ref, "filePath": path})

    def upload(self, directory: str, name: str, data: Any) -> requests.Response:
        """Upload ``data`` (bytes or a file object) as the multipart field ``file`` named ``name``."""
        query = {"ownerId": self.owner, "notebookId": self.notebook, "directory": directory}
        return self.api.session.post(
            f"{self.api.base}{NOTEBOOK_API}/file/upload",
            params=query,
            files={"file": (name, data)},
            headers=self.api.headers,
            timeout=60,
        )

    def close(self) -> None:
        self.api.close()


class CellsClient(FilesClient):
    """Speak to an emulator's Notebook API cell, control, kernel and report endpoints, about one notebook."""

    def body(self, endpoint: str, expected_status: int = 200, **fields: Any) -> Any:
        """POST ``{"notebookId": ..., **fields}``; assert the status; return the JSON reply."""
        response = self.post(endpoint, {"notebookId": self.ref, **fields})
        assert response.status_code == expected_status, response.text
        return response.json()

    def kernel(self) -> dict[str, Any]:
        return self.body("kernel/status")

    def kernel_states(self, reads: int) -> list[tuple[str, str | None]]:
        """Read the kernel status ``reads`` times; return each (state, runningCellId)."""
        return [
            (status["state"], status["runningCellId"]) for status in (self.kernel() for _ in range(reads))
        ]

    def cells(self, include_outputs: bool = False) -> dict[str, Any]:
        return self.body("cells", includeOutputs=include_outputs)

    def statuses(self) -> dict[str, tuple[str, int | None]]:
        """Read ``/cells`` with outputs (one status read); return each cell's (executionStatus, executionCount)."""
        details = self.cells(include_outputs=True)["cellsWithOutputs"]
        return {cell["cellId"]: (cell["executionStatus"], cell["executionCount"]) for cell in details}

    def outputs(self, cell_id: str) -> dict[str, Any]:
        return self.body("cell/outputs", cellId=cell_id)

    def start(self) -> None:
        """Start an interactive run of the notebook through the Run API's interactive call."""
        response = self.api.interactive(f"{self.owner}/{self.notebook}")
        assert response.status_code == 200, response.text

    @staticmethod
    def untimed(reply: Any) -> Any:
        """
        Return a reply with every ``timing`` checked and replaced: ``None`` stays, a finished one becomes
        ``"timed"`` (an int ``durationMs``, ``lastExecutedAt`` ISO with milliseconds and Z), a running one
        ``"running"`` (both null).
        """
        if isinstance(reply, list):
            return [CellsClient.untimed(item) for item in reply]
        if not isinstance(reply, dict):
            return reply
        result = {key: CellsClient.untimed(value) for key, value in reply.items()}
        timing = reply.get("timing", "absent")
        if isinstance(timing, dict):
            assert set(timing) == {"durationMs", "lastExecutedAt"}, timing
            if timing == {"durationMs": None, "lastExecutedAt": None}:
                result["timing"] = "running"
            else:
                assert isinstance(timing["durationMs"], int) and timing["durationMs"] >= 0, timing
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", timing["lastExecutedAt"]), (
                    timing
                )
                result["timing"] = "timed"
        return result


class RawConnection:
    """Speak HTTP/1.1 over a plain socket, to see exactly which bytes the emulator sends, and when."""

    def __init__(self, emulator: DataloreEmulator) -> None:
        self.sock = socket.create_connection(("127.0.0.1", emulator.port), timeout=5)
        self.buffer = b""

    def send(self, method: str = "GET", path: str = "/api/run/v1/abc", body: Any = None) -> float:
        """Send one request with the default token; return when it was sent (``time.monotonic``)."""
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: emulator\r\nAuthorization: Bearer {TOKEN}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        self.sock.sendall(f"{head}Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        return time.monotonic()

    def recv(self) -> bytes:
        """Return the next bytes the server sent (b"" at the end of the stream), past what is buffered."""
        data, self.buffer = self.buffer or self.sock.recv(65536), b""
        return data

    def read_until(self, marker: bytes) -> bytes:
        """Return everything up to and including ``marker``, keeping what follows for the next read."""
        data = b""
        while marker not in data:
            chunk = self.recv()
            assert chunk, f"the connection closed before {marker!r}; got {data[:300]!r}"
            data += chunk
        end = data.index(marker) + len(marker)
        self.buffer = data[end:]
        return data[:end]

    def read_exactly(self, size: int) -> bytes:
        """Return the next ``size`` bytes."""
        data = b""
        while len(data) < size:
            chunk = self.recv()
            assert chunk, f"the connection closed after {len(data)} of {size} bytes"
            data += chunk
        self.buffer = data[size:]
        return data[:size]

    def read_response(self) -> tuple[bytes, bytes]:
        """Return the head (status line and headers) and the Content-Length body of the next response."""
        head = self.read_until(b"\r\n\r\n")
        return head, self.read_exactly(int(self.headers(head)["content-length"]))

    def read_to_end(self) -> bytes:
        """Return everything until the server closes the connection."""
        data = b""
        while chunk := self.recv():
            data += chunk
        return data

    @staticmethod
    def headers(head: bytes) -> dict[str, str]:
        """Return the headers of a raw response head, by lower-case name."""
        lines = head.decode("latin-1").split("\r\n")[1:]
        return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_connection() -> Iterator[Callable[[DataloreEmulator], RawConnection]]:
    """Return a factory of raw HTTP/1.1 socket connections to an emulator, all closed at teardown."""
    connections: list[RawConnection] = []

    def connect(emulator: DataloreEmulator) -> RawConnection:
        connections.append(RawConnection(emulator))
        return connections[-1]

    yield connect
    for connection in connections:
        connection.close()


@pytest.fixture
def wait_for() -> Callable[..., bool]:
    """Return a function polling ``predicate`` until true or ``timeout`` seconds pass; return its last value."""

    def wait(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    return wait


@pytest.fixture
def api(datalore_emulator: DataloreEmulator) -> Iterator[ApiClient]:  # noqa: F811
    """Return an API client for the default emulator, with the default editor token."""
    client = ApiClient(datalore_emulator)
    yield client
    client.close()


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., DataloreEmulator]]:
    """Return a factory of started emulators (any constructor arguments), all stopped at teardown."""
    started: list[DataloreEmulator] = []

    def make(config: Any = None, **kwargs: Any) -> DataloreEmulator:
        emulator = DataloreEmulator(config, **kwargs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def client_for() -> Iterator[Callable[..., ApiClient]]:
    """Return a factory of API clients for a given emulator and token (None = no Authorization header)."""
    clients: list[ApiClient] = []

    def make(emulator: DataloreEmulator, token: str | None = TOKEN) -> ApiClient:
        client = ApiClient(emulator, token)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def files_for() -> Iterator[Callable[..., FilesClient]]:
    """Return a factory of file clients for an emulator, a token and a notebook (``owner/id``)."""
    clients: list[FilesClient] = []

    def make(emulator: DataloreEmulator, token: str | None = TOKEN, notebook: str = NOTEBOOK) -> FilesClient:
        clients.append(FilesClient(emulator, token, notebook))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def cells_for() -> Iterator[Callable[..., CellsClient]]:
    """Return a factory of cell clients for an emulator, a token and a notebook (``owner/id``)."""
    clients: list[CellsClient] = []

    def make(emulator: DataloreEmulator, token: str | None = TOKEN, notebook: str = NOTEBOOK) -> CellsClient:
        clients.append(CellsClient(emulator, token, notebook))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def serve_json(
    make_emulator: Callable[..., DataloreEmulator], client_for: Callable[..., ApiClient]
) -> Callable[..., tuple[DataloreEmulator, ApiClient]]:
    """
    Return a factory of emulators built from the JSON config form, each with a client for ``TOKEN``.

    ``serve_json(notebooks, token=None, **server)``: the notebooks' JSON, the token's JSON (default
    ``{"*": "editor"}``) and the server's settings (``server_version=...``).
    """

    def make(
        notebooks: list[dict[str, Any]], token: dict[str, Any] | None = None, **server: Any
    ) -> tuple[DataloreEmulator, ApiClient]:
        access = {"*": "editor"} if token is None else token
        config = {"tokens": {TOKEN: access}, "notebooks": notebooks, **server}
        emulator = make_emulator(EmulatorConfig.from_dict(config))
        return emulator, client_for(emulator)

    return make
