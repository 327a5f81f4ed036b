"""
What one endpoint is (``Endpoint``), one call to it (``Call``) and one failed attempt at it (``AttemptFailed``).

An endpoint describes itself: whether repeating it is safe, whether an attempt may start work, what may
have happened when an attempt's fate is unknown, and what kind of reply it sends. The one retry predicate
(:func:`~airflow_provider_datalore.transport.retry.is_retryable`) and the error wording
(:mod:`~airflow_provider_datalore.transport.failures`) read these properties, never the HTTP method.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_datalore import __version__
from airflow_provider_datalore.transport.retry import Failure, is_retryable
from airflow_provider_datalore.urls import notebook_url

USER_AGENT = f"airflow-provider-datalore/{__version__}"


class ReplyKind(enum.Enum):
    """What a 2xx reply of an endpoint carries."""

    #: A JSON document, read whole (at most ``replies.MAX_REPLY_BYTES``).
    JSON = "json"
    #: Nothing to read: any 2xx is success, whatever its body (204, or a body the docs do not describe).
    EMPTY = "empty"
    #: Bytes streamed to a sink as they come (a file download), bounded by the caller's ``max_bytes``.
    STREAM = "stream"


class RequestKind(enum.Enum):
    """What the body of a request to an endpoint is."""

    #: No body (a GET).
    NONE = "none"
    #: A JSON document.
    JSON = "json"
    #: ``multipart/form-data`` streamed from a file object (an upload).
    MULTIPART = "multipart"


#: The words an API has for a client error of one of its endpoints: ``(call, status, conn_id, server)`` to
#: the message, or None for the wire's general words. ``server`` is ``": <server text>"`` or empty.
Wording = Callable[["Call", int, str, str], "str | None"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """
    One endpoint of a Datalore API, with what a call to it may do.

    :param api: The API, e.g. ``"Run API"``, named in messages.
    :param name: A short name, unique within the API, e.g. ``"start"`` (tables and tests use it).
    :param method: The HTTP method.
    :param path: The path, with ``{placeholders}`` for what a call fills in.
    :param request: What the request's body is.
    :param reply: What a 2xx reply carries.
    :param safe_to_retry: Sending it again changes nothing the first attempt did not (reads; documented
        idempotent actions such as an interrupt): retried on transient failures.
    :param may_start_work: An attempt may start a run or a cell. When its fate is unknown, the error says
        so and is an ``AirflowFailException``: Airflow does not retry the task either.
    :param unknown_fate: What may have happened when an attempt of an endpoint that is not safe to retry
        was sent and its answer lost, e.g. "the notebook may be running now".
    :param wording: The API's words for its client errors (401, 403, 404, 409), if it has its own.
    :param absent_api: What a 404 that is not the API's own ``{"error": ...}`` (or an HTML page instead
        of a reply) means: e.g. that the server predates the API. Empty: a 404 is worded as any other.
    """

    api: str
    name: str
    method: str
    path: str
    request: RequestKind = RequestKind.JSON
    reply: ReplyKind = ReplyKind.JSON
    safe_to_retry: bool = False
    may_start_work: bool = False
    unknown_fate: str = ""
    wording: Wording | None = field(default=None, compare=False, repr=False)
    absent_api: str = field(default="", compare=False, repr=False)
    #: Bytes a whole (not streamed) reply may have; None: ``replies.MAX_REPLY_BYTES``.
    max_reply_bytes: int | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.safe_to_retry and (self.may_start_work or self.unknown_fate):
            raise ValueError(f"{self.api} {self.name}: an endpoint safe to retry leaves no fate unknown")
        if not self.safe_to_retry and not self.unknown_fate:
            raise ValueError(
                f"{self.api} {self.name}: say what may have happened when a call's fate is unknown"
            )


@dataclass(frozen=True, slots=True)
class Call:
    """
    One call to an endpoint, described in the words an error message needs.

    :param endpoint: The endpoint called.
    :param path: The endpoint's path with its placeholders filled in.
    :param action: What the call does, e.g. "start a run of notebook alice/sales".
    :param query: Query parameters, sent with the path but not named in messages.
    :param bad_request_hint: Words a 400 adds: what in this request a server may not take.
    """

    endpoint: Endpoint
    path: str
    action: str
    notebook_id: str | None = None
    notebook_url: str | None = None
    run_id: str | None = None
    query: tuple[tuple[str, str], ...] = ()
    #: Words a 400 adds: what in this request a server may not take (e.g. options of a newer version).
    bad_request_hint: str = ""

    @classmethod
    def about_notebook(
        cls, endpoint: Endpoint, base_url: str, notebook_id: str, verb: str, **more: Any
    ) -> Call:
        """
        Return a call about one notebook, which its messages name with the notebook's page.

        :param notebook_id: ``"owner/notebook"``, checked.
        :param verb: What the call does to it, e.g. "start a run of": "start a run of notebook a/b".
        :param more: Further fields (``query``, ``bad_request_hint``).
        """
        return cls(
            endpoint,
            path=endpoint.path,
            action=f"{verb} notebook {notebook_id}",
            notebook_id=notebook_id,
            notebook_url=notebook_url(base_url, notebook_id),
            **more,
        )

    @property
    def method(self) -> str:
        """The endpoint's HTTP method."""
        return self.endpoint.method

    @property
    def where(self) -> str:
        """The method and path, e.g. ``GET /api/run/v1/abc``."""
        return f"{self.endpoint.method} {self.path}"

    @property
    def subject(self) -> str:
        """What the call is about: the run, or else the notebook."""
        return f"run {self.run_id}" if self.run_id else f"notebook {self.notebook_id}"


class AttemptFailed(Exception):
    """
    One attempt at a call failed; whether to try again, and what to tell the user, are decided from it.

    An attempt's failure, not yet the user's error: :func:`~airflow_provider_datalore.transport.failures.final_error`
    turns the last one into a ``DataloreError`` once no more attempts will be made.

    :param call: The call attempted.
    :param status: The HTTP status received, if any.
    :param failure: How the attempt failed when no status was received (or the body was unreadable).
    :param detail: What went wrong, already clipped, never holding the token.
    :param retry_after: Seconds the server asked to wait (``Retry-After``).
    :param location: The ``Location`` header of a redirect, clipped.
    :param server_message: The text of a Datalore API error reply (``{"error": ...}``), clipped; None
        when the reply had another shape (not from a Datalore API).
    :param server_state: The ``state`` of a Datalore error reply (a 409's kernel state), clipped.
    """

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
        server_state: str | None = None,
    ):
        super().__init__(detail)
        self.call = call
        self.status = status
        self.failure = failure
        self.detail = detail
        self.retry_after = retry_after
        self.location = location
        self.server_message = server_message
        self.server_state = server_state

    @property
    def retryable(self) -> bool:
        """Whether the call may be sent again (see :func:`~airflow_provider_datalore.transport.retry.is_retryable`)."""
        return is_retryable(self.call.endpoint, status=self.status, failure=self.failure)

    @property
    def reason(self) -> str:
        """The failure in a few words, e.g. ``HTTP 503: down`` or ``read timeout: ...``."""
        what = f"HTTP {self.status}" if self.status is not None else str(getattr(self.failure, "value", ""))
        return what + (f": {self.detail}" if self.detail else "")
