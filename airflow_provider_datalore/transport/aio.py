"""Non-blocking calls to the Run API with aiohttp, for triggers."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_datalore.transport.attempts import Attempts
from airflow_provider_datalore.transport.calls import USER_AGENT, AttemptFailed, Call
from airflow_provider_datalore.transport.failures import classify_aiohttp_error, describe
from airflow_provider_datalore.transport.replies import parse_reply, read_reply
from airflow_provider_datalore.transport.sessions import SessionKey, proxy_for, session_pool

if TYPE_CHECKING:
    from collections.abc import Callable

    import aiohttp

    from airflow_provider_datalore.connection import DataloreConnectionSettings
    from airflow_provider_datalore.retry import RetryPolicy


class AsyncTransport:
    """Non-blocking calls over the event loop's shared session for the server (keep-alive)."""

    def __init__(self, settings: DataloreConnectionSettings, policy: RetryPolicy):
        self.settings = settings
        self.policy = policy
        self._proxy = proxy_for(settings.base_url)
        origin = urlsplit(settings.base_url)
        self._key: SessionKey = (f"{origin.scheme}://{origin.netloc}", settings.verify, self._proxy)
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        """Join the event loop's session for this server; :meth:`close` leaves it."""
        self._session = await session_pool().acquire(self._key, USER_AGENT)

    async def close(self) -> None:
        """Leave the shared session (the last user closes it)."""
        if self._session is not None:
            self._session = None
            await session_pool().release(self._key)

    async def request(
        self, call: Call, body: dict[str, Any] | None = None, parse: Callable[[Any], Any] | None = None
    ) -> Any:
        """Send the call, retrying what ``is_retryable`` allows; return the (parsed) JSON. Needs :meth:`open`."""
        attempts = Attempts(self.policy, self.settings.conn_id)
        while True:
            try:
                return parse_reply(call, await self._attempt(call, body), parse)
            except AttemptFailed as failed:
                await asyncio.sleep(attempts.wait_after(failed))

    async def _attempt(self, call: Call, body: dict[str, Any] | None) -> Any:
        import aiohttp

        if self._session is None:
            raise RuntimeError("AsyncTransport.request() needs open() first")
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self.settings.timeout, sock_read=self.settings.timeout
        )
        try:
            async with self._session.request(
                call.method,
                self.settings.base_url + call.path,
                json=body,
                headers={"Authorization": f"Bearer {self.settings.token}"},
                timeout=timeout,
                allow_redirects=False,
                proxy=self._proxy,
            ) as response:
                content = await response.read()
                return read_reply(
                    call, response.status, content, response.headers, secret=self.settings.token
                )
        except AttemptFailed:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise AttemptFailed(call, failure=classify_aiohttp_error(exc), detail=describe(exc)) from None
