"""A failed attempt turned into the error the user sees, and library exceptions classified."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.clipping import clip
from airflow_provider_datalore.exceptions import (
    DataloreApiError,
    DataloreApiUnavailableError,
    DataloreAuthenticationError,
    DataloreBadRequestError,
    DataloreConfigError,
    DataloreConflictError,
    DataloreError,
    DataloreForbiddenError,
    DataloreNotFoundError,
    DataloreRequestError,
    DataloreResponseError,
    DataloreRunMayHaveStartedError,
)
from airflow_provider_datalore.transport.retry import Failure

if TYPE_CHECKING:
    from airflow_provider_datalore.transport.calls import AttemptFailed, Call


def final_error(failed: AttemptFailed, attempts: int, conn_id: str) -> DataloreError:
    """
    Return the error the user sees once no more attempts will be made.

    :param failed: The last attempt's failure.
    :param attempts: How many attempts were made.
    :param conn_id: The Airflow connection, named where the user should look.
    """
    call, status = failed.call, failed.status
    if call.endpoint.absent_api and _not_the_api(failed):
        return DataloreApiUnavailableError(
            f"Could not {call.action} ({call.where}): {failed.reason}, not the {call.endpoint.api}'s own "
            f"answer, so {call.endpoint.absent_api}. Check the host of Airflow connection {conn_id!r} too.",
            http_status=status,
            endpoint=call.where,
        )
    if status in _CLIENT_ERRORS:
        error_class, explain = _CLIENT_ERRORS[status]
        server = f": {failed.detail}" if failed.detail else ""
        wording = call.endpoint.wording
        message = (wording and wording(call, status, conn_id, server)) or explain(call, conn_id, server)
        if status == 400 and call.bad_request_hint:
            message = f"{message} {call.bad_request_hint}"
        error = error_class(
            message, http_status=status, endpoint=call.where, server_message=failed.server_message
        )
        error.server_state = failed.server_state
        return error
    if status is not None and 300 <= status < 400:
        return DataloreConfigError(
            f"Datalore answered {call.where} with a redirect (HTTP {status}) to {failed.location!r}. "
            f"Redirects are not followed, so the API token never goes to another address: set the host "
            f"of Airflow connection {conn_id!r} to the server's final URL (https:// rather than http://?)."
        )
    if failed.failure is Failure.TLS:
        return DataloreConfigError(
            f"Could not {call.action} ({call.where}): TLS verification failed ({failed.detail}). For an "
            f"On-Premises server with an internal CA, set 'CA bundle path' in Airflow connection {conn_id!r}."
        )
    if _fate_unknown(failed):
        what = f"{failed.reason}. The request may have reached Datalore"
        if call.endpoint.may_start_work:
            return may_have_started(call, what, status)
        return DataloreRequestError(
            f"Could not {call.action} ({call.where}): {what}, so {call.endpoint.unknown_fate}. It is not "
            "retried: check in Datalore before running the task again.",
            http_status=status,
            endpoint=call.where,
        )
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if failed.failure is Failure.BAD_BODY:
        return DataloreResponseError(f"Could not {call.action} ({call.where}){tries}: {failed.reason}")
    return DataloreRequestError(
        f"Could not {call.action} ({call.where}){tries}: {failed.reason}",
        http_status=status,
        endpoint=call.where,
        server_message=failed.server_message,
    )


def may_have_started(call: Call, what: str, status: int | None = None) -> DataloreRunMayHaveStartedError:
    """
    Return the error for a call that may have started work: say so, where to look, and that no one retries.

    :param what: What went wrong, e.g. "HTTP 502: Bad gateway. The request may have reached Datalore".
    """
    happened = f"Could not {call.action} ({call.where}): {what}, so {call.endpoint.unknown_fate}."
    error = DataloreRunMayHaveStartedError(
        f"{happened} It is not retried, to avoid a duplicate run, and Airflow does not retry the task "
        f"either: check {call.notebook_url} before running the task again.",
        http_status=status,
        endpoint=call.where,
    )
    error.what_happened = happened
    return error


def _not_the_api(failed: AttemptFailed) -> bool:
    """Whether a reply came from something other than the API: a 404 not in its shape, or an HTML page."""
    if failed.status == 404 and failed.server_message is None:
        return True
    # A 2xx whose body is an HTML page (a web app's or a proxy's), not the JSON the API documents.
    head = (failed.detail or "").removeprefix("not JSON: ").lstrip().lower()
    return failed.failure is Failure.BAD_BODY and head.startswith(("<!doctype html", "<html"))


def _fate_unknown(failed: AttemptFailed) -> bool:
    """Whether a failed call that is not safe to repeat may have reached Datalore (a 5xx, or sent and lost)."""
    if failed.call.endpoint.safe_to_retry or failed.retryable or failed.failure is Failure.OTHER:
        return False
    return failed.status is None or failed.status >= 500


def _bad_request(call: Call, conn_id: str, server: str) -> str:
    return f"Datalore rejected the request to {call.action} ({call.where}) as invalid (HTTP 400){server}"


def _unauthorized(call: Call, conn_id: str, server: str) -> str:
    message = (
        f"Datalore refused the API token (HTTP 401) when asked to {call.action} ({call.where}){server}. "
        f"The token is missing, invalid or expired: check the password of Airflow connection {conn_id!r}."
    )
    if call.run_id:
        where = f"follow it at {call.notebook_url}" if call.notebook_url else "follow it in Datalore"
        message += (
            f" If it expired while the task waited (Datalore tokens last 30 minutes to a year), run "
            f"{call.run_id} goes on in Datalore: {where}, and renew the token."
        )
    return message


def _forbidden(call: Call, conn_id: str, server: str) -> str:
    return (
        f"Datalore refused to {call.action} ({call.where}, HTTP 403){server}: the API token of Airflow "
        f"connection {conn_id!r} has no access to {call.subject}, or its scope does not cover the "
        f"{call.endpoint.api} (Datalore 2026.2 tokens can be limited to one notebook or to an API scope)."
    )


def _not_found(call: Call, conn_id: str, server: str) -> str:
    return (
        f"Datalore could not {call.action} ({call.where}, HTTP 404){server}: it was not found, or "
        f"{call.subject} is not shared with the API token of Airflow connection {conn_id!r}."
    )


def _conflict(call: Call, conn_id: str, server: str) -> str:
    return (
        f"Datalore could not {call.action} ({call.where}, HTTP 409){server}: the notebook's kernel is not "
        "in the state this needs (Datalore names the state it is in)."
    )


_CLIENT_ERRORS: dict[int, tuple[type[DataloreApiError], Any]] = {
    400: (DataloreBadRequestError, _bad_request),
    401: (DataloreAuthenticationError, _unauthorized),
    403: (DataloreForbiddenError, _forbidden),
    404: (DataloreNotFoundError, _not_found),
    409: (DataloreConflictError, _conflict),
}


def classify_requests_error(exc: BaseException) -> Failure:
    """
    Return how a ``requests`` call (or the raw read of its body) failed, telling "nothing was sent"
    from "sent, then lost". What cannot be told apart counts as "sent, then lost": never retried for a call that is not safe to retry.
    """
    import ssl

    import requests
    from requests import exceptions as rex
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

    if isinstance(exc, rex.SSLError) or caused_by(exc, (ssl.SSLError,)):
        return Failure.TLS
    if isinstance(exc, rex.ConnectTimeout):
        return Failure.CONNECT
    if isinstance(exc, (rex.ReadTimeout, ReadTimeoutError, TimeoutError)):
        return Failure.READ_TIMEOUT
    if isinstance(exc, rex.ConnectionError) and caused_by(exc, (NewConnectionError, ConnectTimeoutError)):
        return Failure.CONNECT
    if isinstance(exc, (rex.InvalidURL, rex.InvalidHeader, rex.MissingSchema, rex.InvalidSchema)):
        return Failure.OTHER  # refused before anything was sent
    if isinstance(exc, requests.RequestException) and not isinstance(
        exc, (rex.ConnectionError, rex.ChunkedEncodingError, rex.ContentDecodingError)
    ):
        return Failure.OTHER
    # Lost after it was sent, as far as anyone can tell (reset, closed, a broken reply).
    return Failure.CONNECTION_LOST


def classify_aiohttp_error(exc: BaseException) -> Failure:
    """Return how an aiohttp call failed, telling "nothing was sent" from "sent, then lost"."""
    import asyncio
    import ssl

    import aiohttp

    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError, ssl.SSLError)):
        return Failure.TLS
    # aiohttp < 3.10 has no ConnectionTimeoutError: its connect timeouts are ServerTimeoutErrors (below).
    connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", ())
    if isinstance(exc, (aiohttp.ClientConnectorError, connect_timeout)):
        return Failure.CONNECT
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return Failure.READ_TIMEOUT
    if isinstance(exc, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, OSError)):
        return Failure.CONNECTION_LOST
    return Failure.OTHER


def caused_by(exc: BaseException, types: tuple[type[BaseException], ...]) -> bool:
    """Whether ``exc`` or anything in its chain of causes, contexts and reasons is one of ``types``."""
    return any(isinstance(item, types) for item in _chain(exc))


def describe(exc: BaseException) -> str:
    """
    Return a library exception in a few words: its type, and the operating system's or OpenSSL's reason.

    Never the library's own text: requests' and aiohttp's messages can quote a request header, and so
    the token (an ``InvalidHeader`` quotes the header's value).
    """
    import ssl

    reason = ""
    for item in _chain(exc):
        # aiohttp's certificate error is an SSLCertVerificationError without the attributes.
        if getattr(item, "verify_message", None):
            reason = str(getattr(item, "verify_message", ""))
        elif isinstance(item, ssl.SSLError) and getattr(item, "reason", None):
            reason = str(item.reason)
        elif isinstance(item, OSError) and item.errno is not None and item.strerror:
            reason = f"[Errno {item.errno}] {item.strerror}"
        else:
            continue
        break
    name = type(exc).__name__
    return f"{name}: {clip(reason, 100)}" if reason else name


def _chain(exc: BaseException) -> list[BaseException]:
    """Return ``exc`` and every exception in its chain of causes, contexts and reasons."""
    found: list[BaseException] = []
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or any(item is seen for seen in found):
            continue
        found.append(item)
        stack.extend([item.__cause__, item.__context__, getattr(item, "reason", None), *item.args])
    return found
