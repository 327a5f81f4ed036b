"""The aiohttp sessions of an event loop, shared by every Datalore trigger on it, with proxy and CA settings."""

from __future__ import annotations

import asyncio
import os
import ssl
from typing import TYPE_CHECKING

from airflow_provider_datalore.loop_local import LoopLocal

if TYPE_CHECKING:
    import aiohttp

#: Connections one session keeps open to its server at most.
CONNECTIONS_PER_SESSION = 256
#: Seconds an idle keep-alive connection is kept for the next poll.
KEEPALIVE_SECONDS = 60

#: What tells one session from another: the server's origin (scheme, host and port), the TLS setting
#: (False, True or a CA bundle path) and the proxy.
SessionKey = tuple[str, "bool | str", "str | None"]


class SessionPool:
    """
    The aiohttp sessions of one event loop, one per server, shared by every hook on that loop.

    A session (and its connection pool) is made by the first hook that needs it and closed when the last
    one leaves. One session per server keeps a slow server from holding the connections another server's
    polls need.
    """

    def __init__(self) -> None:
        self._sessions: dict[SessionKey, tuple[aiohttp.ClientSession, int]] = {}
        self._lock = asyncio.Lock()

    async def acquire(self, key: SessionKey, user_agent: str) -> aiohttp.ClientSession:
        """Return the session for ``key``, making it if needed; release it with :meth:`release`."""
        async with self._lock:
            session, users = self._sessions.get(key, (None, 0))
            if session is None or session.closed:
                session, users = _new_session(key[1], user_agent), 0
            self._sessions[key] = (session, users + 1)
            return session

    async def release(self, key: SessionKey) -> None:
        """Leave the session for ``key``; the last user to leave closes it."""
        async with self._lock:
            session, users = self._sessions[key]
            if users > 1:
                self._sessions[key] = (session, users - 1)
                return
            del self._sessions[key]
        await session.close()


_POOLS = LoopLocal(SessionPool)


def session_pool() -> SessionPool:
    """Return the session pool of the running event loop."""
    return _POOLS.get()


def _new_session(verify: bool | str, user_agent: str) -> aiohttp.ClientSession:
    import aiohttp

    ssl_setting: ssl.SSLContext | bool
    if verify is False:
        ssl_setting = False
    else:
        ssl_setting = ssl.create_default_context(
            cafile=verify if isinstance(verify, str) else default_ca_file()
        )
    connector = aiohttp.TCPConnector(
        ssl=ssl_setting, limit=CONNECTIONS_PER_SESSION, keepalive_timeout=KEEPALIVE_SECONDS
    )
    # No automatic decompression: a reply is inflated only within the bound (replies.decoded_body).
    return aiohttp.ClientSession(
        connector=connector,
        # Replies are small: no compression, so nothing can inflate in memory.
        headers={"User-Agent": user_agent, "Accept-Encoding": "identity"},
        auto_decompress=False,
    )


def proxy_for(url: str) -> str | None:
    """
    Return the proxy the environment names for ``url`` (HTTP(S)_PROXY, NO_PROXY), as requests would use it.

    Looked up once per hook: aiohttp's ``trust_env`` would read the environment on every request, which
    doubled the triggerer's CPU per poll in the benchmark.
    """
    from urllib.request import getproxies, proxy_bypass

    scheme = url.split("://", 1)[0].lower()
    proxy = getproxies().get(scheme)
    if not proxy:
        return None
    host = url.split("://", 1)[1].split("/", 1)[0]
    return None if proxy_bypass(host) else proxy


def default_ca_file() -> str | None:
    """
    Return the CA bundle requests would use (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, else certifi's).

    Polls from the triggerer then trust the same certificates as the worker's requests.
    """
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        import certifi
    except ImportError:  # pragma: no cover - requests depends on certifi
        return None
    return certifi.where()
