"""HTTP to the Run API, sync (requests) and async (aiohttp): retries, error mapping, connection reuse.

Only the hook uses this module. requests and aiohttp are imported where they are used, so that importing
the provider's operators in a DAG file costs neither.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_datalore import __version__
from airflow_provider_datalore.exceptions import (
    DataloreAuthenticationError,
    DataloreBadRequestError,
    DataloreConfigError,
    DataloreError,
    DataloreForbiddenError,
    DataloreNotFoundError,
    DataloreRequestError,
    DataloreResponseError,
    DataloreRunMayHaveStartedError,
)
from airflow_provider_datalore.retry import Failure, RetryPolicy, is_retryable, parse_retry_after

if TYPE_CHECKING:
    from collections.abc import Callable

    import aiohttp
    import requests

    from airflow_provider_datalore.connection import DataloreConnectionSettings

log = logging.getLogger(__name__)

USER_AGENT = f"airflow-provider-datalore/{__version__}"
T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One Run API call, described in the words an error message needs."""

    method: str
    path: str
    #: What the call does, e.g. "start a run of notebook alice/sales".
    action: str
    notebook_id: str | None = None
    notebook_url: str | None = None
    run_id: str | None = None

    @property
    def where(self) -> str:
        return f"{self.method} {self.path}"


class _AttemptFailed(Exception):
    """One attempt failed; whether to try again and what to tell the user are decided from it."""

    def __init__(
        self,
        call: Call,
        *,
        status: int | None = None,
        failure: Failure | None = None,
        detail: str = "",
        retry_after: float | None = None,
        location: str | None = None,
        server_message: str | None = None,
    ):
        super().__init__(detail)
        self.server_message = server_message
        self.call = call
        self.status = status
        self.failure = failure
        self.detail = detail
        self.retry_after = retry_after
        self.location = location

    @property
    def retryable(self) -> bool:
        return is_retryable(self.call.method, status=self.status, failure=self.failure)

    @property
    def reason(self) -> str:
        if self.status is not None:
            return f"HTTP {self.status}" + (f": {self.detail}" if self.detail else "")
        assert self.failure is not None
        return f"{self.failure.value}" + (f": {self.detail}" if self.detail else "")

    def final_error(self, attempts: int, conn_id: str) -> DataloreError:
        """Return the error the user sees once no more attempts will be made."""
        call, status = self.call, self.status
        server = f": {self.detail}" if self.detail else ""
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if status == 400:
            return DataloreBadRequestError(
                f"Datalore rejected the request to {call.action} ({call.where}) as invalid (HTTP 400){server}",
                http_status=status,
                endpoint=call.where,
                server_message=self.server_message,
            )
        if status == 401:
            return DataloreAuthenticationError(
                f"Datalore refused the API token (HTTP 401) when asked to {call.action} ({call.where}){server}. "
                f"The token is missing, invalid or expired: check the password of Airflow connection "
                f"{conn_id!r}.",
                http_status=status,
                endpoint=call.where,
                server_message=self.server_message,
            )
        if status == 403:
            what = (
                f"has view-only access to notebook {call.notebook_id}; running it needs editor access"
                if call.notebook_id
                else f"has no access to {_subject(call)}"
            )
            return DataloreForbiddenError(
                f"Datalore refused to {call.action} ({call.where}, HTTP 403){server}: the API token of "
                f"Airflow connection {conn_id!r} {what}.",
                http_status=status,
                endpoint=call.where,
                server_message=self.server_message,
            )
        if status == 404:
            if call.method == "POST":
                what = (
                    f"notebook {call.notebook_id} is not shared with the API token of Airflow connection "
                    f"{conn_id!r}, or the notebook id is wrong (check {call.notebook_url})"
                )
            else:
                what = f"run {call.run_id} was not found (wrong run id, or not visible to this token)"
            return DataloreNotFoundError(
                f"Datalore could not {call.action} ({call.where}, HTTP 404){server}: {what}.",
                http_status=status,
                endpoint=call.where,
                server_message=self.server_message,
            )
        if status is not None and 300 <= status < 400:
            return DataloreConfigError(
                f"Datalore answered {call.where} with a redirect (HTTP {status}) to {self.location!r}. "
                f"Redirects are not followed, so the API token never goes to another address: set the host "
                f"of Airflow connection {conn_id!r} to the server's final URL (https:// rather than http://?)."
            )
        if self.failure is Failure.TLS:
            return DataloreConfigError(
                f"Could not {call.action} ({call.where}): TLS verification failed ({self.detail}). For an "
                f"On-Premises server with an internal CA, set 'CA bundle path' in Airflow connection {conn_id!r}."
            )
        if (
            call.method == "POST"
            and not self.retryable
            and self.failure is not Failure.OTHER
            and (status is None or status >= 500)
        ):
            return DataloreRunMayHaveStartedError(
                f"Could not {call.action} ({call.where}): {self.reason}. The request may have reached "
                f"Datalore, so the notebook may be running now. It is not retried, to avoid a duplicate "
                f"run: check {call.notebook_url} before running the task again.",
                http_status=status,
                endpoint=call.where,
            )
        if self.failure is Failure.BAD_BODY:
            return DataloreResponseError(f"Could not {call.action} ({call.where}){tries}: {self.reason}")
        return DataloreRequestError(
            f"Could not {call.action} ({call.where}){tries}: {self.reason}",
            http_status=status,
            endpoint=call.where,
            server_message=self.server_message,
        )


def _subject(call: Call) -> str:
    if call.run_id:
        return f"run {call.run_id}"
    return f"notebook {call.notebook_id}"


def read_response(call: Call, status: int, text: str, headers: Any) -> Any:
    """Return the JSON of a 2xx response; raise ``_AttemptFailed`` for anything else."""
    if 200 <= status < 300:
        try:
            return json.loads(text) if text.strip() else {}
        except ValueError:
            raise _AttemptFailed(call, failure=Failure.BAD_BODY, detail=f"not JSON: {_clip(text)}") from None
    server_message = _json_error(text)
    raise _AttemptFailed(
        call,
        status=status,
        detail=server_message if server_message is not None else _clip(" ".join(text.split())),
        server_message=server_message,
        retry_after=parse_retry_after(headers.get("Retry-After")),
        location=headers.get("Location"),
    )


def _json_error(text: str) -> str | None:
    """Return the message of a JSON error body (``{"error": ...}``), or None when the body is not JSON."""
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    if isinstance(payload, dict):
        for key in ("error", "message", "detail"):
            if isinstance(payload.get(key), str):
                return _clip(payload[key], 500)
    return _clip(text)


def _parsed(call: Call, payload: Any, parse: Callable[[Any], T] | None) -> Any:
    """Return ``parse(payload)``; an unreadable payload fails the attempt as a malformed response."""
    if parse is None:
        return payload
    try:
        return parse(payload)
    except DataloreResponseError as err:
        raise _AttemptFailed(call, failure=Failure.BAD_BODY, detail=str(err)) from None


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _log_retry(failed: _AttemptFailed, attempt: int, policy: RetryPolicy, delay: float) -> None:
    log.warning(
        "Datalore %s failed (%s), attempt %d of %d; retrying in %.1f s.",
        failed.call.where,
        failed.reason,
        attempt,
        policy.max_attempts,
        delay,
    )


class SyncTransport:
    """Blocking calls over one reused ``requests.Session``."""

    def __init__(self, settings: DataloreConnectionSettings, policy: RetryPolicy):
        self.settings = settings
        self.policy = policy
        self._session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            import requests

            session = requests.Session()
            session.headers.update(
                {"Authorization": f"Bearer {self.settings.token}", "User-Agent": USER_AGENT}
            )
            self._session = session
        return self._session

    def request(
        self, call: Call, body: dict[str, Any] | None = None, parse: Callable[[Any], T] | None = None
    ) -> Any:
        """
        Send the call, retrying what :func:`is_retryable` allows; return the decoded JSON.

        :param parse: Turns the JSON into a value; its ``DataloreResponseError`` counts as a malformed
            response (retried for a GET).
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return _parsed(call, self._attempt(call, body), parse)
            except _AttemptFailed as failed:
                if not failed.retryable or attempt >= self.policy.max_attempts:
                    raise failed.final_error(attempt, self.settings.conn_id) from None
                delay = self.policy.delay(attempt, failed.retry_after)
                _log_retry(failed, attempt, self.policy, delay)
                time.sleep(delay)

    def _attempt(self, call: Call, body: dict[str, Any] | None) -> Any:
        import requests

        try:
            response = self.session.request(
                call.method,
                self.settings.base_url + call.path,
                json=body,
                timeout=self.settings.timeout,
                # Per request: a session-level verify loses to REQUESTS_CA_BUNDLE in requests.
                verify=self.settings.verify,
                allow_redirects=False,
            )
            text = response.text
        except requests.RequestException as exc:
            raise _AttemptFailed(call, failure=classify_requests_error(exc), detail=_describe(exc)) from None
        return read_response(call, response.status_code, text, response.headers)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def classify_requests_error(exc: BaseException) -> Failure:
    """Return how a ``requests`` call failed, telling "nothing was sent" from "sent, then lost"."""
    import requests
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

    if isinstance(exc, requests.exceptions.SSLError):
        return Failure.TLS
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Failure.CONNECT
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return Failure.READ_TIMEOUT
    if isinstance(exc, requests.exceptions.ConnectionError):
        if _caused_by(exc, (NewConnectionError, ConnectTimeoutError)):
            return Failure.CONNECT
        return Failure.CONNECTION_LOST
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return Failure.CONNECTION_LOST
    return Failure.OTHER


def _caused_by(exc: BaseException, types: tuple[type[BaseException], ...]) -> bool:
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, types):
            return True
        if isinstance(item, BaseException):
            stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None), *item.args])
    return False


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class _SessionPool:
    """The aiohttp sessions of one event loop, shared by every hook on it, closed when the last leaves."""

    def __init__(self) -> None:
        self._sessions: dict[bool | str, tuple[aiohttp.ClientSession, int]] = {}
        self._lock = asyncio.Lock()

    async def acquire(self, verify: bool | str) -> aiohttp.ClientSession:
        async with self._lock:
            session, users = self._sessions.get(verify, (None, 0))
            if session is None or session.closed:
                session, users = _new_session(verify), 0
            self._sessions[verify] = (session, users + 1)
            return session

    async def release(self, verify: bool | str) -> None:
        async with self._lock:
            session, users = self._sessions[verify]
            if users > 1:
                self._sessions[verify] = (session, users - 1)
                return
            del self._sessions[verify]
        await session.close()


_POOLS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SessionPool] = weakref.WeakKeyDictionary()


def _pool() -> _SessionPool:
    loop = asyncio.get_running_loop()
    pool = _POOLS.get(loop)
    if pool is None:
        pool = _POOLS[loop] = _SessionPool()
    return pool


def _new_session(verify: bool | str) -> aiohttp.ClientSession:
    import aiohttp

    ssl_setting: ssl.SSLContext | bool
    if verify is False:
        ssl_setting = False
    else:
        ssl_setting = ssl.create_default_context(
            cafile=verify if isinstance(verify, str) else _default_ca_file()
        )
    connector = aiohttp.TCPConnector(ssl=ssl_setting, limit=256, keepalive_timeout=60)
    return aiohttp.ClientSession(connector=connector, headers={"User-Agent": USER_AGENT})


def _proxy_for(url: str) -> str | None:
    """
    The proxy the environment names for ``url`` (HTTP(S)_PROXY, NO_PROXY), as requests would use it.

    Looked up once per transport: aiohttp's ``trust_env`` would read the environment on every request,
    which doubled the triggerer's CPU per poll in the benchmark.
    """
    from urllib.request import getproxies, proxy_bypass

    scheme = url.split("://", 1)[0].lower()
    proxy = getproxies().get(scheme)
    if not proxy:
        return None
    host = url.split("://", 1)[1].split("/", 1)[0]
    return None if proxy_bypass(host) else proxy


def _default_ca_file() -> str | None:
    """The CA bundle requests would use (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, else certifi's): polls from
    the triggerer trust the same certificates as the worker's requests."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        import certifi
    except ImportError:  # pragma: no cover - requests depends on certifi
        return None
    return certifi.where()


class AsyncTransport:
    """Non-blocking calls; every transport on an event loop shares one aiohttp session (keep-alive)."""

    def __init__(self, settings: DataloreConnectionSettings, policy: RetryPolicy):
        self.settings = settings
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None
        self._proxy = _proxy_for(settings.base_url)

    async def __aenter__(self) -> AsyncTransport:
        self._session = await _pool().acquire(self.settings.verify)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._session = None
        await _pool().release(self.settings.verify)

    async def request(
        self, call: Call, body: dict[str, Any] | None = None, parse: Callable[[Any], T] | None = None
    ) -> Any:
        """Send the call, retrying what :func:`is_retryable` allows; return the (parsed) JSON."""
        if self._session is None:
            async with self:
                return await self.request(call, body, parse)
        attempt = 0
        while True:
            attempt += 1
            try:
                return _parsed(call, await self._attempt(call, body), parse)
            except _AttemptFailed as failed:
                if not failed.retryable or attempt >= self.policy.max_attempts:
                    raise failed.final_error(attempt, self.settings.conn_id) from None
                delay = self.policy.delay(attempt, failed.retry_after)
                _log_retry(failed, attempt, self.policy, delay)
                await asyncio.sleep(delay)

    async def _attempt(self, call: Call, body: dict[str, Any] | None) -> Any:
        import aiohttp

        assert self._session is not None
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
                text = await response.text()
                return read_response(call, response.status, text, response.headers)
        except _AttemptFailed:
            raise
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _AttemptFailed(call, failure=classify_aiohttp_error(exc), detail=_describe(exc)) from None


def classify_aiohttp_error(exc: BaseException) -> Failure:
    """Return how an aiohttp call failed, telling "nothing was sent" from "sent, then lost"."""
    import aiohttp

    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError, ssl.SSLError)):
        return Failure.TLS
    if isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)):
        return Failure.CONNECT
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return Failure.READ_TIMEOUT
    if isinstance(exc, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, OSError)):
        return Failure.CONNECTION_LOST
    return Failure.OTHER
