"""Fixtures for the emulator's tests: the plugin's emulator, custom emulators, and a tiny API client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import requests

# Imported rather than listed in ``pytest_plugins``: the package also registers the plugin as a pytest11
# entry point, and pytest refuses ``pytest_plugins`` in a conftest below the rootdir.
from airflow_provider_datalore.emulator.pytest_plugin import datalore_emulator  # noqa: F401
from airflow_provider_datalore.emulator.server import DataloreEmulator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

TOKEN = "emulator-token"
RUN_PATH = "/api/run/v1/notebook"
INTERACTIVE_PATH = "/api/computation/v1/notebook"


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
