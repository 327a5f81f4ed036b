"""One Run API call (``Call``) and one failed attempt at it (``AttemptFailed``)."""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_datalore import __version__
from airflow_provider_datalore.transport.retry import Failure, is_retryable

USER_AGENT = f"airflow-provider-datalore/{__version__}"


@dataclass(frozen=True, slots=True)
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
        """The method and path, e.g. ``GET /api/run/v1/abc``."""
        return f"{self.method} {self.path}"

    @property
    def subject(self) -> str:
        """What the call is about: the run, or else the notebook."""
        return f"run {self.run_id}" if self.run_id else f"notebook {self.notebook_id}"


class AttemptFailed(Exception):
    """
    One attempt at a call failed; whether to try again, and what to tell the user, are decided from it.

    :param call: The call attempted.
    :param status: The HTTP status received, if any.
    :param failure: How the attempt failed when no status was received (or the body was unreadable).
    :param detail: What went wrong, already clipped, never holding the token.
    :param retry_after: Seconds the server asked to wait (``Retry-After``).
    :param location: The ``Location`` header of a redirect, clipped.
    :param server_message: The text of a Datalore API error reply (``{"error": ...}``), clipped; None
        when the reply had another shape (not from the Run API).
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
    ):
        super().__init__(detail)
        self.call = call
        self.status = status
        self.failure = failure
        self.detail = detail
        self.retry_after = retry_after
        self.location = location
        self.server_message = server_message

    @property
    def retryable(self) -> bool:
        """Whether the call may be sent again (see :func:`~airflow_provider_datalore.transport.retry.is_retryable`)."""
        return is_retryable(self.call.method, status=self.status, failure=self.failure)

    @property
    def reason(self) -> str:
        """The failure in a few words, e.g. ``HTTP 503: down`` or ``read timeout: ...``."""
        what = f"HTTP {self.status}" if self.status is not None else str(getattr(self.failure, "value", ""))
        return what + (f": {self.detail}" if self.detail else "")
