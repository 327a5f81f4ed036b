"""The settings a hook reads from a ``datalore`` connection, validated."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_datalore.clipping import show
from airflow_provider_datalore.connection_form import CONN_TYPE, DEFAULT_CONN_ID, DEFAULT_TIMEOUT
from airflow_provider_datalore.exceptions import DataloreConfigError
from airflow_provider_datalore.urls import is_loopback_url, normalize_base_url

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Connection

log = logging.getLogger(__name__)

#: The longest request timeout a connection may set: a day.
MAX_TIMEOUT = 24 * 3600.0


class Secret(str):
    """A string that never shows itself in a repr (so not in dataclass reprs, logs of objects or tracebacks)."""

    def __repr__(self) -> str:
        return "'***'"


@dataclass(frozen=True)
class DataloreConnectionSettings:
    """What a hook needs from a ``datalore`` connection, validated."""

    conn_id: str
    base_url: str
    token: Secret = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    verify: bool | str = True

    @classmethod
    def from_connection(cls, conn: Connection, extras: dict[str, Any]) -> DataloreConnectionSettings:
        """
        Validate a connection and its (already decoded) extras.

        :raises DataloreConfigError: No token, a host that is not an http(s) URL, or bad extras.
        """
        conn_id = conn.conn_id or DEFAULT_CONN_ID
        try:
            base_url = normalize_base_url(conn.host, conn.port)
        except ValueError as err:
            raise DataloreConfigError(f"Airflow connection {conn_id!r}: {err}") from None
        token = _token(conn_id, conn.password)
        if base_url.startswith("http://") and not is_loopback_url(base_url):
            log.warning(
                "Airflow connection %r uses plain http (%s): the API token travels unencrypted. "
                "Use https:// unless this is a test server.",
                conn_id,
                base_url,
            )
        return cls(
            conn_id=conn_id,
            base_url=base_url,
            token=Secret(token),
            timeout=_timeout(conn_id, _extra(extras, "timeout")),
            verify=_verify(conn_id, extras),
        )


def _token(conn_id: str, password: str | None) -> str:
    """
    Return the API token: the password without surrounding white space (a pasted newline, say).

    A token is printable ASCII. Any other character would make the HTTP client raise an error that
    quotes the header, token included, so it is refused here, by position, without showing it.
    """
    token = (password or "").strip()
    if not token:
        raise DataloreConfigError(
            f"Airflow connection {conn_id!r} has no Datalore API token: put the token (Datalore: "
            "Account settings > API tokens) in the connection's password"
        )
    for position, char in enumerate(token, start=1):
        if not "!" <= char <= "~":
            kind = (
                "a space"
                if char == " "
                else "a control character"
                if char.isascii()
                else "a non-ASCII character"
            )
            raise DataloreConfigError(
                f"Airflow connection {conn_id!r} has an API token with {kind} at position {position} of "
                f"{len(token)}; a Datalore API token is printable ASCII with no spaces: copy it again "
                "(Datalore: Account settings > API tokens) into the connection's password"
            )
    return token


def _extra(extras: dict[str, Any], name: str) -> Any:
    value = extras.get(name)
    if value is None or value == "":
        value = extras.get(f"extra__{CONN_TYPE}__{name}")
    return None if value == "" else value


def _timeout(conn_id: str, value: Any) -> float:
    """Return the seconds one request may take in all (``inf`` or ``1e308`` would overflow the timers)."""
    if value is None:
        return DEFAULT_TIMEOUT
    try:
        timeout = float(value)
    except (TypeError, ValueError, OverflowError):
        timeout = -1.0
    if isinstance(value, bool) or not 0 < timeout <= MAX_TIMEOUT:
        raise DataloreConfigError(
            f"Airflow connection {conn_id!r} has timeout {show(value)} in its extras; expected a number of "
            f"seconds > 0 and at most {MAX_TIMEOUT:g}"
        )
    return timeout


def _verify(conn_id: str, extras: dict[str, Any]) -> bool | str:
    """
    Return how to verify the server's certificate: False (not at all), True (the usual CAs) or a CA bundle.

    ``verify_ssl`` is a boolean. The short form ``verify`` is a boolean or, as in requests, a CA bundle
    path. ``ca_bundle`` names the CA bundle; it is ignored when verification is off.
    """
    ca_bundle = _extra(extras, "ca_bundle")
    name, value = "verify_ssl", _extra(extras, "verify_ssl")
    if value is None:
        name, value = "verify", _extra(extras, "verify")
        if isinstance(value, str) and value.lower() not in _BOOLEAN_WORDS:
            ca_bundle, value = ca_bundle or value, True
    if not _boolean(conn_id, name, value):
        return False
    if ca_bundle is None:
        return True
    if not isinstance(ca_bundle, str) or not os.path.exists(ca_bundle):
        raise DataloreConfigError(
            f"Airflow connection {conn_id!r} has ca_bundle {show(ca_bundle)} in its extras; expected the "
            "path of an existing PEM file on this machine"
        )
    return ca_bundle


def _boolean(conn_id: str, name: str, value: object) -> bool:
    """Return a boolean extra (a bool or a word like "false"); absent means True."""
    if value is None:
        return True
    if isinstance(value, str) and value.lower() in _BOOLEAN_WORDS:
        return _BOOLEAN_WORDS[value.lower()]
    if not isinstance(value, bool):
        raise DataloreConfigError(
            f"Airflow connection {conn_id!r} has {name} {show(value)} in its extras; expected true or false"
        )
    return value


_BOOLEAN_WORDS = {
    "true": True,
    "on": True,
    "yes": True,
    "1": True,
    "false": False,
    "off": False,
    "no": False,
    "0": False,
}
