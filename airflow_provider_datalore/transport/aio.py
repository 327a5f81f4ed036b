"""Non-blocking calls to Datalore's APIs with aiohttp, for triggers."""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_datalore.transport.attempts import Attempts
from airflow_provider_datalore.transport.calls import USER_AGENT, AttemptFailed, Call
from airflow_provider_datalore.transport.failures import classify_aiohttp_error, describe
from airflow_provider_datalore.transport.replies import (
    MAX_REPLY_BYTES,
    ReplyTooLarge,
    decoded_body,
    parse_reply,
    read_reply,
)
from airflow_provider_datalore.transport.retry import Failure
from airflow_provider_datalore.transport.sessions import SessionKey, proxy_for, session_pool

#: Bytes read from the connection at a time.
CHUNK_BYTES = 64 * 1024
#: Replies up to this size are kept to tell the next one unchanged (a running run's reply is a few
#: hundred bytes); a larger one is not kept, so a thousand triggers cannot hold megabytes each.
KEPT_REPLY_BYTES = 16 * 1024

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import aiohttp
    import yarl

    from airflow_provider_datalore.connection import DataloreConnectionSettings
    from airflow_provider_datalore.transport.retry import RetryPolicy


class AsyncTransport:
    """Non-blocking calls over the event loop's shared session for the server (keep-alive)."""

    def __init__(self, settings: DataloreConnectionSettings, policy: RetryPolicy):
        self.settings = settings
        self.policy = policy
        self._proxy = proxy_for(settings.base_url)
        origin = urlsplit(settings.base_url)
        self._key: SessionKey = (f"{origin.scheme}://{origin.netloc}", settings.verify, self._proxy)
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"Authorization": f"Bearer {settings.token}"}
        #: The call, reply body and result ``parse`` made of the last 2xx reply it read.
        self._last_parsed: tuple[Call, bytes, Any] | None = None

    async def open(self) -> None:
        """Join the event loop's session for this server; :meth:`close` leaves it."""
        self._session = await session_pool().acquire(self._key, USER_AGENT)

    async def close(self) -> None:
        """Leave the shared session (the last user closes it)."""
        if self._session is not None:
            self._session = None
            await session_pool().release(self._key)

    async def request(
        self,
        call: Call,
        body: dict[str, Any] | None = None,
        parse: Callable[[Any], Any] | None = None,
        *,
        deadline: float | None = None,
        timeout: float | None = None,
        policy: RetryPolicy | None = None,
    ) -> Any:
        """
        Send the call, retrying what ``is_retryable`` allows; return the (parsed) JSON. Needs :meth:`open`.

        A 2xx reply with the same bytes as the last one ``parse`` read for the same call is not read
        again: the last result is returned. A running run's status reply changes rarely, and a trigger
        polls it hundreds of times. ``parse`` must depend on the call and the reply only.

        :param deadline: ``time.monotonic()`` by which the call must be over, retries included.
        :param timeout: Seconds one attempt may take, instead of the connection's timeout.
        :param policy: The retries for this call, instead of the transport's.
        """
        attempts = Attempts(
            policy or self.policy, self.settings.conn_id, timeout or self.settings.timeout, deadline
        )
        while True:
            try:
                status, content, headers = await self._attempt(call, body, attempts.budget())
                last = self._last_parsed
                if parse is not None and last is not None and _same_reply(last, call, status, content):
                    return last[2]
                payload = read_reply(call, status, content, headers, secret=self.settings.token)
                result = parse_reply(call, payload, parse)
                if parse is not None:
                    self._last_parsed = (call, content, result) if len(content) <= KEPT_REPLY_BYTES else None
                return result
            except AttemptFailed as failed:
                await asyncio.sleep(attempts.wait_after(failed))

    async def _attempt(
        self, call: Call, body: dict[str, Any] | None, budget: float
    ) -> tuple[int, bytes, Mapping[str, str]]:
        """Send the call once; return the reply's status, (inflated) body and headers, whatever the status."""
        import aiohttp

        if self._session is None:
            raise RuntimeError("AsyncTransport.request() needs open() first")
        # ``total`` bounds the whole attempt: the wait for a pooled connection, connect, and the whole
        # reply however slowly it comes. One object per budget: most polls have the connection's timeout.
        timeout = _client_timeout(budget)
        try:
            async with self._session.request(
                call.method,
                _url(self.settings.base_url, call.path),
                json=body,
                headers=self._headers,
                timeout=timeout,
                allow_redirects=False,
                proxy=self._proxy,
            ) as response:
                content = decoded_body(await _read_body(response), response.headers.get("Content-Encoding"))
                return response.status, content, response.headers
        except ReplyTooLarge as err:
            raise AttemptFailed(call, failure=Failure.BAD_BODY, detail=str(err)) from None
        except asyncio.CancelledError:
            # A cancellation of this task (the triggerer's; aiohttp's timer below 3.10 too) ends the poll.
            # One nobody asked for is a library's bug (aiohttp 3.9.0 awaits a request writer it cancelled
            # itself, after a timed-out request on the same connection): a lost reply, retried as one.
            if _cancel_requested():
                raise
            raise AttemptFailed(call, failure=Failure.CONNECTION_LOST, detail="CancelledError") from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise AttemptFailed(call, failure=classify_aiohttp_error(exc), detail=describe(exc)) from None
        except Exception as exc:  # the library's own bug or an odd reply: a trigger must not crash on it
            raise AttemptFailed(call, failure=Failure.CONNECTION_LOST, detail=describe(exc)) from None


def _same_reply(last: tuple[Call, bytes, Any], call: Call, status: int, content: bytes) -> bool:
    """Whether a reply is a 2xx with the bytes of the ``last`` one parsed, for the same call."""
    return 200 <= status < 300 and last[1] == content and last[0] == call


def _cancel_requested() -> bool:
    """Whether someone asked to cancel the running task (``Task.cancel``, not yet withdrawn)."""
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0


@functools.lru_cache(maxsize=4096)  # a trigger reads the same URL every few seconds
def _url(base_url: str, path: str) -> yarl.URL:
    """Return the URL object aiohttp would make of ``base_url + path`` (parsing a URL is costly)."""
    import yarl

    return yarl.URL(base_url + path)


@functools.lru_cache(maxsize=64)
def _client_timeout(budget: float) -> aiohttp.ClientTimeout:
    import aiohttp

    return aiohttp.ClientTimeout(total=budget)


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    """Read the raw (still compressed) body, at most ``MAX_REPLY_BYTES``; ``ReplyTooLarge`` beyond."""
    if response.content_length is not None:
        if response.content_length > MAX_REPLY_BYTES:
            raise ReplyTooLarge(f"a reply of {response.content_length} bytes")
        return await response.read()  # aiohttp reads no more than the Content-Length it announced
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise ReplyTooLarge(f"a reply of more than {MAX_REPLY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
