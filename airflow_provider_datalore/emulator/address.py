"""Where the emulator is reached: the path prefix of its API and the host its URL names."""

from __future__ import annotations

import ipaddress


def normalize_prefix(prefix: str) -> str:
    """Return ``prefix`` as ``""`` or ``/a/b`` (leading slash, no trailing slash); reject odd values."""
    if not isinstance(prefix, str):
        raise ValueError(f"prefix must be a string, got {prefix!r}")
    stripped = prefix.strip("/")
    if not stripped:
        return ""
    if any(c in stripped for c in "?#% ") or "//" in stripped:
        raise ValueError(f"prefix must be a plain path like '/datalore', got {prefix!r}")
    return f"/{stripped}"


def url_host(host: str, tls: bool) -> str:
    """Return the host a client should use to reach a server bound to ``host`` (``localhost`` with TLS)."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if tls and host == "127.0.0.1":
        return "localhost"
    return f"[{host}]" if ":" in host else host


def is_wildcard(host: str) -> bool:
    """Return whether ``host`` binds every address (``0.0.0.0``, ``::`` or empty)."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return host == ""
