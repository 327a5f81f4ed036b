"""
``DataloreBaseHook``: the connection, the wire and the connection check that every Datalore API shares.

Where the APIs' methods live: on :class:`~airflow_provider_datalore.hooks.datalore.DataloreHook`, both
the Run API's and the Notebook API's. Both take the same token from the same connection, a task often
uses both (run a notebook, then fetch its files), and Airflow maps a connection type to one hook class
(the ``datalore`` type's form, its Test button). One hook then shares one ``requests`` session and, in
the triggerer, the event loop's aiohttp session between the APIs. Each API keeps its own package
(``run_api/``, ``notebook_api/``) for its endpoints and replies; the hook only sends calls.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseHook

from airflow_provider_datalore.connection import DataloreConnectionSettings
from airflow_provider_datalore.connection_form import CONN_TYPE, DEFAULT_CONN_ID
from airflow_provider_datalore.transport.retry import RetryPolicy
from airflow_provider_datalore.transport.sync import SyncTransport

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Self

    from airflow_provider_datalore.transport.aio import AsyncTransport
    from airflow_provider_datalore.transport.calls import Call


class DataloreBaseHook(BaseHook):
    """
    The connection to a Datalore server and the two clients that speak to it, sync and async.

    :param datalore_conn_id: The Airflow connection with the Datalore URL and API token.
    :param retry_limit: Tries per request in all, the first included.
    :param retry_delay: Seconds; the upper bound of the first wait between tries (it doubles each time,
        with full jitter).
    :param retry_max_delay: Seconds; no wait between tries is longer, ``Retry-After`` included.
    """

    conn_name_attr = "datalore_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "Datalore"

    def __init__(
        self,
        datalore_conn_id: str = DEFAULT_CONN_ID,
        *,
        retry_limit: int = 5,
        retry_delay: float = 1.0,
        retry_max_delay: float = 60.0,
    ) -> None:
        super().__init__()
        self.datalore_conn_id = datalore_conn_id
        self.retry_policy = RetryPolicy(
            max_attempts=retry_limit, base_delay=retry_delay, max_delay=retry_max_delay
        )
        self._async_settings: DataloreConnectionSettings | None = None
        self._async_transport: AsyncTransport | None = None
        self._async_users = 0

    # -- connection --------------------------------------------------------------------------------

    @cached_property
    def settings(self) -> DataloreConnectionSettings:
        """The validated connection: base URL, token, timeout, TLS verification."""
        conn = self.get_connection(self.datalore_conn_id)
        return self._settings_from(conn, conn.extra_dejson)

    async def a_get_settings(self) -> DataloreConnectionSettings:
        """
        Return :attr:`settings`, fetching the connection without blocking the event loop (once).

        The hooks of one event loop (a triggerer's triggers) share a read of their connection for
        ``shared_settings.SHARE_SECONDS``: a burst of triggers starting together reads it once.
        """
        if self._async_settings is None:
            from airflow_provider_datalore.shared_settings import shared_settings

            self._async_settings = await shared_settings().get(self.datalore_conn_id, self._a_read_settings)
        return self._async_settings

    async def _a_read_settings(self) -> DataloreConnectionSettings:
        from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson

        conn = await get_async_connection(self.datalore_conn_id, hook=self)
        return self._settings_from(conn, await get_async_extra_dejson(conn))

    @staticmethod
    def _settings_from(conn: Any, extras: dict[str, Any]) -> DataloreConnectionSettings:
        settings = DataloreConnectionSettings.from_connection(conn, extras)
        # Airflow masks the connection's password as it reads it. The token differs from it only when
        # the password had white space around it: then the token itself must be masked too. (On
        # Airflow 3 each mask is a request to the supervisor; a triggerer serves them one at a time.)
        if settings.token != conn.password:
            from airflow.providers.common.compat.sdk import mask_secret

            mask_secret(settings.token)
        return settings

    @property
    def base_url(self) -> str:
        """The Datalore server's base URL, e.g. ``https://datalore.jetbrains.com``."""
        return self.settings.base_url

    # -- the wire ----------------------------------------------------------------------------------

    @cached_property
    def _transport(self) -> SyncTransport:
        return SyncTransport(self.settings, self.retry_policy)

    async def _a_request(
        self,
        call: Call,
        body: dict[str, Any] | None = None,
        parse: Callable[[Any], Any] | None = None,
        *,
        deadline: float | None = None,
    ) -> Any:
        """
        Send a call without blocking the event loop, on the loop's shared session for the server.

        Outside ``async with hook:`` the hook opens itself for this one call. Build ``call`` from
        :meth:`a_get_settings`' base URL.
        """
        if self._async_transport is None:
            async with self:
                return await self._a_request(call, body, parse, deadline=deadline)
        return await self._async_transport.request(call, body, parse, deadline=deadline)

    async def __aenter__(self) -> Self:
        """Open the async side: join the event loop's shared session for this server."""
        if self._async_transport is None:
            from airflow_provider_datalore.transport.aio import AsyncTransport

            transport = AsyncTransport(await self.a_get_settings(), self.retry_policy)
            await transport.open()
            self._async_transport = transport
        self._async_users += 1
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Leave the shared session when the outermost ``async with`` ends."""
        self._async_users -= 1
        if self._async_users == 0 and self._async_transport is not None:
            transport, self._async_transport = self._async_transport, None
            await transport.close()

    # -- connection test ------------------------------------------------------------------

    def test_connection(self) -> tuple[bool, str]:
        """
        Check the URL and the token without starting anything (the connection form's Test button).

        See :func:`~airflow_provider_datalore.hooks.connection_check.check_connection` for what it proves.
        """
        from airflow_provider_datalore.hooks.connection_check import check_connection

        return check_connection(self)


def deadline_after(timeout: float | None) -> float | None:
    """Return the ``time.monotonic()`` at which ``timeout`` seconds from now end (``None``: no end)."""
    return None if timeout is None else time.monotonic() + timeout
