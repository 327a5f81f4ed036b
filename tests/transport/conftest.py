"""The loopback server the stream tests talk to, and the sync and async clients they drive alike."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from airflow_provider_datalore.connection import DataloreConnectionSettings, Secret
from airflow_provider_datalore.transport.aio import AsyncTransport
from airflow_provider_datalore.transport.retry import RetryPolicy
from airflow_provider_datalore.transport.sync import SyncTransport
from tests.constants import TOKEN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from airflow_provider_datalore.transport.streams import Downloaded

MIB = 1024 * 1024


@dataclass
class Seen:
    """One request as it reached the server."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


class LoopbackServer:
    """An aiohttp server on 127.0.0.1 in a thread; ``handler(request, n)`` answers the n-th request (1-based)."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.handler: Any = None
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    @staticmethod
    async def stream(request: web.Request, data: bytes, *, length: bool = True) -> web.StreamResponse:
        """Answer with ``data`` in 256 KiB pieces, larger than the client's chunk (so its chunking shows)."""
        response = web.StreamResponse(headers={"Content-Type": "text/csv"})
        if length:
            response.content_length = len(data)
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(data), 256 * 1024):
            await response.write(data[start : start + 256 * 1024])
        await response.write_eof()
        return response

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application(client_max_size=64 * MIB)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        self.loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self._ready.set()
        self.loop.run_forever()

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.seen.append(Seen(request.method, request.path, dict(request.query), dict(request.headers), body))
        return await self.handler(request, len(self.seen))


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    srv = LoopbackServer()
    srv.start()
    yield srv
    srv.stop()


class Client:
    """One transport, sync or async, called the same way: ``download(...)`` and ``upload(...)`` block."""

    def __init__(self, kind: str, base_url: str, policy: RetryPolicy, timeout: float) -> None:
        self.kind = kind
        self.settings = DataloreConnectionSettings(
            conn_id="datalore_streams", base_url=base_url, token=Secret(TOKEN), timeout=timeout
        )
        self.policy = policy

    def download(self, *args: Any, **kwargs: Any) -> Downloaded:
        return self._call("download", *args, **kwargs)

    def upload(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("upload", *args, **kwargs)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("request", *args, **kwargs)

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.kind == "sync":
            transport = SyncTransport(self.settings, self.policy)
            try:
                return getattr(transport, name)(*args, **kwargs)
            finally:
                transport.close()

        async def run() -> Any:
            transport = AsyncTransport(self.settings, self.policy)
            await transport.open()
            try:
                return await getattr(transport, name)(*args, **kwargs)
            finally:
                await transport.close()

        return asyncio.run(run())


@pytest.fixture(params=["sync", "async"])
def make_client(request: pytest.FixtureRequest, server: LoopbackServer) -> Callable[..., Client]:
    def make(attempts: int = 3, timeout: float = 10.0) -> Client:
        policy = RetryPolicy(max_attempts=attempts, base_delay=0, max_delay=0)
        return Client(request.param, server.url, policy, timeout)

    return make
