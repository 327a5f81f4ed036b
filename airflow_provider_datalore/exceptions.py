"""Errors raised by the Datalore provider.

Every error is an ``AirflowException`` whose message names the notebook or run, the endpoint and what
the user can do about it. None of them ever carries the API token.
"""

from __future__ import annotations

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException


class DataloreError(AirflowException):
    """Base class of every error the Datalore provider raises."""


class DataloreConfigError(DataloreError):
    """The Datalore connection is unusable as configured (no token, bad host, bad extras)."""


class DataloreApiError(DataloreError):
    """
    A request to a Datalore API failed: Datalore answered with an HTTP error status, or (in
    ``DataloreRequestError`` and ``DataloreRunMayHaveStartedError``) no usable answer came.
    """

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        endpoint: str | None = None,
        server_message: str | None = None,
    ):
        super().__init__(message)
        #: The HTTP status received, or None when no answer came.
        self.http_status = http_status
        #: The method and path, e.g. ``POST /api/run/v1/notebook``.
        self.endpoint = endpoint
        #: The text of Datalore's ``{"error": ...}`` reply; None when the reply had another shape (HTML, a
        #: web framework's generic JSON error): then it did not come from a Datalore API.
        self.server_message = server_message
        #: The ``state`` of Datalore's error reply, if it had one (a 409 names the kernel's state).
        self.server_state: str | None = None


class DataloreBadRequestError(DataloreApiError):
    """HTTP 400: the request is malformed or carries invalid parameters."""


class DataloreAuthenticationError(DataloreApiError):
    """HTTP 401: the API token is missing, invalid or expired."""


class DataloreForbiddenError(DataloreApiError):
    """HTTP 403: the token has view-only access to the notebook, or its scope does not cover the API."""


class DataloreNotFoundError(DataloreApiError):
    """HTTP 404: the notebook is not shared with the token, or the run (cell, file) does not exist."""


class DataloreApiUnavailableError(DataloreApiError):
    """
    The server has no such API: an older Datalore (the Notebook API needs 2026.2 or later) answered 404
    with a page of its own, or a proxy answered with HTML, instead of the API's ``{"error": ...}``.
    """


class DataloreConflictError(DataloreApiError):
    """HTTP 409 (Notebook API): the notebook's kernel is not in the state the request needs (``server_state``)."""


class DataloreRequestError(DataloreApiError):
    """
    A request failed without a usable answer: a network failure, 429 or 5xx once the retries allowed for
    it are used up, or after a single try a failure that retrying cannot help (e.g. an invalid URL).
    """


class DataloreRunMayHaveStartedError(DataloreApiError, AirflowFailException):
    """
    A call that may start work (a run, a cell run) failed in a way that leaves open whether it did.

    Nothing tries again: not the hook, and not Airflow, since this is an ``AirflowFailException`` (the
    task fails without using its retries), because another try could start a second run.
    ``DataloreRunNotebookOperator(retry_uncertain_start=True)`` lets Airflow retry the task.
    """

    #: The message without what it says about retries.
    what_happened: str = ""


class DataloreResponseError(DataloreError):
    """Datalore answered with a body the provider cannot read (not JSON, or not the documented shape)."""


class DataloreRunFailedError(DataloreError):
    """The notebook run finished without success."""


class DataloreDownloadAfterRunError(DataloreError, AirflowFailException):
    """
    A run succeeded, then downloading its files failed, where a retry of the task would run the notebook
    again (Airflow below 3.3): the task fails without its retries.
    """


class DataloreRunTimeoutError(DataloreError):
    """Waiting for the run took longer than allowed; the run itself goes on in Datalore."""


class DataloreNotebookMismatchError(DataloreError, ValueError):
    """
    An argument does not fit the notebook as it is: a parameter for a control it does not have or a
    value that control does not take, an ``output_cells`` reference that matches no cell or several.
    Raised before anything in the notebook is changed.
    """
