"""
What a hostile file server does to a ``/file`` download: the fault actions on a file's streamed body.

- ``cut``: the headers as usual (Content-Length, unless the server's ``file_content_length`` is off), then
  ``size`` bytes of the file (default: half; at most all but its last byte), then the connection closed.
- ``overlong``: a Content-Length of the file's size (whatever ``file_content_length`` says), the whole
  file, then ``size`` more bytes (``#``, default 1024), then the connection closed (the surplus would
  otherwise be read as the next response).
- ``gzip_body``: the file gzipped on the fly with ``Content-Encoding: gzip``, chunked, whatever the client
  asked for in ``Accept-Encoding``.
- ``drip`` (a shaping action that also applies to a file): the headers at once, then the body one byte
  every ``seconds``: meant for small files.

Each needs the real answer; when the file is not served (a 404, a 403), that error goes out unchanged.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import TYPE_CHECKING

from airflow_provider_datalore.emulator.downloads import FileReply

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web

    from airflow_provider_datalore.emulator.config import Fault
    from airflow_provider_datalore.emulator.downloads import AnyReply

#: The response for aiohttp to finish and the status to journal (as ``faults.Sent``).
Sent = tuple["web.StreamResponse", int | None]
#: What ``overlong`` sends past the Content-Length.
SURPLUS_BYTE = b"#"
#: gzip's level for ``gzip_body``: the fastest, so that the fault does not slow the download down.
_GZIP_LEVEL = 1


async def shape_file(request: web.Request, fault: Fault, reply: AnyReply) -> Sent:
    """
    Send the real answer of a ``/file`` request the way a file-body fault scripts it.

    :param request: the request, whose connection ``cut`` and ``overlong`` close.
    :param fault: a ``cut``, ``overlong`` or ``gzip_body`` fault.
    :param reply: the real answer: a file, or an error sent unchanged.
    """
    if not isinstance(reply, FileReply):
        return reply.response(), reply.status
    return await _SHAPERS[fault.action or ""](request, fault, reply)


async def drip_file(request: web.Request, fault: Fault, reply: FileReply) -> Sent:
    """Send a file's headers at once, then its body a byte every ``seconds``; stop when the client goes."""
    response = await reply.prepare(request)
    try:
        async for chunk in reply.chunks():
            for index in range(len(chunk)):
                await asyncio.sleep(fault.seconds or 0.0)
                await response.write(chunk[index : index + 1])
    except ConnectionError:
        pass
    return response, reply.status


async def _cut(request: web.Request, fault: Fault, reply: FileReply) -> Sent:
    limit = reply.size // 2 if fault.size is None else min(fault.size, max(reply.size - 1, 0))
    response = await reply.prepare(request)
    left = limit
    try:
        async for chunk in reply.chunks():
            if left <= 0:
                break
            await response.write(chunk[:left])
            left -= min(len(chunk), left)
    except ConnectionError:
        pass
    _close(request)
    return response, reply.status


async def _overlong(request: web.Request, fault: Fault, reply: FileReply) -> Sent:
    response = await reply.prepare(request, chunked=False)
    try:
        async for chunk in reply.chunks():
            await response.write(chunk)
    except ConnectionError:
        return response, reply.status
    # Past the Content-Length, aiohttp's writer would drop the bytes: they go to the socket itself.
    transport = request.transport
    if transport is not None and not transport.is_closing():
        transport.write(SURPLUS_BYTE * (fault.size or 0))
    _close(request)
    return response, reply.status


async def _gzip_body(request: web.Request, fault: Fault, reply: FileReply) -> Sent:
    response = await reply.prepare(request, chunked=True, headers={"Content-Encoding": "gzip"})
    compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    try:
        async for chunk in reply.chunks():
            if packed := compressor.compress(chunk):
                await response.write(packed)
        await response.write(compressor.flush())
    except ConnectionError:
        pass
    return response, reply.status


def _close(request: web.Request) -> None:
    """Close the connection once what was written has gone out."""
    if request.transport is not None:
        request.transport.close()


_SHAPERS: dict[str, Callable[[web.Request, Fault, FileReply], Awaitable[Sent]]] = {
    "cut": _cut,
    "overlong": _overlong,
    "gzip_body": _gzip_body,
}
