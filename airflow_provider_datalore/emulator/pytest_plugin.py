"""The ``datalore_emulator`` pytest fixture: a started emulator with the default config."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from airflow_provider_datalore.emulator.server import DataloreEmulator


@pytest.fixture
def datalore_emulator() -> Iterator[DataloreEmulator]:
    """Yield a started emulator with the default config (token ``emulator-token``), stopped afterwards."""
    from airflow_provider_datalore.emulator.server import DataloreEmulator

    with DataloreEmulator() as emulator:
        yield emulator
