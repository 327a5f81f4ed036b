"""
Streamed downloads and uploads, sync and async, against a real HTTP server on loopback.

The server (``conftest.py``) is an aiohttp application in a thread of its own; each test gives it a
handler and reads what reached it. The same tests run the blocking and the non-blocking client.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import json
import os
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from airflow_provider_datalore.exceptions import (
    DataloreError,
    DataloreNotFoundError,
    DataloreRequestError,
    DataloreResponseError,
)
from airflow_provider_datalore.notebook_api.endpoints import FILE, FILE_UPLOAD, FILES
from airflow_provider_datalore.transport.calls import Call
from airflow_provider_datalore.transport.retry import RetryPolicy
from airflow_provider_datalore.transport.streams import CHUNK_BYTES, Downloaded
from tests.constants import TOKEN
from tests.transport.conftest import Client

if TYPE_CHECKING:
    from collections.abc import Awaitable
    from pathlib import Path

    from tests.transport.conftest import Seen

DOWNLOAD = Call(FILE, FILE.path, "download data.csv of notebook alice/sales", notebook_id="alice/sales")
DOWNLOAD_BODY = {"notebookId": {"ownerId": "alice", "notebookId": "sales"}, "filePath": "data.csv"}
UPLOAD = Call(
    FILE_UPLOAD,
    FILE_UPLOAD.path,
    "upload data.csv to notebook alice/sales",
    notebook_id="alice/sales",
    query=(("ownerId", "alice"), ("notebookId", "sales"), ("directory", "in put/é")),
)
UPLOAD_READ = Call(FILES, FILES.path, "list the files of notebook alice/sales", query=UPLOAD.query)
MIB = 1024 * 1024
UPLOADED = {"fileName": "data.csv", "status": "uploaded"}


class RecordingSink(io.BytesIO):
    """A sink that remembers the size of every write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[int] = []

    def write(self, data: Any) -> int:
        self.writes.append(len(data))
        return super().write(data)


class PipeSink:
    """A sink that cannot be rewound (no seek, no truncate), like a pipe."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)


class CountingFile(io.FileIO):
    """A file that remembers the size of every read asked of it."""

    reads: list[int]

    def read(self, size: int | None = -1) -> bytes:
        self.reads = [*getattr(self, "reads", []), -1 if size is None else size]
        return super().read(size)


def assert_no_token(error: BaseException) -> None:
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error.args)


# -- Downloads ---------------------------------------------------------------------------------------


def test_download_streams_every_byte_to_the_sink_in_bounded_chunks(server, make_client):
    data = os.urandom(3 * MIB)
    server.handler = lambda request, n: server.stream(request, data)
    sink = RecordingSink()

    result = make_client().download(DOWNLOAD, DOWNLOAD_BODY, sink, max_bytes=4 * MIB)

    assert sink.getvalue() == data
    assert result == Downloaded(
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), content_type="text/csv"
    )
    # Bounded memory: the body came in many chunks, none larger than the client's chunk.
    assert max(sink.writes) <= CHUNK_BYTES
    assert len(sink.writes) >= len(data) // CHUNK_BYTES
    (seen,) = server.seen
    assert (seen.method, seen.path) == ("POST", "/api/notebook/v1/file")
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["Accept-Encoding"] == "identity"
    assert seen.headers["Content-Type"].startswith("application/json")
    assert json.loads(seen.body) == DOWNLOAD_BODY


def test_download_announced_above_max_bytes_fails_before_reading_and_is_not_retried(server, make_client):
    server.handler = lambda request, n: asyncio.sleep(0, web.Response(body=b"x" * 1000))
    sink = RecordingSink()

    with pytest.raises(DataloreResponseError) as caught:
        make_client().download(DOWNLOAD, DOWNLOAD_BODY, sink, max_bytes=500)

    message = str(caught.value)
    assert "download data.csv of notebook alice/sales (POST /api/notebook/v1/file)" in message
    assert "announces 1000 bytes" in message
    assert "max_bytes=500" in message
    assert "not retried" in message
    assert sink.writes == []
    assert len(server.seen) == 1
    assert_no_token(caught.value)


def test_download_streaming_past_max_bytes_stops_and_is_not_retried(server, make_client):
    data = os.urandom(400 * 1024)
    server.handler = lambda request, n: server.stream(request, data, length=False)
    sink = RecordingSink()

    with pytest.raises(DataloreResponseError) as caught:
        make_client().download(DOWNLOAD, DOWNLOAD_BODY, sink, max_bytes=100 * 1024)

    assert "larger than max_bytes=102400" in str(caught.value)
    assert len(sink.getvalue()) <= 100 * 1024
    assert len(server.seen) == 1
    assert_no_token(caught.value)


def test_download_from_a_slow_server_ends_at_the_attempt_deadline(server, make_client):
    async def trickle(request: web.Request, n: int) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 1000
        await response.prepare(request)
        for _ in range(100):  # a byte every 50 ms: every read is quick, the whole is not
            await response.write(b"x")
            await asyncio.sleep(0.05)
        return response

    server.handler = trickle
    started = time.monotonic()

    with pytest.raises(DataloreRequestError) as caught:
        make_client(attempts=1, timeout=0.5).download(DOWNLOAD, DOWNLOAD_BODY, RecordingSink(), max_bytes=MIB)

    assert time.monotonic() - started < 3
    assert "read timeout" in str(caught.value)
    assert_no_token(caught.value)


def test_download_retried_after_a_broken_body_starts_the_sink_again(server, make_client):
    data = os.urandom(512 * 1024)

    async def break_first(request: web.Request, n: int) -> web.StreamResponse:
        if n > 1:
            return await server.stream(request, data)
        response = web.StreamResponse()
        response.content_length = len(data)
        await response.prepare(request)
        await response.write(data[: len(data) // 2])
        await asyncio.sleep(0.1)  # let the half reach the client, then drop the connection
        assert request.transport is not None
        request.transport.abort()
        return response

    server.handler = break_first
    sink = RecordingSink()

    result = make_client().download(DOWNLOAD, DOWNLOAD_BODY, sink, max_bytes=MIB)

    assert sum(sink.writes) > len(data)  # the first half did reach the sink before the retry
    assert sink.getvalue() == data
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert len(server.seen) == 2


def test_download_into_a_sink_that_cannot_be_rewound_is_not_retried_once_written(server, make_client):
    async def break_body(request: web.Request, n: int) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 200 * 1024
        await response.prepare(request)
        await response.write(b"x" * 100 * 1024)
        await asyncio.sleep(0.1)
        assert request.transport is not None
        request.transport.abort()
        return response

    server.handler = break_body

    with pytest.raises(DataloreRequestError) as caught:
        make_client().download(DOWNLOAD, DOWNLOAD_BODY, PipeSink(), max_bytes=MIB)

    assert "cannot be rewound" in str(caught.value)
    assert len(server.seen) == 1
    assert_no_token(caught.value)


def test_download_error_reply_is_the_typed_error_and_writes_nothing(server, make_client):
    server.handler = lambda request, n: asyncio.sleep(
        0, web.json_response({"error": "No such file: data.csv"}, status=404)
    )
    sink = RecordingSink()

    with pytest.raises(DataloreNotFoundError) as caught:
        make_client().download(DOWNLOAD, DOWNLOAD_BODY, sink, max_bytes=MIB)

    assert "No such file: data.csv" in str(caught.value)
    assert sink.writes == []
    assert_no_token(caught.value)


def test_download_retries_a_503_and_then_streams(server, make_client):
    data = b"a,b\n1,2\n"
    server.handler = lambda request, n: (
        asyncio.sleep(0, web.Response(status=503, text="down")) if n == 1 else server.stream(request, data)
    )
    sink = RecordingSink()

    assert make_client().download(DOWNLOAD, DOWNLOAD_BODY, sink, max_bytes=MIB).size == len(data)
    assert sink.getvalue() == data
    assert len(server.seen) == 2


def test_download_compressed_although_not_asked_is_refused(server, make_client):
    body = gzip.compress(b"a,b\n" * 1000)
    server.handler = lambda request, n: asyncio.sleep(
        0, web.Response(body=body, headers={"Content-Encoding": "gzip"})
    )
    sink = RecordingSink()

    with pytest.raises(DataloreResponseError) as caught:
        make_client().download(DOWNLOAD, DOWNLOAD_BODY, sink, max_bytes=MIB)

    assert "Content-Encoding 'gzip'" in str(caught.value)
    assert sink.writes == []
    assert len(server.seen) == 1


# -- Uploads -----------------------------------------------------------------------------------------


def only_part(seen: Seen) -> tuple[str, bytes]:
    """Return the headers and content of the one part of a multipart body, checking its framing."""
    content_type = seen.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    opening, closing = b"--" + boundary + b"\r\n", b"\r\n--" + boundary + b"--\r\n"
    assert seen.body.startswith(opening)
    assert seen.body.endswith(closing)
    part = seen.body[len(opening) : -len(closing)]
    headers, content = part.split(b"\r\n\r\n", 1)
    assert b"\r\n--" + boundary not in content  # one part only
    return headers.decode(), content


def uploaded(request: web.Request, n: int) -> Awaitable[web.Response]:
    return asyncio.sleep(0, web.json_response(UPLOADED))


def test_upload_sends_the_file_as_one_multipart_part_with_the_query(server, make_client, tmp_path):
    data = b"a,b\r\n1,2\r\n--not-a-boundary\r\n"
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    server.handler = uploaded

    with path.open("rb") as fileobj:
        reply = make_client().upload(UPLOAD, fileobj, "data.csv")
        assert not fileobj.closed  # the caller's file is the caller's to close

    assert reply == UPLOADED
    (seen,) = server.seen
    assert (seen.method, seen.path) == ("POST", "/api/notebook/v1/file/upload")
    assert seen.query == {"ownerId": "alice", "notebookId": "sales", "directory": "in put/é"}
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    headers, content = only_part(seen)
    assert content == data
    assert 'form-data; name="file"; filename="data.csv"' in headers
    assert "Content-Type: application/octet-stream" in headers


def test_upload_of_20_mib_streams_from_the_file(server, make_client, tmp_path: Path):
    data = os.urandom(20 * MIB)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    server.handler = uploaded

    with CountingFile(path, "rb") as fileobj:
        assert make_client(timeout=60).upload(UPLOAD, fileobj, "big.bin") == UPLOADED
        reads = fileobj.reads

    _, content = only_part(server.seen[0])
    assert hashlib.sha256(content).digest() == hashlib.sha256(data).digest()
    # Read a block at a time as the body went out, never the whole file at once.
    assert len(reads) > 20
    assert all(0 < size <= MIB for size in reads), sorted(set(reads))


def test_upload_refused_with_429_is_sent_again_from_the_start(server, make_client, tmp_path):
    data = os.urandom(300 * 1024)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    server.handler = lambda request, n: (
        asyncio.sleep(0, web.Response(status=429, headers={"Retry-After": "0"}))
        if n == 1
        else uploaded(request, n)
    )

    with path.open("rb") as fileobj:
        assert make_client().upload(UPLOAD, fileobj, "data.bin", field="attachment") == UPLOADED

    assert len(server.seen) == 2
    assert [only_part(seen)[1] for seen in server.seen] == [data, data]
    assert 'form-data; name="attachment"; filename="data.bin"' in only_part(server.seen[1])[0]


def test_upload_answered_503_is_not_sent_again(server, make_client, tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n")
    server.handler = lambda request, n: asyncio.sleep(0, web.Response(status=503, text="down"))

    with path.open("rb") as fileobj, pytest.raises(DataloreRequestError) as caught:
        make_client().upload(UPLOAD, fileobj, "data.csv")

    assert "the file may have been uploaded" in str(caught.value)
    assert len(server.seen) == 1
    assert_no_token(caught.value)


def test_upload_from_an_fsspec_like_file_announces_its_length(server, make_client):
    # An fsspec file (S3, GCS) has no working fileno() and no getvalue(): the encoder alone cannot size it.
    data = os.urandom(200 * 1024)
    fileobj = io.BufferedReader(io.BytesIO(data))  # type: ignore[arg-type]
    fileobj.read(10)  # sent from where the caller left it
    server.handler = uploaded

    assert make_client().upload(UPLOAD, fileobj, "data.bin") == UPLOADED

    (seen,) = server.seen
    assert only_part(seen)[1] == data[10:]
    if make_client().kind == "sync":
        assert int(seen.headers["Content-Length"]) == len(seen.body)


def test_upload_of_a_pipe_is_refused_by_the_blocking_client_unless_its_size_is_given(server, tmp_path):
    server.handler = uploaded
    client = Client("sync", server.url, RetryPolicy(max_attempts=3, base_delay=0, max_delay=0), 10)
    read_end, write_end = os.pipe()
    os.write(write_end, b"a,b\n1,2\n")
    os.close(write_end)
    with open(read_end, "rb", buffering=0) as pipe:
        with pytest.raises(DataloreError) as caught:
            client.upload(UPLOAD, pipe, "data.csv")
        assert "cannot seek, so its size is unknown; pass size=" in str(caught.value)
        assert server.seen == []

        assert client.upload(UPLOAD, pipe, "data.csv", size=8) == UPLOADED
    assert only_part(server.seen[0])[1] == b"a,b\n1,2\n"


def test_upload_of_a_pipe_refused_with_429_is_not_sent_again(server, make_client):
    server.handler = lambda request, n: asyncio.sleep(
        0, web.Response(status=429, headers={"Retry-After": "0"})
    )
    read_end, write_end = os.pipe()
    os.write(write_end, b"a,b\n")
    os.close(write_end)
    client = make_client()
    sized = {"size": 4} if client.kind == "sync" else {}

    with open(read_end, "rb", buffering=0) as pipe, pytest.raises(DataloreRequestError) as caught:
        client.upload(UPLOAD, pipe, "data.csv", **sized)

    assert "the file cannot be rewound (it has no seek()), so it is not sent again" in str(caught.value)
    assert len(server.seen) == 1
    assert_no_token(caught.value)


def test_download_into_a_sink_that_fails_to_write_stops_and_is_not_retried(server, make_client):
    class FullDisk(RecordingSink):
        def write(self, data: Any) -> int:
            if self.writes:
                raise OSError(28, "No space left on device")
            return super().write(data)

    server.handler = lambda request, n: server.stream(request, os.urandom(MIB))

    sink = FullDisk()
    with pytest.raises(DataloreError) as caught:
        make_client().download(DOWNLOAD, DOWNLOAD_BODY, sink, max_bytes=2 * MIB)

    (first,) = sink.writes  # the one write that succeeded
    assert 0 < first <= CHUNK_BYTES
    assert f"writing to the sink failed after {first} bytes" in str(caught.value)
    assert "No space left on device" in str(caught.value)
    assert len(server.seen) == 1


@pytest.mark.parametrize(
    ("cpus", "writer"), [({0}, "MainThread"), ({0, 1}, "datalore-download-writer")], ids=["1-cpu", "2-cpus"]
)
def test_blocking_download_writes_in_a_thread_of_its_own_only_with_a_cpu_to_spare(
    server, monkeypatch, cpus, writer
):
    class ThreadRecordingSink(RecordingSink):
        def __init__(self) -> None:
            super().__init__()
            self.threads: set[str] = set()

        def write(self, data: Any) -> int:
            self.threads.add(threading.current_thread().name)
            return super().write(data)

    data = os.urandom(2 * MIB)
    server.handler = lambda request, n: server.stream(request, data)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cpus)
    sink = ThreadRecordingSink()
    policy = RetryPolicy(max_attempts=1, base_delay=0, max_delay=0)

    result = Client("sync", server.url, policy, 10.0).download(
        DOWNLOAD, DOWNLOAD_BODY, sink, max_bytes=4 * MIB
    )

    assert sink.threads == {writer}
    assert sink.getvalue() == data
    assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_download_ends_at_the_call_deadline_whatever_the_attempt_timeout(server, make_client):
    async def silent(request: web.Request, n: int) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(body=b"late")

    server.handler = silent
    started = time.monotonic()

    with pytest.raises(DataloreRequestError):
        make_client(attempts=5, timeout=30).download(
            DOWNLOAD, DOWNLOAD_BODY, RecordingSink(), max_bytes=MIB, deadline=time.monotonic() + 0.5
        )

    assert time.monotonic() - started < 3


def test_request_sends_the_call_query(server, make_client):
    server.handler = lambda request, n: asyncio.sleep(0, web.json_response({"ok": True}))

    assert make_client().request(UPLOAD_READ, {"x": 1}) == {"ok": True}

    assert server.seen[0].query == {"ownerId": "alice", "notebookId": "sales", "directory": "in put/é"}
