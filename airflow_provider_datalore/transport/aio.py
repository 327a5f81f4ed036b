"""Non-blocking calls to Datalore's APIs with aiohttp, for triggers."""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from airflow_provider_datalore.exceptions import DataloreError
from airflow_provider_datalore.transport.attempts import Attempts
from airflow_provider_datalore.transport.calls import USER_AGENT, AttemptFailed, Call
from airflow_provider_datalore.transport.failures import classify_aiohttp_error, describe
from airflow_provider_datalore.transport.replies import (
    MAX_REPLY_BYTES,
    ReplyTooLarge,
    decoded_body,
    parse_reply,
    read_reply,
    reply_limit,
)
from airflow_provider_datalore.transport.retry import Failure
from airflow_provider_datalore.transport.sessions import SessionKey, proxy_for, session_pool
from airflow_provider_datalore.transport.streams import (
    CHUNK_BYTES,
    UPLOAD_CONTENT_TYPE,
    Downloaded,
    Receiver,
    Sink,
    call_url,
    rewind_upload,
    upload_start,
)

#: Replies up to this size are kept to tell the next one unchanged (a running run's reply is a few
#: hundred bytes); a larger one is not kept, so a thousand triggers cannot hold megabytes each.
KEPT_REPLY_BYTES = 16 * 1024

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

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
        # The poll's URL is cached; a call with a query (an upload's notebook, say) is encoded each time.
        if call.query:
            url = yarl_url(call_url(self.settings.base_url, call))
        else:
            url = _url(self.settings.base_url, call.path)
        while True:
            try:
                status, content, headers = await self._attempt(call, attempts.budget(), url, json=body)
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

    async def download(
        self,
        call: Call,
        body: dict[str, Any] | None,
        sink: Sink,
        *,
        max_bytes: int,
        deadline: float | None = None,
        timeout: float | None = None,
    ) -> Downloaded:
        """
        Send the call and stream its reply's body to ``sink``, 256 KiB at a time; return what was written.

        The twin of :meth:`SyncTransport.download <airflow_provider_datalore.transport.sync.SyncTransport.download>`,
        for the same calls and the same rules. The sink's ``write`` is called on the event loop: give it
        a local file, not something that blocks for long.

        :param body: The JSON body, if any.
        :param sink: A binary file-like object the bytes are written to (a temporary file, say).
        :param max_bytes: Bytes the body may have at most: a larger one (announced or streamed) fails
            with a ``DataloreResponseError``, not retried.
        :param deadline: ``time.monotonic()`` by which the call must be over, retries included.
        :param timeout: Seconds one attempt may take in all, instead of the connection's timeout.
        """
        attempts = Attempts(self.policy, self.settings.conn_id, timeout or self.settings.timeout, deadline)
        url = yarl_url(call_url(self.settings.base_url, call))
        receiver = Receiver(call, sink, max_bytes)

        async def read(response: aiohttp.ClientResponse) -> bytes:
            if not 200 <= response.status < 300:
                return await _small_body(response)
            receiver.start(
                response.content_length,
                response.headers.get("Content-Encoding"),
                response.headers.get("Content-Type"),
            )
            async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                receiver.write(chunk)
            return b""

        while True:
            try:
                status, content, headers = await self._attempt(
                    call, attempts.budget(), url, read, idle=self.settings.timeout, json=body
                )
                read_reply(call, status, content, headers, secret=self.settings.token)
                return receiver.result()
            except AttemptFailed as failed:
                delay = attempts.wait_after(failed)
                receiver.restart(failed)
                await asyncio.sleep(delay)

    async def upload(
        self,
        call: Call,
        fileobj: BinaryIO,
        filename: str,
        *,
        field: str = "file",
        deadline: float | None = None,
        timeout: float | None = None,
    ) -> Any:
        """
        Send ``fileobj`` as the ``multipart/form-data`` body of the call, streamed; return the reply's JSON.

        The twin of :meth:`SyncTransport.upload <airflow_provider_datalore.transport.sync.SyncTransport.upload>`:
        the file is read 256 KiB at a time in a thread and sent as it is read (chunked: its length is not
        announced), left open, and a retry sends it again from where it started.

        :param fileobj: The file, opened in binary mode.
        :param filename: The file name the part carries.
        :param field: The form field the file is sent as.
        :param deadline: ``time.monotonic()`` by which the call must be over, retries included.
        :param timeout: Seconds one attempt may take in all, instead of the connection's timeout.
        """
        import aiohttp

        attempts = Attempts(self.policy, self.settings.conn_id, timeout or self.settings.timeout, deadline)
        url = yarl_url(call_url(self.settings.base_url, call))
        start = upload_start(fileobj)
        while True:
            form = aiohttp.FormData()  # one per attempt: a form is sent once
            # Not the file itself: aiohttp would close it once sent, and a retry could not rewind it.
            form.add_field(field, _blocks(fileobj), filename=filename, content_type=UPLOAD_CONTENT_TYPE)
            try:
                status, content, headers = await self._attempt(
                    call, attempts.budget(), url, idle=self.settings.timeout, data=form
                )
                return read_reply(call, status, content, headers, secret=self.settings.token)
            except AttemptFailed as failed:
                delay = attempts.wait_after(failed)
                rewind_upload(fileobj, call, failed, start)
                await asyncio.sleep(delay)

    async def _attempt(
        self,
        call: Call,
        budget: float,
        url: yarl.URL,
        read: Callable[[aiohttp.ClientResponse], Awaitable[bytes]] | None = None,
        *,
        idle: float | None = None,
        **send: Any,
    ) -> tuple[int, bytes, Mapping[str, str]]:
        """
        Send the call once; return the reply's status, (inflated) body and headers, whatever the status.

        :param read: Reads the body of the response (default: whole, at most ``MAX_REPLY_BYTES``).
        :param idle: Seconds the connection may stay silent (connect, or between reads), if fewer than
            ``budget``.
        :param send: The body, as aiohttp takes it.
        """
        import aiohttp

        if self._session is None:
            raise RuntimeError("AsyncTransport.request() needs open() first")
        # ``total`` bounds the whole attempt: the wait for a pooled connection, connect, and the whole
        # reply however slowly it comes. One object per budget: most polls have the connection's timeout.
        timeout = _client_timeout(budget, idle if idle is not None and idle < budget else None)
        try:
            async with self._session.request(
                call.method,
                url,
                headers=self._headers,
                timeout=timeout,
                allow_redirects=False,
                proxy=self._proxy,
                **send,
            ) as response:
                content = await (read(response) if read else _small_body(response, reply_limit(call)))
                return response.status, content, response.headers
        except DataloreError:  # a download over its cap, or compressed: not a failure of the wire
            raise
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
def _client_timeout(budget: float, idle: float | None = None) -> aiohttp.ClientTimeout:
    import aiohttp

    return aiohttp.ClientTimeout(total=budget, sock_connect=idle, sock_read=idle)


async def _blocks(fileobj: BinaryIO) -> AsyncIterator[bytes]:
    """Yield the file's bytes, 256 KiB at a time, each read in a thread (a read may block on a disk)."""
    loop = asyncio.get_running_loop()
    while block := await loop.run_in_executor(None, fileobj.read, CHUNK_BYTES):
        yield block


def yarl_url(url: str) -> yarl.URL:
    """Return the URL object of a URL already encoded (:func:`~airflow_provider_datalore.transport.streams.call_url`)."""
    import yarl

    return yarl.URL(url, encoded=True)


async def _small_body(response: aiohttp.ClientResponse, limit: int = MAX_REPLY_BYTES) -> bytes:
    """Read the body whole, inflated, at most ``limit`` bytes; ``ReplyTooLarge`` beyond."""
    return decoded_body(await _read_body(response, limit), response.headers.get("Content-Encoding"), limit)


async def _read_body(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """Read the raw (still compressed) body, at most ``limit`` bytes; ``ReplyTooLarge`` beyond."""
    if response.content_length is not None:
        if response.content_length > limit:
            raise ReplyTooLarge(f"a reply of {response.content_length} bytes")
        return await response.read()  # aiohttp reads no more than the Content-Length it announced
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise ReplyTooLarge(f"a reply of more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
