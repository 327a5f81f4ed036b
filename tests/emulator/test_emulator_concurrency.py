"""A thousand concurrent keep-alive clients, all served, on one event loop."""

from __future__ import annotations

import asyncio
import resource

import pytest
import requests

from airflow_provider_datalore.emulator import EmulatorConfig, Fault, Notebook

CLIENTS = 1000
# Client and server share this process: two descriptors per connection, plus headroom.
_NEEDED_FDS = 2 * CLIENTS + 500


@pytest.fixture
def enough_file_descriptors():
    """Raise the soft open-files limit for the test if it is too low, or skip if that is impossible."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < _NEEDED_FDS:
        if hard != resource.RLIM_INFINITY and hard < _NEEDED_FDS:
            pytest.skip(f"needs {_NEEDED_FDS} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (_NEEDED_FDS, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _two_rounds(url: str, run_id: str) -> tuple[list[int], list[int], int, int]:
    import aiohttp

    created = 0

    async def on_connection_create_end(*_: object) -> None:
        nonlocal created
        created += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_connection_create_end)
    headers = {"Authorization": "Bearer t"}
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, trace_configs=[trace]) as session:

        async def get() -> int:
            async with session.get(f"{url}/api/run/v1/{run_id}", headers=headers) as response:
                body = await response.json()
                assert body["runId"] == run_id
                return response.status

        first = await asyncio.gather(*(get() for _ in range(CLIENTS)))
        created_first = created
        second = await asyncio.gather(*(get() for _ in range(CLIENTS)))
        return first, second, created_first, created - created_first


def test_a_thousand_concurrent_keep_alive_clients(make_emulator, enough_file_descriptors):
    config = EmulatorConfig(tokens={"t": {"*": "editor"}}, notebooks=[Notebook(id="o/nb", polls=10**9)])
    emulator = make_emulator(config)
    started = requests.post(
        f"{emulator.url}/api/run/v1/notebook",
        json={"notebookId": "o/nb"},
        headers={"Authorization": "Bearer t"},
        timeout=10,
    )
    run_id = started.json()["runId"]
    # Hold each first-round request briefly, so that all 1000 connections are open at the same time.
    emulator.add_faults(Fault(endpoint="status", action="delay", seconds=0.5, times=CLIENTS))

    first, second, opened_first, opened_second = asyncio.run(
        asyncio.wait_for(_two_rounds(emulator.url, run_id), timeout=120)
    )

    assert first == [200] * CLIENTS
    assert second == [200] * CLIENTS
    assert opened_first == CLIENTS, "the first round ran on 1000 simultaneous connections"
    assert opened_second == 0, "the second round reused the kept-alive connections"
    assert emulator.runs[run_id].status_polls == 2 * CLIENTS
    assert len(emulator.requests(method="GET")) == 2 * CLIENTS
