"""Blocking calls to Datalore's APIs with requests, for operators and sensors, bounded in time and bytes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.transport.attempts import Attempts
from airflow_provider_datalore.transport.calls import USER_AGENT, AttemptFailed, Call
from airflow_provider_datalore.transport.failures import classify_requests_error, describe
from airflow_provider_datalore.transport.replies import (
    MAX_REPLY_BYTES,
    ReplyTooLarge,
    decoded_body,
    parse_reply,
    read_reply,
)
from airflow_provider_datalore.transport.retry import Failure
from airflow_provider_datalore.transport.watchdog import Watchdog

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from airflow_provider_datalore.connection import DataloreConnectionSettings
    from airflow_provider_datalore.transport.retry import RetryPolicy

#: Bytes read from the socket at a time.
CHUNK_BYTES = 64 * 1024


class SyncTransport:
    """
    Blocking calls over one reused ``requests.Session``.

    Every attempt is bounded: in time by a watchdog that shuts the socket at the attempt's deadline
    (connect and the whole reply, however slowly the server sends it), in bytes by
    :data:`~airflow_provider_datalore.transport.replies.MAX_REPLY_BYTES`, compressed or not. A call that is not safe to retry
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
        while True:
            try:
                return parse_reply(call, self._attempt(call, body, attempts.budget()), parse)
            except AttemptFailed as failed:
                time.sleep(attempts.wait_after(failed))

    def _attempt(self, call: Call, body: dict[str, Any] | None, budget: float) -> Any:
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
                    self.settings.base_url + call.path,
                    json=body,
                    timeout=budget,
                    # Per request: a session-level verify loses to REQUESTS_CA_BUNDLE in requests.
                    verify=self.settings.verify,
                    allow_redirects=False,
                    stream=True,
                )
                try:
                    content = decoded_body(_read_body(response), response.headers.get("Content-Encoding"))
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


def _read_body(response: requests.Response) -> bytes:
    """Read the raw (still compressed) body, at most ``MAX_REPLY_BYTES``; ``ReplyTooLarge`` beyond."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_REPLY_BYTES:
        raise ReplyTooLarge(f"a reply of {declared} bytes")
    chunks: list[bytes] = []
    size = 0
    while chunk := response.raw.read(CHUNK_BYTES, decode_content=False):
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            raise ReplyTooLarge(f"a reply of more than {MAX_REPLY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
