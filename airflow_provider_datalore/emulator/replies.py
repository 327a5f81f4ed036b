"""Whole answers: status, body bytes and Content-Type; and the shapes of the answers a server may choose."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

#: Statuses whose answers carry no body (so a fault with one of them cannot send one either).
BODILESS_STATUSES = (204, 304)
JSON_TYPE = "application/json; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"
# What nginx in front of a server answers for a path it does not route.
_NGINX_404 = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@dataclass(frozen=True)
class Reply:
    """A whole answer: status, body bytes and their Content-Type (None: no Content-Type header)."""

    status: int
    body: bytes
    content_type: str | None = JSON_TYPE
    #: The JSON value ``body`` encodes, for a reply made by ``Reply.json``.
    data: Any = field(default=None, compare=False)

    @classmethod
    def json(cls, status: int, body: Any) -> Reply:
        """Return the answer carrying ``body`` as JSON, as ``web.json_response`` would send it."""
        return cls(status, json.dumps(body).encode(), data=body)

    @property
    def headers(self) -> dict[str, str]:
        """Return the headers that describe the body: its Content-Type, when it has one."""
        return {} if self.content_type is None else {"Content-Type": self.content_type}

    def response(self) -> web.Response:
        """Return the aiohttp response sending this answer, with its Content-Length."""
        from aiohttp import web  # heavy: imported when an answer is sent, not when the package is

        if self.status in BODILESS_STATUSES:
            return web.Response(status=self.status, headers=self.headers)
        return web.Response(status=self.status, body=self.body, headers=self.headers)

    def raw(self) -> bytes:
        """Return this answer as the bytes of an HTTP/1.1 response that closes the connection."""
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Unknown"
        head = f"HTTP/1.1 {self.status} {reason}\r\n"
        if self.content_type is not None:
            head += f"Content-Type: {self.content_type}\r\n"
        if self.status not in BODILESS_STATUSES:
            head += f"Content-Length: {len(self.body)}\r\n"
        return f"{head}Connection: close\r\n\r\n".encode("latin-1") + self.body


def interactive_reply(shape: str) -> Reply:
    """
    Return the answer to an interactive run that was started, in the server's ``interactive_reply`` shape.

    :param shape: ``json`` (200 ``{}``), ``empty`` (200, no body), ``text`` (200 ``OK``), ``no_content`` (204).
    """
    if shape == "empty":
        return Reply(200, b"", None)
    if shape == "text":
        return Reply(200, b"OK", TEXT_TYPE)
    if shape == "no_content":
        return Reply(204, b"", None)
    return Reply.json(200, {})


def not_found_reply(shape: str, path: str) -> Reply:
    """
    Return the 404 of a request outside the API's routes, in the server's ``unknown_path_reply`` shape.

    :param shape: ``text`` (plain ``Not Found``), ``spring_json`` (Spring Boot's JSON error), ``html``.
    :param path: the request's path, which a Spring Boot error names.
    """
    if shape == "spring_json":
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        body = {"timestamp": now, "status": 404, "error": "Not Found", "path": path}
        return Reply(404, json.dumps(body).encode(), "application/json", data=body)
    if shape == "html":
        return Reply(404, _NGINX_404, "text/html")
    return Reply(404, b"Not Found", TEXT_TYPE)
