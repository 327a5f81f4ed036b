"""requests' transport adapter, made to report sockets to the watchdog and to skip interim 1xx replies."""

from __future__ import annotations

import http.client
from typing import TYPE_CHECKING, Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from airflow_provider_datalore.transport.watchdog import watch_socket

if TYPE_CHECKING:
    from urllib3.poolmanager import PoolManager

#: Interim (1xx) replies skipped before the final one, at most.
MAX_INTERIM_REPLIES = 16


class InterimSkippingResponse(http.client.HTTPResponse):
    """
    An ``http.client`` response that skips interim replies (102 Processing, 103 Early Hints, ...).

    ``http.client`` skips only ``100 Continue`` and would take a 102 or 103 as the final answer, leaving
    the real one (perhaps a run id) unread on the socket.
    """

    def _read_status(self) -> tuple[str, int, str]:  # type: ignore[override]
        for _ in range(MAX_INTERIM_REPLIES):
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if status == 100 or not 100 < status < 200 or status == 101:
                return version, status, reason
            http.client.parse_headers(self.fp)  # the interim reply's headers
        raise http.client.HTTPException(f"more than {MAX_INTERIM_REPLIES} interim replies")


class _WatchedHTTPConnection(HTTPConnection):
    response_class = InterimSkippingResponse

    def connect(self) -> None:
        super().connect()
        watch_socket(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch_socket(self.sock)  # a kept-alive connection: connect() is not called again
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    response_class = InterimSkippingResponse

    def connect(self) -> None:
        super().connect()
        watch_socket(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch_socket(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOL_CLASSES = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class BoundedAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections (direct or through an HTTP proxy) the watchdog can shut."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # A SOCKS proxy has pool classes of its own: leave them (its reads are still bounded per read).
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOL_CLASSES
        return manager
