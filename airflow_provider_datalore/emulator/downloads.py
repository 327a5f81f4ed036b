"""
A file's answer to ``/file``, streamed: headers first, then the bytes chunk by chunk as the client takes them.

The body is never built whole: a generated file is made 1 MiB at a time, an upload is read from disk 1 MiB
at a time (off the event loop), and each write waits for the socket to drain, so memory stays flat whatever
the file's size and the client's pace.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from airflow_provider_datalore.emulator.replies import Reply

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Generator, Mapping

    from aiohttp import web

    from airflow_provider_datalore.emulator.file_tree import StoredFile

OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class FileReply:
    """The 200 answer carrying a file: its name (for Content-Disposition), size and bytes, sent streamed."""

    name: str
    file: StoredFile
    #: Send a Content-Length (the server's ``file_content_length``); false: chunked transfer encoding.
    content_length: bool = True
    status: int = 200

    @property
    def size(self) -> int:
        """Return the file's size in bytes."""
        return self.file.size

    @property
    def headers(self) -> dict[str, str]:
        """Return the headers that describe the body: octet-stream, sent as an attachment named ``name``."""
        return {"Content-Type": OCTET_STREAM, "Content-Disposition": content_disposition(self.name)}

    async def prepare(
        self, request: web.Request, *, chunked: bool | None = None, headers: Mapping[str, str] | None = None
    ) -> web.StreamResponse:
        """
        Send the status line and headers, and return the response to write the body to.

        :param request: the request answered.
        :param chunked: override the reply's ``content_length`` setting: true sends no Content-Length.
        :param headers: more headers to send (a fault's ``Content-Encoding``).
        """
        from aiohttp import web  # heavy: imported when an answer is sent, not when the package is

        response = web.StreamResponse(status=self.status, headers={**self.headers, **(headers or {})})
        if chunked if chunked is not None else not self.content_length:
            response.enable_chunked_encoding()
        else:
            response.content_length = self.size
        await response.prepare(request)
        return response

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the file's bytes in chunks of at most 1 MiB, reading a file on disk off the event loop."""
        loop = asyncio.get_running_loop()
        source = self.file.chunks()
        try:
            while (chunk := await loop.run_in_executor(None, _next, source)) is not None:
                yield chunk
        finally:
            source.close()  # closes a file on disk when the client went away mid-file

    async def send(self, request: web.Request) -> web.StreamResponse:
        """Send the whole answer; stop quietly when the client goes away."""
        response = await self.prepare(request)
        try:
            async for chunk in self.chunks():
                await response.write(chunk)  # drains: memory stays flat whatever the client's pace
        except ConnectionError:
            pass
        return response


#: An endpoint's answer: whole, or a file streamed.
AnyReply = Reply | FileReply


async def respond(request: web.Request, reply: AnyReply) -> web.StreamResponse:
    """
    Return the response sending ``reply``: a whole one for aiohttp to send, a file's already streamed.

    :param request: the request answered.
    :param reply: the answer.
    """
    if isinstance(reply, FileReply):
        return await reply.send(request)
    return reply.response()


def content_disposition(name: str) -> str:
    """Return ``attachment; filename="<name>"``, with an ASCII fallback and ``filename*`` for other names."""
    plain = name.isascii() and name.isprintable() and '"' not in name and "\\" not in name
    if plain:
        return f'attachment; filename="{name}"'
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _next(source: Generator[bytes]) -> bytes | None:
    return next(source, None)
