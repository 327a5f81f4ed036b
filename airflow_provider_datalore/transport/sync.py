"""Blocking calls to Datalore's APIs with requests, for operators and sensors, bounded in time and bytes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, BinaryIO

from airflow_provider_datalore.transport.attempts import Attempts
from airflow_provider_datalore.transport.calls import USER_AGENT, AttemptFailed, Call
from airflow_provider_datalore.transport.failures import classify_requests_error, describe
from airflow_provider_datalore.transport.replies import (
    MAX_REPLY_BYTES,
    ReplyTooLarge,
    decoded_body,
    parse_reply,
    read_reply,
    reply_limit,
)
from airflow_provider_datalore.transport.retry import Failure
from airflow_provider_datalore.transport.streams import (
    CHUNK_BYTES,
    UPLOAD_CONTENT_TYPE,
    Downloaded,
    Sink,
    UploadBody,
    call_url,
    receiver_for,
    rewind_upload,
    upload_start,
)
from airflow_provider_datalore.transport.watchdog import Watchdog

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from airflow_provider_datalore.connection import DataloreConnectionSettings
    from airflow_provider_datalore.transport.retry import RetryPolicy


class SyncTransport:
    """
    Blocking calls over one reused ``requests.Session``.

    Every attempt is bounded: in time by a watchdog that shuts the socket at the attempt's deadline
    (connect and the whole reply, however slowly the server sends it), in bytes by
    :data:`~airflow_provider_datalore.transport.replies.MAX_REPLY_BYTES`, compressed or not (a download by
    its caller's ``max_bytes``). A call that is not safe to retry
    goes out on a new connection, so a keep-alive connection the server has dropped can never make a
    start uncertain.
    """

    def __init__(self, settings: DataloreConnectionSettings, policy: RetryPolicy):
        self.settings = settings
        self.policy = policy
        self._session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        """The session, made on first use, with the token and the user agent in its headers."""
        if self._session is None:
            import requests

            from airflow_provider_datalore.transport.bounded_adapter import BoundedAdapter

            session = requests.Session()
            session.headers.update(
                {
                    "Authorization": f"Bearer {self.settings.token}",
                    "User-Agent": USER_AGENT,
                    # Replies are small: no compression, so nothing can inflate in memory.
                    "Accept-Encoding": "identity",
                }
            )
            session.mount("http://", BoundedAdapter())
            session.mount("https://", BoundedAdapter())
            self._session = session
        return self._session

    def request(
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
        Send the call, retrying what :func:`~airflow_provider_datalore.transport.retry.is_retryable` allows.

        :param body: The JSON body, if any.
        :param parse: Turns the JSON into a value; its ``DataloreResponseError`` counts as a malformed
            reply (retried for a GET).
        :param deadline: ``time.monotonic()`` by which the call must be over, retries included.
        :param timeout: Seconds one attempt may take, instead of the connection's timeout.
        :param policy: The retries for this call, instead of the transport's.
        """
        attempts = Attempts(
            policy or self.policy, self.settings.conn_id, timeout or self.settings.timeout, deadline
        )
        url = call_url(self.settings.base_url, call)
        while True:
            try:
                return parse_reply(call, self._attempt(call, attempts.budget(), url, json=body), parse)
            except AttemptFailed as failed:
                time.sleep(attempts.wait_after(failed))

    def download(
        self,
        call: Call,
        body: dict[str, Any] | None,
        sink: Sink,
        *,
        max_bytes: int,
        deadline: float | None = None,
        timeout: float | None = None,
        reserve: bool = False,
    ) -> Downloaded:
        """
        Send the call and stream its reply's body to ``sink``, 256 KiB at a time; return what was written.

        Each attempt has ``timeout`` seconds in all, the whole body included. A retry (the call's
        endpoint allows it) first empties the sink with ``seek(0)`` and ``truncate()``; a failure after
        bytes reached a sink without them is final. An error reply is read (small) as any other call's.

        :param body: The JSON body, if any.
        :param sink: A binary file-like object the bytes are written to (a temporary file, say).
        :param max_bytes: Bytes the body may have at most: a larger one (announced or streamed) fails
            with a ``DataloreResponseError``, not retried.
        :param deadline: ``time.monotonic()`` by which the call must be over, retries included.
        :param timeout: Seconds one attempt may take, instead of the connection's timeout.
        :param reserve: Reserve the announced size on the sink's disk first: for a file the caller made
            for the download (a user's sink is written as given).
        """
        attempts = Attempts(self.policy, self.settings.conn_id, timeout or self.settings.timeout, deadline)
        url = call_url(self.settings.base_url, call)
        receiver = receiver_for(call, sink, max_bytes, reserve=reserve)

        def read(response: requests.Response) -> bytes:
            if not 200 <= response.status_code < 300:
                return _small_body(response)
            declared = response.headers.get("Content-Length", "")
            receiver.start(
                int(declared) if declared.isdigit() else None,
                response.headers.get("Content-Encoding"),
                response.headers.get("Content-Type"),
            )
            while chunk := response.raw.read(CHUNK_BYTES, decode_content=False):
                receiver.write(chunk)
            return b""

        try:
            while True:
                try:
                    self._attempt(call, attempts.budget(), url, read, idle=self.settings.timeout, json=body)
                    return receiver.result()
                except AttemptFailed as failed:
                    delay = attempts.wait_after(failed)
                    receiver.restart(failed)
                    time.sleep(delay)
        finally:
            receiver.close()

    def upload(
        self,
        call: Call,
        fileobj: BinaryIO,
        filename: str,
        *,
        field: str = "file",
        size: int | None = None,
        deadline: float | None = None,
        timeout: float | None = None,
    ) -> Any:
        """
        Send ``fileobj`` as the ``multipart/form-data`` body of the call, streamed; return the reply's JSON.

        The file is read a block at a time as the body goes out, never whole, and its length is announced
        (``Content-Length``). Each attempt has ``timeout`` seconds in all, the whole upload included. A
        retry (for an upload, only when nothing can have reached Datalore) sends the file again from its
        start (``seek``).

        :param fileobj: The file, opened in binary mode: a local file or an fsspec one (``s3://``...).
        :param filename: The file name the part carries.
        :param field: The form field the file is sent as.
        :param size: The file's bytes; needed only for a file that cannot seek (a pipe).
        :param deadline: ``time.monotonic()`` by which the call must be over, retries included.
        :param timeout: Seconds one attempt may take, instead of the connection's timeout.
        """
        from requests_toolbelt import MultipartEncoder

        attempts = Attempts(self.policy, self.settings.conn_id, timeout or self.settings.timeout, deadline)
        url = call_url(self.settings.base_url, call)
        start = upload_start(fileobj)
        while True:
            part = UploadBody(fileobj, call, size)
            encoder = MultipartEncoder(fields={field: (filename, part, UPLOAD_CONTENT_TYPE)})
            headers = {"Content-Type": encoder.content_type}
            try:
                return self._attempt(
                    call, attempts.budget(), url, idle=self.settings.timeout, data=encoder, headers=headers
                )
            except AttemptFailed as failed:
                delay = attempts.wait_after(failed)
                rewind_upload(fileobj, call, failed, start)
                time.sleep(delay)

    def _attempt(
        self,
        call: Call,
        budget: float,
        url: str,
        read: Callable[[requests.Response], bytes] | None = None,
        *,
        idle: float | None = None,
        **send: Any,
    ) -> Any:
        """
        Send the call once, within ``budget`` seconds; return the reply's JSON (None for other kinds).

        :param read: Reads the body of the response (default: whole, at most ``MAX_REPLY_BYTES``).
        :param idle: Seconds the connection may stay silent (connect, or between reads), if fewer than
            ``budget``: a transfer's budget is long, a stalled server is found sooner.
        :param send: The body and headers, as ``requests`` takes them.
        """
        import http.client

        import requests
        from urllib3.exceptions import HTTPError

        session = self.session
        if not call.endpoint.safe_to_retry:
            session.close()  # a fresh connection: a stale pooled one would make the call's fate uncertain
        with Watchdog(budget) as watchdog:
            try:
                response = session.request(
                    call.method,
                    url,
                    timeout=budget if idle is None else min(idle, budget),
                    # Per request: a session-level verify loses to REQUESTS_CA_BUNDLE in requests.
                    verify=self.settings.verify,
                    allow_redirects=False,
                    stream=True,
                    **send,
                )
                try:
                    content = read(response) if read else _small_body(response, reply_limit(call))
                finally:
                    response.close()
                if watchdog.disarm():
                    raise _timed_out(call, budget)
            except ReplyTooLarge as err:
                raise AttemptFailed(call, failure=Failure.BAD_BODY, detail=str(err)) from None
            # Reading the body raw raises urllib3's and http.client's own errors, not requests'.
            except (requests.RequestException, HTTPError, http.client.HTTPException, OSError) as exc:
                failure = classify_requests_error(exc)
                if watchdog.disarm() and failure is not Failure.CONNECT:
                    raise _timed_out(call, budget) from None
                raise AttemptFailed(call, failure=failure, detail=describe(exc)) from None
        return read_reply(
            call,
            response.status_code,
            content,
            response.headers,
            secret=self.settings.token,
        )

    def close(self) -> None:
        """Close the session's connections."""
        if self._session is not None:
            self._session.close()
            self._session = None


def _timed_out(call: Call, budget: float) -> AttemptFailed:
    return AttemptFailed(call, failure=Failure.READ_TIMEOUT, detail=f"no complete reply within {budget:g} s")


def _small_body(response: requests.Response, limit: int = MAX_REPLY_BYTES) -> bytes:
    """Read the body whole, inflated, at most ``limit`` bytes; ``ReplyTooLarge`` beyond."""
    return decoded_body(_read_body(response, limit), response.headers.get("Content-Encoding"), limit)


def _read_body(response: requests.Response, limit: int) -> bytes:
    """Read the raw (still compressed) body, at most ``limit`` bytes; ``ReplyTooLarge`` beyond."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ReplyTooLarge(f"a reply of {declared} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := response.raw.read(CHUNK_BYTES, decode_content=False):
        size += len(chunk)
        if size > limit:
            raise ReplyTooLarge(f"a reply of more than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
