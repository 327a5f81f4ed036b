"""
Emulate the Datalore Run API over real HTTP(S), with scripted faults, for testing without Datalore.

In-process::

    from airflow_provider_datalore.emulator import DataloreEmulator, Fault

    with DataloreEmulator() as emulator:  # token "emulator-token", notebook "demo/sales-report"
        emulator.add_faults(Fault(endpoint="status", status=503, retry_after="1"))
        ...  # point the client at emulator.url
        assert len(emulator.run_starts("demo/sales-report")) == 1

Out of process: ``python -m airflow_provider_datalore.emulator --port 8765 [--config FILE.json]``,
then ``GET /_emulator/journal``, ``GET /_emulator/runs``, ``GET /_emulator/notebooks/<owner>/<id>`` (a
notebook's kernel, cells and publications), ``POST /_emulator/faults``, ``POST /_emulator/reset``.
The notebook model (cells, controls, kernel, reports): docs/emulator-notebook.md.
In pytest: the ``datalore_emulator`` fixture (``airflow_provider_datalore.emulator.pytest_plugin``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.emulator.config import (
    DEFAULT_NOTEBOOK,
    DEFAULT_TOKEN,
    READ_ONLY_NOTEBOOK,
    Artifact,
    EmulatorConfig,
    Fault,
    Notebook,
)
from airflow_provider_datalore.emulator.state import JournalEntry, Run
from airflow_provider_datalore.emulator.tokens import ApiToken

if TYPE_CHECKING:
    from airflow_provider_datalore.emulator.server import DataloreEmulator

__all__ = [
    "DEFAULT_NOTEBOOK",
    "DEFAULT_TOKEN",
    "READ_ONLY_NOTEBOOK",
    "ApiToken",
    "Artifact",
    "DataloreEmulator",
    "EmulatorConfig",
    "Fault",
    "JournalEntry",
    "Notebook",
    "Run",
]


def __getattr__(name: str) -> Any:
    """Import the server (and aiohttp) only when ``DataloreEmulator`` is first used."""
    if name == "DataloreEmulator":
        from airflow_provider_datalore.emulator.server import DataloreEmulator

        return DataloreEmulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
