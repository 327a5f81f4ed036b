"""Blocking calls to the Run API with requests, for operators and sensors."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.transport.attempts import Attempts
from airflow_provider_datalore.transport.calls import USER_AGENT, AttemptFailed, Call
from airflow_provider_datalore.transport.failures import classify_requests_error, describe
from airflow_provider_datalore.transport.replies import parse_reply, read_reply

if TYPE_CHECKING:
    from collections.abc import Callable

    import requests

    from airflow_provider_datalore.connection import DataloreConnectionSettings
    from airflow_provider_datalore.retry import RetryPolicy


class SyncTransport:
    """Blocking calls over one reused ``requests.Session``."""

    def __init__(self, settings: DataloreConnectionSettings, policy: RetryPolicy):
        self.settings = settings
        self.policy = policy
        self._session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        """The session, made on first use, with the token and the user agent in its headers."""
        if self._session is None:
            import requests

            session = requests.Session()
            session.headers.update(
                {"Authorization": f"Bearer {self.settings.token}", "User-Agent": USER_AGENT}
            )
            self._session = session
        return self._session

    def request(
        self, call: Call, body: dict[str, Any] | None = None, parse: Callable[[Any], Any] | None = None
    ) -> Any:
        """
        Send the call, retrying what :func:`~airflow_provider_datalore.retry.is_retryable` allows.

        :param body: The JSON body, if any.
        :param parse: Turns the JSON into a value; its ``DataloreResponseError`` counts as a malformed
            reply (retried for a GET).
        """
        attempts = Attempts(self.policy, self.settings.conn_id)
        while True:
            try:
                return parse_reply(call, self._attempt(call, body), parse)
            except AttemptFailed as failed:
                time.sleep(attempts.wait_after(failed))

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
            content = response.content
        except requests.RequestException as exc:
            raise AttemptFailed(call, failure=classify_requests_error(exc), detail=describe(exc)) from None
        return read_reply(call, response.status_code, content, response.headers, secret=self.settings.token)

    def close(self) -> None:
        """Close the session's connections."""
        if self._session is not None:
            self._session.close()
            self._session = None
