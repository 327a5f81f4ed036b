"""Scripted faults on the wire: what each fault action sends, down to the byte where it must."""

from __future__ import annotations

import asyncio
import functools
import json
import struct
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from aiohttp import web

from airflow_provider_datalore.emulator.download_faults import drip_file, shape_file
from airflow_provider_datalore.emulator.downloads import AnyReply, FileReply, respond
from airflow_provider_datalore.emulator.fault_rules import FILE_ACTIONS, SHAPING_ACTIONS
from airflow_provider_datalore.emulator.replies import BODILESS_STATUSES, JSON_TYPE, Reply

if TYPE_CHECKING:
    from airflow_provider_datalore.emulator.config import Fault
    from airflow_provider_datalore.emulator.endpoints import Endpoint

#: Runs the request's real operation (once) and returns its answer.
Operate = Callable[[], Awaitable[AnyReply]]
#: The response for aiohttp to finish (a placeholder once a fault wrote to the socket itself) and the
#: status to journal (None when no response was sent).
Sent = tuple[web.StreamResponse, int | None]

# A partial response sent before the connection is aborted by the "reset" fault.
_RESET_RESPONSE = (
    b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{"runId": "'
)
# Sent by the "interim_1xx" fault before the final response.
INTERIM_RESPONSES = (
    b"HTTP/1.1 102 Processing\r\n\r\n"
    b"HTTP/1.1 103 Early Hints\r\nLink: </static/app.css>; rel=preload; as=style\r\n\r\n"
)
_FILLER = b"x" * (256 * 1024)  # one chunk of a "huge_body", written again and again
_BOMB_BLOCK = 1024 * 1024  # spaces compressed at a time for a "gzip_bomb"
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, no mtime, best compression


async def apply_fault(request: web.Request, fault: Fault, endpoint: Endpoint, operate: Operate) -> Sent:
    """
    Answer a request the way ``fault`` scripts it.

    :param request: the request, whose transport the wire-level faults write to or close.
    :param fault: the fault taken from the endpoint's queue.
    :param endpoint: the endpoint's row, whose ``malformed_body`` a ``malformed_json`` fault sends.
    :param operate: runs the real operation; called at most once, when the fault calls for it.
    """
    if fault.action == "delay":
        return await _delay(request, fault, operate)
    if fault.action in SHAPING_ACTIONS:
        return await _SHAPERS[fault.action](request, fault, await _shaped_reply(fault, operate))
    if fault.action in FILE_ACTIONS:
        return await shape_file(request, fault, await operate())
    real = await operate() if fault.process else None
    if fault.action is None:
        return _status_response(fault), fault.status
    if fault.action == "huge_body":
        return await _huge_body(request, fault, real)
    if fault.action == "gzip_bomb":
        return await _gzip_bomb(fault)
    if fault.action == "malformed_json":
        body = endpoint.malformed_body
        return web.Response(status=200, body=body, content_type="application/json"), 200
    transport = request.transport
    if transport is not None and fault.action == "reset":
        transport.write(_RESET_RESPONSE)
        await asyncio.sleep(0.05)
        transport.abort()
    elif transport is not None:  # "drop"
        transport.close()
    return web.Response(), None


def _own_reply(fault: Fault, status: int | None = None) -> Reply:
    """Return the fault's own answer: ``status`` (else the fault's, else 200) and ``body``, JSON or raw."""
    status = status or fault.status or 200
    if fault.content_type is not None:
        return Reply(status, fault.body.encode(fault.encoding or "utf-8"), fault.content_type)
    return Reply.json(status, fault.body if fault.body is not None else {"error": f"Injected {status}"})


async def _shaped_reply(fault: Fault, operate: Operate) -> AnyReply:
    """Return what a shaping fault sends: with ``process`` the real answer, the fault's status/body over it."""
    if not fault.process:
        return _own_reply(fault)
    real = await operate()
    status = real.status if fault.status is None else fault.status
    return replace(real, status=status) if fault.body is None else _own_reply(fault, status)


def _status_response(fault: Fault) -> web.Response:
    if fault.status in BODILESS_STATUSES:
        response = web.Response(status=fault.status)
    else:
        response = _own_reply(fault).response()
    if fault.retry_after is not None:
        response.headers["Retry-After"] = fault.retry_after
    if fault.location is not None:
        response.headers["Location"] = fault.location
    return response


async def _delay(request: web.Request, fault: Fault, operate: Operate) -> Sent:
    """Wait, then send the real answer; with ``process`` the operation runs before the wait."""
    real = await operate() if fault.process else None
    await asyncio.sleep(fault.seconds or 0.0)
    reply = real or await operate()
    return await respond(request, reply), reply.status


async def _drip(request: web.Request, fault: Fault, reply: AnyReply) -> Sent:
    """Send the status line and headers (with Content-Length) at once, then the body a byte at a time."""
    if isinstance(reply, FileReply):
        return await drip_file(request, fault, reply)
    response = web.StreamResponse(status=reply.status, headers=reply.headers)
    response.content_length = len(reply.body)
    await response.prepare(request)  # a StreamResponse sends its headers here, before any body
    await _trickle(response.write, reply.body, fault.seconds or 0.0)
    return response, reply.status


async def _drip_headers(request: web.Request, fault: Fault, reply: AnyReply) -> Sent:
    """Send the whole reply, status line first, a byte at a time; then close the connection."""
    assert isinstance(reply, Reply), "a file's answer is never sent whole (its row refuses drip_headers)"
    transport = request.transport
    if transport is None:
        return web.Response(), None
    await _trickle(_raw_writer(transport), reply.raw(), fault.seconds or 0.0)
    transport.close()
    return web.Response(), reply.status


async def _interim_1xx(request: web.Request, fault: Fault, reply: AnyReply) -> Sent:
    """Send a 102 and a 103 on the connection, then let aiohttp send the final reply (keep-alive)."""
    transport = request.transport
    if transport is None or transport.is_closing():
        return web.Response(), None
    transport.write(INTERIM_RESPONSES)
    return await respond(request, reply), reply.status


async def _close_idle(request: web.Request, fault: Fault, reply: AnyReply) -> Sent:
    """Send the reply as a keep-alive one, then close the connection ``seconds`` after it went out."""
    response = await respond(request, reply)
    if not response.prepared:
        await response.prepare(request)
    await response.write_eof()
    transport = request.transport
    if transport is not None:
        asyncio.get_running_loop().call_later(fault.seconds or 0.0, transport.close)
    return response, reply.status


_SHAPERS: dict[str, Callable[[web.Request, Fault, AnyReply], Awaitable[Sent]]] = {
    "drip": _drip,
    "drip_headers": _drip_headers,
    "interim_1xx": _interim_1xx,
    "close_idle": _close_idle,
}


async def _trickle(write: Callable[[bytes], Awaitable[None]], data: bytes, seconds: float) -> None:
    """Write ``data`` one byte every ``seconds``; stop quietly when the client goes away."""
    try:
        for index in range(len(data)):
            await asyncio.sleep(seconds)
            await write(data[index : index + 1])
    except ConnectionError:
        pass


def _raw_writer(transport: asyncio.Transport) -> Callable[[bytes], Awaitable[None]]:
    async def write(data: bytes) -> None:
        if transport.is_closing():
            raise ConnectionResetError("the client closed the connection")
        transport.write(data)

    return write


async def _huge_body(request: web.Request, fault: Fault, real: AnyReply | None) -> Sent:
    """Stream ``size`` bytes of one JSON document, chunk by chunk, never holding it in memory."""
    status, size = fault.status or 200, fault.size or 0
    run_id = real.data.get("runId") if isinstance(real, Reply) and isinstance(real.data, dict) else None
    head = f'{{"runId": {json.dumps(str(run_id or "huge-body")[:40])}, "status": "'.encode()
    tail = b'"}'
    response = web.StreamResponse(status=status, headers={"Content-Type": JSON_TYPE})
    if fault.content_length:
        response.content_length = size
    else:
        response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        await response.write(head)
        left = size - len(head) - len(tail)
        while left > 0:
            chunk = _FILLER if left >= len(_FILLER) else _FILLER[:left]
            await response.write(chunk)  # drains: memory stays flat whatever the client's pace
            left -= len(chunk)
        await response.write(tail)
    except ConnectionError:
        pass
    return response, status


async def _gzip_bomb(fault: Fault) -> Sent:
    """Send the cached gzip bomb of ``size`` inflated bytes, built off the event loop the first time."""
    body = await asyncio.get_running_loop().run_in_executor(None, gzip_bomb, fault.size or 0)
    status = fault.status or 200
    headers = {"Content-Type": JSON_TYPE, "Content-Encoding": "gzip"}
    return web.Response(status=status, body=body, headers=headers), status


@functools.lru_cache(maxsize=4)
def gzip_bomb(size: int) -> bytes:
    """Return a gzip stream inflating to ``size`` bytes (spaces, then ``{}``), built block by block."""
    tail = b"{}"
    blocks, rest = divmod(size - len(tail), _BOMB_BLOCK)
    block = b" " * _BOMB_BLOCK
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    last = block[:rest] + tail
    crc = zlib.crc32(last, crc)
    # A full flush resets the compressor, so every block of spaces compresses to the very same bytes:
    # compress one, repeat it, and end with a fresh final block.
    packed = _deflate(block, zlib.Z_FULL_FLUSH) if blocks else b""
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return _GZIP_HEADER + packed * blocks + _deflate(last, zlib.Z_FINISH) + trailer


def _deflate(data: bytes, mode: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(mode)
