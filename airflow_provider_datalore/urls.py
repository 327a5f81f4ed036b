"""Base URLs, notebook ids and notebook URLs: what the user types, turned into what the API takes."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from airflow_provider_datalore.clipping import show

DEFAULT_BASE_URL = "https://datalore.jetbrains.com"

NOTEBOOK_ID_FORMS = (
    "'owner/notebook' (the two ids after /notebook/ in the notebook's URL) or the notebook URL itself, "
    "e.g. 'https://datalore.jetbrains.com/notebook/owner/notebook'"
)

_ID_PART = r"[A-Za-z0-9_.~-]+"
_DOT_SEGMENTS = frozenset({".", ".."})
_NOTEBOOK_ID_RE = re.compile(rf"^({_ID_PART})/({_ID_PART})$")
_NOTEBOOK_PATH_RE = re.compile(
    rf"^(?P<prefix>.*?)/notebook/(?P<owner>{_ID_PART})/(?P<notebook>{_ID_PART})/?$"
)


def normalize_base_url(host: str | None, port: int | None = None) -> str:
    """
    Return the base URL of the Datalore server from a connection's host (and port).

    Empty means Datalore Cloud; a host without a scheme gets ``https://``; a path prefix (an
    On-Premises server behind a reverse proxy) is kept; the trailing slash is dropped.

    :param host: The connection's host: a URL or a bare host name.
    :param port: The connection's port, used when the host names none.
    :raises ValueError: The host is not an http(s) URL of a server.
    """
    raw = (host or "").strip()
    if not raw:
        return DEFAULT_BASE_URL if port is None else f"{DEFAULT_BASE_URL}:{port}"
    candidate = raw if "://" in raw else f"https://{raw}"
    try:
        parts = urlsplit(candidate)
    except ValueError:
        raise ValueError(
            f"Datalore host {show(raw)} is not a URL; expected e.g. 'https://datalore.example.com'"
        ) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(
            f"Datalore host {show(raw)} has scheme {show(parts.scheme)}; expected an http:// or https:// URL "
            "such as 'https://datalore.example.com'"
        )
    try:
        parsed_port = parts.port
    except ValueError:
        raise ValueError(
            f"Datalore host {show(raw)} has an invalid port; expected e.g. 'datalore.example.com:8443'"
        ) from None
    if not parts.hostname or parts.username or parts.password:
        raise ValueError(
            f"Datalore host {show(raw)} is not a server URL; expected e.g. 'https://datalore.example.com' "
            "(put the API token in the connection's password, not in the URL)"
        )
    if parts.query or parts.fragment:
        raise ValueError(
            f"Datalore host {show(raw)} carries a query or fragment; expected a plain server URL"
        )
    netloc = parts.netloc.lower()
    if parsed_port is None and port is not None:
        netloc = f"{netloc}:{port}"
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def is_loopback_host(host: str) -> bool:
    """Return whether a host name or address is this machine (``localhost`` or a loopback address)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(base_url: str) -> bool:
    """Return whether the URL's host is this machine."""
    return is_loopback_host(urlsplit(base_url).hostname or "")


def normalize_notebook_id(value: object, *, base_url: str) -> str:
    """
    Return the Run API notebook id ``"owner/notebook"`` from an id or a notebook URL.

    :param value: ``"owner/notebook"`` or ``https://host[/prefix]/notebook/owner/notebook`` (a trailing
        slash, query and fragment are allowed).
    :param base_url: The connection's base URL; a notebook URL must point at the same server.
    :raises ValueError: The value is neither form, or the URL names another server.
    """
    if not isinstance(value, str):
        raise ValueError(
            f"notebook_id {show(value)} is a {type(value).__name__}; expected a string, {NOTEBOOK_ID_FORMS}"
        )
    text = value.strip()
    if match := _NOTEBOOK_ID_RE.match(text):
        return _checked_id(value, match.group(1), match.group(2))
    if "://" not in text:
        raise ValueError(
            f"notebook_id {show(value)} is not a Datalore notebook id; expected {NOTEBOOK_ID_FORMS}"
        )
    try:
        parts = urlsplit(text)
    except ValueError:
        raise ValueError(
            f"notebook_id {show(value)} is not a valid URL; expected {NOTEBOOK_ID_FORMS}"
        ) from None
    path_match = _NOTEBOOK_PATH_RE.match(parts.path)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not path_match:
        hint = ""
        if re.match(rf"^/notebook/{_ID_PART}/?$", parts.path):
            hint = " (a link with a single id, like a published report's, is not a notebook id)"
        raise ValueError(
            f"notebook_id {show(value)} is not a Datalore notebook URL{hint}; expected {NOTEBOOK_ID_FORMS}"
        )
    base = urlsplit(base_url)
    if (parts.hostname, _port_of(parts)) != (base.hostname, _port_of(base)):
        raise ValueError(
            f"notebook_id {show(value)} points at host {show(parts.netloc)}, but the Datalore connection's host is "
            f"{base.netloc!r}; expected a notebook on {base.netloc!r} (or use a connection for {show(parts.netloc)})"
        )
    if path_match.group("prefix").rstrip("/") != base.path.rstrip("/"):
        raise ValueError(
            f"notebook_id {show(value)} has path prefix {show(path_match.group('prefix'))}, but the Datalore "
            f"connection's base URL is {base_url!r}; expected a URL under {base_url}/notebook/"
        )
    return _checked_id(value, path_match.group("owner"), path_match.group("notebook"))


def is_notebook_id(value: object) -> bool:
    """Return whether ``value`` is a Run API notebook id ``"owner/notebook"`` (for ids from a reply)."""
    match = _NOTEBOOK_ID_RE.match(value) if isinstance(value, str) else None
    return match is not None and not {match.group(1), match.group(2)} & _DOT_SEGMENTS


def _checked_id(value: str, owner: str, notebook: str) -> str:
    """Return ``owner/notebook``, refusing "." and "..", which would make a URL that means another path."""
    if {owner, notebook} & _DOT_SEGMENTS:
        raise ValueError(
            f"notebook_id {show(value)} has a part that is only dots; expected {NOTEBOOK_ID_FORMS}"
        )
    return f"{owner}/{notebook}"


def notebook_url(base_url: str, notebook_id: str) -> str:
    """Return the notebook's page in Datalore."""
    return f"{base_url}/notebook/{notebook_id}"


def absolute_url(base_url: str, path: str) -> str:
    """Return ``path`` (as the API gives it) as an absolute URL on the Datalore server."""
    if "://" in path:
        return path
    prefix = urlsplit(base_url).path
    if prefix and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix) :]
    return f"{base_url}/{path.lstrip('/')}"


def _port_of(parts) -> int | None:  # type: ignore[no-untyped-def]
    try:
        port = parts.port
    except ValueError:
        return None
    return port or {"http": 80, "https": 443}.get(parts.scheme.lower())
